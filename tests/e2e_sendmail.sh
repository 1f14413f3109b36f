# e2e_sendmail.sh - smime-milter behind a real Sendmail 8.17 (issue 18).
#
# A private Sendmail (tests/sendmail_lib.sh: Debian's packages unpacked by
# contrib/install-deps, never installed) runs with the project's own
# contrib/sendmail/smime-milter.mc lines, and the cases of the Postfix
# end-to-end tests go through it: a signed message stamped smime=pass and
# a tampered one smime=fail; RC2-40 re-encrypted with AES-256 and readable
# with openssl cms -decrypt; mail submitted to the MSA daemon signed as
# outbound (OutboundDaemonNames MSA); a reject rule's 550 at the SMTP
# client; a signed message whose signed part holds a 2.7 KB folded
# Content-Disposition (legal) verifying after delivery, as received and as
# the milter signed it; and, the milter down, 451 4.3.2 (F=T).
#
# The long header is what the .mc's confMAX_MIME_HEADER_LENGTH 0/0 line is
# for: without it Sendmail cuts MIME header lines at delivery, after the
# milter, and both signatures break.  To see that:
#   sed '/confMAX_MIME_HEADER_LENGTH/d' contrib/sendmail/smime-milter.mc >/tmp/no-mime.mc
#   SM_MILTER_MC=/tmp/no-mime.mc make check TESTS=tests/e2e_sendmail.sh
#
# Needs root and contrib/install-deps.  Either missing means FAIL, never a
# skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/sendmail_lib.sh"

DATA=$top_srcdir/tests/data/cms
LEGACY="-provider legacy -provider default"
why=$(sm_require 2>&1) || bail "e2e_sendmail cannot run a private Sendmail: $why"
[ -x "$SMIME_MILTER" ] || bail "smime-milter not built at $SMIME_MILTER"

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; sm_cleanup' EXIT

sm_init || bail "cannot set up the Sendmail temp dir"
K=$PF_DIR/keys
mkdir -p "$PF_DIR/tmp" "$K" && mkdir -m 700 "$PF_DIR/ks"
for n in alice bob; do
	cp "$DATA/$n.pem" "$PF_DIR/ks/$n.crt" && install -m 600 "$DATA/$n.key" "$PF_DIR/ks/$n.key"
done
rules=$PF_DIR/smime.rules
cat >"$rules" <<'EOF'
when inbound and signature fail and to *@strict.example then reject "5.7.1 S/MIME signature did not verify"
when cipher weak then reencrypt aes-256-cbc, tag
when from *@example.org then sign
EOF
# Mail from 127.0.0.2 (every message here) is inbound on the MTA daemon
# and outbound on the MSA daemon, by its {daemon_name} alone.
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID $SM_HOSTNAME
InternalHosts 127.0.0.1,::1
OutboundDaemonNames MSA
SignUnauthenticated yes
TempDirectory $PF_DIR/tmp
TrustAnchorFile $DATA/ca.pem
KeyStore $PF_DIR/ks
Rules $rules
EOF

sm_up "$conf"
pass "Sendmail with the project's .mc lines and smime-milter is running"

# ---- the messages -----------------------------------------------------------
# long_cd: a Content-Disposition of about 2.7 KB, folded over 40 lines of
# RFC 2231 continuations (legal: no line over 78 characters).
long_cd() {
	local i seg
	printf 'Content-Disposition: attachment;\r\n'
	for i in $(seq 0 39); do
		seg="Quarterly_figures_part_$(printf '%02d' "$i")_of_the_longer_report_name"
		if [ "$i" -lt 39 ]; then
			printf ' filename*%d="%s";\r\n' "$i" "$seg"
		else
			printf ' filename*%d="%s.pdf"\r\n' "$i" "$seg"
		fi
	done
}

# long_entity OUT: a multipart/mixed entity whose attachment part carries
# the long Content-Disposition.
long_entity() {
	{
		printf 'Content-Type: multipart/mixed; boundary="long-b"\r\n\r\n'
		printf -- '--long-b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
		printf 'The figures are attached.\r\n--long-b\r\n'
		printf 'Content-Type: application/pdf; name="figures.pdf"\r\n'
		long_cd
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		head -c 600 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
		printf -- '--long-b--\r\n'
	} >"$1"
}

