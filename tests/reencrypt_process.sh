# reencrypt_process.sh - `reencrypt CIPHER` and the X-SMIME-Encryption
# findings through `smime-tool process` (the milter's code path): a key
# store made here with OpenSSL, messages made by `openssl cms -encrypt`
# and corpus messages with published keys.  Every re-encrypted copy must
# decrypt, for every envelope recipient, to the byte-identical inner
# entity; every case the gateway cannot prove (SPEC section 8) is kept
# and says why.
. "$(dirname "$0")/lib.sh"
need_corpus

for tool in openssl cmsutil certutil pk12util python3; do
	command -v $tool >/dev/null || bail "$tool not installed"
done
T=$(mktemp -d "${TMPDIR:-/tmp}/reencrypt_process.XXXXXX")
trap 'evidence_keep "$T"; rm -rf "$T"' EXIT
C=$CORPUS_DIR
OC=$C/openssl/smime-certs
LEGACY="-provider legacy -provider default"

# --- a CA and recipients; keys 0600 in the key store ------------------------
mkdir -m 700 "$T/ks" "$T/cd"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" \
	-subj "/CN=Reencrypt Test CA" -days 30 2>/dev/null || bail "CA"
issue() { # issue NAME ADDRESS [SERIAL]
	openssl req -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" \
		-subj "/CN=$1" 2>/dev/null || bail "req $1"
	printf 'subjectAltName=email:%s\nkeyUsage=keyEncipherment,digitalSignature\n' "$2" > "$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
		-set_serial "${3:-0x$(openssl rand -hex 8)}" -days 30 -extfile "$T/$1.ext" \
		-out "$T/$1.pem" 2>/dev/null || bail "x509 $1"
}
for r in alice bob mallory carol mobile; do
	case $r in mobile) a=m@mobile.example.org ;; *) a=$r@example.org ;; esac
	issue $r $a
	[ $r = carol ] && continue # carol's certificate is nowhere the gateway looks
	if [ $r = mobile ]; then # as PKCS#12, its passphrase a secret to look for in the logs
		openssl rand -base64 18 > "$T/ks/$r.pass"
		chmod 600 "$T/ks/$r.pass"
		openssl pkcs12 -export -in "$T/$r.pem" -inkey "$T/$r.key" -out "$T/ks/$r.p12" \
			-passout "file:$T/ks/$r.pass" || bail "pkcs12 $r"
		chmod 600 "$T/ks/$r.p12"
		continue
	fi
	cp "$T/$r.pem" "$T/ks/$r.crt"
	cp "$T/$r.key" "$T/ks/$r.key"
	chmod 600 "$T/ks/$r.key"
done
# a certificate that names alice's issuer and serial but holds another key
issue forged alice@example.org "$(openssl x509 -in "$T/alice.pem" -noout -serial | sed 's/serial=/0x/')"

printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nThe inner entity, carried over byte for byte.\r\nSecond line: %s\r\n' \
	"$(openssl rand -hex 12)" > "$T/inner.txt"
evidence_secret "$T/inner.txt"
# encrypt OUT CIPHER-OPTION CERT... : an S/MIME message
encrypt() {
	local out=$1 opt=$2; shift 2
	openssl cms -encrypt -in "$T/inner.txt" -binary $opt $LEGACY -from carol@legacy.example \
		-subject "re-encrypt me" -out "$T/$out" "$@" 2>"$T/err" || bail "encrypt $out: $(cat "$T/err")"
}
encrypt rc2.eml -rc2-40 "$T/alice.pem"
encrypt rc2-mobile.eml -rc2-40 "$T/mobile.pem"
encrypt rc2-two.eml -rc2-40 "$T/alice.pem" "$T/carol.pem"
encrypt rc2-bob.eml -rc2-40 "$T/bob.pem"
encrypt rc2-forged.eml -rc2-40 "$T/forged.pem"

RULES_SPEC='when cipher weak and to *@mobile.example.org then reencrypt des-ede3-cbc, tag legacy-mobile
when cipher weak then reencrypt aes-256-cbc, tag'

n=0
# process RULES CONFIG-LINES IN [ARGS...]: sets st, out (file), err, hdr
process() {
	local rules=$1 conf=$2 in=$3; shift 3
	n=$((n + 1))
	printf '%s\n' "$rules" > "$T/$n.rules"
	printf 'Rules %s\nSocket local:%s\n%s\n' "$T/$n.rules" "$T/sock" "$conf" > "$T/$n.conf"
	"$SMIME_TOOL" process -c "$T/$n.conf" --from env@sender.example "$@" \
		-i "$in" -o "$T/out$n.eml" 2> "$T/err$n"
	st=$?
	out=$T/out$n.eml
	err=$(cat "$T/err$n")
	hdr=$(grep '^X-SMIME-Encryption:' "$out" 2>/dev/null | tr -d '\r')
}
KS="KeyStore $T/ks"
# decrypts FILE CERT KEY: openssl gives the inner entity
decrypts() {
	openssl cms -decrypt $LEGACY -in "$1" -recip "$2" -inkey "$3" -binary -out "$T/dec" 2>"$T/err" &&
		cmp -s "$T/dec" "${4:-$T/inner.txt}"
}

# --- detection only ----------------------------------------------------------
process 'when header Subject "*nothing*" then tag' "" "$T/rc2.eml" --rcpt alice@example.org
is "$hdr" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=none" \
	"without a matching rule the finding says action=none"
process 'when cipher weak then tag' "" "$T/rc2.eml" --rcpt alice@example.org
is "$hdr" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=tagged" \
	"a tag rule gives action=tagged"
process 'when cipher weak then reject' "" "$T/rc2.eml" --rcpt alice@example.org
is "$st" 1 "reject wins over the finding (exit 1)"

# --- the SPEC section 5 rules, inbound ---------------------------------------
process "$RULES_SPEC" "$KS" "$T/rc2.eml" --rcpt alice@example.org
is "$st" 0 "RC2-40 to alice is accepted"
is "$hdr" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc" \
	"RC2-40 to alice: re-encrypted with aes-256-cbc, header exact"
case $err in *"action=reencrypted new-cipher=aes-256-cbc"*) pass "the log line says action=reencrypted new-cipher=aes-256-cbc" ;;
	*) fail "the log line says action=reencrypted new-cipher=aes-256-cbc"; diag "$err" ;; esac
