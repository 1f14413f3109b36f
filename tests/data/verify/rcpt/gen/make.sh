#!/bin/sh
# Regenerates the recipient-certificate fixtures of this directory for
# tests/test_verify.c (test_recipient_usage, test_recipient_keystore).
# Needs GnuTLS certtool.  Keys are fresh on every run, so the output
# differs byte for byte but not in what the tests check.  Run it here:
#   cd tests/data/verify/rcpt/gen && sh make.sh
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p certs ks

# $1 file stem, then template lines
tmpl() {
	f=$tmp/$1.tmpl
	shift
	{
		echo 'activation_date = "2020-01-01 00:00:00"'
		echo 'expiration_date = "2040-01-01 00:00:00"'
		for l in "$@"; do echo "$l"; done
	} >"$f"
}
key() { certtool --generate-privkey --rsa --bits 2048 --no-text \
	--outfile "$tmp/$1.key" 2>/dev/null; }
# $1 stem, $2 issuer stem, template lines
issue() {
	stem=$1 iss=$2
	shift 2
	key "$stem"
	tmpl "$stem" "serial = $(date +%s%N | cut -c1-15)" "$@"
	certtool --generate-certificate --load-privkey "$tmp/$stem.key" \
		--load-ca-certificate "$tmp/$iss.pem" \
		--load-ca-privkey "$tmp/$iss.key" \
		--template "$tmp/$stem.tmpl" --no-text \
		--outfile "$tmp/$stem.pem" 2>/dev/null
}

key root
tmpl root 'cn = "Recipient Test Root"' 'o = "smime-milter tests"' ca \
	cert_signing_key crl_signing_key 'serial = 1'
certtool --generate-self-signed --load-privkey "$tmp/root.key" \
	--template "$tmp/root.tmpl" --no-text --outfile root.pem 2>/dev/null
cp root.pem "$tmp/root.pem"

issue sub root 'cn = "Recipient Test Sub CA"' 'o = "smime-milter tests"' \
	ca cert_signing_key crl_signing_key
# Below the root: keyUsage and extKeyUsage variants.
issue good root 'cn = "Good Usage EE"' 'email = "good@example.com"' \
	signing_key encryption_key email_protection_key
issue anyeku root 'cn = "Any EKU EE"' 'email = "any@example.com"' \
	encryption_key 'key_purpose_oid = 2.5.29.37.0'
issue kusign root 'cn = "Signing Only EE"' 'email = "sign@example.com"' \
	signing_key email_protection_key
issue ekuserver root 'cn = "Server EKU EE"' 'email = "server@example.com"' \
	signing_key encryption_key tls_www_server
# Below the sub CA, which only the key store holds.
issue subee sub 'cn = "Sub CA EE"' 'email = "sub@example.com"' \
	signing_key encryption_key email_protection_key
issue me sub 'cn = "Key Store User"' 'email = "me@example.com"' \
	signing_key encryption_key email_protection_key

for s in good anyeku kusign ekuserver subee; do
	cp "$tmp/$s.pem" "certs/$s.pem"
done
cat "$tmp/me.pem" "$tmp/sub.pem" >ks/me.crt
certtool -k --infile "$tmp/me.key" --no-text >ks/me.key 2>/dev/null ||
	cp "$tmp/me.key" ks/me.key
