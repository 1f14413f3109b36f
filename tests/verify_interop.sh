# verify_interop.sh - signatures made by independent implementations
# (OpenSSL `cms -sign`, NSS `cmsutil -S`, GnuPG `gpgsm`) over a throwaway
# PKI made here, judged by our verifier through `smime-tool inspect --json
# --trust`: each verifies as pass, and the variants give the SPEC section 7
# results (changed body, wrong From, revoked, unknown CA, expired, no
# emailProtection, MD5, RSA-1024, stale CRL, two signers with one bad).
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'gpgconf --homedir "$tmp/gnupg" --kill all >/dev/null 2>&1; evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
P=$tmp/pki
mkdir -p "$P"
cd "$tmp" || bail "no temp dir"
command -v /usr/bin/python3 >/dev/null || bail "/usr/bin/python3 is needed"

# --- the PKI ------------------------------------------------------------
# Root -> Intermediate -> end entities, an `openssl ca` database for the
# intermediate (so it can revoke, back-date and write CRLs), and a second,
# unrelated root for the unknown-CA case.
cat > "$P/ca.cnf" <<EOF
[ca]
default_ca = inter
[inter]
dir = $P
database = $P/index.txt
serial = $P/serial
crlnumber = $P/crlnumber
new_certs_dir = $P/new
certificate = $P/inter.pem
private_key = $P/inter.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
emailAddress = optional
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[smime]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:\${ENV::ADDR}
[tls]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:\${ENV::ADDR}
EOF
mkdir -p "$P/new"
: > "$P/index.txt"
echo 1000 > "$P/serial"
echo 01 > "$P/crlnumber"
export ADDR=nobody@example.org

quiet() { "$@" >> "$tmp/pki.log" 2>&1; }

quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/root.key" -out "$P/root.pem" \
	-subj "/O=Interop Test/CN=Interop Root CA" -days 3650 \
	-config "$P/ca.cnf" -extensions v3_ca || bail "root CA"
quiet openssl req -newkey rsa:2048 -nodes -keyout "$P/inter.key" -out "$P/inter.csr" \
	-subj "/O=Interop Test/CN=Interop Intermediate CA" || bail "intermediate key"
quiet openssl x509 -req -in "$P/inter.csr" -CA "$P/root.pem" -CAkey "$P/root.key" \
	-set_serial 2 -days 3650 -out "$P/inter.pem" -extfile "$P/ca.cnf" -extensions v3_ca \
	|| bail "intermediate CA"
quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/other.key" -out "$P/other.pem" \
	-subj "/O=Elsewhere/CN=Unknown Root CA" -days 3650 \
	-config "$P/ca.cnf" -extensions v3_ca || bail "unknown CA"

# issue NAME ADDR EXT [BITS] [CA-ARGS...]: an end entity of the intermediate
issue() {
	local name=$1 addr=$2 ext=$3 bits=${4:-2048}
	shift 4 2>/dev/null || shift $#
	ADDR=$addr quiet openssl req -newkey rsa:$bits -nodes -keyout "$P/$name.key" \
		-out "$P/$name.csr" -subj "/CN=$name" || bail "key $name"
	ADDR=$addr quiet openssl ca -batch -config "$P/ca.cnf" -extensions "$ext" \
		-in "$P/$name.csr" -out "$P/$name.pem" -notext "$@" || bail "certificate $name"
}
issue alice alice@example.org smime
issue bob bob@example.org smime
issue carol carol@example.org smime 2048 -startdate 20200101000000Z -enddate 20210101000000Z
issue dave dave@example.org tls
issue frank frank@example.org smime 1024
# eve: the unknown CA's signer
ADDR=eve@example.org quiet openssl req -newkey rsa:2048 -nodes -keyout "$P/eve.key" \
	-out "$P/eve.csr" -subj "/CN=eve" || bail "key eve"
ADDR=eve@example.org quiet openssl x509 -req -in "$P/eve.csr" -CA "$P/other.pem" \
	-CAkey "$P/other.key" -set_serial 7 -days 365 -out "$P/eve.pem" \
	-extfile "$P/ca.cnf" -extensions smime || bail "certificate eve"