grep -q '^X-SMIME-Tag: smime-policy' "$out"; ok $? "the bare tag is X-SMIME-Tag: smime-policy"
is "$(cipher_of "$out")" "aes-256-cbc" "OpenSSL sees aes-256-cbc in the new EnvelopedData"
decrypts "$out" "$T/alice.pem" "$T/alice.key"; ok $? "openssl cms -decrypt gives alice the byte-identical inner entity"
grep -q '^Subject: re-encrypt me' "$out" && grep -q '^From: carol@legacy.example' "$out"
ok $? "other headers are unchanged"
awk 'NF==0{b=1;next} b && length($0) > 77 {bad=1} END{exit bad}' "$out"
ok $? "the new body is base64 in lines of at most 76 columns"
cp "$out" "$T/rc2-first.eml"
process "$RULES_SPEC" "$KS" "$T/rc2.eml" --rcpt alice@example.org
cmp -s "$out" "$T/rc2-first.eml"; ok $((! $?)) "two runs give different ciphertext (fresh key and IV)"

# NSS and gpgsm read the PKCS#1 v1.5 CBC result
alice_p12() {
	openssl pkcs12 -export -in "$T/alice.pem" -inkey "$T/alice.key" -out "$T/alice.p12" -passout pass:x \
		-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
}
mkdir "$T/nss"
certutil -N -d "sql:$T/nss" --empty-password && certutil -A -d "sql:$T/nss" -n ca -t "C,C,C" -i "$T/ca.pem" &&
	alice_p12 && pk12util -i "$T/alice.p12" -d "sql:$T/nss" -W x >/dev/null || bail "NSS database"
sed '1,/^\r\{0,1\}$/d' "$T/rc2-first.eml" | openssl base64 -d > "$T/first.der"
cmsutil -D -i "$T/first.der" -d "sql:$T/nss" -o "$T/dec" 2>"$T/err" && cmp -s "$T/dec" "$T/inner.txt"
ok $? "NSS cmsutil -D gives alice the byte-identical inner entity" || diag "$(cat "$T/err")"
if command -v gpgsm >/dev/null; then
	G=$T/gnupg; mkdir -m 700 "$G"; echo allow-loopback-pinentry > "$G/gpg-agent.conf"
	GNUPGHOME=$G gpgsm --batch --import "$T/ca.pem" 2>/dev/null
	gpgsm_import_p12 "$G" x "$T/alice.p12" alice_p12 || diag "gpgsm could not import alice.p12"
	echo x | GNUPGHOME=$G gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
		--output "$T/dec" --decrypt "$T/first.der" 2>"$T/err"
	cmp -s "$T/dec" "$T/inner.txt"; ok $? "gpgsm --decrypt gives alice the byte-identical inner entity" || diag "$(cat "$T/err")"
	gpgconf --homedir "$G" --kill gpg-agent 2>/dev/null
fi

process "$RULES_SPEC" "$KS" "$T/rc2-mobile.eml" --rcpt m@mobile.example.org
is "$hdr" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=des-ede3-cbc" \
	"RC2-40 to *@mobile.example.org: re-encrypted with des-ede3-cbc"
grep -q '^X-SMIME-Tag: legacy-mobile' "$out"; ok $? "and tagged legacy-mobile"
decrypts "$out" "$T/mobile.pem" "$T/mobile.key"; ok $? "openssl decrypts the des-ede3-cbc copy to the inner entity"
is "$(cipher_of "$out")" "des-ede3-cbc" "OpenSSL sees des-ede3-cbc"

# CBC content goes to CBC only (SPEC section 8 step 1): GCM, whose length
# would follow what the padding removal left, is refused before any key
process "when cipher weak then reencrypt aes-256-gcm" "$KS" "$T/rc2.eml" --rcpt alice@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="unsupported-cipher"' \
	"RC2-40 under reencrypt aes-256-gcm: kept (unsupported-cipher)"
# the GCM writer, from AuthEnvelopedData
encrypt gcm.eml -aes-128-gcm "$T/alice.pem"
process "when cipher aes-128-gcm then reencrypt aes-256-gcm" "$KS" "$T/gcm.eml" --rcpt alice@example.org
grep -q 'smime-type=authEnveloped-data' "$out"; ok $? "a GCM cipher gives AuthEnvelopedData (smime-type=authEnveloped-data)"
decrypts "$out" "$T/alice.pem" "$T/alice.key"; ok $? "openssl decrypts the aes-256-gcm copy to the inner entity"

