#!/bin/sh
# sign_process.sh - the `sign` action through `smime-tool process`, the
# milter's own message path (TAP): who may get a signature (SPEC section
# 8, no signing oracle), what is never signed, and what the log says.
#
# The key store holds alice and bob of tests/data/cms (RSA-2048, SAN
# address, emailProtection, issued by ca.pem).  Every refusal must leave
# the message byte for byte as it came, with sign=kept and a sign-reason.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

DATA=$top_srcdir/tests/data/cms
[ -x "$SMIME_TOOL" ] || bail "no $SMIME_TOOL"
command -v openssl >/dev/null || bail "openssl not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sign_process.XXXXXX")
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/ks"
for u in alice bob; do
	cp "$DATA/$u.pem" "$tmp/ks/$u.crt"
	cp "$DATA/$u.key" "$tmp/ks/$u.key"
	chmod 600 "$tmp/ks/$u.key"
done
# bob's certificate of tests/data/cms is for encryption only (keyUsage
# keyEncipherment): he gets a signing certificate beside it, and the
# signer must pass over the other one.
cat > "$tmp/sign.ext" <<'EOF'
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:bob@example.org
EOF
(
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$tmp/ks/bobsign.key" -out "$tmp/bobsign.csr" \
		-subj "/O=smime-milter tests/CN=Bob signing" &&
	openssl x509 -req -in "$tmp/bobsign.csr" -CA "$DATA/ca.pem" -CAkey "$DATA/ca.key" \
		-set_serial 0x5005 -days 365 -extfile "$tmp/sign.ext" -out "$tmp/ks/bobsign.crt"
) >/dev/null 2>&1 || bail "bob's signing certificate"
chmod 600 "$tmp/ks/bobsign.key"
printf 'when from *@example.org then sign\n' > "$tmp/sign.rules"
printf 'when outbound then sign bobsign\n' > "$tmp/signbob.rules"
printf 'when outbound then sign bob\n' > "$tmp/signbobenc.rules"
printf 'alice alice@example.org\nops *@example.org\n' > "$tmp/logins.map"

# conf NAME [LINES...]: a configuration with the key store and the rules
conf() {
	n=$1
	shift
	{
		printf 'KeyStore %s\nRules %s\n' "$tmp/ks" "$tmp/sign.rules"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$tmp/$n.conf"
}
msg() { # msg NAME FROM [EXTRA-HEADER]: a plain text message
	{
		[ -n "$3" ] && printf '%s\r\n' "$3"
		printf 'From: %s\r\nTo: x@example.net\r\nSubject: hi\r\n' "$2"
		printf 'Content-Type: text/plain\r\n\r\nhello\r\n'
	} > "$tmp/$1.eml"
}
# run CONF IN [ARGS...]: sets st, err (the log line) and out
run() {
	c=$1 in=$2
	shift 2
	"$SMIME_TOOL" process -c "$tmp/$c.conf" --from a@example.org \
		--rcpt x@example.net "$@" -i "$tmp/$in.eml" -o "$tmp/out.eml" 2> "$tmp/err"
	st=$?
	err=$(cat "$tmp/err")
}
signed_by() { # signed_by ADDRESS NAME: verifies and names the signer
	openssl cms -verify -in "$tmp/out.eml" -CAfile "$DATA/ca.pem" -purpose smimesign \
		-signer "$tmp/signer.pem" -out /dev/null >/dev/null 2>&1 &&
		openssl x509 -in "$tmp/signer.pem" -noout -ext subjectAltName | grep -q "email:$1$"
	ok $? "$2"
}
unchanged() { # unchanged IN REASON NAME
	cmp -s "$tmp/$1.eml" "$tmp/out.eml"
	ok $? "$3: message unchanged"
	case $err in *" sign=kept sign-reason=$2 "*) r=0 ;; *) r=1 ;; esac
	ok $r "$3: logged sign=kept sign-reason=$2" || diag "$err"
}

msg alice 'Alice <alice@example.org>'
msg bob 'bob@example.org'
msg carol 'carol@example.org'
msg two 'alice@example.org, bob@example.org'
msg dkim 'alice@example.org' 'DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s; bh=AA; b=BB'

# --- without a SenderLoginMap: a login signs only its own address ----------
conf plain
run plain alice --auth-user alice@example.org --client-ip 198.51.100.7
is "$st" 0 "login alice, From alice: accepted"
case $err in *" sign=signed "*) r=0 ;; *) r=1 ;; esac
ok $r "login alice, From alice: logged sign=signed" || diag "$err"
signed_by alice@example.org "login alice, From alice: signed by alice, verifies with -purpose smimesign"
cp "$tmp/out.eml" "$tmp/signed.eml"
run plain bob --auth-user alice@example.org --client-ip 198.51.100.7
unchanged bob not-authorized "login alice, From bob (no map)"
run plain bob --auth-user Bob@Example.org --client-ip 198.51.100.7
signed_by bob@example.org "login Bob@Example.org, From bob@example.org: case does not matter"
run plain alice --auth-user alice --client-ip 198.51.100.7
unchanged alice not-authorized "login 'alice' is not the address alice@example.org (no map)"
run plain two --auth-user alice@example.org --client-ip 198.51.100.7
unchanged two no-single-from "From with two mailboxes"

