#!/bin/bash
# pkcs11_keys.sh - KeyStore keys inside a PKCS#11 token (SPEC section 9):
# a SoftHSM2 token made at test time holds an RSA and an EC (P-256) key,
# imported with softhsm2-util, and the PEM key files are deleted: the
# KeyStore holds only NAME.crt and NAME.uri.  Through `smime-tool process`:
# - signing with both keys verifies in OpenSSL (RSA with PKCS#1 v1.5 even
#   under SignRSAPadding pss: a token key does PKCS#1 v1.5 only);
# - an RC2-40 message to the RSA key, and AES-256 and 3DES messages
#   OpenSSL made for the EC key (ECDH through PKCS#11 CKM_ECDH1_DERIVE),
#   are re-encrypted and open in OpenSSL (copies of the keys kept outside
#   the KeyStore, for OpenSSL only);
# - a PIN file written by `echo PIN > file` works (one trailing newline
#   stripped), and so does pin-value in a 0600 NAME.uri;
# - `smime-milter -n` refuses a PIN file group or others can read, a
#   NAME.uri holding pin-value that they can read, and a wrong PIN (one
#   login attempt: the token is never asked twice);
# - the PIN appears in no output.
. "$(dirname "$0")/lib.sh"

for tool in softhsm2-util openssl; do
	command -v $tool >/dev/null || bail "$tool not installed (contrib/install-deps peers)"
done
tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
PIN=73$(openssl rand -hex 3 | tr -dc 0-9)91
SO_PIN=$(openssl rand -hex 4)
mkdir -p "$tmp/tokens" "$tmp/keep" && chmod 700 "$tmp/keep"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$tmp" \
	>"$tmp/softhsm2.conf"
export SOFTHSM2_CONF=$tmp/softhsm2.conf
softhsm2-util --init-token --free --label smime-test --pin "$PIN" --so-pin "$SO_PIN" \
	>"$tmp/init.out" 2>&1 || bail "softhsm2-util --init-token: $(cat "$tmp/init.out")"

# --- the keys: made here, imported, and their PEM files deleted -----------
mkdir -m 700 "$tmp/ks" && test_ca "$tmp" "/CN=Token CA" || bail "CA"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa.key" 2>/dev/null &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.key" 2>/dev/null ||
	bail "keys"
id=1
for k in rsa ec; do
	openssl req -new -key "$tmp/$k.key" -subj "/CN=$k" -out "$tmp/$k.csr" 2>/dev/null &&
		printf 'subjectAltName=email:%s@example.org\n' "$k" >"$tmp/$k.ext" &&
		openssl x509 -req -in "$tmp/$k.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$tmp/$k.ext" \
			-out "$tmp/ks/$k.crt" 2>/dev/null || bail "certificate $k"
	softhsm2-util --import "$tmp/$k.key" --token smime-test --label "$k" --id "0$id" \
		--pin "$PIN" >"$tmp/import.out" 2>&1 || bail "import $k: $(cat "$tmp/import.out")"
	id=$((id + 1))
done
cp "$tmp/rsa.key" "$tmp/ec.key" "$tmp/keep/" # for OpenSSL only
# softhsm2-util imports an EC key for signing only: allow it ECDH
"$top_builddir/tests/p11_allow_derive" "pkcs11:token=smime-test;object=ec" "$PIN" ||
	bail "CKA_DERIVE on the EC key"
rm -f "$tmp/rsa.key" "$tmp/ec.key"
echo "$PIN" >"$tmp/pin" && chmod 600 "$tmp/pin" && evidence_secret "$tmp/pin"
printf 'pkcs11:token=smime-test;object=rsa;type=private?pin-source=%s\n' "$tmp/pin" >"$tmp/ks/rsa.uri"
printf 'pkcs11:token=smime-test;object=ec;type=private?pin-value=%s\n' "$PIN" >"$tmp/ks/ec.uri"
chmod 600 "$tmp/ks/ec.uri"
is "$(find "$tmp/ks" -name '*.key' | wc -l)" 0 "the KeyStore holds no private key file: NAME.crt and NAME.uri only"

printf 'when outbound then sign\nwhen cipher weak then reencrypt aes-256-cbc\n' >"$tmp/rules"
printf '%s\n' "KeyStore $tmp/ks" "Socket local:$tmp/s" "Rules $tmp/rules" \
	"TrustAnchorFile $tmp/ca.pem" "SignRSAPadding pss" >"$tmp/c.conf"
"$SMIME_MILTER" -n -c "$tmp/c.conf" >"$tmp/n.out" 2>&1
ok $? "smime-milter -n loads both token keys (a PIN file from echo, and pin-value)" || diag "$(cat "$tmp/n.out")"

# --- signing with both ------------------------------------------------------------
for k in rsa ec; do
	printf 'From: %s@example.org\r\nTo: x@example.net\r\nSubject: token\r\nContent-Type: text/plain\r\n\r\nSigned in the token by %s.\r\n' \
		"$k" "$k" >"$tmp/m-$k.eml"
	"$SMIME_TOOL" process -c "$tmp/c.conf" --from "$k@example.org" --rcpt x@example.net \
		--auth-user "$k@example.org" -i "$tmp/m-$k.eml" -o "$tmp/s-$k.eml" 2>"$tmp/s-$k.err"
	grep -q 'sign=signed' "$tmp/s-$k.err"
	ok $? "$k: signed with the token key" || diag "$(cat "$tmp/s-$k.err")"
	openssl cms -verify -in "$tmp/s-$k.eml" -CAfile "$tmp/ca.pem" -out /dev/null 2>"$tmp/v.err"
	ok $? "$k: OpenSSL verifies the signature" || diag "$(cat "$tmp/v.err")"