# --- AES-CCM (RFC 5084) and ChaCha20-Poly1305 (RFC 8103), which OpenSSL 3.0
# cannot write: made by tests/aead_cms.py from python3-cryptography --------
PYC=/usr/bin/python3
[ -x "$PYC" ] || PYC=python3
for spec in aes-128-ccm: aes-256-ccm:--attrs chacha20-poly1305:--attrs; do
	c=${spec%%:*} opt=${spec#*:}
	"$PYC" "$top_srcdir/tests/aead_cms.py" "$c" "$T/alice.pem" "$T/$c.eml" $opt ||
		bail "aead_cms.py $c"
	"$PYC" "$top_srcdir/tests/aead_cms.py" "$c" "$T/alice.pem" "$T/$c-badtag.eml" $opt --bad-tag ||
		bail "aead_cms.py $c --bad-tag"
	process "when cipher $c then tag" "" "$T/$c.eml" --rcpt alice@example.org
	is "$hdr" "X-SMIME-Encryption: cipher=$c; strength=strong; action=tagged" \
		"$c${opt:+ with authAttrs}: named and strong, matched by 'cipher $c'"
	process "when encrypted then reencrypt aes-256-gcm" "$KS" "$T/$c.eml" --rcpt alice@example.org
	is "$hdr" "X-SMIME-Encryption: cipher=$c; strength=strong; action=reencrypted; new-cipher=aes-256-gcm" \
		"$c${opt:+ with authAttrs}: opened and re-encrypted as aes-256-gcm"
	decrypts "$out" "$T/alice.pem" "$T/alice.key" "$T/$c.eml.inner"
	ok $? "$c: openssl decrypts the aes-256-gcm copy to the original inner entity"
	process "when encrypted then reencrypt aes-256-cbc" "$KS" "$T/$c.eml" --rcpt alice@example.org
	decrypts "$out" "$T/alice.pem" "$T/alice.key" "$T/$c.eml.inner"
	ok $? "$c: re-encrypted as aes-256-cbc too (the tag was checked, so CBC is safe)"
	process "when encrypted then reencrypt aes-256-gcm" "$KS" "$T/$c-badtag.eml" --rcpt alice@example.org
	is "$hdr" "X-SMIME-Encryption: cipher=$c; strength=strong; action=kept; reason=\"decrypt-failed\"" \
		"$c: a tag that does not verify: kept (decrypt-failed)"
done
process "when encrypted then reencrypt chacha20-poly1305" "$KS" "$T/rc2.eml" --rcpt alice@example.org
is "$st" 2 "reencrypt chacha20-poly1305 is a load error: read, never written"

# --- corpus: three recipients, all three keys, inbound ------------------------
mkdir -m 700 "$T/ks3"
for i in 1 2 3; do
	openssl x509 -in "$OC/smrsa$i.pem" -out "$T/ks3/rsa$i@example.org.crt"
	openssl pkey -in "$OC/smrsa$i.pem" -out "$T/ks3/rsa$i@example.org.key"
	chmod 600 "$T/ks3/rsa$i@example.org.key"
done
E3=$C/openssl-generated/env-des3-3recips.eml
for i in 1 2 3; do openssl cms -decrypt $LEGACY -binary -in "$E3" -inkey "$OC/smrsa$i.pem" -recip "$OC/smrsa$i.pem" > "$T/inner3-$i.txt" 2>/dev/null; done
ALL3="--rcpt rsa1@example.org --rcpt rsa2@example.org --rcpt rsa3@example.org"
process "when cipher legacy then reencrypt aes-128-cbc" "KeyStore $T/ks3" "$E3" $ALL3
is "$hdr" "X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=reencrypted; new-cipher=aes-128-cbc" \
	"env-des3-3recips inbound to all three: re-encrypted"
for i in 1 2 3; do
	decrypts "$out" "$OC/smrsa$i.pem" "$OC/smrsa$i.pem" "$T/inner3-1.txt"
	ok $? "rsa$i decrypts the inbound copy to the original inner entity"
done
process "when cipher legacy then reencrypt aes-128-cbc" "KeyStore $T/ks3" "$E3" --rcpt rsa2@example.org
decrypts "$out" "$OC/smrsa2.pem" "$OC/smrsa2.pem" "$T/inner3-1.txt"; ok $? "sent to rsa2 only: rsa2 reads the copy"
decrypts "$out" "$OC/smrsa1.pem" "$OC/smrsa1.pem" "$T/inner3-1.txt"; ok $((! $?)) "sent to rsa2 only: rsa1's RecipientInfo is dropped"

# --- corpus: outbound from rsa1 with the others' certificates -----------------
mkdir -m 700 "$T/ks1" "$T/cd3"
cp "$T/ks3/rsa1@example.org.crt" "$T/ks3/rsa1@example.org.key" "$T/ks1/"
for i in 2 3; do cp "$T/ks3/rsa$i@example.org.crt" "$T/cd3/rsa$i@example.org.pem"; done
OUTCONF="KeyStore $T/ks1
CertDirectory $T/cd3
TrustAnchorFile $OC/smroot.pem
ReencryptOutbound yes"
OUT2="--rcpt rsa2@example.org --rcpt rsa3@example.org"
# outbound, the gateway opens with the key of the single From address
sed 's/^From: sender@example.org/From: rsa1@example.org/' "$E3" > "$T/e3-rsa1.eml"
E3O=$T/e3-rsa1.eml
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF" "$E3O" $OUT2 --auth-user rsa1@example.org
is "$hdr" "X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=reencrypted; new-cipher=aes-256-cbc" \
	"outbound from rsa1 to rsa2 and rsa3 (certificates in CertDirectory, trusted root): re-encrypted"
for i in 2 3; do
	decrypts "$out" "$OC/smrsa$i.pem" "$OC/smrsa$i.pem" "$T/inner3-1.txt"
	ok $? "rsa$i decrypts the outbound copy to the original inner entity"
done
printf 'login1 rsa1@example.org\n' > "$T/loginmap"
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF
SenderLoginMap $T/loginmap" "$E3O" $OUT2 --auth-user login1
case $hdr in *action=reencrypted*) pass "SenderLoginMap lets login1 use rsa1's key" ;; *) fail "SenderLoginMap lets login1 use rsa1's key"; diag "$hdr" ;; esac
# a glob names the address, not the address itself: no decryption service
# for whoever holds a login (SPEC section 8)
printf 'login1 *@example.org\n' > "$T/globmap"
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF
SenderLoginMap $T/globmap" "$E3O" $OUT2 --auth-user login1
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="no-key"' \
	"outbound: a login whose SenderLoginMap line is a glob gets nothing re-wrapped (no-key)"
# two authors: no single From address, so no key to open with
sed 's/^From: rsa1@example.org/From: rsa1@example.org, rsa2@example.org/' "$E3O" > "$T/e3-two.eml"
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF" "$T/e3-two.eml" $OUT2 --auth-user rsa1@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="no-key"' \
	"outbound: a From field with two mailboxes opens nothing (no-key)"
# off by default
process "when cipher legacy then reencrypt aes-256-cbc" "${OUTCONF%
ReencryptOutbound yes}" "$E3O" $OUT2 --auth-user rsa1@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="outbound-disabled"' \
	"outbound without ReencryptOutbound: kept (outbound-disabled)"
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF" "$E3O" $OUT2 --auth-user rsa2-impostor
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="no-key"' \
	"outbound: a login that may not use rsa1's address opens nothing (no-key)"
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF" "$E3O" $OUT2 --client-ip 127.0.0.1
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="no-key"' \
	"outbound without authentication opens nothing (no-key)"
process "when cipher legacy then reencrypt aes-256-cbc" "KeyStore $T/ks1
CertDirectory $T/cd3
ReencryptOutbound yes" "$E3O" $OUT2 --auth-user rsa1@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="unknown-recipient"' \
	"outbound: recipient certificates that chain to no trust anchor are kept (unknown-recipient)"