quiet openssl ca -batch -config "$P/ca.cnf" -revoke "$P/bob.pem" -crl_reason keyCompromise \
	|| bail "revoke bob"
quiet openssl ca -batch -config "$P/ca.cnf" -gencrl -out "$P/crl.pem" || bail "CRL"
quiet openssl ca -batch -config "$P/ca.cnf" -gencrl -crlhours 1 -out "$P/short-crl.pem" \
	|| bail "short CRL"
pass "a throwaway PKI with root, intermediate, CRL and an unknown CA was made"

# --- judging ------------------------------------------------------------
# verdict FILE [INSPECT-ARGS...]: "RESULT[/REASON]" per signer, outermost
# layer first, space-separated, as smime-tool inspect --trust reports;
# with KEYED=1 each prefixed by the signer's identifier, sorted.  The
# inspect arguments default to our root and the intermediate's CRL.
verdict() {
	local f=$1; shift
	[ $# -gt 0 ] || set -- --trust "$P/root.pem" --crl "$P/crl.pem"
	"$SMIME_TOOL" inspect --json "$@" "$f" \
		> "$tmp/inspect${J-}.json" 2> "$tmp/inspect${J-}.err" || { echo "exit $?"; return; }
	KEYED=${KEYED:-} /usr/bin/python3 - "$tmp/inspect${J-}.json" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
keyed = os.environ["KEYED"]
out = []
for layer in d["layers"]:
    for s in layer.get("signers", []):
        if "result" in s:
            v = s["result"] + ("/" + s["reason"] if s["reason"] else "")
            out.append("%s=%s" % (s["identifier"], v) if keyed else v)
    if "verdict" in layer:
        v = layer["verdict"]
        out.append(v["result"] + ("/" + v["reason"] if v["reason"] else ""))
print(" ".join(sorted(out) if keyed else out) or "none")
EOF
}

# expect FILE WANT NAME... [-- INSPECT-ARGS...]
expect() {
	local f=$1 want=$2; shift 2
	local name=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do name+=("$1"); shift; done
	[ "${1:-}" = "--" ] && shift
	is "$(verdict "$f" "$@")" "$want" "${name[*]}"
}

# authres_ok: the Authentication-Results value of the last inspect parses
# with python3-authres and carries the same results, in order.
authres_ok() {
	/usr/bin/python3 - "$tmp/inspect${J-}.json" <<'EOF'
import json, sys
import authres
d = json.load(open(sys.argv[1]))
v = d.get("authentication_results")
h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + v)
got = [(r.method, r.result) for r in h.results]
want = [("smime", s["result"]) for l in d["layers"] for s in l.get("signers", []) if "result" in s]
sys.exit(0 if got == want else 1)
EOF
}

# wrap_detached DER OUT FROM: a multipart/signed message around entity.txt
wrap_detached() {
	{
		printf 'From: %s\r\nTo: rcpt@example.net\r\nSubject: interop\r\nMIME-Version: 1.0\r\n' "$3"
		printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b1"\r\n\r\n'
		printf -- '--b1\r\n'
		cat "${ENTITY:-$tmp/entity.txt}"
		printf '\r\n--b1\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 -w 76 "$1" | sed 's/$/\r/'
		printf '\r\n--b1--\r\n'
	} > "$2"
}
# wrap_opaque DER OUT FROM: an application/pkcs7-mime message
wrap_opaque() {
	{
		printf 'From: %s\r\nTo: rcpt@example.net\r\nSubject: interop\r\nMIME-Version: 1.0\r\n' "$3"
		printf 'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 -w 76 "$1" | sed 's/$/\r/'
	} > "$2"
}

printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from the interop test.\r\nSecond line.\r\n' > "$tmp/entity.txt"
printf 'Hello from the interop test.\nSecond line.\n' > "$tmp/body.txt"

