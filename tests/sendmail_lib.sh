# sendmail_lib.sh - a private, throw-away Sendmail 8.17 for end-to-end
# tests (sourced by tests/e2e_sendmail.sh, after tests/lib.sh).
#
# Built on tests/postfix_lib.sh, which it sources: the same temp dir
# ($PF_DIR), free ports, smtp-sink as the next hop, swaks sending
# (pf_send; PF_SEND_PORT=$SM_MSA_PORT sends to the MSA daemon), milter
# start and stop, and the "no process has a cwd in $PF_DIR" proof that
# everything stopped.  Only Sendmail itself is new here.
#
# Sendmail is Debian's, never installed (sendmail-bin conflicts with
# postfix): contrib/install-deps fetches sendmail-bin, sendmail-base,
# sendmail-cf and libwrap0 with `apt-get download` and unpacks them with
# `dpkg -x` into $SMIME_SENDMAIL_DIR/root (default
# /var/cache/smime-milter-tests/sendmail/root).  How it is run (facts
# checked on Debian 12, /work/shared/NOTES.md):
#   - ld.so reads LD_LIBRARY_PATH (libwrap.so.0 from the tree) and
#     LD_PRELOAD only because install-deps dropped the setgid bit;
#   - there is no /dev/log: tests/syslog_shim.so (built by make check),
#     preloaded, appends Sendmail's syslog lines to $PF_MAILLOG;
#   - under `unshare -u` with the host name mx.test.example, as Sendmail
#     sleeps 60 s at start over an unqualified one;
#   - sendmail -bD (-bd in the foreground, so its pid is the one started
#     here) -q5s, as root, with a sendmail.cf made by m4 from the .mc
#     below: its own queue, pid, status, alias and service-switch files in
#     $PF_DIR, everything relayed to smtp-sink, an MTA daemon on $PF_PORT
#     and an MSA daemon (Name=MSA, M=E) on $SM_MSA_PORT, and the
#     project's own contrib/sendmail/smime-milter.mc included as it is,
#     but for the socket, pointed at $PF_MILTER_PORT.  SM_MILTER_MC=FILE
#     includes FILE instead (to show what a line of it is for).
#
# What its functions promise:
#   sm_require                  fail loudly (never skip) when the machine
#                               cannot run the private Sendmail
#   sm_init                     pf_init, and a fourth port, $SM_MSA_PORT
#   sm_start                    smtp-sink and Sendmail with the milter of
#                               $PF_MILTER_PORT
#   sm_up CONF                  smime-milter with CONF, then sm_start;
#                               bails out with what either said
#   sm_wait_delivered QID [SECS]
#                               prints the sink file of QID once Sendmail
#                               logged it Sent
#   sm_stop                     stop Sendmail, then pf_stop (the sink and
#                               the milter); 0 when nothing is left
#   sm_cleanup                  the EXIT trap: sm_stop, then pf_cleanup
#
# Sendmail adds Date: and Message-Id: to every message that lacks them,
# and refuses bare CR (421 4.5.0) and headers over 32 KB (552 5.6.0).

. "$top_srcdir/tests/postfix_lib.sh"

SM_HOSTNAME=mx.test.example
SM_TREE=${SMIME_SENDMAIL_DIR:-/var/cache/smime-milter-tests/sendmail}/root
SM_BIN=$SM_TREE/usr/libexec/sendmail/sendmail
SM_CF_DIR=$SM_TREE/usr/share/sendmail/cf
SM_SHIM=$top_builddir/tests/syslog_shim.so
SM_PID=

# sm_require: prints nothing when all is there, else why on stderr.
sm_require() {
	local t libwrap
	pf_require_root || return 1
	pf_require_tools || return 1
	for t in m4:m4 unshare:util-linux hostname:hostname; do
		if ! command -v "${t%:*}" >/dev/null 2>&1; then
			echo "sendmail_lib: ${t%:*} not found (apt-get install ${t#*:})" >&2
			return 1
		fi
	done
	libwrap=$(compgen -G "$SM_TREE/usr/lib/*/libwrap.so.0" | head -n 1)
	if [ ! -x "$SM_BIN" ] || [ ! -f "$SM_CF_DIR/m4/cf.m4" ] || [ -z "$libwrap" ]; then
		echo "sendmail_lib: no unpacked Sendmail in $SM_TREE: run contrib/install-deps" \
		     "(it fetches sendmail-bin, sendmail-base, sendmail-cf and libwrap0;" \
		     "SMIME_SENDMAIL_DIR moves it)" >&2
		return 1
	fi
	if [ -g "$SM_BIN" ]; then
		echo "sendmail_lib: $SM_BIN is setgid, so ld.so would ignore LD_PRELOAD:" \
		     "rerun contrib/install-deps after removing $SM_TREE" >&2
		return 1
	fi
	if [ ! -f "$SM_SHIM" ]; then
		echo "sendmail_lib: $SM_SHIM not built (make check builds it)" >&2
		return 1
	fi
}

sm_init() {
	pf_init || return 1
	mkdir -m 700 "$PF_DIR/mqueue" || return 1
	: >"$PF_CONF/aliases"
	printf 'hosts files\naliases files\n' >"$PF_CONF/service.switch"
	# Not one of pf_init's three, which nothing holds yet.
	SM_MSA_PORT=$PF_PORT
	while [ "$SM_MSA_PORT" = "$PF_PORT" ] || [ "$SM_MSA_PORT" = "$PF_SINK_PORT" ] ||
	      [ "$SM_MSA_PORT" = "$PF_MILTER_PORT" ]; do
		SM_MSA_PORT=$(pf_free_ports 1) || return 1
	done
	SM_PID=
	export SM_MSA_PORT
}