cmp -s <(sed '1,/^\r\{0,1\}$/d' "$out") <(sed '1,/^\r\{0,1\}$/d' "$E3O")
ok $? "a kept message body is byte for byte the original"
is "$(grep -v '^X-SMIME-Encryption:' "$out" | cksum)" "$(cksum < "$E3O")" "a kept message changes no other header"
# --at is the clock of the recipient check: rsa2's and rsa3's certificates
# end 2122-05-09T15:33:13Z (the root a day later)
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF" "$E3O" $OUT2 --auth-user rsa1@example.org \
	--at 2122-05-09T15:00:00Z
is "$hdr" "X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=reencrypted; new-cipher=aes-256-cbc" \
	"outbound: --at before the recipient certificates expire: re-encrypted"
process "when cipher legacy then reencrypt aes-256-cbc" "$OUTCONF" "$E3O" $OUT2 --auth-user rsa1@example.org \
	--at 2122-05-09T16:00:00Z
is "$hdr" 'X-SMIME-Encryption: cipher=des-ede3-cbc; strength=legacy; action=kept; reason="unknown-recipient"' \
	"outbound: --at after the recipient certificates expired: kept (unknown-recipient)"

# --- edge cases: each kept, and saying so -------------------------------------
process "$RULES_SPEC" "$KS" "$T/rc2-two.eml" --rcpt alice@example.org --rcpt carol@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="unknown-recipient"' \
	"two envelope recipients, one without a certificate: kept (unknown-recipient)"
case $err in *' action=kept action-reason=unknown-recipient '*) pass "and the log says action=kept action-reason=unknown-recipient" ;;
	*) fail "and the log says action=kept action-reason=unknown-recipient"; diag "$err" ;; esac

# the insider oracle: a captured message for bob, mallory's RecipientInfo
# (wrapping another content key) added, sent to bob and mallory
encrypt rc2-mallory.eml -rc2-40 "$T/mallory.pem"
smime_der() { sed '1,/^\r\{0,1\}$/d' "$1" | openssl base64 -d; }
smime_der "$T/rc2-bob.eml" > "$T/bob.der"; smime_der "$T/rc2-mallory.eml" > "$T/mallory.der"
# splice_ri BASE.der EXTRA.der OUT.der [first]: BASE's EnvelopedData with
# EXTRA's RecipientInfos added after BASE's own (before them with "first")
splice_ri() {
python3 - "$@" <<'PY' || bail "splice RecipientInfo"
import sys
def tlv(b, i):
    t = b[i]; l = b[i+1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i+2:i+2+n], 'big'); h = 2 + n
    return t, i + h, i + h + l
def enc(t, body):
    n = len(body)
    if n < 128: return bytes([t, n]) + body
    nb = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([t, 0x80 | len(nb)]) + nb + body
def parts(der):  # ContentInfo -> ([0] -> EnvelopedData fields)
    _, s, e = tlv(der, 0); _, os, oe = tlv(der, s)  # oid
    _, cs, ce = tlv(der, oe); _, es, ee = tlv(der, cs)
    f = []; i = es
    while i < ee:
        t, bs, be = tlv(der, i); f.append((t, der[i:be], der[bs:be])); i = be
    return der[s:oe], f
b = open(sys.argv[1], 'rb').read(); m = open(sys.argv[2], 'rb').read()
oid, fb = parts(b); _, fm = parts(m)
ris = fm[1][2] + fb[1][2] if sys.argv[4:] == ['first'] else fb[1][2] + fm[1][2]
fields = [fb[0][1], enc(0x31, ris)] + [x[1] for x in fb[2:]]
ed = enc(0x30, b''.join(fields))
open(sys.argv[3], 'wb').write(enc(0x30, oid + enc(0xa0, ed)))
PY
}
splice_ri "$T/bob.der" "$T/mallory.der" "$T/insider.der"
{ sed '/^\r\{0,1\}$/q' "$T/rc2-bob.eml"; openssl base64 -in "$T/insider.der"; } > "$T/insider.eml"
openssl cms -cmsout -print -in "$T/insider.eml" 2>/dev/null | grep -c 'd.issuerAndSerialNumber' > "$T/nri"
is "$(cat "$T/nri")" 2 "the insider message carries bob's and mallory's RecipientInfos"
process "$RULES_SPEC" "$KS" "$T/insider.eml" --rcpt bob@example.org --rcpt mallory@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="decrypt-failed"' \
	"insider oracle: mallory's added RecipientInfo does not open to the same key: kept (decrypt-failed)"
grep -q '^Content-Transfer-Encoding: base64' "$out" && cmp -s <(sed '1,/^\r\{0,1\}$/d' "$out") <(sed '1,/^\r\{0,1\}$/d' "$T/insider.eml")
ok $? "insider oracle: the body is the original"
process "$RULES_SPEC" "$KS" "$T/insider.eml" --rcpt bob@example.org
case $hdr in *action=reencrypted*) pass "the same message sent to bob alone is re-encrypted (mallory's RecipientInfo dropped)" ;;
	*) fail "the same message sent to bob alone is re-encrypted"; diag "$hdr" ;; esac
decrypts "$out" "$T/mallory.pem" "$T/mallory.key"; ok $((! $?)) "and mallory cannot read that copy"

process "when encrypted then reencrypt aes-256-cbc" "$KS" "$C/openssl-generated/env-then-sig-sha256.eml" --rcpt rsa1@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=aes-128-cbc; strength=strong; action=kept; reason="under-signature"; part=1' \
	"an encrypted entity under a signature is kept (under-signature, part=1)"
# Issue 13: the log line keeps the encryption outcome's reason apart from
# the signature's (SPEC section 7: action-reason; reason belongs to result)
case $err in *' action=kept action-reason=under-signature '*'result='*' reason='*) r=0 ;; *) r=1 ;; esac
ok $r "the log line keeps action-reason=under-signature next to the signature's result and reason" || diag "$err"
process "when encrypted then reencrypt aes-256-cbc" "$KS" "$C/openssl-generated/env-aes128-ecdh.eml" --rcpt alice@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=aes-128-cbc; strength=strong; action=kept; reason="key-agreement"' \
	"only key agreement: kept (key-agreement)"
process "$RULES_SPEC" "$KS" "$T/rc2.eml" --rcpt nobody@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="no-key"' \
	"no key of an envelope recipient: kept (no-key)"
