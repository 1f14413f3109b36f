# lib.sh - TAP helpers for the shell tests (sourced).  Every test script
# prints TAP through these, and cleans up what it started with an EXIT trap.
tap_n=0
tap_fail=0
ok() { # ok CONDITION-STATUS NAME...
	local st=$1; shift
	tap_n=$((tap_n + 1))
	# Inside a corpus_needs block whose file this run lacks: SKIP.
	if [ -n "${tap_skip-}" ]; then echo "ok $tap_n - $* # SKIP $tap_skip"; return 0; fi
	if [ "$st" -eq 0 ]; then echo "ok $tap_n - $*"; else echo "not ok $tap_n - $*"; tap_fail=$((tap_fail + 1)); fi
	return "$st"
}
pass() { ok 0 "$@"; }
fail() { ok 1 "$@"; }
is() { # is GOT WANT NAME...
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then ok 0 "$@"; else ok 1 "$@" || { printf '#   got:      %s\n#   expected: %s\n' "$got" "$want"; return 1; }; fi
}
diag() { printf '# %s\n' "$*"; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() {
	echo "1..$tap_n"
	[ "$tap_n" -gt 0 ] || { echo "# no checks ran"; exit 1; }
	[ "$tap_fail" -eq 0 ] || exit 1
	exit 0
}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SMIME_TOOL:=$top_builddir/milter/smime-tool}"
: "${SMIME_MILTER:=$top_builddir/milter/smime-milter}"

# ---- checks in parallel ----------------------------------------------------
# bg CMD...: runs CMD (a function making checks with ok/is/pass/fail/diag)
# in the background, at most as many at once as there are CPUs, its TAP
# kept aside; bg_wait then waits for them all and reports their checks
# here, job by job in the order bg started them, each counted as if it
# ran here.  A job's bail ends only that job: its "Bail out!" line,
# reported like the rest, ends the test.  CMD must not share temp files
# with another job.
bg_pids=()
bg_outs=()
bg() {
	local out
	out=$(mktemp "${TMPDIR:-/tmp}/tap.XXXXXX") || bail "mktemp"
	(tap_n=0 tap_fail=0; "$@") >"$out" 2>&1 &
	bg_pids+=("$!")
	bg_outs+=("$out")
	while [ "$(jobs -rp | wc -l)" -ge "$(nproc 2>/dev/null || echo 2)" ]; do
		wait -n
	done
}
bg_wait() {
	local i line
	for i in "${!bg_pids[@]}"; do
		wait "${bg_pids[$i]}"
		while IFS= read -r line; do
			case $line in
			"ok "[0-9]*" - "*) ok 0 "${line#ok * - }" ;;
			"not ok "[0-9]*" - "*) ok 1 "${line#not ok * - }" ;;
			*) printf '%s\n' "$line" ;;
			esac
		done <"${bg_outs[$i]}"
		rm -f "${bg_outs[$i]}"
	done
	bg_pids=()
	bg_outs=()
}

# ---- the corpus -----------------------------------------------------------
# The tests read the S/MIME corpus in tests/corpus (CORPUS_DIR).  The shared
# corpus's folders it leaves out (no licence, tests/corpus/README) come from
# FULL_CORPUS_DIR, a full copy of it (configure --with-corpus=DIR); without
# one, the checks that need them SKIP.  Only tests that read the corpus look
# for it (need_corpus).
: "${CORPUS_DIR:=$top_srcdir/tests/corpus}"
: "${FULL_CORPUS_DIR:=}"
CORPUS_LEFT_OUT="hiraoka-smime-mail-samples protected-headers"
export CORPUS_DIR FULL_CORPUS_DIR CORPUS_LEFT_OUT
# The Python tests import tests/corpus_lib.py: no __pycache__ in the sources.
export PYTHONDONTWRITEBYTECODE=1
# Where corpus puts the files this run lacks, for corpus_absent to spot.
CORPUS_ABSENT="/nonexistent/configure --with-corpus"

need_corpus() {
	[ -f "$CORPUS_DIR/CATALOG.md" ] || bail "corpus not found at $CORPUS_DIR"
}

