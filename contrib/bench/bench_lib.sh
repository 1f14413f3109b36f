# bench_lib.sh - what contrib/bench/pipeline and contrib/bench/direct share
# (sourced): the keys, the messages, the milters' configurations, starting
# and stopping a milter, and the median of a set of figures.
#
#   bench_keys DIR          DIR/ks (alice RSA-2048, ec P-256 signing keys),
#                           DIR/certs (r1..r9, recipients the gateway has
#                           certificates of), DIR/ca.pem, DIR/dkim (OpenDKIM
#                           key, owned by $DKIM_USER)
#   bench_messages DIR SIZE NAME
#                           DIR/{plain,plain-ec,signed,rc2,rc2x10}-NAME.eml
#                           with a body of about SIZE bytes (LF line ends:
#                           smtp-source -F and milter-load send CRLF)
#   smime_conf CONFIG SOCKET DIR
#                           smime-milter's configuration for CONFIG (pass,
#                           verify, sign, sign-ec, reencrypt, reencrypt10)
#   dkim_conf SOCKET DIR    OpenDKIM's, signing for example.org
#   bench_milter_start KIND CONF SOCKET LOG
#                           starts smime-milter or opendkim (MILTER_PID) and
#                           waits until SOCKET (local:PATH or inet:PORT@...)
#                           listens; on the CPUs $BENCH_MILTER_CPUS names
#                           (taskset), when set
#   bench_milter_stop
#   bench_median            reads numbers, prints "MEDIAN MIN MAX"
# Needs openssl; DATA is tests/data/cms.

DKIM_USER=$(id -un opendkim 2>/dev/null || echo postfix)
BENCH_TOP=${BENCH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DATA=$BENCH_TOP/tests/data/cms
# pf_port_listening and pf_wait_for (functions only; nothing runs)
. "$BENCH_TOP/tests/postfix_lib.sh"

# bench_cert DIR NAME ADDR KEYARGS...: DIR/NAME.crt and .key, an S/MIME
# certificate for ADDR issued by the test CA of tests/data/cms.
bench_cert() {
	local d=$1 n=$2 a=$3
	shift 3
	openssl req -new -nodes "$@" -keyout "$d/$n.key" -out "$d/$n.csr" \
		-subj "/CN=$n" 2>/dev/null &&
	openssl x509 -req -in "$d/$n.csr" -CA "$DATA/ca.pem" -CAkey "$DATA/ca.key" \
		-days 30 -set_serial "0x$(openssl rand -hex 8)" -out "$d/$n.crt" \
		-extfile <(printf 'subjectAltName=email:%s\nkeyUsage=digitalSignature,keyEncipherment,keyAgreement\nextendedKeyUsage=emailProtection\n' "$a") \
		2>/dev/null && rm -f "$d/$n.csr" && chmod 600 "$d/$n.key"
}

bench_keys() {
	local d=$1 i
	mkdir -p -m 700 "$d/ks" && mkdir -p "$d/certs" "$d/rkeys" "$d/dkim"
	cp "$DATA/ca.pem" "$d/ca.pem"
	cp "$DATA/alice.pem" "$d/ks/alice.crt"
	install -m 600 "$DATA/alice.key" "$d/ks/alice.key"
	bench_cert "$d/ks" ec ec@example.org -newkey ec -pkeyopt ec_paramgen_curve:P-256 || return 1
	for i in 1 2 3 4 5 6 7 8 9; do
		bench_cert "$d/rkeys" "r$i" "r$i@example.org" -newkey rsa:2048 || return 1
		cp "$d/rkeys/r$i.crt" "$d/certs/r$i.pem"
	done
	openssl genrsa -out "$d/dkim/bench.private" 2048 2>/dev/null
	chown -R "$DKIM_USER" "$d/dkim"
	chmod 600 "$d/dkim/bench.private"
}

# bench_body SIZE: about SIZE bytes of text lines
bench_body() {
	awk -v n="$1" 'BEGIN { line = "a line of a benchmark message, long enough to fill the body quickly."
		for (s = 0; s < n; s += length(line) + 5) printf "%04d %s\n", (s / 70) % 10000, line }'
}

