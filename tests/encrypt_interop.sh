#!/bin/bash
# encrypt_interop.sh - messages the `encrypt` action writes, read by
# independent S/MIME implementations (TAP).
#
# `smime-tool process` runs the milter's path on an outbound message from
# an authenticated sender to two RSA recipients under `encrypt CIPHER`
# for aes-256-cbc, aes-128-cbc and des-ede3-cbc (RSA key transport with
# PKCS#1 v1.5), and under `sign` plus `encrypt aes-256-cbc`.  Then, for
# every recipient and the sender (EncryptToSender):
# - `openssl cms -decrypt`, NSS `cmsutil -D` and `gpgsm --decrypt` open
#   it to the original Content-* fields and body (NSS 3.87 and gpgsm
#   2.2.40 read no AuthEnvelopedData, NOTES.md: the GCM results are
#   opened by OpenSSL in encrypt_process.sh and e2e_encrypt.sh);
# - the signed one opens to a multipart/signed entity whose signature
#   `openssl cms -verify`, NSS `cmsutil -D -u 4` and `gpgsm --verify`
#   each verify.
. "$(dirname "$0")/lib.sh"

for tool in openssl cmsutil certutil pk12util gpgsm gpgconf python3; do
	command -v $tool >/dev/null || bail "$tool not installed"