# peer_tail X LONG SHORT: the rest of a peer's checks, after its detached
# signature $tmp/X-det.der (as $tmp/X-det.eml) and its opaque one
# $tmp/X-opq.der: the opaque one passes, one body byte changed fails, a
# wrong From is address-mismatch.
peer_tail() {
	wrap_opaque "$tmp/$1-opq.der" "$tmp/$1-opq.eml" alice@example.org
	expect "$tmp/$1-opq.eml" pass "$2 opaque signature verifies as pass"
	sed 's/Second line\./Second l1ne./' "$tmp/$1-det.eml" > "$tmp/$1-body.eml"
	expect "$tmp/$1-body.eml" fail/bad-signature "$3: one body byte changed is fail"
	wrap_detached "$tmp/$1-det.der" "$tmp/$1-from.eml" mallory@example.org
	expect "$tmp/$1-from.eml" policy/address-mismatch "$3: a wrong From is policy address-mismatch"
}

# The three peers run at the same time (bg), each with inspect output
# files of its own ($tmp/inspect-PEER.json, J).
# --- OpenSSL ------------------------------------------------------------
openssl_peer() {
	local J=-openssl
	# osign OUT SIGNER [CMS-ARGS...]: a complete message from `openssl cms -sign`
	osign() {
		local out=$1 who=$2; shift 2
		openssl cms -sign -in "$tmp/body.txt" -signer "$P/$who.pem" -inkey "$P/$who.key" \
			-certfile "$P/inter.pem" -from "$who@example.org" -to rcpt@example.net \
			-subject "interop $who" "$@" -out "$out" 2>> "$tmp/pki.log"
	}
	osign "$tmp/o-det.eml" alice || bail "openssl cms -sign"
	expect "$tmp/o-det.eml" pass "OpenSSL detached signature verifies as pass"
	authres_ok; ok $? "its Authentication-Results parses with python3-authres"
	sed 's/\r$//' "$tmp/o-det.eml" > "$tmp/o-det-lf.eml"
	expect "$tmp/o-det-lf.eml" pass "the message stored with LF line ends still verifies (canonical CRLF form)"
	# A signer that hashed the entity with bare LF (NOTES.md): -binary skips
	# OpenSSL's canonicalisation; the message itself is CRLF.
	printf 'Content-Type: text/plain\n\nHello, hashed with bare LF.\n' > "$tmp/entity-lf.txt"
	openssl cms -sign -binary -in "$tmp/entity-lf.txt" -signer "$P/alice.pem" -inkey "$P/alice.key" -certfile "$P/inter.pem" \
		-outform DER -out "$tmp/o-lf.der" 2>> "$tmp/pki.log"
	sed 's/$/\r/' "$tmp/entity-lf.txt" > "$tmp/entity-crlf.txt"
	ENTITY=$tmp/entity-crlf.txt wrap_detached "$tmp/o-lf.der" "$tmp/o-lf.eml" alice@example.org
	expect "$tmp/o-lf.eml" pass "a signature over the bare-LF form of the part passes"
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["layers"][0]["signers"][0]["lf_form"] else 1)' \
		"$tmp/inspect${J-}.json"
	ok $? "and the verdict records that only the LF form verified"
	osign "$tmp/o-opq.eml" alice -nodetach || bail "openssl cms -sign -nodetach"
	expect "$tmp/o-opq.eml" pass "OpenSSL opaque signature verifies as pass"

	sed 's/Second line\./Second l1ne./' "$tmp/o-det.eml" > "$tmp/o-body.eml"
	expect "$tmp/o-body.eml" fail/bad-signature "OpenSSL: one body byte changed is fail"
	sed 's/^From: alice@example.org/From: mallory@example.org/' "$tmp/o-det.eml" > "$tmp/o-from.eml"
	expect "$tmp/o-from.eml" policy/address-mismatch "OpenSSL: a wrong From is policy address-mismatch"
	expect "$tmp/o-det.eml" policy/untrusted \
		"the right signature under a root we do not trust is policy untrusted" \
		-- --trust "$P/other.pem"
	expect "$tmp/o-det.eml" policy/untrusted "with no trust anchors at all every chain is untrusted" \
		-- --trust ""

	osign "$tmp/o-bob.eml" bob
	expect "$tmp/o-bob.eml" policy/revoked "a revoked signer is policy revoked"
	expect "$tmp/o-bob.eml" pass "the same signer passes without the CRL (checked when present)" \
		-- --trust "$P/root.pem"
	osign "$tmp/o-carol.eml" carol
	expect "$tmp/o-carol.eml" policy/expired "an expired certificate is policy expired"
	osign "$tmp/o-dave.eml" dave
	expect "$tmp/o-dave.eml" policy/key-usage "a certificate without emailProtection is policy key-usage"
	osign "$tmp/o-frank.eml" frank
	expect "$tmp/o-frank.eml" policy/weak-key "an RSA-1024 signer is policy weak-key"
	expect "$tmp/o-frank.eml" pass "RSA-1024 passes when MinRSABits allows it" \
		-- --trust "$P/root.pem" --min-rsa-bits 1024
	osign "$tmp/o-md5.eml" alice -md md5
	expect "$tmp/o-md5.eml" policy/weak-digest "an MD5 signature is policy weak-digest"
	expect "$tmp/o-md5.eml" pass "MD5 passes when WeakDigests leaves it out" \
		-- --trust "$P/root.pem" --weak-digests sha1
	openssl cms -sign -in "$tmp/body.txt" -signer "$P/eve.pem" -inkey "$P/eve.key" \
		-from eve@example.org -to rcpt@example.net -subject eve -out "$tmp/o-eve.eml" 2>> "$tmp/pki.log"
	expect "$tmp/o-eve.eml" policy/untrusted "a signer from an unknown CA is policy untrusted, never fail"

	later=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
	expect "$tmp/o-det.eml" temperror/crl-unavailable \
		"a CRL past its nextUpdate gives temperror crl-unavailable" \
		-- --trust "$P/root.pem" --crl "$P/short-crl.pem" --at "$later"
	expect "$tmp/o-bob.eml" policy/revoked "a current CRL that lists the signer says revoked" \
		-- --trust "$P/root.pem" --crl "$P/short-crl.pem"
	expect "$tmp/o-det.eml" pass "the same CRL before its nextUpdate passes" \
		-- --trust "$P/root.pem" --crl "$P/short-crl.pem"
	expect "$tmp/o-det.eml" policy/expired "--at drives the clock: years later the certificate has expired" \
		-- --trust "$P/root.pem" --at 2040-01-01T00:00:00Z

	# Two signers in one SignedData: each gets its own verdict (the encoder
	# sorts the SET OF SignerInfos, so verdicts are keyed by signer).
	osign "$tmp/o-two.eml" alice -signer "$P/eve.pem" -inkey "$P/eve.key"
	KEYED=1 expect "$tmp/o-two.eml" "alice@example.org=pass eve@example.org=policy/untrusted" \
		"two signers, one from an unknown CA: two verdicts, each right"
	authres_ok; ok $? "both resinfos parse with python3-authres"
	osign "$tmp/o-two-bob.eml" alice -signer "$P/bob.pem" -inkey "$P/bob.key"
	KEYED=1 expect "$tmp/o-two-bob.eml" "alice@example.org=pass bob@example.org=policy/revoked" \
		"two signers, one revoked: the good one still passes"
	osign "$tmp/o-two.der" alice -signer "$P/bob.pem" -inkey "$P/bob.key" -nodetach -outform DER
	/usr/bin/python3 - "$tmp/o-two.der" "$tmp/o-two-bad.der" <<'EOF'
