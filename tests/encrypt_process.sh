#!/bin/bash
# encrypt_process.sh - the `encrypt` action (SPEC sections 4, 5 and 9)
# through the milter's code path (`smime-tool process`), every result
# opened with OpenSSL:
# - the whole message is encrypted, its Content-* fields inside and the
#   other fields outside, for every envelope recipient (Bcc included, an
#   address written Bob@ finding bob@'s certificate) and the sender under
#   EncryptToSender; `auto` picks des-ede3-cbc for a 3DES-only phone and
#   a GCM-first client together, aes-256-gcm for the GCM one alone, and
#   DefaultCipher for a recipient whose capabilities are unknown;
# - fail closed: a recipient without a certificate, or with one on a
#   curve the gateway does not write (P-224),
#   rejects (550 5.7.1 naming it) and nothing is written; a directory that
#   is down tempfails (451 4.7.1), but a recipient known to have none still
#   rejects; over MaxCryptoSize (a 60 MB message) it is 552 5.3.4; a
#   resource failure before the Rules with On-InternalError accept and an
#   encrypt rule loaded tempfails, and accepts without one;
# - "already encrypted" as SPEC 9 defines it is left as it is; a multipart
#   with one encrypted part, a pkcs7-mime label over a body that does not
#   parse and broken MIME are encrypted whole, byte for byte;
# - sign, then encrypt; and reencrypt, sign, encrypt on one message whose
#   RC2-40 attachment is re-encrypted inside the signed, encrypted whole;
# - a weak cipher or `auto` with WeakCiphers naming des-ede3-cbc in an
#   encrypt rule is a load error naming FILE:LINE:COLUMN.
. "$(dirname "$0")/lib.sh"

DRIVER=$top_builddir/tests/harvest_sign_driver
[ -x "$DRIVER" ] || bail "harvest_sign_driver not built at $DRIVER"
tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
SIGNED=$(($(date +%s) + 60))
AT=$(date -u -d "@$((SIGNED + 60))" +%Y-%m-%dT%H:%M:%SZ)

mkdir -m 700 "$tmp/ks" && test_ca "$tmp" "/CN=Encrypt Process CA" || bail "CA"
for u in alice:alice@example.org bob:bob@example.net gcm:gcm@example.net \
	tdes:tdes@example.net dora:dora@example.net p:p@partner.example; do
	keystore_issue "$tmp" "$tmp/ks" "${u%%:*}" "${u#*:}" || bail "key ${u#*:}"
done
# eve@ holds a P-224 certificate: EC, but no curve the gateway writes
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-224 -nodes -keyout "$tmp/eve.key" \
	-out "$tmp/eve.csr" -subj /CN=eve 2>/dev/null &&
	printf 'subjectAltName=email:eve@example.net\n' >"$tmp/eve.ext" &&
	openssl x509 -req -in "$tmp/eve.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
		-set_serial 0x77 -days 30 -extfile "$tmp/eve.ext" -out "$tmp/eve.crt" 2>/dev/null &&
	mkdir "$tmp/certs" && cp "$tmp/eve.crt" "$tmp/certs/" || bail "EC certificate"

