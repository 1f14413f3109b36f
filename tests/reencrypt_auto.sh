#!/bin/bash
# reencrypt_auto.sh - `reencrypt auto` (SPEC sections 8 and 9) through the
# milter's code path (`smime-tool process`): the cipher comes from the
# envelope recipients' capabilities (harvested here), DefaultCipher for
# unknown ones, never from WeakCiphers; CBC content is re-encrypted only
# to a CBC cipher of no shorter block, so an RC2-40 message for a
# recipient whose capabilities put GCM first becomes aes-256-cbc, and an
# aes-128-cbc message for one who reads only des-ede3-cbc is kept with
# unsupported-cipher; a rule saying auto while WeakCiphers names
# des-ede3-cbc is a load error.  The results decrypt with OpenSSL.
. "$(dirname "$0")/lib.sh"

DRIVER=$top_builddir/tests/harvest_sign_driver
[ -x "$DRIVER" ] || bail "harvest_sign_driver not built at $DRIVER"
tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
SIGNED=$(($(date +%s) + 60))
AT=$(date -u -d "@$((SIGNED + 60))" +%Y-%m-%dT%H:%M:%SZ)
LEGACY="-provider legacy -provider default"

mkdir -m 700 "$tmp/ks" && test_ca "$tmp" "/CN=Reencrypt Auto CA" || bail "CA"
for u in gcm:gcm@example.net tdes:tdes@example.net plain:plain@example.net; do
	keystore_issue "$tmp" "$tmp/ks" "${u%%:*}" "${u#*:}" || bail "key ${u#*:}"
done
printf 'when cipher weak then reencrypt auto\nwhen cipher aes-128-cbc then reencrypt auto\n' >"$tmp/rules"
conf() { # conf NAME [LINE...]
	local name=$1
	shift
	printf '%s\n' "AuthservID mx.test" "TrustAnchorFile $tmp/ca.pem" \
		"Socket local:$tmp/s" "KeyStore $tmp/ks" "Rules $tmp/rules" \
		"HarvestCertificates yes" "HarvestDirectory $tmp/harvest" "$@" \
		>"$tmp/$name.conf"
}
conf c
run() { # run FILE OUT: the log line in $line
	"$SMIME_TOOL" process -c "$tmp/c.conf" --from x@example.org \
		--rcpt "$3" --at "$AT" -i "$1" -o "$2" 2>"$2.err"
	st=$?
	line=$(grep ' dir=' "$2.err")
}

# The capabilities, harvested from signed mail: gcm@ lists aes-256-gcm
# first, tdes@ only des-ede3-cbc; plain@ states none.
caps_signed_mail "$DRIVER" "$tmp/gcm" gcm@example.net gcm "$SIGNED" "$tmp/s-gcm.eml"
caps_signed_mail "$DRIVER" "$tmp/tdes" tdes@example.net 3des "$SIGNED" "$tmp/s-tdes.eml"
run "$tmp/s-gcm.eml" "$tmp/s-gcm.out" bob@example.net
run "$tmp/s-tdes.eml" "$tmp/s-tdes.out" bob@example.net
[ -f "$tmp/harvest/gcm@example.net.pem" ] && [ -f "$tmp/harvest/tdes@example.net.pem" ]
ok $? "the recipients' capabilities are harvested" || diag "$(cat "$tmp"/s-*.out.err)"

printf 'Content-Type: text/plain\r\n\r\nThe code is %s.\r\n' "$(openssl rand -hex 8)" >"$tmp/inner.txt"
evidence_secret "$tmp/inner.txt"
enc() { # enc CIPHER-OPTION CERT OUT
	# shellcheck disable=SC2086 # provider options, split on purpose
	openssl cms -encrypt "$1" $LEGACY -binary -in "$tmp/inner.txt" \
		-subject hi "$2" >"$3" 2>/dev/null || bail "openssl cms -encrypt $1"
}
new_cipher() { printf '%s\n' "$line" | sed -n 's/.* new-cipher=\([^ ]*\).*/\1/p'; }
opens() { # opens OUT NAME
	openssl cms -decrypt -in "$1" -inkey "$tmp/ks/$2.key" -recip "$tmp/ks/$2.crt" \
		-out "$1.txt" 2>/dev/null && cmp -s "$1.txt" "$tmp/inner.txt"
}

