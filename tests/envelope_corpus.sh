# envelope_corpus.sh - the encrypted messages of the corpus folders that
# tests/corpus leaves out (no licence, so not copied to tests/data/envelope
# either), opened with their published keys: tests/envelope_driver, with
# the PKCS#12 file as the key store holds it, must give the very bytes
# `openssl cms -decrypt` gets, as test_envelope.c checks for the copies in
# tests/data/envelope/corpus.  Read from --with-corpus; SKIP without.
. "$(dirname "$0")/lib.sh"
need_corpus
DRIVER=$top_builddir/tests/envelope_driver
[ -x "$DRIVER" ] || bail "envelope_driver not built at $DRIVER"
T=$(mktemp -d)
trap 'evidence_keep "$T"; rm -rf "$T"' EXIT
L="-provider legacy -provider default"

# NAME|message|its recipient's PKCS#12|passphrase
while IFS='|' read -r name msg p12 pass; do
	M=$(corpus "$msg")
	K=$(corpus "$p12")
	corpus_needs "$M" "$K"
	ks=$T/$name.keys
	mkdir -m 700 "$ks"
	install -m 600 "$K" "$ks/$name.p12" 2>/dev/null
	printf '%s\n' "$pass" > "$ks/$name.pass"
	chmod 600 "$ks/$name.pass"
	# openssl reads DER only; the key store PEM-armoured PKCS#12 too
	if head -c 20 "$K" 2>/dev/null | grep -q BEGIN; then
		sed '/-----/d' "$K" | base64 -d > "$T/$name.der"
	else
		cp "$K" "$T/$name.der" 2>/dev/null
	fi
	# shellcheck disable=SC2086 # $L is two options
	openssl pkcs12 $L -in "$T/$name.der" -passin "pass:$pass" -nodes -nocerts \
		-out "$T/$name.key" 2>/dev/null &&
		openssl cms -decrypt $L -binary -inform SMIME -in "$M" \
			-inkey "$T/$name.key" -out "$T/$name.want" 2>"$T/$name.err"
	ok $? "OpenSSL decrypts $msg" || diag "$(cat "$T/$name.err")"
	"$DRIVER" open "$ks" "$M" "$T/$name.got" 2>"$T/$name.err"
	ok $? "$name opens with its published key" || diag "$(cat "$T/$name.err")"
	[ -s "$T/$name.want" ] && cmp -s "$T/$name.got" "$T/$name.want"
	ok $? "$name gives the bytes OpenSSL gets"
	corpus_needs_end
done <<'LIST'
protected-headers-enc|protected-headers/smime-enc+legacy-disp.eml|protected-headers/bob.p12|bob
outlook2013-enc|hiraoka-smime-mail-samples/received-at-smime2/Message from smime1 to smime2 (encrypted).eml|hiraoka-smime-mail-samples/certs/smime-1-secret.pfx|smime1
LIST

done_testing