import sys
# The SignedData ends with the last SignerInfo's signature (no unsigned
# attributes): flip a byte of it; the other SignerInfo stays intact.
d = bytearray(open(sys.argv[1], "rb").read())
d[-5] ^= 0x01
open(sys.argv[2], "wb").write(d)
EOF
	wrap_opaque "$tmp/o-two-bad.der" "$tmp/o-two-bad.eml" alice@example.org
	got=$(KEYED=1 verdict "$tmp/o-two-bad.eml")
	case $got in
	"alice@example.org=fail/bad-signature bob@example.org=policy/revoked" | \
	"alice@example.org=pass bob@example.org=fail/bad-signature") r=0 ;;
	*) r=1 ;;
	esac
	ok $r "two signers, one signature broken: that one fails, the other keeps its own verdict" ||
		diag "$got"
}

# --- NSS ----------------------------------------------------------------
nss_peer() {
	local J=-nss
	mkdir -p "$tmp/nss"
	quiet certutil -N -d "sql:$tmp/nss" --empty-password || bail "certutil -N"
	quiet openssl pkcs12 -export -in "$P/alice.pem" -inkey "$P/alice.key" -certfile "$P/inter.pem" \
		-name alice -out "$P/alice.p12" -passout pass:test || bail "alice.p12"
	quiet certutil -A -d "sql:$tmp/nss" -n root -t "C,C,C" -i "$P/root.pem" || bail "certutil -A"
	quiet pk12util -i "$P/alice.p12" -d "sql:$tmp/nss" -W test || bail "pk12util"

	quiet cmsutil -S -N alice -T -G -H SHA256 -i "$tmp/entity.txt" -o "$tmp/n-det.der" \
		-d "sql:$tmp/nss" -u 4 || bail "cmsutil -S -T"
	wrap_detached "$tmp/n-det.der" "$tmp/n-det.eml" alice@example.org
	expect "$tmp/n-det.eml" pass "NSS cmsutil detached signature verifies as pass"
	authres_ok; ok $? "its Authentication-Results parses with python3-authres"
	quiet cmsutil -S -N alice -G -H SHA256 -i "$tmp/entity.txt" -o "$tmp/n-opq.der" \
		-d "sql:$tmp/nss" -u 4 || bail "cmsutil -S"
	peer_tail n "NSS cmsutil" "NSS"
}