# corpus REL: the path of corpus file REL (relative to the corpus root).
corpus() {
	case " $CORPUS_LEFT_OUT " in
	*" ${1%%/*} "*) printf '%s/%s\n' "${FULL_CORPUS_DIR:-$CORPUS_ABSENT}" "$1" ;;
	*) printf '%s/%s\n' "$CORPUS_DIR" "$1" ;;
	esac
}

# corpus_absent FILE...: true when a FILE (a path from corpus) is in a
# folder this run does not have; corpus_why then says so, for skip.
corpus_absent() {
	local f
	for f; do
		case $f in
		"$CORPUS_ABSENT"/*)
			f=${f#"$CORPUS_ABSENT"/}
			corpus_why="needs ${f%%/*}/, left out of tests/corpus (no licence): configure --with-corpus=DIR"
			return 0 ;;
		esac
	done
	return 1
}

# skip REASON NAME...: a check that cannot run here; TAP counts it as SKIP,
# never as a pass.
skip() {
	local tap_skip=$1; shift
	ok 0 "$@"
}

# corpus_needs FILE... / corpus_needs_end: when a FILE is in a folder this
# run lacks, every check in between reports SKIP under its own name, with the
# reason, whatever it found: its commands still run (on a file that is not
# there), so keep waits and bail-outs out of such a block.
corpus_needs() {
	tap_skip=
	if corpus_absent "$@"; then tap_skip=$corpus_why; fi
	return 0
}
corpus_needs_end() { tap_skip=; }

# ---- evidence for tests/secrets_in_logs.sh -------------------------------
# Each shell test leaves what the programs logged, and the secrets it made
# (private keys, passphrases, the plaintext it had encrypted), in
# $SMIME_EVIDENCE/NAME/{logs,secrets}/.  The last test of the suite greps
# every log for every secret.  smime-tool runs through tests/logged_tool,
# which copies its stderr (the log line, errors) there as it goes.
: "${SMIME_EVIDENCE:=$top_builddir/tests/evidence}"
EVIDENCE_DIR=$SMIME_EVIDENCE/$(basename "$0" .sh)
rm -rf "$EVIDENCE_DIR"
if mkdir -p "$EVIDENCE_DIR/logs" "$EVIDENCE_DIR/secrets" 2>/dev/null &&
   [ -x "$top_srcdir/tests/logged_tool" ] && [ -z "${SMIME_TOOL_REAL-}" ]; then
	SMIME_TOOL_REAL=$SMIME_TOOL
	SMIME_TOOL_LOG=$EVIDENCE_DIR/logs/smime-tool.stderr
	SMIME_TOOL=$top_srcdir/tests/logged_tool
	export SMIME_TOOL SMIME_TOOL_REAL SMIME_TOOL_LOG
fi

# evidence_secret FILE...: FILE holds a secret (a key, a passphrase, the
# plaintext of an encrypted message) that must never reach a log.
evidence_secret() {
	local f
	for f in "$@"; do
		[ -f "$f" ] && cp "$f" "$EVIDENCE_DIR/secrets/$(date +%s%N)-${f##*/}" 2>/dev/null
	done
	return 0
}

# evidence_keep DIR...: before a test removes its temp dir, keep its logs
# (*.log, maillog, *.err, *.stderr) and every private key, PKCS#12 file
# and passphrase file in it.
evidence_keep() {
	local d f n=0
	for d in "$@"; do
		[ -d "$d" ] || continue
		while IFS= read -r -d '' f; do
			n=$((n + 1))
			case ${f##*/} in
			*.log | maillog | *.err | *.stderr | err)
				cp "$f" "$EVIDENCE_DIR/logs/$n-${f##*/}" 2>/dev/null ;;
			*.p12 | *.pass | *.key)
				cp "$f" "$EVIDENCE_DIR/secrets/$n-${f##*/}" 2>/dev/null ;;
			*.pem)
				grep -q 'PRIVATE KEY-----' "$f" 2>/dev/null &&
					cp "$f" "$EVIDENCE_DIR/secrets/$n-${f##*/}" 2>/dev/null ;;
			esac
		done < <(find "$d" -type f -size -20M -print0 2>/dev/null)
	done
	return 0
}