# --- with a SenderLoginMap -------------------------------------------------
conf map "SenderLoginMap $tmp/logins.map"
run map alice --auth-user alice --client-ip 198.51.100.7
signed_by alice@example.org "map: login alice may use alice@example.org"
run map bob --auth-user alice --client-ip 198.51.100.7
unchanged bob not-authorized "map: login alice, From bob"
run map bob --auth-user alice@example.org --client-ip 198.51.100.7
unchanged bob not-authorized "map: login alice@example.org (not in the map), From bob"
run map alice --auth-user bob@example.org --client-ip 198.51.100.7
unchanged alice not-authorized "map: login bob@example.org is not in the map, From alice"
run map bob --auth-user bob@example.org --client-ip 198.51.100.7
unchanged bob not-authorized "map: with a map the login's own address is not implied"
run map bob --auth-user ops --client-ip 198.51.100.7
signed_by bob@example.org "map: login ops may use *@example.org (bob)"
run map carol --auth-user ops --client-ip 198.51.100.7
unchanged carol no-key "map: login ops, From carol who has no key"

# --- a rule that names a key cannot lend it to another address ------------
conf named "SenderLoginMap $tmp/logins.map"
sed -i "s|$tmp/sign.rules|$tmp/signbob.rules|" "$tmp/named.conf"
run named alice --auth-user alice --client-ip 198.51.100.7
unchanged alice address-mismatch "rule 'sign bob', login alice, From alice"
run named bob --auth-user ops --client-ip 198.51.100.7
signed_by bob@example.org "rule 'sign bobsign', login ops, From bob: bob's key"
sed -i "s|$tmp/signbob.rules|$tmp/signbobenc.rules|" "$tmp/named.conf"
run named bob --auth-user ops --client-ip 198.51.100.7
unchanged bob key-usage "rule 'sign bob' names an encryption-only certificate"

# --- unauthenticated clients ------------------------------------------------
run plain alice --client-ip 127.0.0.1
unchanged alice not-authenticated "internal client, no SignUnauthenticated"
conf unauth "SignUnauthenticated yes"
run unauth alice --client-ip 127.0.0.1
signed_by alice@example.org "internal client with SignUnauthenticated yes: signed"
run unauth alice
unchanged alice inbound "inbound (192.0.2.1) with SignUnauthenticated yes"
run plain alice
unchanged alice inbound "inbound without authentication"

# --- what is never signed ---------------------------------------------------
# Signed and encrypted mail gets its own findings (A-R, X-SMIME-Encryption),
# so only the body is compared.
same_body() { # same_body IN NAME
	sed '1,/^\r*$/d' "$tmp/$1.eml" > "$tmp/b1"
	sed '1,/^\r*$/d' "$tmp/out.eml" > "$tmp/b2"
	cmp -s "$tmp/b1" "$tmp/b2"
	ok $? "$2: body unchanged"
}
cp "$tmp/signed.eml" "$tmp/again.eml"
conf trusted "TrustAnchorFile $DATA/ca.pem"
run trusted again --auth-user alice@example.org --client-ip 198.51.100.7
same_body again "an already signed message"
# (sign-reason beside the verification's result and reason, SPEC section 7)
case $err in *" kind=signed sign=kept sign-reason=already-signed "*" result="*) r=0 ;; *) r=1 ;; esac
ok $r "an already signed message: logged sign=kept sign-reason=already-signed, then the result" || diag "$err"
openssl cms -encrypt -aes256 -in "$tmp/alice.eml" -out "$tmp/enc.eml" "$DATA/bob.pem" 2>/dev/null ||
	bail "openssl cms -encrypt"
{ printf 'From: alice@example.org\r\n'; cat "$tmp/enc.eml"; } > "$tmp/encf.eml"
run plain encf --auth-user alice@example.org --client-ip 198.51.100.7
same_body encf "an encrypted message"
case $err in *" sign=kept sign-reason=already-encrypted "*) r=0 ;; *) r=1 ;; esac
ok $r "an encrypted message: logged sign=kept sign-reason=already-encrypted" || diag "$err"
run plain dkim --auth-user alice@example.org --client-ip 198.51.100.7
case $err in *" sign=signed sign-reason=dkim-signature-broken "*) r=0 ;; *) r=1 ;; esac
ok $r "signing over a DKIM-Signature says so in the log" || diag "$err"
signed_by alice@example.org "and the message is signed all the same"

# --- SignDigest and SignRSAPadding -----------------------------------------
conf dig "SignDigest sha384" "SignRSAPadding pss"
run dig alice --auth-user alice@example.org --client-ip 198.51.100.7
grep -q "micalg=sha-384" "$tmp/out.eml"
ok $? "SignDigest sha384 gives micalg=sha-384"
signed_by alice@example.org "SignRSAPadding pss verifies"
openssl smime -pk7out -in "$tmp/out.eml" 2>/dev/null | openssl cms -cmsout -print -inform PEM > "$tmp/p" 2>&1
grep -q "rsassaPss" "$tmp/p"
ok $? "SignRSAPadding pss writes an RSASSA-PSS SignerInfo"

# --- a key store without the sender's key at all ---------------------------
printf 'Rules %s\n' "$tmp/sign.rules" > "$tmp/nokeys.conf"
run nokeys alice --auth-user alice@example.org --client-ip 198.51.100.7
unchanged alice no-key "no KeyStore configured"
done_testing
