# e2e_sign.sh - the `sign` action through a real Postfix.
#
# With SignUnauthenticated yes, mail from 127.0.0.1 (InternalHosts, so
# outbound) is signed with alice's KeyStore key on its way to smtp-sink,
# and the sink copy verifies with `openssl cms -verify -purpose
# smimesign`; the same message sent from 127.0.0.2 (inbound) arrives
# unsigned and the milter logs sign=kept sign-reason=inbound.  A reload
# between two messages of one SMTP session reaches the second (issue 13,
# F9).
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"

DATA=$top_srcdir/tests/data/cms
pf_e2e_require

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
mkdir -p "$PF_DIR/tmp"
mkdir -m 700 "$PF_DIR/ks"
cp "$DATA/alice.pem" "$PF_DIR/ks/alice.crt"
cp "$DATA/alice.key" "$PF_DIR/ks/alice.key"
chmod 600 "$PF_DIR/ks/alice.key"
rules=$PF_DIR/smime.rules
echo 'when from *@example.org then sign' >"$rules"
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
KeyStore $PF_DIR/ks
SignUnauthenticated yes
Rules $rules
EOF

pf_up "$conf"
pass "Postfix with smime-milter, a key store and a sign rule is running"

msg() { # msg SUBJECT: a small message from alice
	local f=$PF_DIR/msg.$RANDOM
	{
		printf 'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n'
		printf 'Subject: %s\r\nMessage-ID: <%s@example.org>\r\n' "$1" "$RANDOM$RANDOM"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n'
		printf 'Content-Transfer-Encoding: 8bit\r\n\r\nGr\303\274\303\237e, Bob.\r\n'
	} >"$f"
	echo "$f"
}

qid=$(pf_send "$(msg 'outbound, please sign')" alice@example.org bob@example.net 127.0.0.1)
ok $? "outbound mail from 127.0.0.1 is accepted" || diag "reply: $(pf_last_reply)"
if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
	grep -qi '^Content-Type: multipart/signed' "$sink"
	ok $? "the sink copy is multipart/signed"
	openssl cms -verify -in "$sink" -CAfile "$DATA/ca.pem" -purpose smimesign \
		-out "$PF_DIR/content" >/dev/null 2>"$PF_DIR/verify.err"
	ok $? "the sink copy verifies with openssl cms -verify -purpose smimesign" ||
		sed 's/^/#   /' "$PF_DIR/verify.err"
	grep -q "Content-Transfer-Encoding: quoted-printable" "$PF_DIR/content"
	ok $? "the 8bit body travelled quoted-printable inside the signature"
	grep -q "$qid: dir=outbound .* sign=signed" "$PF_MILTER_LOG"
	ok $? "the milter logs sign=signed" || diag "$(grep "$qid" "$PF_MILTER_LOG" | head -3)"
else
	fail "outbound mail is signed (not delivered)"
	sed 's/^/#   /' "$PF_DIR/err"
fi

# No MIME-Version and no Content-Type: both are inserted (smfi_insheader).
bare=$PF_DIR/bare.eml
printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: bare\r\n\r\nplain old mail\r\n' >"$bare"
qid=$(pf_send "$bare" alice@example.org bob@example.net 127.0.0.1)
ok $? "a message without MIME headers is accepted" || diag "reply: $(pf_last_reply)"
if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
	is "$(grep -ci '^MIME-Version:' "$sink")" 1 "it arrives with exactly one MIME-Version"
	openssl cms -verify -in "$sink" -CAfile "$DATA/ca.pem" -purpose smimesign \
		-out /dev/null >/dev/null 2>"$PF_DIR/verify.err"
	ok $? "and verifies with openssl cms -verify -purpose smimesign" ||
		sed 's/^/#   /' "$PF_DIR/verify.err"
else
	fail "a message without MIME headers is signed (not delivered)"
	sed 's/^/#   /' "$PF_DIR/err"
fi

qid=$(pf_send "$(msg 'inbound, do not sign')" alice@example.org bob@example.net 127.0.0.2)
ok $? "inbound mail from 127.0.0.2 is accepted" || diag "reply: $(pf_last_reply)"
if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
	! grep -qi 'multipart/signed' "$sink"
	ok $? "inbound mail is not signed"
	grep -q "$qid: dir=inbound .* sign=kept sign-reason=inbound" "$PF_MILTER_LOG"
	ok $? "the milter logs sign=kept sign-reason=inbound" ||
		diag "$(grep "$qid" "$PF_MILTER_LOG" | head -3)"
else
	fail "inbound mail is delivered unsigned (not delivered)"
	sed 's/^/#   /' "$PF_DIR/err"
fi

# Issue 13, F9: a reload reaches an open SMTP session.  One session, two
# messages from alice; between them alice's key leaves the KeyStore and
# the milter is reloaded: the second message is not signed (no-key).
# Postfix keeps one milter connection for the whole session.
cat >"$PF_DIR/session.py" <<'EOF'
import os, re, smtplib, sys, time
d, port, first, second = sys.argv[1:5]
s = smtplib.SMTP("127.0.0.1", int(port), source_address=("127.0.0.1", 0), timeout=120)
s.helo("client.test")
for n, f in enumerate((first, second)):
    if n == 1:
        open(d + "/session.ready", "w").close()
        for _ in range(300):
            if os.path.exists(d + "/session.go"):
                break
            time.sleep(0.1)
    s.mail("alice@example.org")
    s.rcpt("bob@example.net")
    code, resp = s.data(open(f, "rb").read())
    m = re.search(rb"queued as (\w+)", resp)
    print(m.group(1).decode() if code == 250 and m else "failed:%d" % code)
s.quit()
EOF
rm -f "$PF_DIR/session.ready" "$PF_DIR/session.go"
"$PF_PY" "$PF_DIR/session.py" "$PF_DIR" "$PF_PORT" "$(msg 'session, first')" "$(msg 'session, second')" \
	>"$PF_DIR/session.out" 2>&1 &
spid=$!
pf_wait_for 60 test -e "$PF_DIR/session.ready"
rm -f "$PF_DIR/ks/alice.key" "$PF_DIR/ks/alice.crt"
kill -HUP "$PF_MILTER_PID"
pf_wait_for 10 grep -q "reloaded configuration" "$PF_MILTER_LOG"
touch "$PF_DIR/session.go"
wait "$spid"
q1=$(sed -n 1p "$PF_DIR/session.out"); q2=$(sed -n 2p "$PF_DIR/session.out")
if s1=$(pf_wait_delivered "$q1" 60 2>"$PF_DIR/err") && s2=$(pf_wait_delivered "$q2" 60 2>>"$PF_DIR/err"); then
	grep -qi '^Content-Type: multipart/signed' "$s1"
	ok $? "F9: one SMTP session: the first message is signed with alice's key"
	! grep -qi 'multipart/signed' "$s2"
	ok $? "F9: after her key was removed and SIGHUP, the second message of the same session is not signed"
	grep -q "$q2: dir=outbound .* sign=kept sign-reason=no-key" "$PF_MILTER_LOG"
	ok $? "F9: and its log line says no-key" || diag "$(grep "$q2" "$PF_MILTER_LOG" | head -3)"
else
	fail "F9: two messages in one session are delivered"
	sed 's/^/#   /' "$PF_DIR/err" "$PF_DIR/session.out"
fi

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
