# generated_cms.sh - smime-tool inspect classifies what OpenSSL makes today.
#
# Makes a fresh CA, a recipient and a signer with openssl in a temp dir,
# encrypts a small message (-outform SMIME) with every cipher of SPEC
# section 6 (GCM ones as AuthEnvelopedData), signs it detached and opaque,
# and checks `smime-tool inspect --json` on each: kind, cipher, effective
# bits, strength, recipient and signer.  File names are random, so nothing
# can key on them.
. "$(dirname "$0")/lib.sh"

[ -x "$SMIME_TOOL" ] || bail "smime-tool not built at $SMIME_TOOL"
command -v openssl >/dev/null 2>&1 || bail "openssl not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || bail "$PY not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/generated_cms.XXXXXX") || bail "mktemp failed"
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT INT TERM
LEGACY="-provider legacy -provider default"

rnd() { # a random file name in the temp dir
	printf '%s/%s' "$tmp" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}

# --- a CA, a recipient (RSA, key transport) and a signer --------------
ca=$(rnd) rcpt=$(rnd) signer=$(rnd) ext=$(rnd)
cat > "$ext" <<'EOF'
[rcpt]
subjectAltName = email:rcpt@example.org
keyUsage = keyEncipherment
[signer]
subjectAltName = email:signer@example.org
keyUsage = digitalSignature
extendedKeyUsage = emailProtection
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -out "$ca.pem" \
	-days 2 -subj "/O=Generated Test/CN=Generated CA" \
	-addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1 ||
	bail "openssl cannot make a CA"
mkcert() { # mkcert FILE SERIAL CN SECTION
	openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" \
		-subj "/O=Generated Test/CN=$3" >/dev/null 2>&1 &&
	openssl x509 -req -in "$1.csr" -CA "$ca.pem" -CAkey "$ca.key" \
		-set_serial "$2" -days 2 -extfile "$ext" -extensions "$4" \
		-out "$1.pem" >/dev/null 2>&1
}
mkcert "$rcpt" 0x7a01 Recipient rcpt || bail "openssl cannot make a certificate"
mkcert "$signer" 0x5e02 Signer signer || bail "openssl cannot make a certificate"
ISSUER="CN=Generated CA,O=Generated Test"

msg=$(rnd)
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nGenerated at test time.\r\n' > "$msg"
HDRS="-from signer@example.org -to rcpt@example.org -subject generated"

# inspect FILE: runs smime-tool inspect --json into FILE.json, and
# flattens the JSON into FILE.flat lines "path=value" ("layers.0.cipher=
# rc2-40-cbc", "layers.#=1" for a list's length, null/true/false as such);
# FILE.flat says "json=invalid" when the output is not JSON.
inspect() {
	"$SMIME_TOOL" inspect --json "$1" > "$1.json" 2> "$1.err"
	st=$?
	"$PY" - "$1.json" > "$1.flat" <<'EOF'
import json, sys
def walk(v, path):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, path + [k])
    elif isinstance(v, list):
        print("%s=%d" % (".".join(path + ["#"]), len(v)))
        for i, x in enumerate(v):
            walk(x, path + [str(i)])
    elif v is None or isinstance(v, bool):
        print("%s=%s" % (".".join(path), json.dumps(v)))
    else:
        print("%s=%s" % (".".join(path), v))
try:
    walk(json.load(open(sys.argv[1])), [])
except Exception:
    print("json=invalid")
EOF
	return $st
}

# jv FILE PATH: the value at PATH in FILE.flat, "<absent>" when none.
jv() {
	awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); found = 1; exit }
		END { if (!found) print "<absent>" }' "$1.flat"
}