conf() { # conf NAME RULES [LINE...]
	local name=$1 rules=$2
	shift 2
	printf '%s\n' "$rules" >"$tmp/$name.rules"
	printf '%s\n' "AuthservID mx.test" "TrustAnchorFile $tmp/ca.pem" \
		"Socket local:$tmp/s" "KeyStore $tmp/ks" "CertDirectory $tmp/certs" \
		"Rules $tmp/$name.rules" "HarvestCertificates yes" \
		"HarvestDirectory $tmp/harvest" "$@" >"$tmp/$name.conf"
}
# run CONF IN OUT RCPT...: alice, authenticated, sends IN; $st the exit
# status, $line the log line, $reply the SMTP reply (if any)
run() {
	local c=$1 in=$2 out=$3 r args=()
	shift 3
	for r in "$@"; do args+=(--rcpt "$r"); done
	rm -f "$out"
	"$SMIME_TOOL" process -c "$tmp/$c.conf" --from alice@example.org "${args[@]}" \
		--auth-user alice@example.org --at "$AT" -i "$in" -o "$out" 2>"$out.err"
	st=$?
	line=$(grep ' dir=' "$out.err")
	reply=$(grep -E '^[45][0-9][0-9] ' "$out.err")
}
# opens OUT NAME [INNER]: NAME's key decrypts OUT (to INNER, else $tmp/dec)
opens() {
	openssl cms -decrypt -in "$1" -inkey "$tmp/ks/$2.key" -recip "$tmp/ks/$2.crt" \
		-out "${3:-$tmp/dec}" 2>"$tmp/dec.err"
}
new_cipher() { printf '%s\n' "$line" | sed -n 's/.* new-cipher=\([^ ]*\).*/\1/p'; }
# inner_of MSG OUT: what encrypt must seal, its Content-* fields and body
inner_of() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
hdr, _, body = raw.partition(b'\n\n')
fields = re.split(rb'\n(?![ \t])', hdr)
keep = [f for f in fields if f.lower().startswith(b'content-')]
out = b''.join(f + b'\n' for f in keep) + b'\n' + body
open(sys.argv[2], 'wb').write(out.replace(b'\n', b'\r\n'))
EOF
}
# outside MSG: the header fields of MSG that are not ours or Content-*
outside() {
	python3 - "$1" <<'EOF'
import re, sys
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
hdr = raw.partition(b'\n\n')[0]
for f in re.split(rb'\n(?![ \t])', hdr):
    n = f.split(b':', 1)[0].lower()
    if not n.startswith(b'content-') and n not in (b'mime-version', b'x-smime-encryption'):
        sys.stdout.buffer.write(f + b'\n')
EOF
}

# --- the messages -----------------------------------------------------------
code=$(openssl rand -hex 8)
printf 'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: the code\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nThe code is %s.\r\n' \
	"$code" >"$tmp/plain.eml"
evidence_secret "$tmp/plain.eml"
inner_of "$tmp/plain.eml" "$tmp/plain.inner"

# --- load errors ---------------------------------------------------------------
conf weak 'when outbound then tag x, encrypt rc2-40-cbc'
"$SMIME_MILTER" -n -c "$tmp/weak.conf" >"$tmp/weak.out" 2>&1
is "$?" 1 "-n fails on an encrypt rule naming a cipher in WeakCiphers"
grep -q "$tmp/weak.rules:1:35: encrypt rc2-40-cbc: the cipher is in WeakCiphers" "$tmp/weak.out"
ok $? "naming the rule's FILE:LINE:COLUMN" || diag "$(cat "$tmp/weak.out")"
conf weakauto 'when outbound then encrypt auto' "WeakCiphers rc2-40-cbc,des-cbc,des-ede3-cbc"
"$SMIME_MILTER" -n -c "$tmp/weakauto.conf" >"$tmp/weakauto.out" 2>&1
is "$?" 1 "-n fails on encrypt auto when WeakCiphers names des-ede3-cbc"
grep -q "$tmp/weakauto.rules:1:28: encrypt auto: WeakCiphers names des-ede3-cbc" "$tmp/weakauto.out"
ok $? "naming the rule's FILE:LINE:COLUMN" || diag "$(cat "$tmp/weakauto.out")"
conf cbc 'when outbound then encrypt aes-256-cbc'
"$SMIME_MILTER" -n -c "$tmp/cbc.conf" >"$tmp/cbc.out" 2>&1
ok $? "an encrypt rule loads" || diag "$(cat "$tmp/cbc.out")"

# --- the whole message, to every envelope recipient and the sender ------------
run cbc "$tmp/plain.eml" "$tmp/cbc.out" Bob@Example.NET dora@example.net
is "$st" 0 "encrypt aes-256-cbc: accepted" || diag "$(cat "$tmp/cbc.out.err")"
case $line in
*'dir=outbound from=<alice@example.org> kind=none action=encrypted new-cipher=aes-256-cbc '*)
	pass "log: kind=none action=encrypted new-cipher=aes-256-cbc" ;;
*) fail "log: kind=none action=encrypted new-cipher=aes-256-cbc"; diag "$line" ;;
esac
grep -q '^X-SMIME-Encryption: action=encrypted; new-cipher=aes-256-cbc' "$tmp/cbc.out"
ok $? "X-SMIME-Encryption: action=encrypted; new-cipher=aes-256-cbc"
is "$(cipher_of "$tmp/cbc.out")" aes-256-cbc "OpenSSL reads the content cipher as aes-256-cbc"
grep -qi '^Content-Type: application/pkcs7-mime; smime-type=enveloped-data' "$tmp/cbc.out"
ok $? "the top level is application/pkcs7-mime; smime-type=enveloped-data"
is "$(outside "$tmp/cbc.out")" "$(outside "$tmp/plain.eml")" \
	"From, To and Subject stay outside, unchanged"
