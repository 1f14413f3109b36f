# milter_sockets.sh - the milter's sockets: TCP_NODELAY on the listening
# socket and on every connection it accepts (read from the milter's own
# descriptors, not inferred from timing), nothing of the kind on a local:
# socket, and contrib/bench/milter-load driving the milter over inet and
# unix sockets without a protocol error, with and without SMFIP_NR_*.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || bail "$PY not found (Debian package python3)"
[ -x "$SMIME_MILTER" ] || bail "$SMIME_MILTER not built"
[ -x "$MILTER_LOAD" ] || bail "$MILTER_LOAD not built"

T=$(mktemp -d /tmp/milter_sockets.XXXXXX) || bail "mktemp failed"
PIDS=
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	evidence_keep "$T"
	rm -rf "$T"
}
trap cleanup EXIT

# wait_log FILE PATTERN: waits up to 10 s for a matching line.
wait_log() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start NAME SOCKET: a milter on SOCKET logging to $T/NAME.log; sets $pid.
start() {
	mkdir -p "$T/spool-$1"
	printf 'Socket %s\nTempDirectory %s\nSocketMode 0600\n' \
		"$2" "$T/spool-$1" >"$T/$1.conf"
	"$SMIME_MILTER" -f -c "$T/$1.conf" >"$T/$1.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	wait_log "$T/$1.log" "starting on" || { cat "$T/$1.log"; bail "$1 did not start"; }
}

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start tcp "inet:$port@127.0.0.1"
tcp_pid=$pid
start unix "local:$T/m.sock"

# ---- TCP_NODELAY ----
grep -q "NOQUEUE: TCP_NODELAY set on listening socket [0-9]*; accepted connections inherit it" "$T/tcp.log"
ok $? "inet: the milter logs that it set TCP_NODELAY on its listening socket"
out=$("$PY" "$top_srcdir/tests/sockopt_peek.py" "$tcp_pid" "$port" 2>&1); st=$?
[ $st = 2 ] && bail "cannot read the milter's sockets: $out (needs root and Linux >= 5.6)"
is "$out" "listener nodelay=1
accepted nodelay=1
client nodelay=0" "inet: the listening socket and the accepted connection have TCP_NODELAY (the client's end, never set, reads 0)"
grep -q "TCP_NODELAY" "$T/unix.log"
ok $((!$?)) "local: nothing is said about TCP_NODELAY"
grep -q "no listening TCP socket found" "$T/tcp.log" "$T/unix.log"
ok $((!$?)) "no warning that the listening socket was not found"

# ---- milter-load against the milter ----
msg="$top_srcdir/tests/data/verify/alice.dsig.SHA256.multipart.eml"
# load NAME ARGS...: milter-load's JSON report in $T/NAME.json; its status.
load() {
	local name=$1
	shift
	"$MILTER_LOAD" -J -T 20 "$@" "$msg" >"$T/$name.json" 2>"$T/$name.err"
}
field() { # field NAME KEY: one value of a JSON report
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$T/$1.json" "$2"
}
for sock in "inet:$port@127.0.0.1" "unix:$T/m.sock"; do
	for nr in "" -R; do
		name=$(echo "${sock%%:*}$nr" | tr -d -)
		load "$name" -s "$sock" -c 3 -n 30 -m 4 -C 192.0.2.1 $nr
		st=$?
		is "$st $(field "$name" errors) $(field "$name" messages)" "0 0 30" \
			"milter-load ${sock%%:*}${nr:+ $nr}: 30 messages over 3 connections, no protocol error"
		is "$(field "$name" replies.continue) $(field "$name" headers_inserted)" "30 30" \
			"milter-load ${sock%%:*}${nr:+ $nr}: each signed message continues with one inserted field"
	done
done
# The milter asks for no reply to the steps inside DATA that it only
# collects, when offered: header, EOH, body (0xc0080); not to be sent
# HELO or unknown commands (0x102); and takes connect, MAIL, RCPT and
# DATA with a reply (see cb_negotiate in milter/callbacks.c).
is "$(field inet steps) $(field inetR steps)" "0xc0182 0x102" \
	"negotiated steps: SMFIP_NR_* for header, EOH and body when offered, none when not"
n=$(grep -c "dir=inbound from=<Alice@example.com> kind=signed" "$T/tcp.log")
is "$n" 60 "inet: every message milter-load sent was processed and logged"

# An error is an exit status of 1, counted, with the reason.
load refused -s "unix:$T/none.sock" -n 3
st=$?
is "$st $(field refused errors) $(field refused messages)" "1 1 0" \
	"milter-load exits 1 when it cannot talk to the filter, and stops"
# The socket is the user's string: escaped in the JSON report.
odd='unix:'$T'/a"b\c.sock'
load odd -s "$odd" -n 1
is "$(field odd socket)" "$odd" \
	"milter-load's JSON report escapes a socket path with a quote and a backslash"
done_testing