# test_ca DIR [SUBJECT]: a throwaway CA, DIR/ca.pem with DIR/ca.key (30
# days); SUBJECT in openssl's /CN=.../O=... form, UTF-8 allowed.
test_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" -out "$1/ca.pem" \
		-utf8 -subj "${2:-/CN=Test CA $(basename "$0" .sh)}" -days 30 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=keyCertSign,cRLSign 2>/dev/null
}

# issue_cert DIR NAME EXT-LINE...: a fresh RSA-2048 key DIR/NAME.key and
# a certificate DIR/NAME.pem (CN=NAME, random serial, 30 days) issued by
# DIR/ca.pem with DIR/ca.key, with the extensions of the EXT-LINEs
# (openssl's config syntax), e.g. "subjectAltName=email:a@example.org".
# An SmtpUTF8Mailbox (RFC 8398) needs a section, since a comma ends a
# name in the one-line form: "subjectAltName=@san" "[san]"
# "otherName.1=1.3.6.1.5.5.7.8.9;FORMAT:UTF8,UTF8:ADDRESS".
issue_cert() {
	local d=$1 n=$2
	shift 2
	printf '%s\n' "$@" >"$d/$n.ext"
	openssl req -newkey rsa:2048 -nodes -keyout "$d/$n.key" -out "$d/$n.csr" \
		-subj "/CN=$n" 2>/dev/null &&
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$d/$n.ext" \
			-out "$d/$n.pem" 2>/dev/null
}

# keystore_issue DIR KEYSTORE NAME ADDR: issue_cert for the e-mail address
# ADDR, both put in the milter's KEYSTORE as NAME.crt and NAME.key (mode
# 0600).
keystore_issue() {
	local d=$1 ks=$2 n=$3
	issue_cert "$d" "$n" "subjectAltName=email:$4" &&
		cp "$d/$n.pem" "$ks/$n.crt" && install -m 600 "$d/$n.key" "$ks/$n.key"
}

# plain_mail OUT: OUT is a plain message (neither signed nor encrypted,
# with an attachment) in the shape of a Thunderbird one, From: and To:
# hmailserver.test addresses, User-Agent "Mozilla Thunderbird", a Subject
# that ends in "(plain)".
plain_mail() {
	printf '%s\r\n' 'From: smime1 <smime1@hmailserver.test>' \
		'To: smime2@hmailserver.test' 'User-Agent: Mozilla Thunderbird' \
		'Subject: Writing from smime1 to smime2 (plain)' 'MIME-Version: 1.0' \
		'Content-Type: multipart/mixed; boundary="plain-boundary"' '' \
		'--plain-boundary' 'Content-Type: text/plain; charset=UTF-8' '' \
		'Writing from smime1 to smime2 (plain)' '--plain-boundary' \
		'Content-Type: application/octet-stream; name="sample.bin"' \
		'Content-Transfer-Encoding: base64' '' 'AAECAwQFBgcICQ==' \
		'--plain-boundary--' >"$1"
}

# signed_mail DIR NAME OUT HEADER...: OUT is a message with the HEADER
# lines (e.g. "From: a@example.org") on top of a detached signature
# (openssl cms -sign) by DIR/NAME.pem over a short text.
signed_mail() {
	local d=$1 n=$2 out=$3 h
	shift 3
	{
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'Subject: signed by %s\r\n' "$n"
		printf 'Signed text of %s.\n' "$n" |
			openssl cms -sign -signer "$d/$n.pem" -inkey "$d/$n.key" -crlfeol
	} >"$out"
}

# gpgsm_import_p12 GNUPGHOME PASSPHRASE P12 REMAKE...: imports a PKCS#12
# file into gpgsm.  gpgsm 2.2.40 fails on a small share of the files
# `openssl pkcs12 -export` makes, depending only on the random salt
# ('error at "bag.encryptedData", offset 49': a kept failing file fails
# every time, a fresh export of the same key imports), which made the
# interop tests fail about one run in a hundred.  So when the import
# fails, REMAKE (the export command) writes P12 anew with a new salt, up
# to three tries; each failure is a TAP diagnostic.  Returns gpgsm's
# status.
gpgsm_import_p12() {
	local home=$1 pass=$2 p12=$3 try rc=1
	shift 3
	for try in 1 2 3; do
		echo "$pass" | GNUPGHOME=$home gpgsm --batch --pinentry-mode loopback \
			--passphrase-fd 0 --import "$p12" >"$home/import.err" 2>&1
		rc=$?
		[ "$rc" -ne 0 ] || return 0
		diag "gpgsm --import $p12, try $try: $(tail -n 3 "$home/import.err" | tr '\n' ' ')"
		"$@" || return 1
	done
	return "$rc"
}

