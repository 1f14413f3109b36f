#!/bin/sh
# Regenerates the fixtures of this directory for the certificate lookup
# (tests/test_lookup.c, tests/lookup_tool.sh, tests/lookup_signer.sh).
# Needs GnuTLS certtool and OpenSSL.  Keys are fresh on every run, so the
# output differs byte for byte but not in what the tests check.  Run it
# here:  cd tests/data/lookup && sh make.sh
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf certs
mkdir -p certs

# $1 file stem, $2 activation, $3 expiration, then template lines
tmpl() {
	f=$tmp/$1.tmpl
	from=$2 to=$3
	shift 3
	{
		echo "activation_date = \"$from 00:00:00\""
		echo "expiration_date = \"$to 00:00:00\""
		for l in "$@"; do echo "$l"; done
	} >"$f"
}
key() { certtool --generate-privkey --rsa --bits 2048 --no-text \
	--outfile "$tmp/$1.key" 2>/dev/null; }
# $1 stem, $2 activation, $3 expiration, template lines: issued by root
issue() {
	stem=$1 from=$2 to=$3
	shift 3
	key "$stem"
	tmpl "$stem" "$from" "$to" "serial = $(date +%s%N | cut -c1-15)" "$@"
	certtool --generate-certificate --load-privkey "$tmp/$stem.key" \
		--load-ca-certificate root.pem --load-ca-privkey "$tmp/root.key" \
		--template "$tmp/$stem.tmpl" --no-text \
		--outfile "$tmp/$stem.pem" 2>/dev/null
}
enc='signing_key encryption_key email_protection_key'

key root
tmpl root 2020-01-01 2040-01-01 'cn = "Lookup Test Root"' \
	'o = "smime-milter tests"' ca cert_signing_key crl_signing_key \
	'serial = 1'
certtool --generate-self-signed --load-privkey "$tmp/root.key" \
	--template "$tmp/root.tmpl" --no-text --outfile root.pem 2>/dev/null

# Two for one address, the later notBefore in another case.
issue carol-old 2021-01-01 2040-01-01 'cn = "Carol Old"' \
	'email = "carol@example.org"' $enc
issue carol-new 2022-01-01 2040-01-01 'cn = "Carol New"' \
	'email = "Carol@Example.ORG"' $enc
# The key store's user (../verify/rcpt/gen/ks: me@example.com) here too,
# with a later notBefore: the key store still wins.
issue me-dir 2023-01-01 2040-01-01 'cn = "Me In The Directory"' \
	'email = "me@example.com"' $enc
issue expired 2020-01-01 2021-01-01 'cn = "Expired"' \
	'email = "old@example.org"' $enc
issue future 2039-01-01 2040-01-01 'cn = "Not Yet Valid"' \
	'email = "later@example.org"' $enc
issue signonly 2020-01-01 2040-01-01 'cn = "Signing Only"' \
	'email = "sign@example.org"' signing_key email_protection_key
issue revoked 2020-01-01 2040-01-01 'cn = "Revoked"' \
	'email = "rev@example.org"' $enc
# The expired one and a usable one for one address: the usable one wins.
issue dave-old 2020-01-01 2021-01-01 'cn = "Dave Expired"' \
	'email = "dave@example.org"' $enc
issue dave 2020-06-01 2040-01-01 'cn = "Dave"' \
	'email = "dave@example.org"' $enc
# The signer of signed-nocerts.eml (its key is kept: test-only).
issue signer 2020-01-01 2040-01-01 'cn = "Signer"' \
	'email = "signer@example.org"' signing_key email_protection_key

for s in carol-old carol-new me-dir expired future signonly revoked \
	dave-old dave; do
	cp "$tmp/$s.pem" "certs/$s.pem"
done
cp "$tmp/signer.pem" signer.pem
cp "$tmp/signer.key" signer.key

# The root's CRL, listing revoked.pem, current 2020-06-01 to 2039-12-31.
cat >"$tmp/crl.tmpl" <<EOT
crl_this_update_date = "2020-06-01 00:00:00"
crl_next_update_date = "2039-12-31 00:00:00"
crl_revocation_date = "2020-06-01 00:00:00"
crl_number = 1
EOT
certtool --generate-crl --load-ca-privkey "$tmp/root.key" \
	--load-ca-certificate root.pem --load-certificate certs/revoked.pem \
	--template "$tmp/crl.tmpl" --no-text --outfile crl.pem 2>/dev/null

# A detached signature without certificates, From the signer.
printf 'Hello from the signer.\r\n' >"$tmp/body.txt"
{
	printf 'From: signer@example.org\r\n'
	printf 'To: rcpt@example.net\r\n'
	printf 'Subject: signed without certificates\r\n'
	printf 'Date: Sat, 05 Dec 2026 22:00:00 +0000\r\n'
	printf 'Message-ID: <nocerts@example.org>\r\n'
	openssl cms -sign -nocerts -signer signer.pem -inkey signer.key \
		-in "$tmp/body.txt" -md sha256 -crlfeol
} >signed-nocerts.eml