# signed FROM TO SUBJECT ENTITY OUT: ENTITY signed by alice (detached).
signed() {
	openssl cms -sign -in "$4" -signer "$DATA/alice.pem" -inkey "$DATA/alice.key" \
		-from "$1" -to "$2" -subject "$3" >"$5" 2>"$PF_DIR/sign.err" ||
		bail "openssl cms -sign: $(head -c 300 "$PF_DIR/sign.err")"
}

# stamp SINKFILE: the result of our A-R field, e.g. "pass".
stamp() {
	grep -A3 "^Authentication-Results: $SM_HOSTNAME;" "$1" | tr -d '\r\n\t' |
		sed -n 's/.*smime=\([a-z]*\).*/\1/p' | head -n 1
}

# cd_arrived SINKFILE: the length of the long Content-Disposition as
# delivered, unfolded, and how it ends.
cd_arrived() {
	tr -d '\r' <"$1" | awk '
		/^Content-Disposition: attachment;$/ { on = 1; v = $0; next }
		on && /^[ \t]/ { v = v $0; next }
		on { printf "%d bytes unfolded, ending in \"%s\"\n", length(v), substr(v, length(v) - 20); exit }'
}

# verifies SINKFILE: openssl checks the signature as delivered.
verifies() {
	openssl cms -verify -in "$1" -CAfile "$DATA/ca.pem" -purpose smimesign \
		-out /dev/null >/dev/null 2>"$PF_DIR/verify.err"
}

# deliver NAME FILE FROM TO [PORT]: sends FILE from 127.0.0.2 (to the MTA
# daemon, or PORT) and sets $sink to the delivered copy; a failure is a
# failed check NAME.
deliver() {
	local qid
	sink=
	qid=$(PF_SEND_PORT=${5-} pf_send "$2" "$3" "$4" 127.0.0.2) ||
		{ fail "$1: accepted"; diag "reply: $(pf_last_reply)"; return 1; }
	sink=$(sm_wait_delivered "$qid" 60 2>"$PF_DIR/err") ||
		{ fail "$1: delivered"; sed 's/^/#   /' "$PF_DIR/err"; return 1; }
	qid_last=$qid
}

printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nSigned by Alice, relayed by Sendmail.\r\n' \
	>"$K/text.txt"
signed alice@example.org bob@example.net "signed" "$K/text.txt" "$K/signed.eml"
sed 's/relayed by Sendmail/changed on the way/' "$K/signed.eml" >"$K/tampered.eml"

# ---- verify -----------------------------------------------------------------
if deliver "signed" "$K/signed.eml" alice@example.org bob@example.net; then
	is "$(stamp "$sink")" pass "a signed message arrives stamped smime=pass"
fi
if deliver "tampered" "$K/tampered.eml" alice@example.org bob@example.net; then
	is "$(stamp "$sink")" fail "a tampered signed message arrives stamped smime=fail"
fi

# ---- reject -----------------------------------------------------------------
pf_send "$K/tampered.eml" alice@example.org bob@strict.example 127.0.0.2 >/dev/null
ok $((! $?)) "the reject rule refuses the tampered message to strict.example"
case $(pf_last_reply) in
"550 5.7.1 S/MIME signature did not verify"*) pass "the client sees the rule's 550 5.7.1 reply" ;;
*) fail "the client sees the rule's 550 5.7.1 reply (got: $(pf_last_reply))" ;;
esac

# ---- reencrypt --------------------------------------------------------------
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nSent from my Windows Mobile phone.\r\nDoor code %s\r\n' \
	"$(openssl rand -hex 12)" >"$K/inner.txt"
evidence_secret "$K/inner.txt"
{
	printf 'X-Mailer: Microsoft Windows Mobile 5.0\r\n'
	openssl cms -encrypt -rc2-40 $LEGACY -binary -in "$K/inner.txt" -from carol@legacy.example \
		-to bob@example.org -subject "from the phone" "$DATA/bob.pem"
} >"$K/rc2.eml" || bail "openssl cms -encrypt -rc2-40"
if deliver "RC2-40" "$K/rc2.eml" carol@legacy.example bob@example.org; then
	grep -q '^X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=aes-256-cbc' "$sink"
	ok $? "RC2-40: X-SMIME-Encryption says reencrypted with aes-256-cbc" ||
		diag "$(grep -i '^X-SMIME' "$sink")"
	is "$(cipher_of "$sink")" aes-256-cbc "RC2-40: the delivered EnvelopedData uses aes-256-cbc"
	openssl cms -decrypt $LEGACY -binary -in "$sink" -recip "$DATA/bob.pem" -inkey "$DATA/bob.key" \
		-out "$PF_DIR/dec" 2>"$PF_DIR/err" && cmp -s "$PF_DIR/dec" "$K/inner.txt"
	ok $? "RC2-40: openssl decrypts the delivered message to the original inner entity" ||
		diag "$(head -c 300 "$PF_DIR/err")"