process "$RULES_SPEC" "$KS" "$T/rc2-bob.eml" --rcpt alice@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="no-key"' \
	"inbound: bob's key is not used for mail to alice (no-key)"
process 'when to *@example.org then reencrypt aes-256-cbc' "KeyStore $T/ks3
MaxCryptoSize 1K" "$E3" $ALL3
case $err in *' action=kept action-reason=too-large '*) pass "over MaxCryptoSize: the log says action=kept action-reason=too-large" ;;
	*) fail "over MaxCryptoSize: the log says action=kept action-reason=too-large"; diag "$err" ;; esac

# MaxKeyOperations: decided before any private-key operation; the debug
# counters (SMIME_DEBUG_COUNTERS=1) show the unwraps and bytes decrypted
SMIME_DEBUG_COUNTERS=1 process "$RULES_SPEC" "$KS
MaxKeyOperations 0" "$T/rc2.eml" --rcpt alice@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="too-many-operations"' \
	"MaxKeyOperations 0: kept (too-many-operations)"
case $err in *': debug unwraps=0 decrypted=0') pass "and no private-key operation was done" ;;
	*) fail "and no private-key operation was done"; diag "$err" ;; esac
SMIME_DEBUG_COUNTERS=1 process "$RULES_SPEC" "$KS" "$T/rc2.eml" --rcpt alice@example.org
case $err in *': debug unwraps=1 decrypted='[1-9]*) pass "the default allows it: one unwrap, the content decrypted" ;;
	*) fail "the default allows it: one unwrap, the content decrypted"; diag "$err" ;; esac
process "$RULES_SPEC" "$KS" "$T/rc2.eml" --rcpt alice@example.org
case $err in *debug*) fail "without SMIME_DEBUG_COUNTERS there is no debug line"; diag "$err" ;;
	*) pass "without SMIME_DEBUG_COUNTERS there is no debug line" ;; esac

# no oracle: a wrong key and a corrupt ciphertext look the same as a good
# message: with one proven recipient and a CBC cipher, everything after
# the public checks is reencrypted (SPEC section 8 steps 2-4)
process "$RULES_SPEC" "$KS" "$T/rc2-forged.eml" --rcpt alice@example.org
wrong_hdr=$hdr; wrong_log=$(printf '%s' "$err" | sed 's/ ms=[0-9]*//')
smime_der "$T/rc2.eml" > "$T/good.der"
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-3]^=0x5a; open(sys.argv[2],"wb").write(b)' "$T/good.der" "$T/bad.der"
{ sed '/^\r\{0,1\}$/q' "$T/rc2.eml"; openssl base64 -in "$T/bad.der"; } > "$T/corrupt.eml"
process "$RULES_SPEC" "$KS" "$T/corrupt.eml" --rcpt alice@example.org
corrupt_log=$(printf '%s' "$err" | sed 's/ ms=[0-9]*//')
is "$wrong_hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc' \
	"a wrong key: re-encrypted from a substitute key, like a good message"
is "$hdr" "$wrong_hdr" "a corrupt ciphertext gives the same header as a wrong key"
is "$corrupt_log" "$wrong_log" "a corrupt ciphertext gives the same log line as a wrong key"
is "$st" 0 "a failed decryption is accepted, never a tempfail"
decrypts "$out" "$T/alice.pem" "$T/alice.key"; ok $((! $?)) "and the copy does not hold the original plaintext"

# incoming findings are removed
{ printf 'X-SMIME-Encryption: cipher=aes-256-cbc; strength=strong; action=reencrypted\r\n'; cat "$T/rc2.eml"; } > "$T/forged-finding.eml"
process 'when cipher weak then tag' "" "$T/forged-finding.eml" --rcpt alice@example.org
is "$(grep -c '^X-SMIME-Encryption:' "$out")" 1 "an incoming X-SMIME-Encryption is replaced by ours"

# configuration: an unsafe key file is refused at load
chmod 644 "$T/ks/alice.key"
process "$RULES_SPEC" "$KS" "$T/rc2.eml" --rcpt alice@example.org
is "$st" 2 "a key readable by others makes the configuration unusable (exit 2)"
case $err in *alice.key*) pass "and the error names the key file" ;; *) fail "and the error names the key file"; diag "$err" ;; esac
chmod 600 "$T/ks/alice.key"
printf 'login-only\n' > "$T/badmap"
process "$RULES_SPEC" "$KS
SenderLoginMap $T/badmap" "$T/rc2.eml" --rcpt alice@example.org
case $err in *"$T/badmap:1:"*) pass "a bad SenderLoginMap line is reported as FILE:LINE" ;; *) fail "a bad SenderLoginMap line is reported as FILE:LINE"; diag "$err" ;; esac

# --- an encrypted entity nested in a plain multipart ---------------------------
# (a mailing list that added a footer part): re-encrypted in place, every
# other byte of the message kept.
{
	printf 'From: carol@legacy.example\r\nTo: alice@example.org\r\nSubject: nested\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="nest"\r\n\r\n'
	printf 'preamble\r\n--nest\r\nContent-Type: text/plain\r\n\r\nA footer the list added.\r\n--nest\r\n'
	sed -n '/^Content-Type:/,$p' "$T/rc2.eml" | sed 's/\r*$/\r/'
	printf '\r\n--nest\r\nContent-Type: text/plain\r\n\r\nLast part.\r\n--nest--\r\nepilogue\r\n'
} > "$T/nested.eml"
process "$RULES_SPEC" "$KS" "$T/nested.eml" --rcpt alice@example.org
is "$(printf '%s' "$hdr" | tr -d '\r')" \
	"X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc; part=2" \
	"a nested RC2-40 entity is re-encrypted in place (part=2)"
/usr/bin/python3 - "$out" "$T/part2.eml" "$T/nested.eml" <<'PY' > "$T/nested.check"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
parts = m.get_payload()
p = parts[1]
open(sys.argv[2], "wb").write(p.as_bytes())
orig = email.message_from_binary_file(open(sys.argv[3], "rb")).get_payload()
print(len(parts), parts[0].get_payload() == orig[0].get_payload(),
      parts[2].get_payload() == orig[2].get_payload(), p.get_content_type())
