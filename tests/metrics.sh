# metrics.sh - MetricsFile (SPEC section 10) through a real Postfix.
#
# The milter runs under the unit's UMask=0027 with MetricsInterval 1 and
# gets mail of each kind from a private Postfix: plain inbound, signed
# (pass), signed and changed (fail), RC2-40 re-encrypted, outbound signed,
# rejected and tagged by a rule, and one internal error (TempDirectory
# gone).  The file, read with the Prometheus client's own parser
# (python3-prometheus-client, tests/metrics_check.py), holds exactly
# those counts; it is 0644; the counters survive a SIGHUP and a refused
# reload (which it counts); a reader polling it in a tight loop while
# 1,000 messages pass (smtp-source) never sees a partial file, a missing
# family, a counter going down or a second *.prom name; a file that
# cannot be written changes no mail and is logged once, not once per
# interval; the Grafana dashboard asks only for series the file has.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"

pf_e2e_require
command -v smtp-source >/dev/null 2>&1 || bail "smtp-source not found (apt-get install postfix)"
CHECK="$PF_PY $top_srcdir/tests/metrics_check.py"
"$PF_PY" -c 'import prometheus_client' 2>/dev/null ||
	bail "python3-prometheus-client is missing (apt-get install python3-prometheus-client)"

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
K=$PF_DIR/keys
PROM=$PF_DIR/prom
M=$PROM/smime-milter.prom
mkdir -p "$PF_DIR/tmp" "$K" "$PROM" && mkdir -m 700 "$PF_DIR/ks"
LEGACY="-provider legacy -provider default"

# ---- -n: the configuration of MetricsFile and MetricsInterval ----
nconf() { # nconf NAME LINE...: a config for -n
	printf '%s\n' "Socket inet:$PF_MILTER_PORT@127.0.0.1" "TempDirectory $PF_DIR/tmp" \
		"${@:2}" >"$PF_DIR/$1.conf"
	out=$("$SMIME_MILTER" -n -c "$PF_DIR/$1.conf" 2>&1)
	st=$?
}
nconf interval "MetricsFile $M" "MetricsInterval 0"
is "$st" 1 "-n: MetricsInterval 0 makes the config unusable"
case $out in "$PF_DIR/interval.conf:4: MetricsInterval: "*) r=0 ;; *) r=1 ;; esac
ok $r "-n: and says so as FILE:LINE: key: message" || diag "$out"
nconf nowhere "MetricsFile $PF_DIR/nowhere/m.prom"
is "$st" 1 "-n: a MetricsFile in a missing directory makes the config unusable"
is "$out" "$PF_DIR/nowhere.conf: MetricsFile: directory $PF_DIR/nowhere does not exist" \
	"-n: and names the directory"
nconf txt "MetricsFile $PROM/metrics.txt"
is "$st" 0 "-n: a MetricsFile not ending in .prom is usable"
case $out in *"warning: MetricsFile $PROM/metrics.txt does not end in .prom"*) r=0 ;; *) r=1 ;; esac
ok $r "-n: but warned about: the textfile collector would not read it" || diag "$out"

# ---- keys and mail of each kind ----
test_ca "$K" || bail "CA"
for r in bob:bob@example.net alice:alice@example.org; do
	keystore_issue "$K" "$PF_DIR/ks" "${r%%:*}" "${r#*:}" || bail "key for ${r#*:}"
done
issue_cert "$K" carol "subjectAltName=email:carol@legacy.example" || bail "carol's certificate"
printf 'Content-Type: text/plain\r\n\r\nFor Bob only.\r\n' >"$K/inner.txt"
evidence_secret "$K/inner.txt"
{
	printf 'X-Mailer: Microsoft Windows Mobile 5.0\r\n'
	openssl cms -encrypt -rc2-40 $LEGACY -binary -in "$K/inner.txt" -from carol@legacy.example \
		-to bob@example.net -subject "from the phone" "$K/bob.pem"
} >"$K/rc2.eml" || bail "RC2-40 message"
signed_mail "$K" carol "$K/pass.eml" "From: carol@legacy.example" "To: bob@example.net" ||
	bail "signed message"
sed 's/Signed text of carol/Changed text of carol/' "$K/pass.eml" >"$K/fail.eml"
mail_with() { # mail_with OUT FROM SUBJECT
	printf 'From: %s\r\nTo: bob@example.net\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\nHello.\r\n' \
		"$2" "$3" "$RANDOM$RANDOM" >"$1"
}
mail_with "$K/plain.eml" dave@example.net "plain"
mail_with "$K/reject.eml" dave@example.net "reject-me"
mail_with "$K/tag.eml" dave@example.net "tag-me"
mail_with "$K/out.eml" alice@example.org "please sign"
head -c 3000 /dev/zero | tr '\0' x | fold -w 70 >>"$K/tag.eml"
cp "$K/tag.eml" "$K/big.eml"