enc -rc2-40 "$tmp/ks/gcm.crt" "$tmp/rc2-gcm.eml"
run "$tmp/rc2-gcm.eml" "$tmp/rc2-gcm.out" gcm@example.net
is "$(new_cipher)" aes-256-cbc "RC2-40 for a recipient with GCM first: aes-256-cbc, a CBC cipher, never GCM" || diag "$line"
opens "$tmp/rc2-gcm.out" gcm
ok $? "OpenSSL opens it with the recipient's key"

enc -rc2-40 "$tmp/ks/tdes.crt" "$tmp/rc2-tdes.eml"
run "$tmp/rc2-tdes.eml" "$tmp/rc2-tdes.out" tdes@example.net
is "$(new_cipher)" des-ede3-cbc "RC2-40 for a recipient who reads only des-ede3-cbc: des-ede3-cbc" || diag "$line"
opens "$tmp/rc2-tdes.out" tdes
ok $? "OpenSSL opens it"

enc -rc2-40 "$tmp/ks/plain.crt" "$tmp/rc2-plain.eml"
run "$tmp/rc2-plain.eml" "$tmp/rc2-plain.out" plain@example.net
is "$(new_cipher)" aes-256-cbc "capabilities unknown: DefaultCipher (aes-256-cbc)" || diag "$line"
conf d "DefaultCipher aes-128-cbc"
"$SMIME_TOOL" process -c "$tmp/d.conf" --from x@example.org --rcpt plain@example.net \
	--at "$AT" -i "$tmp/rc2-plain.eml" -o "$tmp/rc2-d.out" 2>"$tmp/rc2-d.err"
line=$(grep ' dir=' "$tmp/rc2-d.err")
is "$(new_cipher)" aes-128-cbc "with DefaultCipher aes-128-cbc: aes-128-cbc" || diag "$line"

enc -aes-128-cbc "$tmp/ks/tdes.crt" "$tmp/aes-tdes.eml"
run "$tmp/aes-tdes.eml" "$tmp/aes-tdes.out" tdes@example.net
case $line in
*'action=kept action-reason=unsupported-cipher'*)
	pass "aes-128-cbc for a recipient who reads only des-ede3-cbc: kept, unsupported-cipher" ;;
*) fail "aes-128-cbc for a recipient who reads only des-ede3-cbc: kept, unsupported-cipher"; diag "$line" ;;
esac
openssl cms -cmsout -print -in "$tmp/aes-tdes.out" 2>/dev/null | grep -q 'aes-128-cbc'
ok $? "and the original (aes-128-cbc) stays"

# shellcheck disable=SC2086
openssl cms -encrypt -rc2-40 $LEGACY -binary -in "$tmp/inner.txt" -subject hi \
	"$tmp/ks/gcm.crt" "$tmp/ks/tdes.crt" >"$tmp/rc2-both.eml" 2>/dev/null || bail "encrypt to both"
"$SMIME_TOOL" process -c "$tmp/c.conf" --from x@example.org --rcpt gcm@example.net \
	--rcpt tdes@example.net --at "$AT" -i "$tmp/rc2-both.eml" -o "$tmp/rc2-both.out" 2>"$tmp/rc2-both.err"
line=$(grep ' dir=' "$tmp/rc2-both.err")
is "$(new_cipher)" des-ede3-cbc "a GCM-first and a 3DES-only recipient together: des-ede3-cbc" || diag "$line"
opens "$tmp/rc2-both.out" gcm && opens "$tmp/rc2-both.out" tdes
ok $? "both open it"

conf weak "WeakCiphers rc2-40-cbc,des-cbc,des-ede3-cbc"
"$SMIME_MILTER" -n -c "$tmp/weak.conf" >"$tmp/weak.out" 2>&1
is "$?" 1 "-n fails on reencrypt auto when WeakCiphers names des-ede3-cbc"
grep -q "$tmp/rules:1:33: reencrypt auto: WeakCiphers names des-ede3-cbc" "$tmp/weak.out"
ok $? "naming the rule's line and column" || diag "$(cat "$tmp/weak.out")"
done_testing