# --- every cipher of SPEC section 6 ---------------------------------
# SPEC name, openssl option, kind, effective bits, default strength
while read -r name opt kind bits strength; do
	f=$(rnd)
	# shellcheck disable=SC2086
	if ! openssl cms -encrypt $LEGACY $HDRS -in "$msg" -outform SMIME \
		-out "$f" "$opt" "$rcpt.pem" 2> "$f.openssl"; then
		fail "openssl cms -encrypt $opt"
		diag "$(cat "$f.openssl")"
		continue
	fi
	inspect "$f"
	is "$?" 0 "$name: inspect exits 0"
	is "$(jv "$f" kind)" "$kind" "$name: message kind"
	is "$(jv "$f" "layers.#")" 1 "$name: one layer"
	is "$(jv "$f" layers.0.kind)" "$kind" "$name: layer kind"
	is "$(jv "$f" layers.0.part)" TEXT "$name: layer part"
	is "$(jv "$f" layers.0.cipher)" "$name" "$name: cipher"
	is "$(jv "$f" layers.0.effective_bits)" "$bits" "$name: effective bits"
	is "$(jv "$f" layers.0.strength)" "$strength" "$name: strength"
	is "$(jv "$f" layers.0.error)" null "$name: no error"
	is "$(jv "$f" "layers.0.recipients.#")" 1 "$name: one recipient"
	is "$(jv "$f" layers.0.recipients.0.type)" ktri "$name: recipient type"
	is "$(jv "$f" layers.0.recipients.0.id)" issuerAndSerialNumber "$name: recipient id"
	is "$(jv "$f" layers.0.recipients.0.issuer)" "$ISSUER" "$name: recipient issuer"
	is "$(jv "$f" layers.0.recipients.0.serial)" 7a01 "$name: recipient serial"
	is "$(jv "$f" layers.0.recipients.0.key_alg)" rsaEncryption "$name: key transport"
done <<'EOF'
rc2-40-cbc -rc2-40 enveloped 40 weak
rc2-64-cbc -rc2-64 enveloped 64 weak
rc2-128-cbc -rc2-128 enveloped 128 weak
des-cbc -des enveloped 64 weak
des-ede3-cbc -des3 enveloped 192 legacy
aes-128-cbc -aes128 enveloped 128 strong
aes-192-cbc -aes192 enveloped 192 strong
aes-256-cbc -aes256 enveloped 256 strong
aes-128-gcm -aes-128-gcm authEnveloped 128 strong
aes-192-gcm -aes-192-gcm authEnveloped 192 strong
aes-256-gcm -aes-256-gcm authEnveloped 256 strong
EOF

# --- a recipient named by subjectKeyIdentifier -------------------------
f=$(rnd)
ski=$(openssl x509 -in "$rcpt.pem" -noout -ext subjectKeyIdentifier 2>/dev/null |
	sed -n '2s/[ :]//gp' | tr 'A-F' 'a-f')
ok "$([ -n "$ski" ]; echo $?)" "keyid: openssl shows the recipient's SKI"
# shellcheck disable=SC2086
if openssl cms -encrypt $HDRS -in "$msg" -outform SMIME -out "$f" -aes256 \
	-keyid "$rcpt.pem" 2>/dev/null; then
	inspect "$f"
	is "$(jv "$f" layers.0.recipients.0.id)" subjectKeyIdentifier \
		"keyid: recipient by subjectKeyIdentifier"
	is "$(jv "$f" layers.0.recipients.0.ski)" "$ski" \
		"keyid: the recipient's SKI"
else
	fail "openssl cms -encrypt -keyid"
fi