cat >"$PF_DIR/smime.rules" <<'EOF'
when header Subject reject-me then reject "5.7.1 not wanted"
when header Subject tag-me then tag
when cipher weak then reencrypt aes-256-cbc
when outbound and from *@example.org then sign
EOF
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
BodyMemoryLimit 1K
TrustAnchorFile $K/ca.pem
KeyStore $PF_DIR/ks
SignUnauthenticated yes
Rules $PF_DIR/smime.rules
MetricsFile $M
MetricsInterval 1
EOF

# The unit's UMask=0027: the file must still be readable by the collector.
umask 027
pf_up "$conf"
umask 022
pass "Postfix with smime-milter (UMask 0027, MetricsFile, MetricsInterval 1) is running"

# metrics_are SERIES=N... : waits up to 10 s for the file to say exactly
# that; every other counter 0 (metrics_check.py check).
metrics_are() {
	local i
	for i in $(seq 100); do
		$CHECK check "$M" "$@" >"$PF_DIR/check.out" 2>&1 && return 0
		sleep 0.1
	done
	sed 's/^/#   /' "$PF_DIR/check.out"
	return 1
}
# logged N PATTERN: waits up to 10 s for N lines matching PATTERN in the
# milter's log.
logged() {
	local i n
	for i in $(seq 100); do
		n=$(grep -c -- "$2" "$PF_MILTER_LOG" 2>/dev/null)
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

pf_wait_for 10 test -f "$M"
ok $? "the milter writes MetricsFile at start"
is "$(stat -c %a "$M")" 644 "MetricsFile is mode 0644 under UMask 0027"
metrics_are
ok $? "at start every series is there, at 0, and the file parses"

send() { # send FILE FROM IP NAME: sent, and through the milter
	local qid
	if qid=$(pf_send "$1" "$2" bob@example.net "$3"); then
		logged 1 "$qid: dir=" || diag "no log line for $qid"
		pass "$4: accepted"
	else
		fail "$4: accepted"
		diag "reply: $(pf_last_reply)"
	fi
}
send "$K/plain.eml" dave@example.net 127.0.0.2 "plain inbound"
send "$K/pass.eml" carol@legacy.example 127.0.0.2 "signed inbound"
send "$K/fail.eml" carol@legacy.example 127.0.0.2 "signed and changed inbound"
send "$K/rc2.eml" carol@legacy.example 127.0.0.2 "RC2-40 inbound"
send "$K/tag.eml" dave@example.net 127.0.0.2 "tagged inbound"
send "$K/out.eml" alice@example.org 127.0.0.1 "outbound from alice"
! pf_send "$K/reject.eml" dave@example.net bob@example.net 127.0.0.2 >/dev/null
ok $? "the reject rule rejects" || diag "reply: $(pf_last_reply)"
case $(pf_last_reply) in 550*) r=0 ;; *) r=1 ;; esac
ok $r "with 550" || diag "reply: $(pf_last_reply)"
grep -q "dir=inbound .*action=reencrypted new-cipher=aes-256-cbc" "$PF_MILTER_LOG" &&
	grep -q "dir=outbound .*sign=signed" "$PF_MILTER_LOG" &&
	grep -q "result=fail reason=bad-signature" "$PF_MILTER_LOG" &&
	grep -q "signer=carol@legacy.example result=pass" "$PF_MILTER_LOG"
ok $? "the log lines say reencrypted, signed, fail and pass" ||
	grep 'dir=' "$PF_MILTER_LOG" | sed 's/^/#   /'

# An internal error: a body over BodyMemoryLimit with TempDirectory gone.
rmdir "$PF_DIR/tmp"
! pf_send "$K/big.eml" dave@example.net bob@example.net 127.0.0.2 >/dev/null
ok $? "a body that cannot spill is refused (internal error)" || diag "reply: $(pf_last_reply)"
mkdir "$PF_DIR/tmp"

KINDS=(messages_total:dir=inbound=6 messages_total:dir=outbound=1
	signatures_total:result=pass=1 signatures_total:result=fail=1
	signatures_total:result=none=5
	encrypted_total:strength=weak,action=reencrypted=1
	signed_total:action=signed=1
	actions_total:action=reject=1 actions_total:action=tag=1
	internal_errors_total=1 processing_seconds_count=7)
metrics_are "${KINDS[@]}"
ok $? "one message of each kind: exactly the counts of their log lines"

# ---- SIGHUP: a reload and a refused reload keep the counters ----
before=$($CHECK get "$M" config_reload_timestamp_seconds)
sleep 1 # the timestamp has a resolution of one second
kill -HUP "$PF_MILTER_PID"
logged 1 "reloaded configuration from $conf"
ok $? "SIGHUP reloads"
send "$K/plain.eml" dave@example.net 127.0.0.2 "plain inbound after the reload"
KINDS=("${KINDS[@]/messages_total:dir=inbound=6/messages_total:dir=inbound=7}")
KINDS=("${KINDS[@]/signatures_total:result=none=5/signatures_total:result=none=6}")
KINDS=("${KINDS[@]/processing_seconds_count=7/processing_seconds_count=8}")
metrics_are "${KINDS[@]}"
ok $? "after SIGHUP the counters go on from where they were"
after=$($CHECK get "$M" config_reload_timestamp_seconds)
[ "$after" -gt "$before" ]
ok $? "config_reload_timestamp_seconds moves on ($before, then $after)"

