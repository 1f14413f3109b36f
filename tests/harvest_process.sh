# harvest_process.sh - harvesting (SPEC section 9) through the milter's
# code path (`smime-tool process`): a signature whose result is pass
# leaves HarvestDirectory/NAME.pem with the signer's certificate (read by
# openssl x509) and its SMIMECapabilities (shown by `smime-tool lookup`
# and `smime-tool keys`); policy and fail leave nothing; CertDirectory
# still outranks a harvested certificate; hostile addresses stay inside
# HarvestDirectory; the output message is the same with harvesting on
# and off; a HarvestDirectory that cannot be written is logged and
# changes nothing else.  Certificates are made here with openssl; the
# signatures with tests/harvest_sign_driver (GnuTLS), which states the
# capabilities it is told to.
. "$(dirname "$0")/lib.sh"

DRIVER=$top_builddir/tests/harvest_sign_driver
[ -x "$DRIVER" ] || bail "harvest_sign_driver not built at $DRIVER"
tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
# The certificates below are made now and valid from now: the signature
# is made a minute later and judged two hours later (fixed dates here
# broke the test once the clock passed the signing time).
SIGNED=$(($(date -u +%s) + 60))
SIGNED_ISO=$(date -u -d "@$SIGNED" +%Y-%m-%dT%H:%M:%SZ)
AT=$(date -u -d "@$((SIGNED + 7200))" +%Y-%m-%dT%H:%M:%SZ)

# ca NAME: a self-signed CA
ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" \
		-out "$tmp/$1.pem" -subj "/CN=$1" -days 3650 \
		-addext "basicConstraints=critical,CA:true" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		>/dev/null 2>&1 || bail "openssl req $1"
}
# user STEM ADDRESS CA: an S/MIME certificate for ADDRESS issued by CA
# (quotes escaped, or the OpenSSL configuration syntax drops them)
user() {
	printf 'subjectAltName=email:%s\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n' \
		"$(printf '%s' "$2" | sed 's/"/\\"/g')" > "$tmp/$1.ext"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/$1.key" \
		-out "$tmp/$1.csr" -subj "/CN=$1" >/dev/null 2>&1 &&
	openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$3.pem" \
		-CAkey "$tmp/$3.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 3650 -extfile "$tmp/$1.ext" -out "$tmp/$1.pem" \
		>/dev/null 2>&1 || bail "certificate $1"
}
ca TestCA
ca StrangerCA
user alice alice@example.org TestCA
user carol carol@example.org TestCA
user carol2 carol@example.org TestCA
user dots '"../../x"@evil.example' TestCA
user slash 'a/b+c@evil.example' TestCA
user mallory mallory@example.org StrangerCA
mkdir "$tmp/certs" && cp "$tmp/carol.pem" "$tmp/certs/" || bail "CertDirectory"

# mail STEM FROM CAPS [TAMPER]: a multipart/signed message from FROM
# signed by STEM, stating CAPS; TAMPER changes the body after signing.
mail() {
	caps_signed_mail "$DRIVER" "$tmp/$1" "$2" "$3" "$SIGNED" "$tmp/$1.eml" "${4-}"
}
conf() { # conf NAME [LINE...]
	local name=$1; shift
	printf '%s\n' "AuthservID mx.test" "TrustAnchorFile $tmp/TestCA.pem" \
		"CertDirectory $tmp/certs" "Socket local:$tmp/s" "$@" > "$tmp/$name.conf"
	echo "$tmp/$name.conf"
}
H=$tmp/harvest
on=$(conf on "HarvestCertificates yes" "HarvestDirectory $H")
off=$(conf off "HarvestDirectory $H")
run() { # run CONF FILE OUT
	"$SMIME_TOOL" process -c "$1" --from x@example.net --rcpt bob@example.net \
		--at "$AT" -i "$2" -o "$3" 2> "$3.err"
	st=$?
	err=$(cat "$3.err")
}

mail alice alice@example.org 3des
run "$on" "$tmp/alice.eml" "$tmp/alice.on"
is "$st" 0 "a signed message is accepted with harvesting on"
case $err in *result=pass*) pass "alice's signature verifies (pass)" ;; *) fail "alice's signature verifies (pass)"; diag "$err" ;; esac
F=$H/alice@example.org.pem
[ -f "$F" ]
ok $? "a new correspondent's pass leaves HarvestDirectory/alice@example.org.pem" || diag "$(ls -la "$H" 2>&1)"
is "$(stat -c %a "$F" 2>/dev/null)" 644 "the harvest file has mode 0644"
is "$(stat -c %a "$H" 2>/dev/null)" 755 "HarvestDirectory was created with mode 0755"
is "$(openssl x509 -in "$F" -noout -subject 2>&1)" "subject=CN = alice" \
	"openssl x509 reads the harvested certificate"