grep -qc "$code" "$tmp/cbc.out"
ok $((!$?)) "the plaintext is not in the result"
for r in bob dora alice; do
	opens "$tmp/cbc.out" $r && cmp -s "$tmp/dec" "$tmp/plain.inner"
	ok $? "$r opens it to the original Content-* fields and body" || diag "$(cat "$tmp/dec.err")"
done
is "$(openssl cms -cmsout -print -in "$tmp/cbc.out" | grep -c 'd.issuerAndSerialNumber')" 3 \
	"three KeyTransRecipientInfos: Bob@ (as bob@), the Bcc dora@, the sender"

conf held 'when outbound then encrypt aes-256-cbc
when outbound then quarantine "held for review"'
run held "$tmp/plain.eml" "$tmp/held.out" bob@example.net
is "$st" 4 "encrypt and quarantine: quarantined"
case $line in
*'action=encrypted new-cipher=aes-256-cbc '*'note=quarantined '*) pass "log: encrypted, note=quarantined" ;;
*) fail "log: encrypted, note=quarantined"; diag "$line" ;;
esac
opens "$tmp/held.out" bob && cmp -s "$tmp/dec" "$tmp/plain.inner"
ok $? "the held copy is the encrypted one: releasing it releases no plaintext"

conf nosender 'when outbound then encrypt aes-256-cbc' "EncryptToSender no"
run nosender "$tmp/plain.eml" "$tmp/nosender.out" bob@example.net
opens "$tmp/nosender.out" bob
ok $? "EncryptToSender no: the recipient opens it"
opens "$tmp/nosender.out" alice
ok $((!$?)) "EncryptToSender no: the sender cannot"

# --- auto: the recipients' capabilities -----------------------------------------
caps_signed_mail "$DRIVER" "$tmp/gcm" gcm@example.net gcm "$SIGNED" "$tmp/s-gcm.eml"
caps_signed_mail "$DRIVER" "$tmp/tdes" tdes@example.net 3des "$SIGNED" "$tmp/s-tdes.eml"
conf auto 'when outbound then encrypt auto'
run auto "$tmp/s-gcm.eml" "$tmp/s-gcm.out" bob@example.net
run auto "$tmp/s-tdes.eml" "$tmp/s-tdes.out" bob@example.net
[ -f "$tmp/harvest/gcm@example.net.pem" ] && [ -f "$tmp/harvest/tdes@example.net.pem" ]
ok $? "the recipients' capabilities are harvested" || diag "$(cat "$tmp"/s-*.out.err)"
run auto "$tmp/plain.eml" "$tmp/both.out" gcm@example.net tdes@example.net
is "$(new_cipher)" des-ede3-cbc "auto: a 3DES-only phone and a GCM-first client together get des-ede3-cbc"
is "$(cipher_of "$tmp/both.out")" des-ede3-cbc "OpenSSL reads des-ede3-cbc"
opens "$tmp/both.out" gcm && cmp -s "$tmp/dec" "$tmp/plain.inner" &&
	opens "$tmp/both.out" tdes && cmp -s "$tmp/dec" "$tmp/plain.inner"
ok $? "both open it"
run auto "$tmp/plain.eml" "$tmp/gcm.out" gcm@example.net
is "$(new_cipher)" aes-256-gcm "auto: the GCM-first client alone gets aes-256-gcm"
grep -qi 'smime-type=authEnveloped-data' "$tmp/gcm.out"
ok $? "as authEnveloped-data"
opens "$tmp/gcm.out" gcm && cmp -s "$tmp/dec" "$tmp/plain.inner"
ok $? "OpenSSL opens the AuthEnvelopedData" || diag "$(cat "$tmp/dec.err")"
run auto "$tmp/plain.eml" "$tmp/dflt.out" dora@example.net
is "$(new_cipher)" aes-256-cbc "auto: unknown capabilities get DefaultCipher (aes-256-cbc)"
conf auto3 'when outbound then encrypt auto' "DefaultCipher aes-256-gcm"
run auto3 "$tmp/plain.eml" "$tmp/dflt3.out" gcm@example.net dora@example.net
is "$(new_cipher)" aes-256-gcm "auto: DefaultCipher aes-256-gcm, unknown capabilities and a GCM-first client: aes-256-gcm"