# sm_milter_mc: the project's .mc lines (or SM_MILTER_MC) with the
# milter's socket, in $PF_CONF/smime-milter.mc.
sm_milter_mc() {
	local src=${SM_MILTER_MC:-$top_srcdir/contrib/sendmail/smime-milter.mc}
	local want="S=inet:$PF_MILTER_PORT@127.0.0.1"
	sed "s/S=inet:8895@127\.0\.0\.1/$want/" "$src" >"$PF_CONF/smime-milter.mc" || return 1
	if ! grep -q "^INPUT_MAIL_FILTER(.*$want" "$PF_CONF/smime-milter.mc"; then
		echo "sendmail_lib: $src has no INPUT_MAIL_FILTER line with" \
		     "S=inet:8895@127.0.0.1 to point at the test's milter" >&2
		return 1
	fi
}

# sm_write_cf: $PF_CONF/sendmail.mc, and sendmail.cf made from it.
sm_write_cf() {
	sm_milter_mc || return 1
	sed -e "s|@DIR@|$PF_DIR|g" -e "s|@CONF@|$PF_CONF|g" -e "s|@SINK@|$PF_SINK_PORT|g" \
	    -e "s|@MTA@|$PF_PORT|g" -e "s|@MSA@|$SM_MSA_PORT|g" \
	    >"$PF_CONF/sendmail.mc" <<'EOF'
divert(-1)
# Private test instance written by tests/sendmail_lib.sh.
divert(0)dnl
VERSIONID(`smime-milter private test instance')dnl
OSTYPE(`linux')dnl
define(`QUEUE_DIR', `@DIR@/mqueue')dnl
define(`confPID_FILE', `@DIR@/sendmail.pid')dnl
define(`STATUS_FILE', `@DIR@/statistics')dnl
define(`ALIAS_FILE', `@CONF@/aliases')dnl
define(`confSERVICE_SWITCH_FILE', `@CONF@/service.switch')dnl
define(`confDONT_PROBE_INTERFACES', `true')dnl
dnl A busy test machine must not make Sendmail queue or refuse mail.
define(`confQUEUE_LA', `1000')dnl
define(`confREFUSE_LA', `1000')dnl
define(`SMART_HOST', `relay:[127.0.0.1]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h @SINK@')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h @SINK@')dnl
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`promiscuous_relay')dnl
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Port=@MTA@, Addr=127.0.0.1, Name=MTA')dnl
DAEMON_OPTIONS(`Port=@MSA@, Addr=127.0.0.1, Name=MSA, M=E')dnl
dnl The project's contrib/sendmail/smime-milter.mc, socket substituted.
include(`@CONF@/smime-milter.mc')dnl
MAILER(`smtp')dnl
EOF
	if ! m4 -D_CF_DIR_="$SM_CF_DIR/" "$SM_CF_DIR/m4/cf.m4" "$PF_CONF/sendmail.mc" \
		>"$PF_CONF/sendmail.cf" 2>"$PF_DIR/m4.err"; then
		echo "sendmail_lib: m4 failed on $PF_CONF/sendmail.mc:" >&2
		cat "$PF_DIR/m4.err" >&2
		return 1
	fi
}

sm_running() {
	[ -n "$SM_PID" ] && kill -0 "$SM_PID" 2>/dev/null
}

# sm_start: the sink, then Sendmail; waits until both daemons listen.
sm_start() {
	local libdir
	libdir=$(compgen -G "$SM_TREE/usr/lib/*/libwrap.so.0" | head -n 1)
	libdir=${libdir%/*}
	sm_write_cf || return 1
	pf_sink_start || return 1
	(cd "$PF_DIR" && exec unshare -u sh -c 'hostname "$1" && shift && exec env "$@"' sh \
		"$SM_HOSTNAME" SMIME_SYSLOG_FILE="$PF_MAILLOG" LD_PRELOAD="$SM_SHIM" \
		LD_LIBRARY_PATH="$libdir" "$SM_BIN" -C "$PF_CONF/sendmail.cf" -bD -q5s) \
		>>"$PF_DIR/sendmail.log" 2>&1 &
	SM_PID=$!
	if ! pf_wait_for 20 pf_port_listening "$PF_PORT" ||
	   ! pf_wait_for 5 pf_port_listening "$SM_MSA_PORT" || ! sm_running; then
		echo "sendmail_lib: Sendmail did not start:" >&2
		cat "$PF_DIR/sendmail.log" "$PF_MAILLOG" >&2 2>/dev/null
		return 1
	fi
}

sm_up() {
	pf_up "$1" Sendmail sm_start
}

sm_sent() {
	grep -q "sendmail\[[0-9]*\]: $1: to=.*stat=Sent" "$PF_MAILLOG" 2>/dev/null
}

# sm_wait_delivered QID [SECS]: prints the sink file holding QID once
# Sendmail logged it Sent (its Received: says "with ESMTPA" when the
# client authenticated).
sm_wait_delivered() {
	local qid=$1 secs=${2:-60}
	pf_wait_logged "$secs" sm_sent "$qid" || return 1
	pf_sink_file "$qid" "$SM_HOSTNAME \(8\.[^)]*\)"
}

# sm_stop_daemon: SIGTERM to Sendmail; 0 when it exited.
sm_stop_daemon() {
	local pid=$SM_PID
	[ -n "$pid" ] || return 0
	SM_PID=
	pf_term "$pid" Sendmail
}

sm_stop() {
	local rc=0
	[ -n "${PF_DIR-}" ] && [ -d "$PF_DIR" ] || return 0
	sm_stop_daemon || rc=1
	pf_stop || rc=1
	return "$rc"
}

sm_cleanup() {
	sm_stop_daemon
	pf_cleanup
}