done
openssl cms -cmsout -print -in "$tmp/s-rsa.eml" | grep -q 'rsassaPss'
ok $((!$?)) "the RSA token key signed with PKCS#1 v1.5 under SignRSAPadding pss"

# --- re-encryption with the RSA token key ------------------------------------------
printf 'Content-Type: text/plain\r\n\r\nThe token opened this: %s.\r\n' "$(openssl rand -hex 6)" >"$tmp/inner.txt"
openssl cms -encrypt -rc2-40 -provider legacy -provider default -binary -in "$tmp/inner.txt" \
	"$tmp/ks/rsa.crt" >"$tmp/rc2.eml" 2>/dev/null || bail "RC2-40"
"$SMIME_TOOL" process -c "$tmp/c.conf" --from carol@example.net --rcpt rsa@example.org \
	-i "$tmp/rc2.eml" -o "$tmp/rc2.out" 2>"$tmp/rc2.err"
grep -q 'action=reencrypted new-cipher=aes-256-cbc' "$tmp/rc2.err"
ok $? "an RC2-40 message to the RSA token key is re-encrypted" || diag "$(cat "$tmp/rc2.err")"
openssl cms -decrypt -in "$tmp/rc2.out" -inkey "$tmp/keep/rsa.key" -recip "$tmp/ks/rsa.crt" \
	-out "$tmp/dec" 2>/dev/null && cmp -s "$tmp/dec" "$tmp/inner.txt"
ok $? "and the new copy opens in OpenSSL to the original"

# --- re-encryption with the EC token key (ECDH through PKCS#11) ---------------------
for o in aes256:aes-256-cbc des3:des-ede3-cbc; do
	# shellcheck disable=SC2086
	openssl cms -encrypt -"${o%%:*}" -binary -in "$tmp/inner.txt" "$tmp/ks/ec.crt" \
		>"$tmp/ec-${o%%:*}.eml" 2>/dev/null || bail "openssl -${o%%:*} to the EC key"
done
printf 'when cipher legacy then reencrypt aes-256-cbc\nwhen cipher aes-256-cbc then reencrypt aes-128-cbc\n' \
	>"$tmp/rules-ec"
sed "s|^Rules .*|Rules $tmp/rules-ec|" "$tmp/c.conf" >"$tmp/c-ec.conf"
for o in aes256:aes-128-cbc des3:aes-256-cbc; do
	n=${o%%:*} new=${o#*:}
	"$SMIME_TOOL" process -c "$tmp/c-ec.conf" --from carol@example.net --rcpt ec@example.org \
		-i "$tmp/ec-$n.eml" -o "$tmp/ec-$n.out" 2>"$tmp/ec-$n.err"
	grep -q "action=reencrypted new-cipher=$new" "$tmp/ec-$n.err"
	ok $? "OpenSSL -$n to the EC token key (ECDH in the token): re-encrypted to $new" ||
		diag "$(cat "$tmp/ec-$n.err")"
	openssl cms -decrypt -in "$tmp/ec-$n.out" -inkey "$tmp/keep/ec.key" -recip "$tmp/ks/ec.crt" \
		-out "$tmp/dec" 2>/dev/null && cmp -s "$tmp/dec" "$tmp/inner.txt"
	ok $? "and the new copy opens in OpenSSL to the original"
done

# --- what -n refuses -----------------------------------------------------------------
chmod 644 "$tmp/pin"
"$SMIME_MILTER" -n -c "$tmp/c.conf" >"$tmp/n1.out" 2>&1
is "$?" 1 "-n refuses a PIN file group or others can read"
grep -q "$tmp/pin: PIN file readable by group or others" "$tmp/n1.out"
ok $? "naming the file" || diag "$(cat "$tmp/n1.out")"
chmod 600 "$tmp/pin"
chmod 644 "$tmp/ks/ec.uri"
"$SMIME_MILTER" -n -c "$tmp/c.conf" >"$tmp/n2.out" 2>&1
is "$?" 1 "-n refuses a NAME.uri holding pin-value that group or others can read"
grep -q "ec.uri: NAME.uri holding pin-value readable by group or others" "$tmp/n2.out"
ok $? "naming the file" || diag "$(cat "$tmp/n2.out")"
chmod 600 "$tmp/ks/ec.uri"
# A wrong PIN, with the other key out of the way (PKCS#11 logs in per
# token: a key already logged in would let a wrong PIN of the second pass).
mkdir -m 700 "$tmp/ks1" && cp "$tmp/ks/rsa.crt" "$tmp/ks/rsa.uri" "$tmp/ks1/"
printf '%s\n' "KeyStore $tmp/ks1" "Socket local:$tmp/s" >"$tmp/c1.conf"
echo 000000 >"$tmp/wrongpin" && chmod 600 "$tmp/wrongpin"
sed -i "s|pin-source=.*|pin-source=file://$tmp/wrongpin|" "$tmp/ks1/rsa.uri"
"$SMIME_MILTER" -n -c "$tmp/c1.conf" >"$tmp/n3.out" 2>&1
is "$?" 1 "-n fails on a wrong PIN (a pin-source file: URI)"
grep -q "rsa.uri: cannot use the PKCS#11 key" "$tmp/n3.out"
ok $? "naming NAME.uri" || diag "$(cat "$tmp/n3.out")"
"$SMIME_MILTER" -n -c "$tmp/c.conf" >"$tmp/n4.out" 2>&1
ok $? "one wrong PIN did not lock the token: the right one still works" || diag "$(cat "$tmp/n4.out")"

# --- the PIN in no output ------------------------------------------------------------
found=$(grep -rl --include='*.out' --include='*.err' --include='*.eml' -- "$PIN" "$tmp" 2>/dev/null)
is "${found:-none}" none "the PIN appears in no output of the milter or the tool"
done_testing