# --- fail closed ----------------------------------------------------------------
run cbc "$tmp/plain.eml" "$tmp/unknown.out" bob@example.net carol@example.com dora@example.net
is "$st" 1 "a recipient without a certificate: rejected"
is "$reply" "550 5.7.1 no S/MIME certificate for <carol@example.com>" "the reply names that recipient"
[ ! -e "$tmp/unknown.out" ]
ok $? "and nothing is written"
case $line in
*'action=rejected action-reason=no-certificate'*) pass "log: action=rejected action-reason=no-certificate" ;;
*) fail "log: action=rejected action-reason=no-certificate"; diag "$line" ;;
esac
run cbc "$tmp/plain.eml" "$tmp/ec.out" bob@example.net eve@example.net
is "$reply" "550 5.7.1 no S/MIME certificate for <eve@example.net>" \
	"a P-224 recipient counts as one without a usable certificate"

conf fewri 'when outbound then encrypt aes-256-cbc' "MaxRecipientInfos 2"
run fewri "$tmp/plain.eml" "$tmp/fewri.out" bob@example.net dora@example.net
is "$reply" "550 5.5.3 too many recipients to encrypt" \
	"more recipients (with the sender) than MaxRecipientInfos: rejected, the work bounded"
[ ! -e "$tmp/fewri.out" ]
ok $? "and nothing is written"

# a directory that does not answer: a port nothing listens on
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
down=("LDAPURI ldap://127.0.0.1:$port" "LDAPBase dc=example,dc=test" "LDAPTimeout 2")
conf down 'when outbound then encrypt aes-256-cbc' "${down[@]}"
run down "$tmp/plain.eml" "$tmp/down.out" carol@example.com
is "$st" 75 "the directory down: tempfailed"
is "$reply" "451 4.7.1 S/MIME directory unavailable, try again later" "451 4.7.1"
[ ! -e "$tmp/down.out" ]
ok $? "and nothing is written"
run down "$tmp/plain.eml" "$tmp/down2.out" carol@example.com eve@example.net
is "$reply" "550 5.7.1 no S/MIME certificate for <eve@example.net>" \
	"a recipient known to have no usable certificate rejects even when another's lookup failed"
run down "$tmp/plain.eml" "$tmp/down3.out" bob@example.net
is "$st" 0 "the directory down: a KeyStore recipient under a named cipher needs no directory"
conf downauto 'when outbound then encrypt auto' "${down[@]}"
run downauto "$tmp/plain.eml" "$tmp/down4.out" bob@example.net
is "$st" 75 "the directory down: auto tempfails (the capabilities are the directory's)"