grep -q "^Signing-Time: $SIGNED_ISO\$" "$F"
ok $? "the signingTime is kept as a Signing-Time line" || diag "$(cat "$F")"
grep -q '^-----BEGIN SMIME CAPABILITIES-----$' "$F"
ok $? "the capabilities are an SMIME CAPABILITIES block"
"$SMIME_TOOL" lookup -c "$on" --at "$AT" alice@example.org > "$tmp/lookup" 2>&1
is "$?" 0 "lookup finds the harvested certificate"
grep -q '^alice@example.org source=harvest subject="CN=alice" .* capabilities=des-ede3-cbc cipher=des-ede3-cbc$' "$tmp/lookup"
ok $? "lookup shows source=harvest, capabilities=des-ede3-cbc, cipher=des-ede3-cbc" || diag "$(cat "$tmp/lookup")"
"$SMIME_TOOL" lookup -c "$off" --at "$AT" alice@example.org > "$tmp/lookup" 2>&1
is "$(cat "$tmp/lookup")" "alice@example.org reason=no-certificate" \
	"with HarvestCertificates no, lookup does not read HarvestDirectory"
"$SMIME_TOOL" keys -c "$on" --at "$AT" > "$tmp/keys" 2>&1
grep -q "^harvest alice@example.org issuer=\"CN=TestCA\" serial=[0-9a-f]* expires=[0-9-]* key=RSA-2048 certificates=1 capabilities=des-ede3-cbc signing-time=$SIGNED_ISO\$" "$tmp/keys"
ok $? "keys lists the harvested entry with its capabilities" || diag "$(cat "$tmp/keys")"

run "$off" "$tmp/alice.eml" "$tmp/alice.off"
cmp -s "$tmp/alice.on" "$tmp/alice.off"
ok $? "the output message is byte-identical with harvesting on and off"
is "$(sed 's/ ms=[0-9]*//' "$tmp/alice.on.err")" "$(sed 's/ ms=[0-9]*//' "$tmp/alice.off.err")" \
	"and so is the log line"

# A later message whose SignedData lacks the certificate: the harvested
# one verifies it (SPEC 9), and without harvesting nothing does.
printf 'Content-Type: text/plain\r\n\r\nAgain.\r\n' >"$tmp/again.txt"
{
	printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: again\r\n'
	openssl cms -sign -nocerts -signer "$tmp/alice.pem" -inkey "$tmp/alice.key" \
		-in "$tmp/again.txt" -binary 2>/dev/null
} >"$tmp/nocerts.eml" || bail "openssl cms -sign -nocerts"
run "$on" "$tmp/nocerts.eml" "$tmp/nocerts.on"
case $err in *signer=alice@example.org\ result=pass*) pass "a signature without its certificate verifies with the harvested one" ;;
*) fail "a signature without its certificate verifies with the harvested one"; diag "$err" ;; esac
run "$off" "$tmp/nocerts.eml" "$tmp/nocerts.off"
case $err in *result=permerror\ reason=no-certificate*) pass "without harvesting it is permerror no-certificate" ;;
*) fail "without harvesting it is permerror no-certificate"; diag "$err" ;; esac

mail mallory mallory@example.org 3des
run "$on" "$tmp/mallory.eml" "$tmp/mallory.out"
case $err in *result=policy*) pass "an unknown CA's signature is policy" ;; *) fail "an unknown CA's signature is policy"; diag "$err" ;; esac
[ ! -e "$H/mallory@example.org.pem" ]
ok $? "a policy result harvests nothing"

mail alice alice@example.org 3des tamper
rm -f "$F"
run "$on" "$tmp/alice.eml" "$tmp/tampered.out"
case $err in *result=fail*) pass "a changed body is fail" ;; *) fail "a changed body is fail"; diag "$err" ;; esac
[ ! -e "$F" ]
ok $? "a fail result harvests nothing"

mail carol2 carol@example.org 3des
run "$on" "$tmp/carol2.eml" "$tmp/carol2.out"
[ -f "$H/carol@example.org.pem" ]
ok $? "a CertDirectory address's signer is harvested too"
"$SMIME_TOOL" lookup -c "$on" --at "$AT" carol@example.org > "$tmp/lookup" 2>&1
grep -q '^carol@example.org source=certdir subject="CN=carol" .* capabilities=des-ede3-cbc ' "$tmp/lookup"
ok $? "CertDirectory's certificate still wins, with the harvested capabilities" || diag "$(cat "$tmp/lookup")"