bench_messages() {
	local d=$1 size=$2 name=$3 i rc
	{ printf 'Content-Type: text/plain\n\n'; bench_body "$size"; } >"$d/inner-$name.txt"
	for f in plain:alice plain-ec:ec; do
		{
			printf 'From: %s@example.org\nTo: bob@example.org\nSubject: bench\n' "${f#*:}"
			printf 'Content-Type: text/plain\n\n'
			bench_body "$size"
		} >"$d/${f%%:*}-$name.eml"
	done
	{
		printf 'To: bob@example.org\nSubject: bench\n'
		openssl cms -sign -in "$d/inner-$name.txt" -signer "$DATA/alice.pem" \
			-inkey "$DATA/alice.key" -from alice@example.org
	} | sed 's/\r$//' >"$d/signed-$name.eml"
	rc=
	for i in 1 2 3 4 5 6 7 8 9; do rc="$rc $d/rkeys/r$i.crt"; done
	for f in rc2:"" rc2x10:"$rc"; do
		{
			printf 'From: carol@legacy.example\nSubject: bench\n'
			printf 'X-Mailer: Microsoft Windows Mobile 5.0\n'
			# shellcheck disable=SC2086 # the nine certificates, split on purpose
			openssl cms -encrypt -rc2-40 -provider legacy -provider default \
				-in "$d/inner-$name.txt" "$DATA/alice.pem" ${f#*:}
		} | sed 's/\r$//' >"$d/${f%%:*}-$name.eml"
	done
	rm -f "$d/inner-$name.txt"
	grep -q 'multipart/signed' "$d/signed-$name.eml" &&
		grep -q 'pkcs7-mime' "$d/rc2x10-$name.eml"
}

smime_conf() {
	local cfg=$1 sock=$2 d=$3
	printf 'Socket %s\nSocketMode 0666\nAuthservID mx.test\nTempDirectory %s\n' "$sock" "$d/tmp"
	printf 'KeyStore %s/ks\nCertDirectory %s/certs\nTrustAnchorFile %s/ca.pem\nMaxCryptoSize 100M\n' "$d" "$d" "$d"
	case $cfg in
	sign | sign-ec) printf 'Rules %s/sign.rules\nSignUnauthenticated yes\n' "$d"
		echo 'when from *@example.org then sign' >"$d/sign.rules" ;;
	reencrypt*) printf 'Rules %s/reencrypt.rules\nInternalHosts 192.0.2.1\n' "$d"
		echo 'when cipher weak then reencrypt aes-256-cbc' >"$d/reencrypt.rules" ;;
	*) printf 'InternalHosts 192.0.2.1\n' ;; # 127.0.0.1 inbound too
	esac
}

dkim_conf() {
	cat <<EOF
Syslog no
Mode s
Domain example.org
Selector bench
KeyFile $2/dkim/bench.private
# the key lives below /tmp, which others may write
RequireSafeKeys false
Socket $1
UMask 000
Canonicalization relaxed/simple
InternalHosts 127.0.0.1
PidFile $2/dkim/dkim.pid
UserID $DKIM_USER
EOF
}

# bench_listening SOCKET: true when SOCKET accepts connections
bench_listening() {
	case $1 in
	local:* | unix:*) [ -S "${1#*:}" ] ;;
	inet:*) local p=${1#inet:}; pf_port_listening "${p%@*}" ;;
	esac
}

# bench_up SOCKET: SOCKET listens, or the milter (MILTER_PID) is gone
bench_up() { bench_listening "$1" || ! kill -0 "$MILTER_PID" 2>/dev/null; }

MILTER_PID=
bench_milter_start() {
	local kind=$1 conf=$2 sock=$3 log=$4
	case $sock in local:* | unix:*) rm -f "${sock#*:}" ;; esac
	# BENCH_MILTER_CPUS: taskset's CPU list for the milter, if any
	local pin=()
	[ -z "${BENCH_MILTER_CPUS-}" ] || pin=(taskset -c "$BENCH_MILTER_CPUS")
	if [ "$kind" = opendkim ]; then
		"${pin[@]}" opendkim -f -x "$conf" 2>>"$log" &
	else
		"${pin[@]}" "$SMIME_MILTER" -f -c "$conf" 2>>"$log" &
	fi
	MILTER_PID=$!
	pf_wait_for 15 bench_up "$sock" && bench_listening "$sock" && return 0
	echo "bench: $kind did not start on $sock:" >&2
	tail -5 "$log" >&2
	return 1
}

bench_milter_stop() {
	[ -n "$MILTER_PID" ] || return 0
	kill -TERM "$MILTER_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$MILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$MILTER_PID" 2>/dev/null
	wait "$MILTER_PID" 2>/dev/null
	MILTER_PID=
}

bench_median() {
	sort -g | awk '{ v[n++] = $1 } END {
		if (n == 0) { print "failed - -"; exit }
		m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf "%.1f %.1f %.1f\n", m, v[0], v[n - 1] }'
}