PY
is "$(cat "$T/nested.check")" "3 True True application/pkcs7-mime" \
	"the other parts are unchanged and the new entity is application/pkcs7-mime"
decrypts "$T/part2.eml" "$T/alice.pem" "$T/alice.key"
ok $? "alice decrypts the re-encrypted nested entity to the original inner entity"
is "$(cipher_of "$T/part2.eml")" "aes-256-cbc" "the nested entity now uses aes-256-cbc"
tail -c 20 "$out" | grep -q "epilogue"
ok $? "the epilogue after the closing boundary is kept"

# Issue 13, F10: the re-encrypted nested entity keeps its own fields
# (Content-ID for cid: links, Content-Description, the file name) and
# replaces only Content-Type and Content-Transfer-Encoding.
{
	printf 'From: carol@legacy.example\r\nTo: alice@example.org\r\nSubject: cid\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n'
	printf -- '--rel\r\nContent-Type: text/html\r\n\r\n<img src="cid:part2.abc@legacy.example">\r\n--rel\r\n'
	printf 'Content-ID: <part2.abc@legacy.example>\r\n'
	printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data;\r\n\tname="Q3 report.p7m"\r\n'
	printf 'Content-Description: the\r\n quarterly report\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n'
	printf 'Content-Disposition: attachment; filename="Q3 report.p7m"\r\n'
	printf 'X-Attachment-Id: f_abc123\r\n\r\n'
	sed '1,/^\r\{0,1\}$/d' "$T/rc2.eml" | sed 's/\r*$/\r/'
	printf '\r\n--rel--\r\n'
} > "$T/cid.eml"
process "$RULES_SPEC" "$KS" "$T/cid.eml" --rcpt alice@example.org
is "$(printf '%s' "$hdr" | tr -d '\r')" \
	"X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc; part=2" \
	"F10: the nested RC2-40 entity with a Content-ID is re-encrypted (part=2)"
/usr/bin/python3 - "$out" "$T/cid-part2.eml" <<'PY' > "$T/cid.check"
import email, sys
p = email.message_from_binary_file(open(sys.argv[1], "rb")).get_payload()[1]
open(sys.argv[2], "wb").write(p.as_bytes())
u = lambda v: " ".join(str(v).split())
for k in ("Content-ID", "Content-Description", "Content-Disposition", "X-Attachment-Id"):
    print("%s: %s" % (k, u(p.get(k))))
print("type:", p.get_content_type(), p.get_param("smime-type"), p.get_param("name"))
print("cte:", p.get("Content-Transfer-Encoding"), "fields:", len(p.keys()))
PY
is "$(cat "$T/cid.check")" "Content-ID: <part2.abc@legacy.example>
Content-Description: the quarterly report
Content-Disposition: attachment; filename=\"Q3 report.p7m\"
X-Attachment-Id: f_abc123
type: application/pkcs7-mime enveloped-data Q3 report.p7m
cte: base64 fields: 6" \
	"F10: Content-ID, Content-Description, Content-Disposition and other fields stay; Content-Type keeps name="
decrypts "$T/cid-part2.eml" "$T/alice.pem" "$T/alice.key"
ok $? "F10: alice decrypts the re-encrypted entity to the original inner entity"

# A name in RFC 2231 sections (UTF-8) and no Content-Disposition: the name
# comes back as RFC 2231 sections, and the default disposition is added.
sed -e 's/^\tname="Q3 report.p7m"\r$/\tname*0*=UTF-8'"''"'%E2%82%AC%20report;\r\n\tname*1=".p7m"\r/' \
	-e '/^Content-Disposition:/d' "$T/cid.eml" > "$T/cid-2231.eml"
process "$RULES_SPEC" "$KS" "$T/cid-2231.eml" --rcpt alice@example.org
/usr/bin/python3 - "$out" <<'PY' > "$T/cid.check"
import email, email.policy, sys
p = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default).get_payload()[1]
print(p.get_param("name"), "|", p.get("Content-Disposition"), "|", p.get("Content-ID"))
PY
is "$(cat "$T/cid.check")" "€ report.p7m | attachment; filename=\"smime.p7m\" | <part2.abc@legacy.example>" \
	"F10: an RFC 2231 UTF-8 name is kept (as RFC 2231), a missing Content-Disposition is added"
awk '/^--rel/ { n++ } n == 2 && length($0) > 78 { bad = 1 } END { exit bad }' "$out"
ok $? "F10: no line of the re-encrypted entity passes 78 characters"

# Three encrypted siblings between plain parts: each re-encrypted in its
# place (the new body is built once, in document order), the rest kept.
{
	printf 'From: carol@legacy.example\r\nTo: alice@example.org\r\nSubject: three\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="nest"\r\n\r\n'
	printf 'preamble\r\n'
	for i in 1 2 3; do
		printf -- '--nest\r\nContent-Type: text/plain\r\n\r\nPlain part %s.\r\n--nest\r\n' "$i"
		sed -n '/^Content-Type:/,$p' "$T/rc2.eml" | sed 's/\r*$/\r/'
		printf '\r\n'
	done
	printf -- '--nest--\r\nepilogue\r\n'
} > "$T/three.eml"
process "$RULES_SPEC" "$KS" "$T/three.eml" --rcpt alice@example.org
is "$(grep -c '^X-SMIME-Encryption: .*action=reencrypted; new-cipher=aes-256-cbc; part=[246]' "$out")" 3 \
	"three nested RC2-40 siblings: all three re-encrypted (parts 2, 4, 6)"
/usr/bin/python3 - "$out" "$T/three.eml" "$T/three" <<'PY' > "$T/three.check"
import email, sys
parts = email.message_from_binary_file(open(sys.argv[1], "rb")).get_payload()
orig = email.message_from_binary_file(open(sys.argv[2], "rb")).get_payload()
for k in (1, 3, 5):
    open("%s-%d.eml" % (sys.argv[3], k), "wb").write(parts[k].as_bytes())
print(len(parts), all(parts[k].get_payload() == orig[k].get_payload() for k in (0, 2, 4)),
      all(parts[k].get_payload() != orig[k].get_payload() for k in (1, 3, 5)))
