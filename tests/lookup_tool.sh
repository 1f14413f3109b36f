# lookup_tool.sh - `smime-tool lookup` prints, per address, the
# certificate the milter would encrypt to (source, subject, issuer,
# serial, expiry, key type, capabilities, the cipher `auto` picks) or why
# there is none, and exits 0 when every address has one, 1 otherwise, 2
# for usage or configuration errors.  Fixtures: tests/data/lookup (see
# make.sh there) and the key store of tests/data/verify/rcpt/gen/ks.
. "$(dirname "$0")/lib.sh"

data=$top_srcdir/tests/data/lookup
tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/ks"
cp "$top_srcdir"/tests/data/verify/rcpt/gen/ks/* "$tmp/ks/" || bail "copy the key store"
chmod 600 "$tmp/ks/me.key"
conf() { # conf FILE [EXTRA LINE]
	printf 'KeyStore %s\nCertDirectory %s\nTrustAnchorFile %s\nSocket local:%s/s\n%s\n' \
		"$tmp/ks" "$data/certs" "$data/root.pem" "$tmp" "${2:-}" > "$1"
}
conf "$tmp/c.conf"
at=--at=2026-12-01T00:00:00Z

"$SMIME_TOOL" lookup -c "$tmp/c.conf" $at me@example.com > "$tmp/out" 2> "$tmp/err"
is $? 0 "a key store address: exit status 0"
grep -q '^me@example.com source=keystore subject="CN=Key Store User" issuer="CN=Recipient Test Sub CA,O=smime-milter tests" serial=[0-9a-f]* expires=2040-01-01 key=RSA-2048 capabilities=unknown cipher=aes-256-cbc$' "$tmp/out"
ok $? "the key store's certificate, before the directory's (source=keystore)" || diag "$(cat "$tmp/out")"

"$SMIME_TOOL" lookup -c "$tmp/c.conf" $at Carol@EXAMPLE.org > "$tmp/out" 2> "$tmp/err"
is $? 0 "a certificate directory address: exit status 0"
grep -q '^Carol@EXAMPLE.org source=certdir subject="CN=Carol New" issuer="CN=Lookup Test Root,O=smime-milter tests" serial=[0-9a-f]* expires=2040-01-01 key=RSA-2048 capabilities=unknown cipher=aes-256-cbc$' "$tmp/out"
ok $? "the directory's certificate with the latest notBefore, address in any case" || diag "$(cat "$tmp/out")"

"$SMIME_TOOL" lookup -c "$tmp/c.conf" $at carol@example.org nobody@example.org old@example.org > "$tmp/out" 2> "$tmp/err"
is $? 1 "an address without a certificate: exit status 1"
is "$(sed -n 2,3p "$tmp/out")" "nobody@example.org reason=no-certificate
old@example.org reason=expired" "one line per address, in order, with the reason"
is "$(wc -l < "$tmp/out")" 3 "every address gets its line"

"$SMIME_TOOL" lookup -c "$tmp/c.conf" $at later@example.org sign@example.org > "$tmp/out" 2>/dev/null
is "$(cat "$tmp/out")" "later@example.org reason=not-yet-valid
sign@example.org reason=key-usage" "not-yet-valid and key-usage"

conf "$tmp/crl.conf" "CRLFile $data/crl.pem"
"$SMIME_TOOL" lookup -c "$tmp/crl.conf" $at rev@example.org > "$tmp/out" 2>/dev/null
is "$(cat "$tmp/out")" "rev@example.org reason=revoked" "a certificate the CRL lists is revoked"

printf 'CertDirectory %s\nSocket local:%s/s\n' "$data/certs" "$tmp" > "$tmp/noanchor.conf"
"$SMIME_TOOL" lookup -c "$tmp/noanchor.conf" $at carol@example.org > "$tmp/out" 2>/dev/null
is "$(cat "$tmp/out")" "carol@example.org reason=untrusted" "without TrustAnchorFile a directory certificate is untrusted"

conf "$tmp/weak.conf" "WeakCiphers aes-256-cbc"
"$SMIME_TOOL" lookup -c "$tmp/weak.conf" $at carol@example.org > "$tmp/out" 2>/dev/null
grep -q ' capabilities=unknown cipher=des-ede3-cbc$' "$tmp/out"
ok $? "with the default cipher weak, auto falls back to des-ede3-cbc" || diag "$(cat "$tmp/out")"

"$SMIME_TOOL" lookup -c "$tmp/c.conf" > /dev/null 2>&1
is $? 2 "lookup without an address is a usage error"
"$SMIME_TOOL" lookup me@example.com > /dev/null 2>&1
is $? 2 "lookup without -c is a usage error"
"$SMIME_TOOL" lookup -c "$tmp/c.conf" --at yesterday me@example.com > /dev/null 2>&1
is $? 2 "a bad --at is a usage error"
printf 'NoSuchKey 1\n' > "$tmp/bad.conf"
"$SMIME_TOOL" lookup -c "$tmp/bad.conf" me@example.com > /dev/null 2>&1
is $? 2 "a bad configuration is exit status 2"

done_testing
