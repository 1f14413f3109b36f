# postfix_lib.sh - a private, throw-away Postfix for end-to-end tests and
# the quick start (sourced by tests/e2e_postfix.sh and contrib/quickstart).
#
# What it owns: one temp dir holding a whole Postfix instance (its own
# config_directory, queue_directory, data_directory and maillog_file), an
# smtp-sink as the next hop that writes every delivered message to a file,
# and optionally the milter under test.  Nothing outside the temp dir is
# touched: the system Postfix, if any, keeps running on its own ports.
#
# What its functions promise:
#   pf_require_root / pf_require_tools   fail loudly (never skip) when the
#                                        machine cannot run a real Postfix
#   pf_e2e_require                       both, and the built milter, or
#                                        bail out naming the test
#   pf_init                              make the temp dir, pick free ports
#   pf_milter_start BIN CONF             start the milter (-f), wait until
#                                        it listens on $PF_MILTER_PORT
#   pf_start [MILTER]                    start smtp-sink and Postfix, with
#                                        smtpd_milters = MILTER when given
#                                        (PF_SINK_OPTS: more smtp-sink
#                                        options, e.g. -N for no DSN)
#   pf_send FILE FROM TO IP [OPTION...]  send FILE as it is over SMTP from
#                                        client address IP; prints the
#                                        queue id; the transcript stays in
#                                        $PF_DIR/last-swaks.log; OPTIONs
#                                        go to swaks
#   pf_enable_sasl USER PASS             before pf_start: SMTP AUTH (PLAIN,
#                                        LOGIN; no TLS needed) against a
#                                        private sasldb holding USER; may
#                                        be called again for more users
#   pf_send_auth FILE FROM TO IP USER PASS
#                                        pf_send, authenticated as USER
#                                        (AUTH PLAIN)
#   pf_wait_delivered QID [SECS]         prints the sink file of QID once
#                                        Postfix removed it from its queue
#   pf_wait_drain [SECS]                 the queue is empty
#   pf_strip_trace SINKFILE QID OUT      OUT = the delivered message without
#                                        the trace lines the sink and
#                                        Postfix added, CRLF line ends
#   pf_normalise FILE OUT                OUT = FILE as SMTP carries it
#   pf_upstream_init                     a second instance in $PF_DIR/up
#   pf_upstream_start [BIND_IP]          start it: it queues what it gets
#                                        on $PF_UP_PORT and relays it to the
#                                        first one from BIND_IP, retrying
#                                        within seconds (pf_upstream_queued,
#                                        pf_upstream_flush, pf_upstream_stop)
#   pf_stop                              stop Postfix (both instances), the
#                                        sink and the milter; 0 when none
#                                        is left
#   pf_cleanup                           the EXIT trap: pf_stop, then remove
#                                        the temp dir unless PF_KEEP=1
#
# Every process started here runs with its working directory inside
# $PF_DIR (Postfix daemons chdir to the queue), so "no process has a cwd
# in $PF_DIR" is the proof that everything was stopped.
#
# The instance is tuned so that Postfix itself changes nothing but adding
# its Received: header: no header rewriting for remote clients
# (local_header_rewrite_clients empty), no dropped headers
# (message_drop_headers empty), no line folding (smtp_line_length_limit 0)
# and no 8bit->7bit conversion.  Anything else that differs between the
# message sent and the message delivered was done by the milter.

PF_MYHOSTNAME=mx.test
PF_PY=/usr/bin/python3
[ -x "$PF_PY" ] || PF_PY=python3

pf_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "postfix_lib: a private Postfix needs root (postfix start," \
		     "smtp-sink -u postfix); run the end-to-end tests as root," \
		     "e.g. sudo make check or contrib/run-tests" >&2
		return 1
	fi
}

# pf_e2e_require: what every end-to-end test needs before it starts
# (root, the peers, the built milter); bails out (tests/lib.sh) naming the
# test and what is missing: a FAIL, never a skip.
pf_e2e_require() {
	local t
	t=$(basename "$0" .sh)
	pf_require_root || bail "$t needs root to run a private Postfix (run make check as root)"
	pf_require_tools || bail "$t: a test peer is missing (see above)"
	[ -x "$SMIME_MILTER" ] || bail "smime-milter not built at $SMIME_MILTER"
}