PY
is "$(cat "$T/three.check")" "6 True True" "the plain parts are unchanged, every encrypted one is new"
n=0
for k in 1 3 5; do decrypts "$T/three-$k.eml" "$T/alice.pem" "$T/alice.key" && n=$((n + 1)); done
is "$n" 3 "alice decrypts all three re-encrypted siblings to the original inner entity"
tail -c 20 "$out" | grep -q "epilogue"
ok $? "and the epilogue after the last one is kept"

# 4,000 small encrypted siblings for a key the gateway does not hold: each
# is kept (no-key), and the message is done in linear time.  Parsing the
# body once per entity took 42 s for this before (quadratic); 15 s is a
# hang check, not a benchmark.
encrypt rc2-carol.eml -rc2-40 "$T/carol.pem"
{
	printf 'From: carol@legacy.example\r\nTo: alice@example.org\r\nSubject: many\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="nest"\r\n\r\n'
	sed -n '/^Content-Type:/,$p' "$T/rc2-carol.eml" | sed 's/\r*$/\r/' > "$T/carol.part"
	for _ in $(seq 4000); do printf -- '--nest\r\n'; cat "$T/carol.part"; printf '\r\n'; done
	printf -- '--nest--\r\n'
} > "$T/many.eml"
t0=$SECONDS
process "$RULES_SPEC" "$KS" "$T/many.eml" --rcpt alice@example.org
is "$st" 0 "4,000 encrypted siblings without a key: exit 0"
[ $((SECONDS - t0)) -lt 15 ]
ok $? "4,000 encrypted siblings: done in $((SECONDS - t0)) s, no hang (limit 15 s)"
is "$(grep -c '^X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="no-key"; part=' "$out")" 32 \
	"4,000 encrypted siblings: the first 32 have a field (our fields stay under 32 KB), kept, no-key"
case $err in *' entities=4000 '*) pass "and the log line counts all 4,000" ;;
	*) fail "and the log line counts all 4,000"; diag "$err" ;; esac
grep -a -v -e '^X-SMIME-Encryption: ' -e '^X-SMIME-Tag: ' "$out" | cmp - "$T/many.eml" >"$T/many.cmp" 2>&1
ok $? "4,000 encrypted siblings: the message is unchanged but for our fields" ||
	diag "$(cat "$T/many.cmp"; head -c 300 "$out")"

# --- signatures inside the decrypted content ---------------------------------
# Logged always; stamped (after the outer ones) only with StampInnerSignatures.
SE=$C/openssl-generated/sig-then-env-rc2-40.eml
process "when cipher weak then reencrypt aes-256-cbc" "KeyStore $T/ks3" "$SE" --rcpt rsa1@example.org
is "$hdr" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc" \
	"signed-then-encrypted RC2-40 for rsa1: re-encrypted"
case $err in *'note="inner signature by '*': policy '*' (not stamped)"'*) r=0 ;; *) r=1 ;; esac
ok $r "the signature inside the decrypted content is verified and logged" || diag "$err"
grep -q '^Authentication-Results:' "$out"
ok $((! $?)) "without StampInnerSignatures it is not stamped"
process "when cipher weak then reencrypt aes-256-cbc" "KeyStore $T/ks3
StampInnerSignatures yes" "$SE" --rcpt rsa1@example.org
case $err in *'(stamped)"'*) r=0 ;; *) r=1 ;; esac
ok $r "with StampInnerSignatures the log says it was stamped" || diag "$err"
grep -A3 '^Authentication-Results:' "$out" | tr -d '\n\t' | grep -q 'smime=policy .*body.smime-serial='
ok $? "and the Authentication-Results field carries the inner signature's resinfo" ||
	diag "$(grep -A3 '^Authentication-Results:' "$out")"
# MaxSignatures counts inner and outer signatures together (SPEC 4): a
# signed part beside the signed-then-encrypted one takes the only verdict
{
	printf 'From: rsa1@example.org\r\nTo: rsa1@example.org\r\nSubject: two\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="two"\r\n\r\n'
	printf -- '--two\r\n'
	sed -n '/^Content-Type:/,$p' "$C/openssl-generated/sig-sha256-detached.eml" | sed 's/\r*$/\r/'
	printf -- '\r\n--two\r\n'
	sed -n '/^Content-Type:/,$p' "$SE" | sed 's/\r*$/\r/'
	printf -- '\r\n--two--\r\n'
} > "$T/outer-inner.eml"
ar_count() { sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$1" | grep -o 'smime=' | wc -l; }
process "when cipher weak then reencrypt aes-256-cbc" "KeyStore $T/ks3
StampInnerSignatures yes" "$T/outer-inner.eml" --rcpt rsa1@example.org
is "$(ar_count "$out")" 2 "a signed part and a signed-then-encrypted one: two resinfos stamped"
process "when cipher weak then reencrypt aes-256-cbc" "KeyStore $T/ks3
StampInnerSignatures yes
MaxSignatures 2" "$T/outer-inner.eml" --rcpt rsa1@example.org
is "$(ar_count "$out")" 2 "MaxSignatures 2: both verdicts given"
process "when cipher weak then reencrypt aes-256-cbc" "KeyStore $T/ks3
StampInnerSignatures yes
MaxSignatures 1" "$T/outer-inner.eml" --rcpt rsa1@example.org
sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$out" | tr -d '\r\n\t' | grep -q 'smime=.*; *smime=neutral reason="too-many-signatures"'
ok $? "MaxSignatures 1: the outer signature took it, the inner one is counted in too-many-signatures" ||
	diag "$(sed -n '/^Authentication-Results:/,/^[^ \t]/p' "$out")"
case $hdr in *action=reencrypted*) pass "and the entity is still re-encrypted" ;;
	*) fail "and the entity is still re-encrypted"; diag "$hdr" ;; esac

# The decrypted body says "This is a test message for the S/MIME corpus".
grep -q -F "test message for the S/MIME corpus" "$T"/err*
ok $((! $?)) "no decrypted text reaches the log"