mail dots '"../../x"@evil.example' none
run "$on" "$tmp/dots.eml" "$tmp/dots.out"
case $err in *result=pass*) pass "the \"../../x\" signer passes" ;; *) fail "the \"../../x\" signer passes"; diag "$err" ;; esac
mail slash 'a/b+c@evil.example' none
run "$on" "$tmp/slash.eml" "$tmp/slash.out"
case $err in *result=pass*) pass "the a/b+c signer passes" ;; *) fail "the a/b+c signer passes"; diag "$err" ;; esac
is "$(cd "$tmp" && find . -path '*evil.example.pem' | sort | tr '\n' ' ')" \
	"./harvest/%22..%2F..%2Fx%22@evil.example.pem ./harvest/a%2Fb+c@evil.example.pem " \
	"hostile addresses are harvested inside HarvestDirectory, escaped"
is "$(find "$tmp" -name 'x*' -newer "$tmp/dots.p7s" | wc -l)" 0 "nothing named x was written anywhere"

: > "$tmp/afile"
bad=$(conf bad "HarvestCertificates yes" "HarvestDirectory $tmp/afile/harvest")
mail alice alice@example.org 3des
run "$bad" "$tmp/alice.eml" "$tmp/alice.bad"
is "$st" 0 "an unwritable HarvestDirectory: the message is still accepted"
case $err in *"harvest: alice@example.org not harvested: $tmp/afile/harvest: cannot create"*) pass "the failed harvest is logged" ;; *) fail "the failed harvest is logged"; diag "$err" ;; esac
cmp -s "$tmp/alice.bad" "$tmp/alice.off"
ok $? "and the output message is byte-identical"
is "$(grep -v ' harvest: ' "$tmp/alice.bad.err" | sed 's/ ms=[0-9]*//')" "$(sed 's/ ms=[0-9]*//' "$tmp/alice.off.err")" \
	"and so is the log line"

printf 'CertDirectory %s\nHarvestCertificates yes\nHarvestDirectory %s/\nSocket local:%s/s\n' \
	"$tmp/certs" "$tmp/certs" "$tmp" > "$tmp/same.conf"
"$SMIME_TOOL" lookup -c "$tmp/same.conf" x@example.org > /dev/null 2> "$tmp/same.err"
is "$?" 2 "HarvestDirectory = CertDirectory is a load error"
grep -q "^$tmp/same.conf:3: HarvestDirectory: must not be CertDirectory$" "$tmp/same.err"
ok $? "naming the file and line" || diag "$(cat "$tmp/same.err")"
printf 'WeakCiphers aes-128-cbc\nDefaultCipher aes-128-cbc\nSocket local:%s/s\n' "$tmp" > "$tmp/dc.conf"
"$SMIME_TOOL" lookup -c "$tmp/dc.conf" x@example.org > /dev/null 2> "$tmp/dc.err"
grep -q "^$tmp/dc.conf:2: DefaultCipher: must not be in WeakCiphers$" "$tmp/dc.err"
ok $? "DefaultCipher in WeakCiphers is a load error naming file:line" || diag "$(cat "$tmp/dc.err")"
printf 'DefaultCipher rc2-40-cbc\nSocket local:%s/s\n' "$tmp" > "$tmp/dc.conf"
"$SMIME_TOOL" lookup -c "$tmp/dc.conf" x@example.org > /dev/null 2> "$tmp/dc.err"
grep -q "^$tmp/dc.conf:1: DefaultCipher: expected one of aes-256-gcm" "$tmp/dc.err"
ok $? "a DefaultCipher outside the auto list is a load error" || diag "$(cat "$tmp/dc.err")"
printf 'CertDirectory %s\nDefaultCipher aes-128-gcm\nSocket local:%s/s\nTrustAnchorFile %s\n' \
	"$tmp/certs" "$tmp" "$tmp/TestCA.pem" > "$tmp/dc.conf"
"$SMIME_TOOL" lookup -c "$tmp/dc.conf" --at "$AT" carol@example.org > "$tmp/lookup" 2>&1
grep -q ' capabilities=unknown cipher=aes-128-gcm$' "$tmp/lookup"
ok $? "DefaultCipher is what auto assumes for unknown capabilities" || diag "$(cat "$tmp/lookup")"

done_testing