# Names the Debian package of the first missing tool.
pf_require_tools() {
	local t pkg
	for t in postfix:postfix postconf:postfix postqueue:postfix \
		 smtp-sink:postfix swaks:swaks "$PF_PY":python3; do
		pkg=${t##*:}
		t=${t%:*}
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "postfix_lib: $t not found (apt-get install $pkg)" >&2
			return 1
		fi
	done
	if ! getent passwd postfix >/dev/null || ! getent group postdrop >/dev/null; then
		echo "postfix_lib: no postfix user or postdrop group (apt-get install postfix)" >&2
		return 1
	fi
}

# N distinct TCP ports free on 127.0.0.1 right now: held open together so
# the kernel cannot hand out the same one twice.
pf_free_ports() {
	"$PF_PY" - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

# True when something listens on 127.0.0.1:PORT (or 0.0.0.0:PORT); reads
# /proc/net/tcp so that probing never opens a connection to the milter.
pf_port_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" 'NR > 1 && $4 == "0A" &&
		($2 == "0100007F" p || $2 == "00000000" p) { found = 1 }
		END { exit !found }' /proc/net/tcp
}

# A temp dir the postfix user can traverse (a private TMPDIR may not be).
pf_tmpbase() {
	local d=${TMPDIR:-/tmp}
	while [ "$d" != / ] && [ -n "$d" ]; do
		if [ "$(stat -c %A "$d" 2>/dev/null | cut -c10)" != x ] &&
		   [ "$(stat -c %A "$d" 2>/dev/null | cut -c10)" != t ]; then
			echo /tmp
			return
		fi
		d=$(dirname "$d")
	done
	echo "${TMPDIR:-/tmp}"
}

pf_init() {
	local ports
	PF_DIR=$(mktemp -d "$(pf_tmpbase)/smime-e2e.XXXXXX") || return 1
	chmod 755 "$PF_DIR"
	PF_CONF=$PF_DIR/etc
	PF_SINK_DIR=$PF_DIR/sink
	PF_MAILLOG=$PF_DIR/maillog
	PF_MILTER_LOG=$PF_DIR/milter.log
	mkdir -p "$PF_CONF" "$PF_DIR/spool" "$PF_DIR/data" "$PF_SINK_DIR" "$PF_DIR/sent"
	chown postfix "$PF_DIR/data" "$PF_SINK_DIR"
	ports=$(pf_free_ports 3) || return 1
	# shellcheck disable=SC2086 # three numbers, split on purpose
	set -- $ports
	PF_PORT=$1
	PF_SINK_PORT=$2
	PF_MILTER_PORT=$3
	PF_MILTER_PID=
	PF_SINK_PID=
	PF_SASL_DIR=
	export PF_DIR PF_CONF PF_SINK_DIR PF_MAILLOG PF_PORT PF_SINK_PORT PF_MILTER_PORT
}

# pf_wait_for SECS CMD...: waits up to SECS seconds for CMD to succeed.
pf_wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# pf_milter_start BIN CONF: the milter in the foreground (-f, logs to
# stderr) with its stderr in $PF_MILTER_LOG.
pf_milter_start() {
	local bin=$1 conf=$2
	(cd "$PF_DIR" && exec "$bin" -c "$conf" -f) 2>>"$PF_MILTER_LOG" &
	PF_MILTER_PID=$!
	if ! pf_wait_for 15 pf_port_listening "$PF_MILTER_PORT"; then
		echo "postfix_lib: the milter does not listen on 127.0.0.1:$PF_MILTER_PORT;" \
		     "its log:" >&2
		sed 's/^/  /' "$PF_MILTER_LOG" >&2
		return 1
	fi
	if ! kill -0 "$PF_MILTER_PID" 2>/dev/null; then
		echo "postfix_lib: the milter exited at start; its log:" >&2
		sed 's/^/  /' "$PF_MILTER_LOG" >&2
		return 1
	fi
}

# pf_main_cf DIR HOSTNAME MYNETWORKS NEXTHOP_PORT MAILLOG: the main.cf lines
# every private instance shares (its own queue, data and log inside DIR,
# loopback only, no DNS, every message relayed to 127.0.0.1:NEXTHOP_PORT,
# and nothing changed in transit but Postfix's own Received: line).
pf_main_cf() {
	cat <<EOF
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $2
mydomain = test
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = $3
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
default_transport = smtp:[127.0.0.1]:$4
relay_transport = smtp:[127.0.0.1]:$4
message_size_limit = 52428800
# Postfix must change nothing but add its Received: header.
local_header_rewrite_clients =
message_drop_headers =
smtp_line_length_limit = 0
disable_mime_output_conversion = yes
# Logs stay inside the temp dir.
maillog_file = $5
maillog_file_prefixes = $PF_DIR
# Retry quickly when the next hop was not ready.
queue_run_delay = 1s
minimal_backoff_time = 1s
biff = no
EOF
}

pf_write_config() {
	local milter=$1
	{
		echo "# Private test instance written by tests/postfix_lib.sh; nothing here is"
		echo "# shared with the system Postfix."
		# 127.0.0.1 (outbound, in InternalHosts) and 127.0.0.2 (inbound) may relay
		pf_main_cf "$PF_DIR" "$PF_MYHOSTNAME" "127.0.0.1/32, 127.0.0.2/32" \
			"$PF_SINK_PORT" "$PF_MAILLOG"
		echo "maximal_backoff_time = 2s"
	} >"$PF_CONF/main.cf"
	if [ -n "$milter" ]; then
		cat >>"$PF_CONF/main.cf" <<EOF
# A milter that is down must stop mail (tempfail), never be bypassed.
smtpd_milters = $milter
milter_default_action = tempfail
milter_protocol = 6
EOF
	fi
	pf_write_master "$PF_PORT" >"$PF_CONF/master.cf"
	[ -z "${PF_SASL_DIR-}" ] || pf_sasl_config
}

# pf_write_master PORT: the master.cf of a private instance whose smtpd
# listens on 127.0.0.1:PORT (every service unchrooted).
pf_write_master() {
	cat <<EOF
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$1 inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n -  0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n -  - trivial-rewrite
bounce     unix  - - n -  0 bounce
defer      unix  - - n -  0 bounce
trace      unix  - - n -  0 bounce
verify     unix  - - n -  1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -  - proxymap
proxywrite unix  - - n -  1 proxymap
smtp       unix  - - n -  - smtp
relay      unix  - - n -  - smtp
showq      unix  n - n -  - showq
error      unix  - - n -  - error
retry      unix  - - n -  - error
discard    unix  - - n -  - discard
anvil      unix  - - n -  1 anvil
scache     unix  - - n -  1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
}

# pf_start [MILTER]: MILTER is a Postfix milter address such as
# inet:127.0.0.1:PORT; without it Postfix runs with no milter.
pf_start() {
	local milter=${1-}
	pf_write_config "$milter"
	pf_sink_start || return 1
	pf_start_instance "$PF_CONF" "$PF_DIR" "$PF_PORT" "$PF_MAILLOG"
}

# pf_sink_start: smtp-sink on 127.0.0.1:$PF_SINK_PORT, one file per
# message in $PF_SINK_DIR (also the next hop of tests/sendmail_lib.sh).
pf_sink_start() {
	# shellcheck disable=SC2086 # options, split on purpose
	(cd "$PF_DIR" && exec smtp-sink ${PF_SINK_OPTS-} -u postfix -d "$PF_SINK_DIR/%H%M%S." \
		"127.0.0.1:$PF_SINK_PORT" 64) 2>>"$PF_DIR/sink.log" &
	PF_SINK_PID=$!
	if ! pf_wait_for 10 pf_port_listening "$PF_SINK_PORT"; then
		echo "postfix_lib: smtp-sink did not start:" >&2
		cat "$PF_DIR/sink.log" >&2
		return 1
	fi
}

# pf_start_instance CONF DIR PORT MAILLOG: starts the Postfix of CONF and
# waits until it listens on PORT; on failure shows DIR/postfix-start.log
# and MAILLOG.
pf_start_instance() {
	if ! postfix -c "$1" start >>"$2/postfix-start.log" 2>&1 ||
	   ! pf_wait_for 15 pf_port_listening "$3"; then
		echo "postfix_lib: postfix -c $1 start failed:" >&2
		cat "$2/postfix-start.log" "$4" >&2 2>/dev/null
		return 1
	fi
}

# ---- SMTP AUTH ------------------------------------------------------------
# Cyrus SASL reads $PF_CONF/sasl/smtpd.conf (Postfix's smtpd_sasl_path
# "smtpd" names it: Debian's Postfix 3.7 looks in config_directory/sasl
# whatever cyrus_sasl_config_path says, which is set to it all the same),
# and that names the sasldb in $PF_SASL_DIR, owned by postfix, whose
# unchrooted smtpd reads it (in $PF_CONF, postfix start would warn that
# root does not own it).  The passwords are not secrets of the suite:
# swaks's transcripts carry them in base64 (AUTH PLAIN).

# pf_up CONF [MTA START...]: smime-milter ($SMIME_MILTER) with CONF, then
# Postfix with it as its milter (or the MTA that the command START starts,
# e.g. Sendmail sm_start); bails out with what either said when it does
# not start.
pf_up() {
	local conf=$1 mta=${2:-Postfix}
	shift
	[ $# -eq 0 ] || shift
	[ $# -gt 0 ] || set -- pf_start "inet:127.0.0.1:$PF_MILTER_PORT"
	pf_milter_start "$SMIME_MILTER" "$conf" 2>"$PF_DIR/start.err" ||
		{ sed 's/^/#   /' "$PF_DIR/start.err"; bail "the milter did not start"; }
	"$@" 2>"$PF_DIR/start.err" ||
		{ sed 's/^/#   /' "$PF_DIR/start.err"; bail "$mta did not start"; }
}

# pf_enable_sasl USER PASS: Cyrus looks a login up as LOCAL@REALM, the
# realm being the login's domain, or for a login without @ the server's
# name ($PF_MYHOSTNAME, as smtpd_sasl_local_domain is empty); USER is
# stored so.  Postfix reports the login as the client sent it
# (sasl_username= in the maillog, the milter's {auth_authen}).
pf_enable_sasl() {
	local user=$1 realm=$PF_MYHOSTNAME
	case $user in
	*@*)
		realm=${user##*@}
		user=${user%@*} ;;
	esac
	PF_SASL_DIR=$PF_DIR/sasl
	mkdir -p "$PF_SASL_DIR" "$PF_CONF/sasl" || return 1
	if ! printf '%s' "$2" | saslpasswd2 -f "$PF_SASL_DIR/sasldb2" -p -c -u "$realm" \
		"$user" >>"$PF_SASL_DIR/saslpasswd2.err" 2>&1; then
		echo "postfix_lib: saslpasswd2 failed (apt-get install sasl2-bin):" >&2
		cat "$PF_SASL_DIR/saslpasswd2.err" >&2
		return 1
	fi
	chown postfix "$PF_SASL_DIR/sasldb2" && chmod 600 "$PF_SASL_DIR/sasldb2" || return 1
	printf '%s\n' 'pwcheck_method: auxprop' 'auxprop_plugin: sasldb' \
		"sasldb_path: $PF_SASL_DIR/sasldb2" 'mech_list: PLAIN LOGIN' \
		>"$PF_CONF/sasl/smtpd.conf"
	export PF_SASL_DIR
}

# The main.cf settings pf_enable_sasl asked for; an authenticated client
# may relay from any address.  milter_mail_macros keeps its default,
# which has {auth_authen}.
pf_sasl_config() {
	postconf -c "$PF_CONF" -e \
		"cyrus_sasl_config_path = $PF_CONF/sasl" \
		'smtpd_sasl_auth_enable = yes' \
		'smtpd_sasl_type = cyrus' \
		'smtpd_sasl_path = smtpd' \
		'smtpd_sasl_security_options = noanonymous' \
		'smtpd_tls_auth_only = no' \
		'broken_sasl_auth_clients = no' \
		'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject'
}

# ---- a second instance: the upstream that queues and retries ------------
# It lives in $PF_DIR/up (its own config, queue and data directories,
# maillog and master), accepts any mail from loopback on
# 127.0.0.1:$PF_UP_PORT without a milter, and relays all of it to the
# instance above (127.0.0.1:$PF_PORT).  A message the next hop tempfails
# stays in its queue and is retried within a few seconds.

pf_upstream_init() {
	PF_UP_DIR=$PF_DIR/up
	PF_UP_CONF=$PF_UP_DIR/etc
	PF_UP_MAILLOG=$PF_UP_DIR/maillog
	mkdir -p "$PF_UP_CONF" "$PF_UP_DIR/spool" "$PF_UP_DIR/data" || return 1
	chown postfix "$PF_UP_DIR/data"
	# Not one of pf_init's three, which nothing holds yet.
	PF_UP_PORT=$PF_PORT
	while [ "$PF_UP_PORT" = "$PF_PORT" ] || [ "$PF_UP_PORT" = "$PF_SINK_PORT" ] ||
	      [ "$PF_UP_PORT" = "$PF_MILTER_PORT" ]; do
		PF_UP_PORT=$(pf_free_ports 1) || return 1
	done
	export PF_UP_DIR PF_UP_CONF PF_UP_MAILLOG PF_UP_PORT
}

# pf_upstream_start [BIND_IP]: its SMTP client connects from BIND_IP
# (default 127.0.0.2, outside InternalHosts: the mail is inbound).
pf_upstream_start() {
	local bind=${1:-127.0.0.2}
	{
		echo "# Private upstream written by tests/postfix_lib.sh (pf_upstream_start)."
		# Not $PF_MYHOSTNAME: the next hop would see a mail loop to itself.
		pf_main_cf "$PF_UP_DIR" upstream.test 127.0.0.0/8 "$PF_PORT" "$PF_UP_MAILLOG"
		cat <<EOF
smtp_bind_address = $bind
# Retry a tempfailed message within seconds, and never give up on the
# next hop as a whole because some of its sessions failed.
maximal_backoff_time = 3s
default_destination_concurrency_failed_cohort_limit = 1000
# A session whose milter died tempfails every later MAIL FROM (Postfix
# connects milters per SMTP session), and smtpd sleeps a second per error
# after ten: a cached session would burn the queue on it.  One message,
# one session.
smtp_connection_cache_on_demand = no
EOF
	} >"$PF_UP_CONF/main.cf"
	pf_write_master "$PF_UP_PORT" >"$PF_UP_CONF/master.cf"
	pf_start_instance "$PF_UP_CONF" "$PF_UP_DIR" "$PF_UP_PORT" "$PF_UP_MAILLOG"
}

pf_upstream_running() {
	local pid
	pid=$(tr -d ' ' 2>/dev/null <"$PF_UP_DIR/spool/pid/master.pid") || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# The number of messages in the upstream's queue.
pf_upstream_queued() {
	postqueue -c "$PF_UP_CONF" -j 2>/dev/null | grep -c queue_id
}

# Retry every deferred message now.
pf_upstream_flush() {
	postqueue -c "$PF_UP_CONF" -f >/dev/null 2>&1
}

# Stops the upstream's master; 0 when it is gone (or never ran).
pf_upstream_stop() {
	[ -n "${PF_UP_DIR-}" ] && [ -d "$PF_UP_DIR" ] || return 0
	pf_upstream_running || return 0
	postfix -c "$PF_UP_CONF" stop >>"$PF_UP_DIR/postfix-stop.log" 2>&1
	pf_wait_for 20 eval '! pf_upstream_running'
}

# The message as SMTP carries it: CRLF line ends, a final CRLF.
pf_normalise() {
	"$PF_PY" - "$1" "$2" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
if not d.endswith(b"\r\n"):
    d += b"\r\n"
open(sys.argv[2], "wb").write(d)
EOF
}

# The DATA payload for swaks -ndf: normalised, dot-stuffed, ending in
# "CRLF." (swaks adds the last CRLF).
pf_wire() {
	"$PF_PY" - "$1" "$2" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
if not d.endswith(b"\r\n"):
    d += b"\r\n"
lines = d[:-2].split(b"\r\n")
out = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)
open(sys.argv[2], "wb").write(out + b"\r\n.")
EOF
}

# pf_send FILE FROM TO [CLIENT_IP [SWAKS_OPTION...]]: TO may be a
# comma-separated list.  The message is sent byte for byte (swaks -ndf: no
# header added, no token replaced); only line ends and dot-stuffing are
# what SMTP demands.  It goes to $PF_SEND_PORT when set, else $PF_PORT;
# the queue id is read from Postfix's "queued as QID" or Sendmail's
# "QID Message accepted for delivery".
pf_send() {
	local file=$1 from=$2 to=$3 ip=${4:-127.0.0.1} wire log rc qid
	shift 3
	[ $# -eq 0 ] || shift
	wire=$(mktemp "$PF_DIR/sent/wire.XXXXXX") || return 1
	log=$wire.swaks
	pf_wire "$file" "$wire" || return 1
	timeout 300 swaks -ndf --suppress-data --server 127.0.0.1 --port "${PF_SEND_PORT:-$PF_PORT}" \
		--local-interface "$ip" --helo client.test \
		--from "$from" --to "$to" --data "@$wire" "$@" >"$log" 2>&1
	rc=$?
	cp "$log" "$PF_DIR/last-swaks.log"
	qid=$(sed -n -e 's/^<-  250 .*queued as \([0-9A-Za-z]*\).*/\1/p' \
		-e 's/^<-  250 [0-9.]* \([0-9A-Za-z]*\) Message accepted for delivery.*/\1/p' \
		"$log" | tail -n 1)
	[ "$rc" -eq 0 ] && [ -n "$qid" ] || return 1
	echo "$qid"
}

# pf_send_auth FILE FROM TO CLIENT_IP USER PASS
pf_send_auth() {
	pf_send "$1" "$2" "$3" "$4" --auth PLAIN --auth-user "$5" --auth-password "$6"
}

# The reply Postfix gave to the last pf_send's failing command.
pf_last_reply() {
	grep -E '^<~?\*\* +[45][0-9][0-9]' "$PF_DIR/last-swaks.log" | tail -n 1 |
		sed 's/^<~\?\*\* *//'
}

pf_queue_empty() {
	[ -z "$(postqueue -c "$PF_CONF" -j 2>/dev/null)" ]
}

pf_wait_drain() {
	pf_wait_for "${1:-60}" pf_queue_empty
}

pf_removed() {
	grep -q "postfix/qmgr\[[0-9]*\]: $1: removed" "$PF_MAILLOG" 2>/dev/null
}

# pf_wait_logged SECS CHECK QID: waits up to SECS seconds for CHECK QID
# (a test of $PF_MAILLOG) to succeed; else shows the lines of QID.
pf_wait_logged() {
	pf_wait_for "$1" "$2" "$3" && return 0
	echo "postfix_lib: $3 not delivered within ${1}s:" >&2
	grep "$3" "$PF_MAILLOG" >&2
	return 1
}

# pf_wait_delivered QID [SECS]: prints the sink file holding QID once
# Postfix delivered it (status=sent) and removed it from its queue.  Its
# Received: says "with ESMTPA" when the client authenticated.
pf_wait_delivered() {
	local qid=$1 secs=${2:-60}
	pf_wait_logged "$secs" pf_removed "$qid" || return 1
	if ! grep -q "$qid: to=<.*status=sent" "$PF_MAILLOG"; then
		echo "postfix_lib: $qid was removed without being sent:" >&2
		grep "$qid" "$PF_MAILLOG" >&2
		return 1
	fi
	pf_sink_file "$qid" "$PF_MYHOSTNAME \(Postfix\)"
}

# pf_sink_file QID BY: prints the sink file of the message whose
# Received: field says "by BY with ESMTP id QID" (BY an extended regular
# expression; also ESMTPA, ESMTPS, ESMTPSA, SMTP).
pf_sink_file() {
	local f
	f=$(grep -l -E "^[[:space:]]+by $2 with E?SMTPS?A? id $1\b" \
		"$PF_SINK_DIR"/* 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		echo "postfix_lib: $1 was sent but no sink file has it" >&2
		return 1
	fi
	echo "$f"
}

# pf_strip_trace SINKFILE QID OUT: removes exactly what was added on the
# way - smtp-sink's X-Client-Addr/-Proto, X-Helo-Args, X-Mail-Args and
# X-Rcpt-Args lines, smtp-sink's Received: header, Postfix's Received:
# header for QID and the sink's final empty line - and writes the rest
# with CRLF line ends.  Fields the milter inserted at the top (above
# Postfix's Received:) are part of the rest, so a byte comparison with
# the message as sent sees them.  Fails (saying why) when the trace is not
# there as described.
pf_strip_trace() {
	"$PF_PY" - "$1" "$2" "$3" "$PF_MYHOSTNAME" <<'EOF'
import re, sys
path, qid, out, host = sys.argv[1:5]
lines = open(path, "rb").read().split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()          # the split after the final newline
if not lines or lines[-1] != b"":
    sys.exit("no final empty line from smtp-sink in " + path)
lines.pop()              # smtp-sink's final empty line
i = 0
sink = (b"X-Client-Addr:", b"X-Client-Proto:", b"X-Helo-Args:",
        b"X-Mail-Args:", b"X-Rcpt-Args:")
while i < len(lines) and lines[i].startswith(sink):
    i += 1
def header(i):
    j = i + 1
    while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
        j += 1
    return b"\n".join(lines[i:j]), j
if i == 0:
    sys.exit("no smtp-sink trace lines in " + path)
h, i = header(i)
if not h.startswith(b"Received:") or b"by smtp-sink" not in h:
    sys.exit("expected smtp-sink's Received: header, got %r" % h[:200])
# Fields a milter inserted at the top sit above Postfix's Received: line;
# they belong to the message as delivered and are kept, in their place.
want = ("by %s (Postfix) with " % host).encode()
above = []
while True:
    if i >= len(lines) or lines[i] in (b"", b"\r"):
        sys.exit("no Postfix Received: header for %s in %s" % (qid, path))
    start = i
    h, i = header(i)
    if h.startswith(b"Received:") and want in h and \
       re.search(rb"\bid " + qid.encode() + rb"\b", h):
        break
    above += lines[start:i]
rest = above + lines[i:]
body = b"\r\n".join(l[:-1] if l.endswith(b"\r") else l for l in rest)
open(out, "wb").write(body + b"\r\n" if rest else b"")
EOF
}

# Pids of live processes whose working directory is inside $PF_DIR, but
# not this shell: callers must not cd into $PF_DIR themselves.  One find
# over /proc (run from /, so it does not count itself) instead of a
# readlink per process.
pf_leftover_pids() {
	(cd / && exec find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/cwd' \
		\( -lname "$PF_DIR" -o -lname "$PF_DIR/*" \) 2>/dev/null) |
		cut -d/ -f3 | grep -v -x -e "$$" -e "${BASHPID:-$$}"
}

pf_no_leftovers() {
	[ -z "$(pf_leftover_pids)" ]
}

pf_master_running() {
	local pid
	pid=$(tr -d ' ' 2>/dev/null <"$PF_DIR/spool/pid/master.pid") || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# pf_term PID NAME: SIGTERM to PID, a child of this shell, and up to 15 s
# for it to exit; then SIGKILL, and 1.  Else 0, with its exit status in
# PF_TERM_STATUS.
pf_term() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	if ! pf_wait_for 15 eval "! kill -0 $pid 2>/dev/null"; then
		echo "postfix_lib: $2 ignored SIGTERM; killing it" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid" 2>/dev/null
	PF_TERM_STATUS=$?
}

# pf_stop_milter: SIGTERM (the graceful stop); returns its exit status,
# or 1 when it had to be killed.
pf_stop_milter() {
	local pid=$PF_MILTER_PID
	[ -n "$pid" ] || return 0
	PF_MILTER_PID=
	pf_term "$pid" "the milter" || return 1
	return "$PF_TERM_STATUS"
}

# Stops everything pf_* started.  0 when nothing is left running.
pf_stop() {
	local rc=0 p
	[ -n "${PF_DIR-}" ] && [ -d "$PF_DIR" ] || return 0
	pf_upstream_stop || rc=1
	if pf_master_running; then
		postfix -c "$PF_CONF" stop >>"$PF_DIR/postfix-stop.log" 2>&1
		pf_wait_for 20 eval '! pf_master_running' || rc=1
	fi
	if [ -n "${PF_SINK_PID-}" ]; then
		kill -TERM "$PF_SINK_PID" 2>/dev/null
		wait "$PF_SINK_PID" 2>/dev/null
		PF_SINK_PID=
	fi
	pf_stop_milter >/dev/null 2>&1
	# Postfix children exit once master is gone; give them a moment.
	if ! pf_wait_for 10 pf_no_leftovers; then
		rc=1
		for p in $(pf_leftover_pids); do
			echo "postfix_lib: still running: $p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" >&2
			kill -KILL "$p" 2>/dev/null
		done
	fi
	return "$rc"
}

pf_cleanup() {
	pf_stop
	if [ -n "${PF_DIR-}" ] && [ -d "$PF_DIR" ]; then
		# tests/lib.sh's evidence for secrets_in_logs; contrib/quickstart
		# uses this file without lib.sh.
		! declare -F evidence_keep >/dev/null || evidence_keep "$PF_DIR"
		if [ "${PF_KEEP-0}" = 1 ]; then
			echo "# kept $PF_DIR for inspection" >&2
		else
			rm -rf "$PF_DIR"
		fi
	fi
}