# Issue 13, F6: a kept copy leaks nothing of the plaintext the gateway
# could have opened.  Even with StampInnerSignatures yes its header is the
# original's plus the X-SMIME-Encryption field: no inner resinfo, no inner
# signer (SPEC section 8).  head_of FILE: the header, our finding removed.
head_of() { sed '/^\r\{0,1\}$/q' "$1" | grep -v '^X-SMIME-Encryption:'; }
INNER_SERIAL=$(openssl x509 -in "$OC/smrsa1.pem" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f')
STAMP="KeyStore $T/ks3
StampInnerSignatures yes"
process "when cipher weak then reencrypt aes-256-cbc" "$STAMP" "$SE" --rcpt rsa1@example.org --rcpt carol@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="unknown-recipient"' \
	"F6: signed-then-encrypted to rsa1 and a recipient without a key: kept (unknown-recipient)"
is "$(head_of "$out")" "$(head_of "$SE")" \
	"F6: unknown-recipient with StampInnerSignatures: the header is the original's and our finding"
grep -qi "$INNER_SERIAL" <(head_of "$out"); ok $((! $?)) "F6: unknown-recipient: the inner signer's serial is nowhere in the header"
case $err in *'inner signature'*) fail "F6: unknown-recipient: nothing was opened, so nothing inner is logged"; diag "$err" ;;
	*) pass "F6: unknown-recipient: nothing was opened, so nothing inner is logged" ;; esac

# rsa2's RecipientInfo, put first so it is the one that names rsa2, wraps
# another content key: rsa1's key opens the real signed plaintext, the keys
# differ, so the copy is kept (decrypt-failed) and its plaintext unused.
openssl cms -encrypt -in "$T/inner.txt" -binary -rc2-40 $LEGACY -out "$T/other-rsa2.eml" \
	"$OC/smrsa2.pem" 2>"$T/err" || bail "encrypt to rsa2: $(cat "$T/err")"
smime_der "$SE" > "$T/se.der"; smime_der "$T/other-rsa2.eml" > "$T/other-rsa2.der"
splice_ri "$T/se.der" "$T/other-rsa2.der" "$T/se-foreign.der" first
{ sed '/^\r\{0,1\}$/q' "$SE"; openssl base64 -in "$T/se-foreign.der"; } > "$T/se-foreign.eml"
openssl cms -decrypt $LEGACY -binary -in "$T/se-foreign.eml" -recip "$OC/smrsa1.pem" -inkey "$OC/smrsa1.pem" \
	-out "$T/se-dec" 2>/dev/null && grep -q 'multipart/signed' "$T/se-dec"
ok $? "F6: in the spliced message rsa1's RecipientInfo still opens the signed plaintext"
process "when cipher weak then reencrypt aes-256-cbc" "$STAMP" "$T/se-foreign.eml" --rcpt rsa1@example.org --rcpt rsa2@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="decrypt-failed"' \
	"F6: a second proven recipient whose RecipientInfo holds another key: kept (decrypt-failed)"
is "$(head_of "$out")" "$(head_of "$T/se-foreign.eml")" \
	"F6: decrypt-failed with StampInnerSignatures: the header is the original's and our finding"
grep -qi -e "$INNER_SERIAL" -e 'smime=' <(head_of "$out"); ok $((! $?)) "F6: decrypt-failed: no inner resinfo or serial in the header"
case $err in *'inner signature'*|*signer=*|*result=*) fail "F6: decrypt-failed: the opened plaintext is not analysed"; diag "$err" ;;
	*) pass "F6: decrypt-failed: the opened plaintext is not analysed" ;; esac

# Inner findings never drive a rule (SPEC sections 5 and 8): carol signs
# (her certificate carries carol@example.org, the From address; the test
# CA is trusted), then encrypts to alice.  Only the unencrypted copy may
# make `signer`, `signature pass`, `signed` or `not signature none` true.
openssl cms -sign -binary -in "$T/inner.txt" -signer "$T/carol.pem" -inkey "$T/carol.key" \
	-from carol@example.org -to alice@example.org -subject "signed by carol" \
	-out "$T/carol-signed.eml" 2>"$T/err" || bail "sign as carol: $(cat "$T/err")"
sed '/^\r\{0,1\}$/,$!{/^\(From\|To\|Subject\):/d}' "$T/carol-signed.eml" > "$T/carol-entity.eml"
openssl cms -encrypt -binary -in "$T/carol-entity.eml" -rc2-40 $LEGACY -from carol@example.org \
	-to alice@example.org -subject "signed then encrypted" -out "$T/carol-se.eml" "$T/alice.pem" \
	2>"$T/err" || bail "encrypt carol's signed message: $(cat "$T/err")"
SIG_RULES='when cipher weak then reencrypt aes-256-cbc
when signer carol@example.org then tag sig-signer
when signature pass then tag sig-pass
when signed then tag sig-signed
when not signature none then tag sig-some'
SIG_CONF="KeyStore $T/ks
TrustAnchorFile $T/ca.pem
StampInnerSignatures yes"
process "$SIG_RULES" "$SIG_CONF" "$T/carol-signed.eml" --rcpt alice@example.org
is "$(grep '^X-SMIME-Tag:' "$out" | sort | tr -d '\r' | tr '\n' ' ')" \
	"X-SMIME-Tag: sig-pass X-SMIME-Tag: sig-signed X-SMIME-Tag: sig-signer X-SMIME-Tag: sig-some " \
	"F6 control: carol's signature outside encryption passes and makes all four rules true"
process "$SIG_RULES" "$SIG_CONF" "$T/carol-se.eml" --rcpt alice@example.org
is "$hdr" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc" \
	"F6: carol's signed-then-encrypted message to alice: re-encrypted"
grep -A3 '^Authentication-Results:' "$out" | tr -d '\r\n\t' | grep -q 'smime=pass body.smime-identifier=carol@example.org'
ok $? "F6: the re-encrypted copy carries the inner pass (StampInnerSignatures yes)" ||
	diag "$(sed '/^\r\{0,1\}$/q' "$out")"
grep -q '^X-SMIME-Tag:' "$out"; ok $((! $?)) "F6: re-encrypted: the inner signature makes no rule true (no tag)" ||
	diag "$(grep '^X-SMIME-Tag:' "$out")"
process "$SIG_RULES" "$SIG_CONF" "$T/carol-se.eml" --rcpt alice@example.org --rcpt nobody@example.org
is "$hdr" 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=kept; reason="unknown-recipient"' \
	"F6: the same message also to a recipient without a key: kept (unknown-recipient)"
is "$(head_of "$out")" "$(head_of "$T/carol-se.eml")" \
	"F6: kept: no tag, no inner resinfo, no inner signer in the header"

done_testing
