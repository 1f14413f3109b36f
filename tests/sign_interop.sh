#!/bin/sh
# sign_interop.sh - signatures we make, checked by independent S/MIME
# implementations (TAP).
#
# A throwaway PKI is made at test time: a root, an ECDSA intermediate and
# four signers with emailProtection and an rfc822Name SAN: RSA-2048 (signs
# PKCS#1 v1.5), RSA-2048 used with RSASSA-PSS, ECDSA P-256 and Ed25519.
# The key store holds each signer with the intermediate, the peers trust
# only the root, so every check also proves the chain went in.
# tests/sign_driver signs messages of every shape the issue names (plain,
# HTML, multipart/alternative, multipart/mixed with a binary attachment,
# an 8bit UTF-8 body, LF-only input, a 2,000-character line, a message
# with a DKIM-Signature) exactly as the milter does.  Then:
# - `openssl cms -verify -purpose smimesign` verifies each whole message
#   (Ed25519: OpenSSL 3.0 checks the signature and digest piecewise,
#   see ed_check);
# - NSS `cmsutil -D -u 4` verifies each (signature + content bytes);
# - `gpgsm --verify` verifies the RSA PKCS#1 and ECDSA ones (gpgsm 2.2
#   reads neither RSA-PSS nor, in CMS, Ed25519: NOTES.md);
# - our own verifier (`smime-tool inspect --json --trust`) says pass;
# - the decoded content of every leaf is what was sent (MIME shape kept),
#   no line passes 998 octets and the top level has one MIME-Version and
#   micalg matching the digest.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

DRIVER=$top_builddir/tests/sign_driver
PY=/usr/bin/python3
[ -x "$DRIVER" ] || bail "no $DRIVER (make check builds it)"
[ -x "$SMIME_TOOL" ] || bail "no $SMIME_TOOL"
for tool in openssl cmsutil certutil gpgsm gpgconf $PY; do
	command -v $tool >/dev/null || bail "$tool not installed"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/sign_interop.XXXXXX")
cleanup() {
	[ -d "$T/gnupg" ] && gpgconf --homedir "$T/gnupg" --kill gpg-agent 2>/dev/null
	evidence_keep "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# --- the PKI --------------------------------------------------------------
cat > "$T/ext.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:$ENV::ADDR
EOF
export ADDR=ca@example.org
(
	cd "$T" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem \
		-subj "/CN=Sign Test Root/O=Example" -days 3650 -config ext.cnf \
		-extensions ca &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout inter.key -out inter.csr -config ext.cnf \
		-subj "/CN=Sign Test Intermediate/O=Example" &&
	openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key \
		-set_serial 0x7f01 -out inter.pem -days 3650 -extfile ext.cnf \
		-extensions ca
) >/dev/null 2>&1 || bail "root and intermediate"
mkdir -m 700 "$T/ks"
SERIAL=4096
for k in rsa pss ec ed; do
	case $k in
	rsa | pss) alg="-newkey rsa:2048" ;;
	ec) alg="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	ed) alg="-newkey ed25519" ;;
	esac
	ADDR=$k@example.org
	SERIAL=$((SERIAL + 1))
	(
		cd "$T" || exit 1
		openssl req -new $alg -nodes -keyout "ks/$k.key" -out "$k.csr" \
			-config ext.cnf -subj "/CN=$k user/O=Example" &&
		openssl x509 -req -in "$k.csr" -CA inter.pem -CAkey inter.key \
			-set_serial $SERIAL -out "$k.pem" -days 365 \
			-extfile ext.cnf -extensions leaf &&
		cat "$k.pem" inter.pem > "ks/$k.crt" && chmod 600 "ks/$k.key" &&
		openssl pkey -in "ks/$k.key" -pubout -out "$k.pub"
	) >/dev/null 2>&1 || bail "signer $k"
done

# --- the peers' trust -----------------------------------------------------
mkdir "$T/nss"
certutil -N -d "sql:$T/nss" --empty-password || bail "certutil -N"
certutil -A -d "sql:$T/nss" -n root -t "C,C,C" -i "$T/root.pem" || bail "certutil -A"
G="$T/gnupg"
mkdir -m 700 "$G"
GNUPGHOME=$G gpgsm --batch --import "$T/root.pem" "$T/inter.pem" 2>/dev/null
fpr=$(openssl x509 -in "$T/root.pem" -noout -fingerprint -sha1 | sed 's/.*=//')
echo "$fpr S relax" > "$G/trustlist.txt"

