# e2e_rules.sh - the Rules actions through a real Postfix.
#
# Inbound mail (sent from 127.0.0.2, outside InternalHosts) meets header
# rules: reject gives the 5xx with the rule's text at the SMTP client,
# tempfail a 4xx, quarantine puts the message on Postfix's hold queue, and
# tag delivers it with X-SMIME-Tag.  A forged X-SMIME-Tag never arrives.
# SIGHUP with a broken rules file keeps the old rules in force.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"
need_corpus

pf_e2e_require

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
mkdir -p "$PF_DIR/tmp"
rules=$PF_DIR/smime.rules
cat >"$rules" <<'EOF'
when inbound and header Subject "*please reject*" then reject "5.7.1 rejected by the e2e header rule"
when inbound and header Subject "*please tempfail*" then tempfail "4.7.1 deferred by the e2e rule"
when inbound and header Subject "*please hold*" then quarantine "held by the e2e rule"
when inbound and header Subject "*please tag*" then tag e2e-label
when cipher weak then tag weak-crypto
EOF
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
Rules $rules
EOF

pf_up "$conf"
pass "Postfix with smime-milter and a rules file is running"

# msg SUBJECT [EXTRA HEADER]: a small message file
msg() {
	local f=$PF_DIR/msg.$RANDOM
	{
		printf 'From: Mobile User <user@legacy.example>\r\nTo: bob@example.net\r\n'
		[ -z "${2-}" ] || printf '%s\r\n' "$2"
		printf 'Subject: %s\r\nMessage-ID: <%s@legacy.example>\r\n\r\nHello.\r\n' "$1" "$RANDOM$RANDOM"
	} >"$f"
	echo "$f"
}

qid=$(pf_send "$(msg 'please reject this')" user@legacy.example bob@example.net 127.0.0.2)
ok $((! $?)) "a header rule's reject refuses the message at SMTP time"
reply=$(pf_last_reply)
case $reply in
"550 5.7.1 rejected by the e2e header rule"*) pass "the SMTP client sees 550 5.7.1 with the rule's text" ;;
*) fail "the SMTP client sees 550 5.7.1 with the rule's text (got: $reply)" ;;
esac

qid=$(pf_send "$(msg 'please tempfail this')" user@legacy.example bob@example.net 127.0.0.2)
ok $((! $?)) "tempfail does not accept the message"
reply=$(pf_last_reply)
case $reply in
"451 4.7.1 deferred by the e2e rule"*) pass "the SMTP client sees 451 4.7.1 with the rule's text" ;;
*) fail "the SMTP client sees 451 4.7.1 with the rule's text (got: $reply)" ;;
esac

qid=$(pf_send "$(msg 'please hold this')" user@legacy.example bob@example.net 127.0.0.2)
ok $? "a quarantined message is accepted" || diag "reply: $(pf_last_reply)"
held() { postqueue -c "$PF_CONF" -j 2>/dev/null | grep -q "\"queue_id\": *\"$qid\".*\"queue_name\": *\"hold\"\|\"queue_name\": *\"hold\".*\"queue_id\": *\"$qid\""; }
pf_wait_for 20 held
ok $? "quarantine puts the message on Postfix's hold queue ($qid)" ||
	diag "$(postqueue -c "$PF_CONF" -j 2>&1 | head -5)"
grep -q "$qid: milter-hold: .*milter triggers HOLD action" "$PF_MAILLOG"
ok $? "Postfix logs that the milter asked for the hold" ||
	diag "$(grep "$qid" "$PF_MAILLOG" | head -5)"
grep -q "$qid: dir=inbound .* action=quarantined" "$PF_MILTER_LOG"
ok $? "the milter's log line says action=quarantined" ||
	diag "$(grep "$qid" "$PF_MILTER_LOG" | head -5)"
postsuper -c "$PF_CONF" -d "$qid" hold >/dev/null 2>&1

qid=$(pf_send "$(msg 'please tag this' 'X-SMIME-Tag: forged-upstream')" user@legacy.example bob@example.net 127.0.0.2)
ok $? "a tagged message is accepted" || diag "reply: $(pf_last_reply)"
if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
	grep -q '^X-SMIME-Tag: e2e-label' "$sink"
	ok $? "tag adds X-SMIME-Tag: e2e-label to the delivered message"
	! grep -q 'forged-upstream' "$sink"
	ok $? "the forged X-SMIME-Tag from upstream is gone"
else
	fail "tag adds X-SMIME-Tag (not delivered)"
	sed 's/^/#   /' "$PF_DIR/err"
fi

qid=$(pf_send "$CORPUS_DIR/openssl-generated/env-rc2-40.eml" sender@example.org bob@example.net 127.0.0.2)
ok $? "an RC2-40 message is accepted"
if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
	grep -q '^X-SMIME-Tag: weak-crypto' "$sink"
	ok $? "'cipher weak' tags the RC2-40 message"
else
	fail "'cipher weak' tags the RC2-40 message (not delivered)"
fi

# A reload with a broken rules file keeps the old rules.
echo 'when inbound and header Subject "*please tag*" then tagg broken' >>"$rules"
kill -HUP "$PF_MILTER_PID"
pf_wait_for 10 grep -q "$rules:6:" "$PF_MILTER_LOG"
ok $? "a reload with a broken rules file logs the error with FILE:LINE:COLUMN" ||
	diag "$(tail -5 "$PF_MILTER_LOG")"
qid=$(pf_send "$(msg 'please reject again')" user@legacy.example bob@example.net 127.0.0.2)
case $(pf_last_reply) in
"550 5.7.1 rejected by the e2e header rule"*) pass "the old rules stay in force after the failed reload" ;;
*) fail "the old rules stay in force after the failed reload (got: $(pf_last_reply))" ;;
esac
kill -0 "$PF_MILTER_PID" 2>/dev/null
ok $? "the milter survived the failed reload"

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