# --- signatures: detached (multipart/signed) and opaque -------------------
for mode in detached opaque; do
	f=$(rnd)
	opts=""
	[ "$mode" = opaque ] && opts="-nodetach"
	# shellcheck disable=SC2086
	if ! openssl cms -sign $HDRS $opts -in "$msg" -outform SMIME -out "$f" \
		-signer "$signer.pem" -inkey "$signer.key" -md sha256 2> "$f.openssl"; then
		fail "openssl cms -sign ($mode)"
		diag "$(cat "$f.openssl")"
		continue
	fi
	if [ "$mode" = opaque ]; then kind=opaque-signed part=TEXT; else kind=signed part=1; fi
	inspect "$f"
	is "$?" 0 "$mode: inspect exits 0"
	is "$(jv "$f" kind)" "$kind" "$mode: message kind"
	is "$(jv "$f" layers.0.kind)" "$kind" "$mode: layer kind"
	is "$(jv "$f" layers.0.part)" "$part" "$mode: layer part"
	is "$(jv "$f" layers.0.certificates)" 1 "$mode: one certificate"
	is "$(jv "$f" "layers.0.signers.#")" 1 "$mode: one signer"
	is "$(jv "$f" layers.0.signers.0.address)" signer@example.org "$mode: signer address"
	is "$(jv "$f" layers.0.signers.0.issuer)" "$ISSUER" "$mode: signer issuer"
	is "$(jv "$f" layers.0.signers.0.serial)" 5e02 "$mode: signer serial"
	is "$(jv "$f" layers.0.signers.0.digest)" sha256 "$mode: digest"
	is "$(jv "$f" layers.0.signers.0.sig_alg)" rsaEncryption "$mode: signature algorithm"
done

# --- kinds: certs-only, and opaque-signed whatever it holds (issue 13) ----
# p7m FILE SMIME-TYPE DER: a message whose body is that pkcs7-mime entity
p7m() {
	{ printf 'From: signer@example.org\r\nTo: rcpt@example.org\r\n'
	  printf 'Subject: generated\r\nMIME-Version: 1.0\r\n'
	  printf 'Content-Type: application/pkcs7-mime; smime-type=%s; name=smime.p7m\r\n' "$2"
	  printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	  base64 -w 76 "$3" | sed 's/$/\r/'; } > "$1"
}
der=$(rnd)
if openssl crl2pkcs7 -nocrl -certfile "$signer.pem" -outform DER -out "$der" 2>/dev/null; then
	f=$(rnd)
	p7m "$f" certs-only "$der"
	inspect "$f"
	is "$?" 0 "certs-only: inspect exits 0"
	is "$(jv "$f" kind)" certs-only "certs-only: message kind"
	is "$(jv "$f" layers.0.kind)" certs-only "certs-only: layer kind"
	is "$(jv "$f" layers.0.certificates)" 1 "certs-only: one certificate"
	is "$(jv "$f" "layers.0.signers.#")" 0 "certs-only: no signer"
	"$SMIME_TOOL" inspect "$f" > "$f.txt" 2>&1
	is "$(sed -n 2p "$f.txt")" "layer 0 part=TEXT kind=certs-only" \
		"certs-only: the text form names the kind"
	"$SMIME_TOOL" inspect --json --trust "$ca.pem" "$f" > "$f.json" 2>&1
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1]))
sys.exit("authentication_results" in d or "verdict" in d["layers"][0])' "$f.json"
	ok $? "certs-only: no signature, so no verdict and no Authentication-Results"
	f=$(rnd)
	p7m "$f" signed-data "$der"
	inspect "$f"
	is "$(jv "$f" kind)" certs-only "certs-only: also when announced as signed-data"
else
	fail "openssl crl2pkcs7 makes a certs-only SignedData"
fi
if openssl cms -sign -binary -in "$msg" -outform DER -out "$der" \
	-signer "$signer.pem" -inkey "$signer.key" 2>/dev/null; then
	f=$(rnd)
	p7m "$f" signed-data "$der"
	inspect "$f"
	is "$(jv "$f" kind)" opaque-signed "signed-data without eContent: opaque-signed"
	"$SMIME_TOOL" inspect "$f" > "$f.txt" 2>&1
	is "$(sed -n 1p "$f.txt")" "$f: kind=opaque-signed" \
		"signed-data without eContent: the text form says opaque-signed"
else
	fail "openssl cms -sign (DER, detached)"
fi

# --- inspect --content: does a detached signature match? (SPEC 3) -----------
# A detached SignedData (DER and PEM) over $msg: ok; over changed content:
# bad; made with MD2 or under an unknown signature OID: unsupported.  No
# trust judgement without --trust, both with it.
sigder=$(rnd) sigpem=$(rnd) other=$(rnd)
openssl cms -sign -in "$msg" -outform DER -out "$sigder" \
	-signer "$signer.pem" -inkey "$signer.key" 2>/dev/null &&