cp "$conf" "$PF_DIR/good.conf"
echo "Bogus yes" >>"$conf"
kill -HUP "$PF_MILTER_PID"
logged 1 "reload of $conf failed"
ok $? "a broken config on SIGHUP is refused"
metrics_are "${KINDS[@]}" config_reloads_failed_total=1
ok $? "config_reloads_failed_total counts it, nothing else moved"
is "$($CHECK get "$M" config_reload_timestamp_seconds)" "$after" \
	"config_reload_timestamp_seconds keeps the running configuration's"
cp "$PF_DIR/good.conf" "$conf"
send "$K/plain.eml" dave@example.net 127.0.0.2 "plain inbound after the refused reload"
KINDS=("${KINDS[@]/messages_total:dir=inbound=7/messages_total:dir=inbound=8}")
KINDS=("${KINDS[@]/signatures_total:result=none=6/signatures_total:result=none=7}")
KINDS=("${KINDS[@]/processing_seconds_count=8/processing_seconds_count=9}")
KINDS+=(config_reloads_failed_total=1)
metrics_are "${KINDS[@]}"
ok $? "after a refused reload the counters go on too"

# ---- 1,000 messages while a reader polls the file ----
rm -f "$PF_DIR/stop"
$CHECK poll "$M" "$PF_DIR/stop" >"$PF_DIR/poll.out" 2>&1 &
reader=$!
(cd "$PF_DIR" && timeout 300 smtp-source -d -s 8 -m 1000 -l 2048 -f dave@example.net \
	-t bob@example.net "127.0.0.1:$PF_PORT") >"$PF_DIR/source.out" 2>&1
ok $? "smtp-source sent 1,000 messages" || sed 's/^/#   /' "$PF_DIR/source.out"
KINDS=("${KINDS[@]/messages_total:dir=outbound=1/messages_total:dir=outbound=1001}")
KINDS=("${KINDS[@]/signatures_total:result=none=7/signatures_total:result=none=1007}")
KINDS=("${KINDS[@]/processing_seconds_count=9/processing_seconds_count=1009}")
for i in $(seq 120); do
	[ "$($CHECK get "$M" messages_total:dir=outbound)" = 1001 ] && break
	sleep 0.5
done
touch "$PF_DIR/stop"
wait "$reader"
metrics_are "${KINDS[@]}"
ok $? "the file counts the 1,000 messages, exactly" || tail -n 3 "$PF_MILTER_LOG" | sed 's/^/#   /'
summary=$(head -n 1 "$PF_DIR/poll.out")
diag "reader: $summary"
case $summary in *" bad=0") r=0 ;; *) r=1 ;; esac
ok $r "the reader never saw a partial file, a missing series, a counter going down or a stray .prom" ||
	sed 's/^/#   /' "$PF_DIR/poll.out"
versions=$(echo "$summary" | sed -n 's/.*versions=\([0-9]*\).*/\1/p')
[ "${versions:-0}" -ge 3 ]
ok $? "while the file was rewritten under it (${versions:-0} versions read)"
is "$(ls -A "$PROM")" "smime-milter.prom" "no temporary file is left in the directory"

# ---- a file that cannot be written ----
rm -f "$M" && mkdir "$M" # rename over a directory fails: EISDIR
logged 1 "MetricsFile $M: rename: Is a directory"
ok $? "a MetricsFile that cannot be written is logged"
send "$K/plain.eml" dave@example.net 127.0.0.2 "mail goes on while MetricsFile cannot be written"
sleep 3 # three more intervals, three more failed writes
is "$(grep -c "MetricsFile $M: " "$PF_MILTER_LOG")" 1 "and logged once, not once per interval"
is "$(ls -A "$PROM")" "smime-milter.prom" "no temporary file is left behind by the failures"
rmdir "$M"
logged 1 "MetricsFile $M written again"
ok $? "the recovery is logged"
KINDS=("${KINDS[@]/messages_total:dir=inbound=8/messages_total:dir=inbound=9}")
KINDS=("${KINDS[@]/signatures_total:result=none=1007/signatures_total:result=none=1008}")
KINDS=("${KINDS[@]/processing_seconds_count=1009/processing_seconds_count=1010}")
metrics_are "${KINDS[@]}"
ok $? "and the file counts the message sent meanwhile"

# ---- the Grafana dashboard asks only for what the milter writes ----
DASH=$top_srcdir/contrib/grafana/smime-milter.json
"$PF_PY" -m json.tool "$DASH" >/dev/null
ok $? "contrib/grafana/smime-milter.json is JSON"
out=$($CHECK grafana "$DASH" "$M"); st=$?
ok $st "every series the dashboard queries is in the metrics file" || diag "$out"

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
metrics_are "${KINDS[@]}"
ok $? "the file written at the stop holds the final counts"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
