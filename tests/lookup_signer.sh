# lookup_signer.sh - a signature whose SignedData carries no certificates
# (openssl cms -sign -nocerts) is verified with the signer's certificate
# from CertDirectory when it carries the From address (SPEC section 9),
# through `smime-tool process`, and judged as a carried one is; without
# it, or when From is someone else, it stays permerror no-certificate.
# Fixtures: tests/data/lookup (signed-nocerts.eml, signer.pem, root.pem;
# see make.sh there).
. "$(dirname "$0")/lib.sh"

data=$top_srcdir/tests/data/lookup
tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
mkdir "$tmp/certs" "$tmp/empty"
cp "$data/signer.pem" "$tmp/certs/"
cp "$data"/certs/carol-new.pem "$tmp/certs/"
conf() { # conf FILE CERTDIR
	printf 'TrustAnchorFile %s\nCertDirectory %s\nAuthservID mx.example.net\nSocket local:%s/s\n' \
		"$data/root.pem" "$2" "$tmp" > "$1"
}
conf "$tmp/with.conf" "$tmp/certs"
conf "$tmp/without.conf" "$tmp/empty"
# process CONF FROM: the message's A-R field and log line in $tmp/out, $tmp/err
process() {
	sed "s/^From: .*/From: $2\r/" "$data/signed-nocerts.eml" > "$tmp/in"
	"$SMIME_TOOL" process -c "$1" --from "$2" --rcpt rcpt@example.net \
		--at 2026-12-06T00:00:00Z -i "$tmp/in" -o "$tmp/out" 2> "$tmp/err"
}

"$SMIME_TOOL" inspect "$data/signed-nocerts.eml" > "$tmp/inspect" 2>&1
grep -q 'signer' "$tmp/inspect" && ! grep -q 'BEGIN CERTIFICATE' "$data/signed-nocerts.eml"
ok $? "the fixture is a signed message" || diag "$(cat "$tmp/inspect")"

process "$tmp/with.conf" signer@example.org
is $? 0 "accepted with the certificate in CertDirectory"
grep -q '^	smime=pass body.smime-identifier=signer@example.org body.smime-part=1' "$tmp/out"
ok $? "CertDirectory holds the signer's certificate: pass" || diag "$(grep -A2 '^Authentication-Results' "$tmp/out")"
grep -q 'signer=signer@example.org result=pass' "$tmp/err"
ok $? "and the log line says pass" || diag "$(cat "$tmp/err")"

process "$tmp/without.conf" signer@example.org
is $? 0 "accepted without it"
grep -q '^	smime=permerror reason="no-certificate" body.smime-part=1' "$tmp/out"
ok $? "no local certificate: permerror no-certificate" || diag "$(grep -A2 '^Authentication-Results' "$tmp/out")"

process "$tmp/with.conf" carol@example.org
grep -q '^	smime=permerror reason="no-certificate" body.smime-part=1' "$tmp/out"
ok $? "only the From and Sender addresses' certificates are looked at" || diag "$(grep -A2 '^Authentication-Results' "$tmp/out")"

done_testing
