#!/bin/bash
# kari_process.sh - EC recipients (RFC 5753 key agreement, SPEC sections 8
# and 9) through the milter's code path (`smime-tool process`), every
# result opened with OpenSSL:
# - messages OpenSSL 3.0 encrypts to P-256 and P-384 certificates with
#   -rc2 (rc2-128-cbc, sha1kdf and AES key wrap), -des3 (the RFC 3217
#   3DES key wrap) and -aes-256-gcm are re-encrypted with the EC key in
#   the KeyStore, and the new copy, whose KeyAgreeRecipientInfo the
#   gateway wrote (sha256kdf and aes128-wrap on P-256, sha384kdf and
#   aes256-wrap on P-384), opens with the recipient's key in OpenSSL;
# - an originator key off the curve gives the same outcome as a wrong
#   encrypted key (SPEC 8: a substitute key; with one recipient and CBC
#   content the substitute's garbage is re-encrypted), the same fields
#   and log words;
# - `encrypt` to an RSA and an EC recipient together: both open it; a
#   P-224 recipient, a curve the gateway does not write, rejects (550).
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
LEGACY="-provider legacy -provider default"

mkdir -m 700 "$tmp/ks" && test_ca "$tmp" "/CN=Key Agreement CA" || bail "CA"
keystore_issue "$tmp" "$tmp/ks" bob bob@example.org || bail "RSA key"
# ec_issue NAME CURVE: an EC key and certificate for NAME@example.org
ec_issue() {
	openssl req -newkey ec -pkeyopt "ec_paramgen_curve:$2" -nodes -keyout "$tmp/$1.key" \
		-out "$tmp/$1.csr" -subj "/CN=$1" 2>/dev/null &&
		printf 'subjectAltName=email:%s@example.org\nkeyUsage=critical,digitalSignature,keyAgreement\n' \
			"$1" >"$tmp/$1.ext" &&
		openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$tmp/$1.ext" \
			-out "$tmp/$1.pem" 2>/dev/null
}
for c in p256:P-256 p384:P-384 p224:P-224; do
	ec_issue "${c%%:*}" "${c#*:}" || bail "EC key ${c%%:*}"
done
for n in p256 p384; do
	cp "$tmp/$n.pem" "$tmp/ks/$n.crt" && install -m 600 "$tmp/$n.key" "$tmp/ks/$n.key"
done
mkdir "$tmp/certs" && cp "$tmp/p224.pem" "$tmp/certs/"

conf() { # conf NAME RULES
	printf '%s\n' "$2" >"$tmp/$1.rules"
	printf '%s\n' "AuthservID mx.test" "TrustAnchorFile $tmp/ca.pem" "Socket local:$tmp/s" \
		"KeyStore $tmp/ks" "CertDirectory $tmp/certs" "Rules $tmp/$1.rules" >"$tmp/$1.conf"
}
conf re 'when cipher weak then reencrypt aes-256-cbc
when cipher legacy then reencrypt aes-256-cbc
when cipher aes-256-gcm then reencrypt aes-128-gcm'
conf enc 'when outbound then encrypt aes-256-cbc'
# run CONF IN OUT FROM RCPT... [--auth-user U]: $st, $line, $reply
run() {
	local c=$1 in=$2 out=$3 from=$4
	shift 4
	rm -f "$out"
	"$SMIME_TOOL" process -c "$tmp/$c.conf" --from "$from" "$@" -i "$in" -o "$out" 2>"$out.err"
	st=$?
	line=$(grep ' dir=' "$out.err")
	reply=$(grep -E '^[45][0-9][0-9] ' "$out.err")
}
opens() { # opens FILE NAME [WANT]
	openssl cms -decrypt -in "$1" -inkey "$tmp/$2.key" -recip "$tmp/$2.pem" \
		-out "$tmp/dec" 2>"$tmp/dec.err" && cmp -s "$tmp/dec" "${3:-$tmp/inner.txt}"
}
printf 'Content-Type: text/plain\r\n\r\nThe vault code is %s.\r\n' "$(openssl rand -hex 8)" >"$tmp/inner.txt"
evidence_secret "$tmp/inner.txt"

# --- reencrypt what OpenSSL 3.0 sends to EC recipients ------------------------
for n in p256 p384; do
	case $n in
	p256) scheme=dhSinglePass-stdDH-sha256kdf-scheme wrap=id-aes128-wrap ;;
	p384) scheme=dhSinglePass-stdDH-sha384kdf-scheme wrap=id-aes256-wrap ;;
	esac
	for o in rc2:rc2-128-cbc:aes-256-cbc des3:des-ede3-cbc:aes-256-cbc aes-256-gcm:aes-256-gcm:aes-128-gcm; do
		opt=${o%%:*} rest=${o#*:}
		was=${rest%%:*} new=${rest#*:}
		# shellcheck disable=SC2086 # provider options, split on purpose
		openssl cms -encrypt -"$opt" $LEGACY -binary -in "$tmp/inner.txt" -from carol@example.net \
			-to "$n@example.org" -subject "to $n" "$tmp/$n.pem" >"$tmp/$n-$opt.eml" 2>/dev/null ||
			bail "openssl -$opt to $n"
		run re "$tmp/$n-$opt.eml" "$tmp/$n-$opt.out" carol@example.net --rcpt "$n@example.org" \
			--client-ip 192.0.2.7
		case $line in
		*"kind=enveloped cipher=$was "*"action=reencrypted new-cipher=$new "* | \
			*"kind=authEnveloped cipher=$was "*"action=reencrypted new-cipher=$new "*)
			pass "$n, OpenSSL -$opt ($was): re-encrypted with the KeyStore EC key to $new" ;;
		*) fail "$n, OpenSSL -$opt ($was): re-encrypted with the KeyStore EC key to $new"; diag "$line" ;;
		esac
		opens "$tmp/$n-$opt.out" "$n"
		ok $? "$n, -$opt: the new copy opens with $n's key in OpenSSL" || diag "$(head -c 300 "$tmp/dec.err")"
		openssl cms -cmsout -print -in "$tmp/$n-$opt.out" >"$tmp/print" 2>&1
		grep -q "$scheme" "$tmp/print" && grep -q "$wrap" "$tmp/print"
		ok $? "$n, -$opt: the gateway's KeyAgreeRecipientInfo uses $scheme with $wrap"
	done