# caps_signed_mail DRIVER STEM FROM CAPS SIGNED OUT [TAMPER]: OUT is a
# multipart/signed message from FROM, signed at SIGNED (epoch) by
# STEM.pem/STEM.key with tests/harvest_sign_driver (DRIVER), whose
# signed attributes state the capabilities CAPS (see the driver);
# TAMPER changes the body after signing.  STEM.p7s keeps the signature.
caps_signed_mail() {
	local driver=$1 stem=$2 from=$3 caps=$4 signed=$5 out=$6 body=Hello.
	printf 'Content-Type: text/plain\r\n\r\nHello.' |
		"$driver" "$stem.pem" "$stem.key" "$caps" "$signed" >"$stem.p7s" ||
		bail "signing as $stem"
	[ -n "${7-}" ] && body=Changed.
	printf 'From: %s\nTo: bob@example.net\nSubject: hi\nMIME-Version: 1.0\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b1"\n\n--b1\nContent-Type: text/plain\n\n%s\n--b1\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n%s\n--b1--\n' \
		"$from" "$body" "$(base64 <"$stem.p7s")" >"$out"
}

# cipher_of FILE: the content cipher OpenSSL reads in an S/MIME message
# (EnvelopedData or AuthEnvelopedData), e.g. aes-256-cbc.
cipher_of() {
	openssl cms -cmsout -print -in "$1" 2>/dev/null |
		sed -n '/contentEncryptionAlgorithm/,/algorithm:/s/.*algorithm: \([^ ]*\).*/\1/p' | tail -1
}

# attachment_mail OUT FROM TO SUBJECT INNER CERT...: OUT is a plain
# multipart/mixed message whose second part is INNER encrypted with
# RC2-40 to the CERTs (an application/pkcs7-mime attachment att.p7m).
attachment_mail() {
	local out=$1 from=$2 to=$3 subject=$4 inner=$5 att
	shift 5
	att=$(openssl cms -encrypt -rc2-40 -provider legacy -provider default -binary \
		-in "$inner" -outform DER "$@" | base64 -w 76) || return 1
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\n' "$from" "$to" "$subject"
		printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="a1"\r\n\r\n'
		printf -- '--a1\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n--a1\r\n'
		printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=att.p7m\r\n'
		printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=att.p7m\r\n\r\n'
		printf '%s\r\n--a1--\r\n' "$att"
	} >"$out"
}

# second_part MSG OUT: the second part of the multipart MSG as an S/MIME
# message OpenSSL reads (the attachment attachment_mail made).
second_part() {
	python3 - "$1" "$2" <<'EOF2'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.compat32)
p = m.get_payload()[1]
open(sys.argv[2], 'wb').write(b'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; '
    b'smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n' + p.get_payload().encode())
EOF2
}

# split OUT.eml DIR: DIR/content (the signed bytes) and DIR/sig.der
split_signed() {
	python3 - "$1" "$2" <<'EOF'
import base64, re, sys
raw = open(sys.argv[1], 'rb').read()
hdr, _, body = raw.replace(b'\r\n', b'\n').partition(b'\n\n')
raw_body = raw[raw.find(b'\r\n\r\n') + 4:] if b'\r\n\r\n' in raw else raw[raw.find(b'\n\n') + 2:]
b = re.search(rb'boundary="([^"]+)"', hdr).group(1)
d = b'--' + b
first = raw_body.index(d + b'\r\n') + len(d) + 2
second = raw_body.index(b'\r\n' + d + b'\r\n', first)
open(sys.argv[2] + '/content', 'wb').write(raw_body[first:second])
sigpart = raw_body[second + len(d) + 4:]
sigbody = sigpart[sigpart.index(b'\r\n\r\n') + 4:sigpart.index(d + b'--')]
open(sys.argv[2] + '/sig.der', 'wb').write(base64.b64decode(sigbody))
EOF
}