# --- the messages -----------------------------------------------------------
M=$T/msg
mkdir "$M"
crlf() { sed 's/$/\r/'; }
hdr() { # hdr SUBJECT: the common header, CRLF
	printf 'From: Sender <%s>\nTo: bob@example.net\nSubject: %s\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <%s@example.org>\n' \
		"$ADDR" "$1" "$1"
}
ADDR=sender@example.org
{ hdr plain; printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nHello Bob,\n\nplain text.\n-- \nSender\n'; } | crlf > "$M/plain.eml"
{ hdr html; printf 'MIME-Version: 1.0\nContent-Type: text/html; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n<html><body><p>Hello <b>Bob</b></p></body></html>\n'; } | crlf > "$M/html.eml"
{ hdr alt; printf 'MIME-Version: 1.0\nContent-Type: multipart/alternative;\n\tboundary="alt-b"\n\n--alt-b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGr=C3=BC=C3=9Fe\n--alt-b\nContent-Type: text/html; charset=utf-8\n\n<p>Hi</p>\n--alt-b--\n'; } | crlf > "$M/alt.eml"
head -c 3000 /dev/urandom > "$T/attachment.bin"
{
	hdr mixed
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="mix-b"\n\nThis is MIME.\n--mix-b\nContent-Type: text/plain\n\nsee attachment\n--mix-b\nContent-Type: application/octet-stream; name="a.bin"\nContent-Disposition: attachment; filename="a.bin"\nContent-Transfer-Encoding: base64\n\n'
	openssl base64 -in "$T/attachment.bin"
	printf -- '--mix-b--\n'
} | crlf > "$M/mixed.eml"
{ hdr utf8; printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\303\274\303\237e aus K\303\266ln, \342\202\254 100\n  trailing blanks  \nFrom the start of a line\n'; } | crlf > "$M/utf8.eml"
{ hdr lf; printf 'MIME-Version: 1.0\nContent-Type: text/plain\n\nLF only\ninput\n'; } > "$M/lf.eml"
long=$(head -c 2000 /dev/zero | tr '\0' 'x')
{ hdr long; printf 'MIME-Version: 1.0\nContent-Type: text/plain\n\nbefore\n%s\nafter\n' "$long"; } | crlf > "$M/long.eml"
{ printf 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; h=from:to:subject;\n\tbh=AAAA; b=BBBB\n'; hdr dkim; printf 'MIME-Version: 1.0\nContent-Type: text/plain\n\nsigned by DKIM before\n'; } | crlf > "$M/dkim.eml"
MSGS="plain html alt mixed utf8 lf long dkim"

# --- helpers ---------------------------------------------------------------
# shape ORIG.eml OUT.eml MICALG: prints problems, nothing when all is well
shape() {
	$PY - "$1" "$2" "$3" <<'EOF'
import email, email.policy, sys
orig = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.compat32)
raw = open(sys.argv[2], 'rb').read()
out = email.message_from_bytes(raw, policy=email.policy.compat32)
probs = []
if len(out.get_all('MIME-Version') or []) != 1: probs.append('MIME-Version count')
if out.get_content_type() != 'multipart/signed': probs.append('not multipart/signed')
if out.get_param('protocol') != 'application/pkcs7-signature': probs.append('protocol')
if out.get_param('micalg') != sys.argv[3]: probs.append('micalg %s' % out.get_param('micalg'))
if any(k.lower().startswith('content-') and k.lower() != 'content-type' for k in out.keys()): probs.append('Content-* left at top')
if any(len(l.rstrip(b'\r\n')) > 998 for l in raw.split(b'\n')): probs.append('line over 998')
if any(c > 127 for c in raw.partition(b'\n\n')[2] + raw.partition(b'\r\n\r\n')[2]): probs.append('8-bit byte in body')
parts = out.get_payload()
if len(parts) != 2 or parts[1].get_content_type() != 'application/pkcs7-signature': probs.append('parts')
def leaves(m):
    if m.is_multipart():
        r = []
        for p in m.get_payload(): r += leaves(p)
        return r
    data = m.get_payload(decode=True) or b''
    if m.get_content_maintype() == 'text':
        data = data.replace(b'\r\n', b'\n')
    return [(m.get_content_type(), m.get_param('charset'), m.get_filename(), data)]
a, b = leaves(orig), leaves(parts[0]) if parts else []
if a != b: probs.append('content differs: %r != %r' % ([x[:3] + (x[3][:40],) for x in a], [x[:3] + (x[3][:40],) for x in b]))
print('; '.join(probs))
EOF
}

# --- sign and verify --------------------------------------------------------
check() { # check KEY DIGEST MSG MICALG
	k=$1 dig=$2 msg=$3 micalg=$4
	pad=pkcs1
	[ "$k" = pss ] && pad=pss
	w=$T/w-$k-$dig-$msg
	mkdir "$w" || bail "$w twice"
	out=$w/out.eml
	sed "s/sender@example.org/$k@example.org/" "$M/$msg.eml" > "$w/in.eml"
	if ! "$DRIVER" message "$T/ks" "$k" "$dig" $pad "$w/in.eml" "$out" 2>"$w/err"; then
		fail "$k/$dig/$msg: signed"
		sed 's/^/# /' "$w/err"
		return
	fi
	pb=$(shape "$w/in.eml" "$out" "$micalg" 2>&1)
	is "$pb" "" "$k/$dig/$msg: MIME shape, content, micalg=$micalg, 7bit"
	if [ "$k" != ed ]; then # see ed_check
		openssl cms -verify -in "$out" -CAfile "$T/root.pem" -purpose smimesign \
			-out "$w/verified" >/dev/null 2>"$w/oerr"
		ok $? "$k/$dig/$msg: openssl cms -verify -purpose smimesign" || sed 's/^/# /' "$w/oerr"
	fi
	split_signed "$out" "$w" || { fail "$k/$dig/$msg: split"; return; }
	if [ "$k" != ed ]; then
		# success is exit 0 and no "signer 0 status = ..." complaint
		cmsutil -D -i "$w/sig.der" -c "$w/content" -d "sql:$T/nss" -u 4 \
			-o /dev/null >"$w/nss" 2>&1
		st=$?
		grep -q "status = " "$w/nss" && st=1
		ok $st "$k/$dig/$msg: NSS cmsutil -D -u 4 verifies" || sed 's/^/# /' "$w/nss"
	else
		ed_check "$w" "$k/$dig/$msg"
	fi
	if [ "$k" = rsa ] || [ "$k" = ec ]; then
		# one gpgsm at a time in the shared home (check runs in parallel)
		GNUPGHOME=$G flock "$G/.interop-lock" gpgsm --batch --disable-crl-checks \
			--verify "$w/sig.der" "$w/content" >"$w/gpg" 2>&1
		st=$?
		grep -q "Good signature" "$w/gpg" || st=1
		ok $st "$k/$dig/$msg: gpgsm --verify Good signature" || sed 's/^/# /' "$w/gpg"
	fi
	"$SMIME_TOOL" inspect --json --trust "$T/root.pem" "$out" >"$w/json" 2>&1
	res=$($PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
s = d["layers"][0]["signers"][0]
print(s["result"], s["digest"], "lf" if s["lf_form"] else "crlf")' "$w/json" 2>&1)
	wdig=$dig
	[ "$k" = ed ] && wdig=sha512
	is "$res" "pass $wdig crlf" "$k/$dig/$msg: our verifier says pass over the CRLF form"
}

# Debian 12's OpenSSL 3.0 can neither make nor check Ed25519 CMS ("invalid
# digest" from its EdDSA provider), NSS 3.87 and gpgsm 2.2 know no Ed25519
# certificates: so OpenSSL checks the parts itself.  `pkeyutl -rawin`
# verifies the pure Ed25519 signature over the DER of the signed
# attributes, and the messageDigest attribute must be SHA-512 of the
# signed bytes (RFC 8419).
ed_check() { # ed_check DIR NAME
	$PY - "$1" <<'EOF' || { fail "$2: Ed25519 parts extracted"; return; }
import hashlib, sys
d = sys.argv[1]
der = open(d + '/sig.der', 'rb').read()
def tlv(b, i):
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], 'big')
        i += k
    return tag, i, i + n
def kids(b, i, end):
    out = []
    while i < end:
        t, s, e = tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out
_, s, e = tlv(der, 0)                     # ContentInfo
_, _, s, e = kids(der, s, e)[1]           # [0]
_, s, e = tlv(der, s)                     # SignedData
_, _, s, e = kids(der, s, e)[-1]          # signerInfos
_, s, e = tlv(der, s)                     # SignerInfo
si = kids(der, s, e)
t, a0, _, ae = si[3]
assert t == 0xa0
attrs = b'\x31' + der[a0 + 1:ae]
open(d + '/attrs.der', 'wb').write(attrs)
_, _, ss, se = si[5]
open(d + '/sig.bin', 'wb').write(der[ss:se])
oid = bytes.fromhex('06092a864886f70d010904')
j = attrs.index(oid) + len(oid)
_, vs, ve = tlv(attrs, j)                  # SET
_, ms, me = tlv(attrs, vs)                 # OCTET STRING
want = hashlib.sha512(open(d + '/content', 'rb').read()).digest()
sys.exit(0 if attrs[ms:me] == want else 3)
EOF
	pass "$2: messageDigest is SHA-512 of the signed bytes"
	openssl pkeyutl -verify -pubin -inkey "$T/ed.pub" -rawin -in "$1/attrs.der" \
		-sigfile "$1/sig.bin" >/dev/null 2>&1
	ok $? "$2: openssl pkeyutl verifies the Ed25519 signature over the attributes"
}

# Each check in a directory of its own, as many at once as there are CPUs.
for k in rsa pss ec ed; do
	micalg=sha-256
	[ "$k" = ed ] && micalg=sha-512
	for msg in $MSGS; do
		bg check $k sha256 "$msg" $micalg
	done
done
bg check rsa sha384 plain sha-384
bg check rsa sha512 mixed sha-512
bg check pss sha512 alt sha-512
bg check ec sha384 utf8 sha-384
bg check ed sha384 plain sha-512
bg_wait

# --- what the signature says ----------------------------------------------
w=$T/w-rsa-sha256-plain
openssl cms -cmsout -print -inform DER -in "$w/sig.der" > "$w/print" 2>&1
n=$(grep -c "BEGIN CERTIFICATE\|cert_info:" "$w/print")
[ "$n" -ge 2 ]
ok $? "the certificate set holds the signer and the intermediate ($n)"
for oid in "id-smime-aa-signingCertificateV2" "S/MIME Capabilities" "signingTime" "messageDigest" "contentType"; do
	grep -q "$oid" "$w/print"
	ok $? "signed attribute $oid present"
done
caps=$(grep -A40 "S/MIME Capabilities" "$w/print" | grep -o "aes-256-gcm\|aes-128-gcm\|aes-256-cbc\|aes-128-cbc\|des-ede3-cbc\|rc2-cbc\|des-cbc" | tr '\n' ' ')
is "$caps" "aes-256-gcm aes-128-gcm aes-256-cbc aes-128-cbc des-ede3-cbc " "SMIMECapabilities: our preference, no RC2 or DES"
grep -q "version: 1" "$w/print"
ok $? "SignerInfo version 1 (decimal INTEGER, not 48)"
w=$T/w-pss-sha256-plain
openssl cms -cmsout -print -inform DER -in "$w/sig.der" > "$w/print" 2>&1
grep -A16 "rsassaPss" "$w/print" | grep -q "cont \[ 2 \]" &&
	grep -A18 "rsassaPss" "$w/print" | grep -q "INTEGER *:20$"
ok $? "PSS signature: rsassaPss with a 32-byte salt"
w=$T/w-ed-sha256-plain
openssl cms -cmsout -print -inform DER -in "$w/sig.der" > "$w/print" 2>&1
grep -q "algorithm: sha512" "$w/print" && grep -q "ED25519" "$w/print"
ok $? "Ed25519 signature with sha512 digest (RFC 8419)"

# A changed body no longer verifies (the checks above could not pass
# with a signature over something else).
w=$T/w-rsa-sha256-plain
sed 's/plain text/plain test/' "$w/out.eml" > "$w/tampered.eml"
openssl cms -verify -in "$w/tampered.eml" -CAfile "$T/root.pem" -purpose smimesign \
	-out /dev/null >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "a changed signed body fails openssl cms -verify"
done_testing