done

# --- an originator key off the curve, and a wrong encrypted key --------------
# The DER of the P-256 RC2 message; in it the originator's point (a BIT
# STRING) and the encryptedKey (OpenSSL writes no ukm, so the first
# OCTET STRING of the structure is it).
python3 -c 'import base64, sys
raw = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
open(sys.argv[2], "wb").write(base64.b64decode(raw.partition(b"\n\n")[2]))' \
	"$tmp/p256-rc2.eml" "$tmp/p256-rc2.der" || bail "DER"
key_at=$(openssl asn1parse -inform DER -in "$tmp/p256-rc2.der" |
	awk -F'[:= ]+' '/prim: OCTET STRING/ { print $2 + $6 + $8 - 1; exit }')
[ -n "$key_at" ] || bail "no encryptedKey found"
python3 - "$tmp/p256-rc2.eml" "$tmp/p256-rc2.der" "$key_at" "$tmp" <<'EOF'
import base64, sys
raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
hdr = raw.partition(b'\n\n')[0]
der = open(sys.argv[2], 'rb').read()
p = der.find(b'\x03\x42\x00\x04')            # the originator's P-256 point
off = bytearray(der); off[p + 3 + 64] ^= 0x01  # its last Y byte: off the curve
wrong = bytearray(der); wrong[int(sys.argv[3])] ^= 0x01
for name, d in (('offcurve', off), ('wrongkey', wrong)):
    b = base64.encodebytes(bytes(d))
    open('%s/p256-%s.eml' % (sys.argv[4], name), 'wb').write(
        (hdr + b'\n\n' + b).replace(b'\n', b'\r\n'))
EOF
for t in offcurve wrongkey; do
	run re "$tmp/p256-$t.eml" "$tmp/p256-$t.out" carol@example.net --rcpt p256@example.org --client-ip 192.0.2.7
	eval "line_$t=\$(printf '%s' \"\$line\" | sed 's/ ms=[0-9]*//; s/^[^:]*: //')"
	grep '^X-SMIME-Encryption:' "$tmp/p256-$t.out" >"$tmp/$t.field"
done
# shellcheck disable=SC2154 # set by the eval above
# One proven recipient and CBC content: SPEC 8 re-encrypts whatever the
# unwrap gave, so a failed one is re-encrypted too, from the substitute
# key's garbage, and looks like success to the sender.
case $line_offcurve in
*'action=reencrypted new-cipher=aes-256-cbc'*) pass "an originator key off the curve: re-encrypted like any failed unwrap" ;;
*) fail "an originator key off the curve: re-encrypted like any failed unwrap"; diag "$line_offcurve" ;;
esac
opens "$tmp/p256-offcurve.out" p256
ok $((!$?)) "from the substitute key: the copy does not hold the original"
[ -s "$tmp/dec" ]
ok $? "but opens with p256's key all the same (nothing tells the sender)"
# shellcheck disable=SC2154
is "$line_offcurve" "$line_wrongkey" "the same log line as for a wrong encrypted key"
cmp -s "$tmp/offcurve.field" "$tmp/wrongkey.field"
ok $? "and the same X-SMIME-Encryption field"

# --- encrypt to an RSA and an EC recipient together ---------------------------
printf 'From: alice@example.org\r\nTo: bob@example.org, p256@example.org\r\nSubject: both\r\nContent-Type: text/plain\r\n\r\nThe vault code.\r\n' >"$tmp/plain.eml"
printf 'Content-Type: text/plain\r\n\r\nThe vault code.\r\n' >"$tmp/plain.inner"
run enc "$tmp/plain.eml" "$tmp/both.out" alice@example.org --rcpt bob@example.org \
	--rcpt p256@example.org --rcpt p384@example.org --auth-user alice@example.org
case $line in
*'action=encrypted new-cipher=aes-256-cbc'*) pass "encrypt to RSA, P-256 and P-384 recipients" ;;
*) fail "encrypt to RSA, P-256 and P-384 recipients"; diag "$line $reply" ;;
esac
for n in bob p256 p384; do
	opens "$tmp/both.out" "$n" "$tmp/plain.inner"
	ok $? "$n opens it with OpenSSL" || diag "$(head -c 300 "$tmp/dec.err")"
done
run enc "$tmp/plain.eml" "$tmp/p224.out" alice@example.org --rcpt bob@example.org \
	--rcpt p224@example.org --auth-user alice@example.org
is "$reply" "550 5.7.1 no S/MIME certificate for <p224@example.org>" \
	"a P-224 recipient (a curve the gateway does not write) rejects"
done_testing