# --- GnuPG (gpgsm) --------------------------------------------------------
gpgsm_peer() {
	local J=-gpgsm
	export GNUPGHOME=$tmp/gnupg
	mkdir -m 700 "$GNUPGHOME"
	echo allow-loopback-pinentry > "$GNUPGHOME/gpg-agent.conf"
	echo disable-crl-checks > "$GNUPGHOME/gpgsm.conf"
	legacy_p12() {
		quiet openssl pkcs12 -export -in "$P/alice.pem" -inkey "$P/alice.key" -certfile "$P/inter.pem" \
			-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out "$P/alice-legacy.p12" \
			-passout pass:test
	}
	legacy_p12 || bail "legacy p12"
	quiet gpgsm --batch --import "$P/root.pem" "$P/inter.pem" || bail "gpgsm import CAs"
	gpgsm_import_p12 "$GNUPGHOME" test "$P/alice-legacy.p12" legacy_p12 || bail "gpgsm import key"
	fpr=$(openssl x509 -in "$P/root.pem" -noout -fingerprint -sha1 | sed 's/.*=//')
	echo "$fpr S relax" > "$GNUPGHOME/trustlist.txt"
	echo test | quiet gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
		--local-user alice@example.org --detach-sign -o "$tmp/g-det.der" "$tmp/entity.txt" \
		|| bail "gpgsm --detach-sign"
	wrap_detached "$tmp/g-det.der" "$tmp/g-det.eml" alice@example.org
	expect "$tmp/g-det.eml" pass "gpgsm detached signature verifies as pass"
	authres_ok; ok $? "its Authentication-Results parses with python3-authres"
	echo test | quiet gpgsm --batch --pinentry-mode loopback --passphrase-fd 0 \
		--local-user alice@example.org --sign -o "$tmp/g-opq.der" "$tmp/entity.txt" \
		|| bail "gpgsm --sign"
	peer_tail g "gpgsm" "gpgsm"
}

for peer in openssl_peer nss_peer gpgsm_peer; do
	bg $peer
done
bg_wait

done_testing