done
[ -x "$SMIME_TOOL" ] || bail "no $SMIME_TOOL"
NAMES="bob carol alice"
T=$(mktemp -d "${TMPDIR:-/tmp}/encrypt_interop.XXXXXX")
cleanup() {
	for r in $NAMES; do
		[ -d "$T/gnupg-$r" ] && gpgconf --homedir "$T/gnupg-$r" --kill gpg-agent 2>/dev/null
	done
	evidence_keep "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# --- keys: in the gateway's key store, and each person's NSS and gpgsm ------
mkdir -m 700 "$T/ks" && test_ca "$T" "/CN=Encrypt Interop CA" || bail "CA"
fpr=$(openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha1 | sed 's/.*=//')
p12_export() { # p12_export NAME (gpgsm 2.2 reads only the old PBE, NOTES.md)
	openssl pkcs12 -export -in "$T/$1.pem" -inkey "$T/$1.key" -out "$T/$1.p12" \
		-passout pass:interop -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
}
for r in $NAMES; do
	keystore_issue "$T" "$T/ks" "$r" "$r@example.org" || bail "key $r"
	p12_export "$r" || bail "pkcs12 export $r"
	mkdir "$T/nss-$r"
	certutil -N -d "sql:$T/nss-$r" --empty-password || bail "certutil -N"
	certutil -A -d "sql:$T/nss-$r" -n ca -t "C,C,C" -i "$T/ca.pem" || bail "certutil -A"
	pk12util -i "$T/$r.p12" -d "sql:$T/nss-$r" -W interop >/dev/null || bail "pk12util $r"
	G="$T/gnupg-$r"
	mkdir -m 700 "$G"
	echo allow-loopback-pinentry >"$G/gpg-agent.conf"
	echo "$fpr S relax" >"$G/trustlist.txt"
	GNUPGHOME=$G gpgsm --batch --import "$T/ca.pem" 2>/dev/null
	gpgsm_import_p12 "$G" interop "$T/$r.p12" p12_export "$r" || bail "gpgsm import $r"
done

# --- the message, and what encrypt must seal ------------------------------------
{
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: interop\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
	for i in $(seq 40); do printf 'Line %d of a message the gateway encrypts.\r\n' "$i"; done
	printf 'Gr\303\274\303\237e, code %s.\r\n' "$(openssl rand -hex 8)"
} >"$T/msg.eml"
evidence_secret "$T/msg.eml"
{
	printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
	sed -n '/^\r$/,$p' "$T/msg.eml" | tail -n +2
} >"$T/inner.eml"

# encrypt NAME RULES: $T/NAME.eml (the message) and $T/NAME.der (its DER)
encrypt() {
	printf '%s\n' "$2" >"$T/$1.rules"
	printf '%s\n' "KeyStore $T/ks" "TrustAnchorFile $T/ca.pem" "Rules $T/$1.rules" \
		"Socket local:$T/s" >"$T/$1.conf"
	"$SMIME_TOOL" process -c "$T/$1.conf" --from alice@example.org --rcpt bob@example.org \
		--rcpt carol@example.org --auth-user alice@example.org -i "$T/msg.eml" \
		-o "$T/$1.eml" 2>"$T/$1.err" &&
		python3 -c 'import base64, sys
raw = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
open(sys.argv[2], "wb").write(base64.b64decode(raw.partition(b"\n\n")[2]))' \
			"$T/$1.eml" "$T/$1.der"
}
# opens_all NAME WANT: every person opens $T/NAME with every peer to WANT
opens_all() {
	local n=$1 want=$2 r
	for r in $NAMES; do
		rm -f "$T/dec"
		openssl cms -decrypt -in "$T/$n.eml" -recip "$T/$r.pem" -inkey "$T/$r.key" \
			-out "$T/dec" 2>"$T/err"
		cmp -s "$T/dec" "$want"
		ok $? "$n: openssl cms -decrypt opens it for $r" || diag "$(head -c 300 "$T/err")"
		rm -f "$T/dec"
		cmsutil -D -i "$T/$n.der" -d "sql:$T/nss-$r" -o "$T/dec" 2>"$T/err"
		cmp -s "$T/dec" "$want"
		ok $? "$n: NSS cmsutil -D opens it for $r" || diag "$(head -c 300 "$T/err")"
		rm -f "$T/dec"
		# gpgsm 2.2 exits 2 when a RecipientInfo before its own names a
		# certificate it lacks, yet decrypts: the bytes count (NOTES.md).
		echo interop | GNUPGHOME="$T/gnupg-$r" gpgsm --batch --pinentry-mode loopback \
			--passphrase-fd 0 --output "$T/dec" --decrypt "$T/$n.der" 2>"$T/err"
		cmp -s "$T/dec" "$want"
		ok $? "$n: gpgsm --decrypt opens it for $r" || diag "$(head -c 300 "$T/err")"
	done
}

for c in aes-256-cbc aes-128-cbc des-ede3-cbc; do
	encrypt "$c" "when outbound then encrypt $c"
	ok $? "$c: encrypted" || { diag "$(cat "$T/$c.err")"; continue; }
	grep -q "action=encrypted new-cipher=$c " "$T/$c.err"
	ok $? "$c: the log says action=encrypted new-cipher=$c"
	is "$(cipher_of "$T/$c.eml")" "$c" "$c: OpenSSL reads the content cipher as $c"
	opens_all "$c" "$T/inner.eml"
done

# --- sign, then encrypt ---------------------------------------------------------------
encrypt signed "when outbound then sign, encrypt aes-256-cbc"
ok $? "signed and encrypted" || diag "$(cat "$T/signed.err")"
grep -q 'action=encrypted new-cipher=aes-256-cbc sign=signed ' "$T/signed.err"
ok $? "the log says action=encrypted new-cipher=aes-256-cbc sign=signed"
openssl cms -decrypt -in "$T/signed.eml" -recip "$T/bob.pem" -inkey "$T/bob.key" \
	-out "$T/signed.inner" 2>/dev/null
grep -qi '^Content-Type: multipart/signed' "$T/signed.inner"
ok $? "it holds a multipart/signed entity (signed first, RFC 8551 3.7)"
opens_all signed "$T/signed.inner"
# (the 8bit text was made quoted-printable before signing: the decoded
# text is the original)
openssl cms -verify -in "$T/signed.inner" -CAfile "$T/ca.pem" -out "$T/verified" 2>"$T/err" &&
	python3 -c 'import email, sys
a, b = (email.message_from_bytes(open(f, "rb").read()) for f in sys.argv[1:])
sys.exit(a.get_payload(decode=True) != b.get_payload(decode=True))' "$T/verified" "$T/inner.eml"
ok $? "openssl cms -verify verifies the signature inside, over the original text" ||
	diag "$(head -c 300 "$T/err")"
mkdir "$T/split" && split_signed "$T/signed.inner" "$T/split" || bail "split"
cmsutil -D -i "$T/split/sig.der" -c "$T/split/content" -d "sql:$T/nss-bob" -u 4 \
	-o /dev/null >"$T/nss" 2>&1
st=$?
grep -q "status = " "$T/nss" && st=1
ok $st "NSS cmsutil -D -u 4 verifies it" || sed 's/^/# /' "$T/nss"
GNUPGHOME="$T/gnupg-bob" gpgsm --batch --disable-crl-checks \
	--verify "$T/split/sig.der" "$T/split/content" >"$T/gpg" 2>&1
st=$?
grep -q "Good signature" "$T/gpg" || st=1
ok $st "gpgsm --verify: Good signature" || sed 's/^/# /' "$T/gpg"
done_testing