# 60 MB: over MaxCryptoSize (50M) rejected, under a larger one encrypted whole
python3 - "$tmp/big.eml" <<'EOF'
import sys
line = b'All work and no play makes Jack a dull boy. 0123456789 abcdefghij\r\n'
with open(sys.argv[1], 'wb') as f:
    f.write(b'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: big\r\n'
            b'Content-Type: text/plain\r\n\r\n')
    for _ in range(60 * 1024 * 1024 // len(line) + 1):
        f.write(line)
EOF
run cbc "$tmp/big.eml" "$tmp/big.out" bob@example.net
is "$reply" "552 5.3.4 message too big to encrypt" "a 60 MB message over MaxCryptoSize: 552 5.3.4"
[ ! -e "$tmp/big.out" ]
ok $? "and nothing is written"
conf cbcbig 'when outbound then encrypt aes-256-cbc' "MaxCryptoSize 100M" "TempDirectory $tmp"
run cbcbig "$tmp/big.eml" "$tmp/big.out" bob@example.net
is "$st" 0 "a 60 MB message under MaxCryptoSize 100M: accepted"
inner_of "$tmp/big.eml" "$tmp/big.inner"
opens "$tmp/big.out" bob && cmp -s "$tmp/dec" "$tmp/big.inner"
ok $? "encrypted whole: it opens to the 60 MB original"
rm -f "$tmp"/big.* "$tmp/dec"

# resource failure before the Rules: the body cannot spill (TempDirectory
# missing) with On-InternalError accept
conf oie 'when outbound and header Subject "*[[]secure]*" then encrypt aes-256-cbc' \
	"On-InternalError accept" "BodyMemoryLimit 1K" "TempDirectory $tmp/missing"
conf oienone 'when outbound then tag x' \
	"On-InternalError accept" "BodyMemoryLimit 1K" "TempDirectory $tmp/missing"
head -c 4000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed 's/$/\r/' >"$tmp/long.txt"
cat "$tmp/plain.eml" "$tmp/long.txt" >"$tmp/long.eml"
run oie "$tmp/long.eml" "$tmp/oie.out" bob@example.net
is "$st" 75 "a resource failure before the Rules, On-InternalError accept, an encrypt rule loaded: tempfail"
run oienone "$tmp/long.eml" "$tmp/oienone.out" bob@example.net
is "$st" 0 "the same without an encrypt rule: accept"

# the cookbook's "encrypt when the subject says [secure]"
conf secure 'when outbound and header Subject "*[[]secure]*" then encrypt auto'
sed 's/^Subject: the code/Subject: [secure] the code/' "$tmp/plain.eml" >"$tmp/secure.eml"
run secure "$tmp/secure.eml" "$tmp/secure.out" bob@example.net
case $line in
*'action=encrypted new-cipher=aes-256-cbc'*) pass "a Subject with [secure] is encrypted" ;;
*) fail "a Subject with [secure] is encrypted"; diag "$line" ;;
esac
run secure "$tmp/plain.eml" "$tmp/notsecure.out" bob@example.net
cmp -s "$tmp/notsecure.out" "$tmp/plain.eml"
ok $? "one without it passes unchanged"

# --- already encrypted, and what is encrypted whole -----------------------------
openssl cms -encrypt -aes256 -in "$tmp/plain.inner" -binary -from alice@example.org \
	-to bob@example.net -subject enc "$tmp/bob.pem" >"$tmp/enc.eml" 2>/dev/null || bail "enc"
run cbc "$tmp/enc.eml" "$tmp/enc.out" bob@example.net
is "$st" 0 "an encrypted message: accepted"
python3 - "$tmp/enc.eml" "$tmp/enc.out" <<'EOF'
import sys
a = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
b = open(sys.argv[2], 'rb').read().replace(b'\r\n', b'\n')
sys.exit(0 if b.endswith(a.partition(b'\n\n')[2]) and b'action=encrypted' not in b else 1)
EOF
ok $? "already encrypted: left as it is, never double-wrapped"
case $line in
*'note="encrypt: already encrypted, left as it is'*) pass "the log says why it was not encrypted" ;;
*) fail "the log says why it was not encrypted"; diag "$line" ;;
esac
b64=$(openssl cms -encrypt -aes256 -in "$tmp/plain.inner" -binary -outform DER "$tmp/bob.pem" | base64 -w 76)
{
	printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: mixed\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary="m1"\r\n\r\n--m1\r\nContent-Type: text/plain\r\n\r\n'
	printf 'Plain words %s.\r\n--m1\r\n' "$code"
	printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--m1--\r\n' "$b64"
} >"$tmp/mixed.eml"
{
	printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: label\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\nTm90IENNUyBhdCBhbGwsIGp1c3QgdGV4dCAlcw==\r\n'
} >"$tmp/label.eml"
{
	printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: broken\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary="never"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
	printf -- '--nope\r\nno boundary %s ever closes\r\n\200\377 bytes\r\n' "$code"
} >"$tmp/broken.eml"
for m in mixed:"a multipart with one encrypted part" label:"a pkcs7-mime label over a body that does not parse" \
	broken:"broken MIME"; do
	n=${m%%:*}
	run cbc "$tmp/$n.eml" "$tmp/$n.out" bob@example.net
	inner_of "$tmp/$n.eml" "$tmp/$n.inner"
	opens "$tmp/$n.out" bob && cmp -s "$tmp/dec" "$tmp/$n.inner"
	ok $? "${m#*:}: encrypted whole, byte for byte" || diag "$line"
done

