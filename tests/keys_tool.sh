# keys_tool.sh - `smime-tool keys` lists the key store and the certificate
# directory (address, issuer, serial, expiry, key type) and warns about
# certificates that expired or expire within 30 days.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/ks"
mkdir "$tmp/certs"

# cert NAME ADDR DAYS DIR: a self-signed S/MIME certificate (and its key)
cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$4/$1.key" -out "$4/$1.crt" \
		-subj "/CN=$1" -days "$3" -addext "subjectAltName=email:$2" \
		-addext "keyUsage=digitalSignature,keyEncipherment" \
		-addext "extendedKeyUsage=emailProtection" >/dev/null 2>&1 || bail "openssl req $1"
	chmod 600 "$4/$1.key"
}
cert alice alice@example.org 365 "$tmp/ks"
cert bob bob@example.org 10 "$tmp/ks"
cert carol carol@example.org 400 "$tmp/certs"
rm "$tmp/certs/carol.key"
printf 'KeyStore %s\nCertDirectory %s\nSocket local:%s/s\n' "$tmp/ks" "$tmp/certs" "$tmp" > "$tmp/c.conf"

"$SMIME_TOOL" keys -c "$tmp/c.conf" > "$tmp/out" 2> "$tmp/err"
is $? 1 "a key that expires within 30 days makes the exit status 1"
grep -q '^key alice address=alice@example.org issuer="CN=alice" serial=[0-9a-f]* expires=[0-9-]* key=RSA-2048$' "$tmp/out"
ok $? "a key store entry is listed with address, issuer, serial, expiry and key type" || diag "$(cat "$tmp/out")"
grep -q '^key bob address=bob@example.org .* WARNING: expires within 30 days$' "$tmp/out"
ok $? "a key expiring within 30 days is flagged" || diag "$(cat "$tmp/out")"
grep -q "bob.crt: certificate expires within 30 days" "$tmp/err"
ok $? "and warned about on stderr, naming the file"
grep -q '^cert .*carol.crt address=carol@example.org ' "$tmp/out"
ok $? "a certificate directory entry is listed" || diag "$(cat "$tmp/out")"
"$SMIME_TOOL" keys -c "$tmp/c.conf" --at @0 > "$tmp/out" 2>/dev/null
grep -c 'WARNING: not yet valid' "$tmp/out" | grep -q '^3$'
ok $? "--at before issue flags every certificate as not yet valid"
"$SMIME_TOOL" keys -c "$tmp/c.conf" --at 2200-01-01T00:00:00Z > "$tmp/out" 2>/dev/null
is "$(grep -c 'WARNING: EXPIRED' "$tmp/out")" 3 "--at in 2200 flags every certificate as expired"
rm "$tmp/ks/bob.key" "$tmp/ks/bob.crt"
"$SMIME_TOOL" keys -c "$tmp/c.conf" > "$tmp/out" 2>/dev/null
is $? 0 "with no certificate near its end the exit status is 0"
chmod 644 "$tmp/ks/alice.key"
"$SMIME_TOOL" keys -c "$tmp/c.conf" > "$tmp/out" 2> "$tmp/err"
is $? 2 "an unsafe key file is a configuration error (exit 2)"
grep -q "alice.key: private key readable by group or others (mode 0644); chmod 600" "$tmp/err"
ok $? "and the error names the file and the fix" || diag "$(cat "$tmp/err")"
"$SMIME_TOOL" keys > /dev/null 2>&1
is $? 2 "keys without -c is a usage error"

done_testing