openssl cms -sign -in "$msg" -outform PEM -out "$sigpem" \
	-signer "$signer.pem" -inkey "$signer.key" 2>/dev/null ||
	fail "openssl cms -sign (detached, DER and PEM)"
sed 's/Generated/Changed/' "$msg" > "$other"
# signature_word CONTENT SIG [OPTION...]: the signature= of the text form
signature_word() {
	local content=$1 sig=$2; shift 2
	"$SMIME_TOOL" inspect "$@" --content "$content" "$sig" 2> /dev/null |
		sed -n 's/^  signer .* signature=\([a-z]*\).*/\1/p'
}
is "$(signature_word "$msg" "$sigder")" ok "--content: a DER detached signature over the content: ok"
is "$(signature_word "$msg" "$sigpem")" ok "--content: a PEM one: ok"
is "$(signature_word "$other" "$sigder")" bad "--content: over changed content: bad"
"$SMIME_TOOL" inspect --content "$msg" "$sigder" > "$sigder.txt" 2>&1
is "$?" 0 "--content: inspect exits 0"
grep -q ' result=' "$sigder.txt"
ok "$((1 - $?))" "--content without --trust: no trust judgement"
is "$(signature_word "$msg" "$sigder" --trust "$ca.pem")" ok "--content --trust: the signature still ok"
"$SMIME_TOOL" inspect --content "$msg" --trust "$ca.pem" "$sigder" 2>&1 |
	grep -q '^  signer .* signature=ok result=policy reason=address-mismatch$'
ok $? "--content --trust: the verdict over the content too (no From to match)"
"$SMIME_TOOL" inspect --json --content "$other" "$sigder" > "$sigder.json" 2>&1
"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))["layers"][0]["signers"][0]
sys.exit(s.get("signature") != "bad" or "result" in s)' "$sigder.json"
ok $? "--content --json: \"signature\":\"bad\", no result"
# made here: MD2 (tests/md2.py), and an unknown signatureAlgorithm
gen() { # gen md2|oid: bad_input_gen.py's signature over $msg by $signer, DER
	"$PY" -c '
import sys
sys.path.insert(0, sys.argv[1])
import bad_input_gen as g
g.OUT = sys.argv[2]
content = open(sys.argv[4], "rb").read()
if sys.argv[5] == "md2":
    der = g.md2_signed(content, who=sys.argv[3])
else:
    der = g.relabel(g.sign(content, who=sys.argv[3]),
                    sigalg="1.3.6.1.4.1.55555.3.1")
sys.stdout.buffer.write(der)' "$top_srcdir/tests" "$tmp" "$(basename "$signer")" "$msg" "$1"
}
md2sig=$(rnd) oidsig=$(rnd)
gen md2 > "$md2sig" || fail "an MD2 signature made with tests/md2.py"
gen oid > "$oidsig" || fail "a signature under an unknown OID"
is "$(signature_word "$msg" "$md2sig")" unsupported "--content: an MD2 signature: unsupported"
is "$(signature_word "$msg" "$oidsig")" unsupported "--content: an unknown signature algorithm: unsupported"
"$SMIME_TOOL" inspect --content "$tmp/nonexistent" "$sigder" > /dev/null 2>&1
is "$?" 2 "--content: an unreadable content file is exit 2"

# --- plain mail is not S/MIME -------------------------------------------
f=$(rnd)
printf 'From: a@example.org\r\nTo: b@example.org\r\nSubject: plain\r\n\r\nNo S/MIME here.\r\n' > "$f"
inspect "$f"
is "$?" 0 "plain: inspect exits 0"
is "$(jv "$f" kind)" none "plain: kind none"
is "$(jv "$f" "layers.#")" 0 "plain: no layers"

done_testing