fi

# ---- sign, outbound by the MSA daemon's name ----------------------------------
printf 'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: please sign\r\nMIME-Version: 1.0\r\n%s\r\n' \
	'Content-Type: text/plain; charset=us-ascii' >"$K/plain.eml"
printf '\r\nSubmitted to the MSA.\r\n' >>"$K/plain.eml"
if deliver "MSA" "$K/plain.eml" alice@example.org bob@example.net "$SM_MSA_PORT"; then
	verifies "$sink"
	ok $? "mail submitted to the MSA daemon arrives signed, and openssl verifies it" ||
		sed 's/^/#   /' "$PF_DIR/verify.err"
	grep -q "$qid_last: dir=outbound .* sign=signed" "$PF_MILTER_LOG"
	ok $? "the milter's log line has Sendmail's queue id ({i}) and dir=outbound ({daemon_name} MSA), sign=signed" ||
		diag "$(grep "$qid_last" "$PF_MILTER_LOG" | head -3)"
fi
if deliver "MTA" "$K/plain.eml" alice@example.org bob@example.net; then
	! grep -qi '^Content-Type: multipart/signed' "$sink"
	ok $? "the same message to the MTA daemon is inbound and not signed"
fi

# ---- the long folded MIME header ----------------------------------------------
long_entity "$K/long.txt"
n=$(long_cd | tr -d '\r\n' | wc -c)
[ "$n" -gt 2650 ] && [ "$n" -lt 2800 ]
ok $? "the test's Content-Disposition is about 2.7 KB ($n bytes unfolded; Sendmail's default limit is 2048)"
signed alice@example.org bob@example.net "long header, signed" "$K/long.txt" "$K/long-signed.eml"
if deliver "long header, signed by the sender" "$K/long-signed.eml" alice@example.org bob@example.net; then
	is "$(stamp "$sink")" pass "long header, signed by the sender: stamped smime=pass"
	verifies "$sink"
	ok $? "long header, signed by the sender: the delivered copy verifies with openssl" ||
		sed 's/^/#   /' "$PF_DIR/verify.err"
	grep -q 'filename\*39="Quarterly_figures_part_39_of_the_longer_report_name.pdf"' "$sink"
	ok $? "long header, signed by the sender: the header arrives whole" ||
		diag "it arrives as $(cd_arrived "$sink")"
fi
{
	printf 'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n'
	printf 'Subject: long header, please sign\r\nMIME-Version: 1.0\r\n'
	cat "$K/long.txt"
} >"$K/long-plain.eml"
if deliver "long header, signed by the milter" "$K/long-plain.eml" alice@example.org \
	bob@example.net "$SM_MSA_PORT"; then
	grep -q "$qid_last: dir=outbound .* sign=signed" "$PF_MILTER_LOG"
	ok $? "long header, signed by the milter: sign=signed" ||
		diag "$(grep "$qid_last" "$PF_MILTER_LOG" | head -3)"
	verifies "$sink"
	ok $? "long header, signed by the milter: the delivered copy verifies with openssl" ||
		sed 's/^/#   /' "$PF_DIR/verify.err"
fi

# ---- the milter down: F=T -------------------------------------------------------
pf_stop_milter
ok $? "the milter stops on SIGTERM"
pf_send "$K/signed.eml" alice@example.org bob@example.net 127.0.0.2 >/dev/null
ok $((! $?)) "with the milter down, Sendmail does not accept mail"
case $(pf_last_reply) in
"451 4.3.2"*) pass "the client sees 451 4.3.2 (F=T)" ;;
*) fail "the client sees 451 4.3.2 (F=T) (got: $(pf_last_reply))" ;;
esac

sm_stop
ok $? "Sendmail, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