# --- sign, then encrypt -------------------------------------------------------------
conf signenc "when outbound then sign
when outbound then encrypt aes-256-cbc"
run signenc "$tmp/plain.eml" "$tmp/se.out" bob@example.net
case $line in
*'action=encrypted new-cipher=aes-256-cbc sign=signed '*) pass "sign and encrypt: log action=encrypted sign=signed" ;;
*) fail "sign and encrypt: log action=encrypted sign=signed"; diag "$line" ;;
esac
opens "$tmp/se.out" bob "$tmp/se.dec" && grep -qi '^Content-Type: multipart/signed' "$tmp/se.dec"
ok $? "bob opens it to a multipart/signed entity (signed first, RFC 8551 3.7)"
openssl cms -verify -in "$tmp/se.dec" -CAfile "$tmp/ca.pem" -out "$tmp/se.txt" 2>"$tmp/se.err"
ok $? "and the signature inside verifies" || diag "$(cat "$tmp/se.err")"
grep -q "The code is $code." "$tmp/se.txt"
ok $? "over the original text"

# the cookbook's "encrypt everything to a partner domain (sign it first)"
conf partner 'when outbound and to *@partner.example then sign, encrypt auto'
run partner "$tmp/plain.eml" "$tmp/partner.out" p@partner.example
case $line in
*'action=encrypted new-cipher=aes-256-cbc sign=signed '*) pass "cookbook: mail to the partner is signed and encrypted" ;;
*) fail "cookbook: mail to the partner is signed and encrypted"; diag "$line" ;;
esac
opens "$tmp/partner.out" p "$tmp/partner.dec" &&
	openssl cms -verify -in "$tmp/partner.dec" -CAfile "$tmp/ca.pem" -out /dev/null 2>/dev/null
ok $? "the partner opens it and the signature inside verifies"
run partner "$tmp/plain.eml" "$tmp/partner2.out" p@partner.example colleague@example.org
is "$reply" "550 5.7.1 no S/MIME certificate for <colleague@example.org>" \
	"cookbook: a colleague without a certificate beside the partner is named in the 550"
run partner "$tmp/plain.eml" "$tmp/partner3.out" colleague@example.org
cmp -s "$tmp/partner3.out" "$tmp/plain.eml"
ok $? "cookbook: mail to no partner passes unchanged"

# --- reencrypt, sign, encrypt: an RC2-40 attachment in a plain message ---------------
printf 'Content-Type: text/plain\r\n\r\nThe attachment %s.\r\n' "$code" >"$tmp/att.txt"
attachment_mail "$tmp/att.eml" alice@example.org "gcm@example.net, tdes@example.net" att \
	"$tmp/att.txt" "$tmp/alice.pem" "$tmp/gcm.pem" "$tmp/tdes.pem" || bail "RC2-40"
conf chain "when outbound then reencrypt auto, sign
when outbound then encrypt auto" "ReencryptOutbound yes"
run chain "$tmp/att.eml" "$tmp/chain.out" gcm@example.net tdes@example.net
case $line in
*'cipher=rc2-40-cbc strength=weak action=encrypted new-cipher=des-ede3-cbc sign=signed '*)
	pass "log: cipher=rc2-40-cbc strength=weak action=encrypted new-cipher=des-ede3-cbc sign=signed" ;;
*) fail "log: cipher=rc2-40-cbc strength=weak action=encrypted new-cipher=... sign=signed"; diag "$line" ;;
esac
grep -q '^X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=des-ede3-cbc; part=2' "$tmp/chain.out"
ok $? "the attachment's own finding: reencrypted to des-ede3-cbc" || diag "$(grep X-SMIME "$tmp/chain.out")"
opens "$tmp/chain.out" tdes "$tmp/chain.dec"
ok $? "encrypted whole: the 3DES-only recipient opens it"
openssl cms -verify -in "$tmp/chain.dec" -CAfile "$tmp/ca.pem" -out "$tmp/chain.mixed" 2>"$tmp/chain.err"
ok $? "the signature inside verifies" || diag "$(cat "$tmp/chain.err")"
second_part "$tmp/chain.mixed" "$tmp/chain.att"
is "$(cipher_of "$tmp/chain.att")" des-ede3-cbc "the attachment inside is the re-encrypted one (des-ede3-cbc, no longer RC2-40)"
opens "$tmp/chain.att" gcm && cmp -s "$tmp/dec" "$tmp/att.txt"
ok $? "and it opens to the original attachment"

done_testing
