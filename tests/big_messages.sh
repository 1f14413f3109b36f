#!/bin/bash
# big_messages.sh - messages past the 1 MiB at which the milter's copies
# spill to TempDirectory (issue 19): re-encrypted (a DER and a streamed,
# constructed BER original), signed and encrypted through `smime-tool
# process` (the milter's code path), each result checked by OpenSSL, and
# TempDirectory left empty.  What the spill and the hollow ContentInfo
# change is where the bytes live, never the bytes: every result must be
# what the peers read back byte for byte.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || bail "openssl not installed"
T=$(mktemp -d "${TMPDIR:-/tmp}/big_messages.XXXXXX")
trap 'evidence_keep "$T"; rm -rf "$T"' EXIT
LEGACY="-provider legacy -provider default"

mkdir -m 700 "$T/ks" "$T/tmp" && mkdir "$T/cd" || bail "dirs"
test_ca "$T" || bail "CA"
keystore_issue "$T" "$T/ks" alice alice@example.org || bail "alice"
keystore_issue "$T" "$T/ks" sender sender@example.org || bail "sender"
issue_cert "$T" bob "subjectAltName=email:bob@example.org" \
	"keyUsage=keyEncipherment,digitalSignature" && cp "$T/bob.pem" "$T/cd/bob.pem" ||
	bail "bob"
evidence_secret "$T/alice.key" "$T/sender.key" "$T/bob.key"

# about 4 MB of text: past the spill size, a few seconds at most
{
	printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
	openssl rand -base64 3000000 | sed 's/$/\r/'
} >"$T/inner.txt" || bail "inner"
evidence_secret "$T/inner.txt"

conf() { # conf NAME RULE...
	printf '%s\n' "${@:2}" >"$T/$1.rules"
	cat >"$T/$1.conf" <<EOF
AuthservID mx.test
TempDirectory $T/tmp
BodyMemoryLimit 64K
MaxCryptoSize 50M
KeyStore $T/ks
CertDirectory $T/cd
TrustAnchorFile $T/ca.pem
SignUnauthenticated yes
Rules $T/$1.rules
EOF
}
conf re 'when cipher weak then reencrypt aes-256-cbc'
conf sign 'when from *@example.org then sign'
conf enc 'when outbound then encrypt aes-256-cbc'

tool() { # tool CONF IN OUT ARGS...
	local c=$1 in=$2 out=$3
	shift 3
	"$SMIME_TOOL" process -c "$T/$c.conf" -i "$in" -o "$out" "$@" 2>"$T/log"
}

# --- re-encryption: a DER original and a streamed BER one ---------------------
for form in der stream; do
	{
		printf 'From: carol@legacy.example\r\nTo: alice@example.org\r\nSubject: big\r\n'
		# shellcheck disable=SC2086 # the providers, split on purpose
		openssl cms -encrypt -rc2-40 $LEGACY $([ $form = stream ] && echo -stream) \
			-in "$T/inner.txt" "$T/alice.pem"
	} >"$T/rc2-$form.eml" || bail "encrypt $form"
	tool re "$T/rc2-$form.eml" "$T/re-$form.eml" --from carol@legacy.example \
		--rcpt alice@example.org --client-ip 198.51.100.7
	grep -q 'action=reencrypted new-cipher=aes-256-cbc' "$T/log"
	ok $? "$form original of $(($(wc -c <"$T/rc2-$form.eml") / 1048576)) MB: re-encrypted" ||
		diag "$(cat "$T/log")"
	openssl cms -decrypt -in "$T/re-$form.eml" -recip "$T/alice.pem" -inkey "$T/alice.key" \
		-out "$T/re-$form.txt" 2>"$T/err" && cmp -s "$T/re-$form.txt" "$T/inner.txt"
	ok $? "$form original: openssl decrypts the new copy to the byte-identical entity" ||
		diag "$(cat "$T/err")"
	openssl cms -cmsout -print -in "$T/re-$form.eml" 2>/dev/null |
		grep -q 'algorithm: aes-256-cbc'
	ok $? "$form original: the new copy's content cipher is aes-256-cbc"
done

# --- signing -------------------------------------------------------------------
{
	printf 'From: sender@example.org\r\nTo: bob@example.org\r\nSubject: big\r\n'
	cat "$T/inner.txt"
} >"$T/plain.eml"
tool sign "$T/plain.eml" "$T/signed.eml" --from sender@example.org \
	--rcpt bob@example.org --client-ip 127.0.0.1
grep -q 'sign=signed' "$T/log"
ok $? "a 4 MB message: signed" || diag "$(cat "$T/log")"
openssl cms -verify -in "$T/signed.eml" -CAfile "$T/ca.pem" -out "$T/signed.txt" \
	2>"$T/err"
ok $? "openssl verifies the signature over 4 MB" || diag "$(cat "$T/err")"
sed -n '/^\r\{0,1\}$/,$p' "$T/signed.txt" | tail -n +2 | tr -d '\r' >"$T/signed.body"
sed -n '/^\r\{0,1\}$/,$p' "$T/inner.txt" | tail -n +2 | tr -d '\r' >"$T/inner.body"
cmp -s "$T/signed.body" "$T/inner.body"
ok $? "and the signed body is the original's"

# --- encryption ----------------------------------------------------------------
tool enc "$T/plain.eml" "$T/enc.eml" --from sender@example.org \
	--rcpt bob@example.org --client-ip 127.0.0.1
grep -q 'action=encrypted new-cipher=aes-256-cbc' "$T/log"
ok $? "a 4 MB message: encrypted for bob" || diag "$(cat "$T/log")"
openssl cms -decrypt -in "$T/enc.eml" -recip "$T/bob.pem" -inkey "$T/bob.key" \
	-out "$T/enc.txt" 2>"$T/err" && cmp -s "$T/enc.txt" "$T/inner.txt"
ok $? "bob decrypts it to the byte-identical entity" || diag "$(cat "$T/err")"

is "$(find "$T/tmp" -mindepth 1 | wc -l)" 0 "TempDirectory is empty afterwards"
done_testing
