# e2e_reencrypt.sh - `reencrypt` through a real Postfix.
#
# Inbound mail (sent from 127.0.0.2, outside InternalHosts) under the SPEC
# section 5 reencrypt rules: an RC2-40 message from a Windows-Mobile-like
# sender arrives at smtp-sink re-encrypted with aes-256-cbc, one to
# *@mobile.example.org with des-ede3-cbc, and both decrypt with OpenSSL to
# the original inner entity.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"

pf_e2e_require

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
K=$PF_DIR/keys
mkdir -p "$PF_DIR/tmp" "$K" && mkdir -m 700 "$PF_DIR/ks"
LEGACY="-provider legacy -provider default"

# --- recipients' keys, made here, in the gateway's key store ---------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/ca.key" -out "$K/ca.pem" \
	-subj "/CN=E2E Reencrypt CA" -days 30 2>/dev/null || bail "CA"
for r in bob:bob@example.net mobile:m@mobile.example.org; do
	keystore_issue "$K" "$PF_DIR/ks" "${r%%:*}" "${r#*:}" || bail "key for ${r#*:}"
done

# --- what a Windows Mobile 5 device sends: RC2-40 -------------------------
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nSent from my Windows Mobile phone.\r\nDoor code %s\r\n' \
	"$(openssl rand -hex 12)" >"$K/inner.txt"
evidence_secret "$K/inner.txt"
wm5() { # wm5 CERT TO OUT
	{
		printf 'X-Mailer: Microsoft Windows Mobile 5.0\r\nMessage-ID: <%s@legacy.example>\r\n' "$RANDOM$RANDOM"
		openssl cms -encrypt -rc2-40 $LEGACY -binary -in "$K/inner.txt" -from carol@legacy.example \
			-to "$2" -subject "from the phone" "$1"
	} >"$3" || bail "encrypt for $2"
}
wm5 "$K/bob.pem" bob@example.net "$K/to-bob.eml"
wm5 "$K/mobile.pem" m@mobile.example.org "$K/to-mobile.eml"

rules=$PF_DIR/smime.rules
cat >"$rules" <<'EOF2'
# Windows Mobile 5 sends RC2-40; Windows Mobile 6 reads 3DES but not AES
when cipher weak and to *@mobile.example.org then reencrypt des-ede3-cbc, tag legacy-mobile
when cipher weak then reencrypt aes-256-cbc, tag
when header X-Mailer "*Windows Mobile*" then tag legacy-mobile
when inbound and signature fail then reject "5.7.1 S/MIME signature did not verify"
EOF2
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF2
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
Rules $rules
KeyStore $PF_DIR/ks
EOF2

unset SMIME_DEBUG_COUNTERS # off by default: checked at the end
pf_up "$conf"
pass "Postfix with smime-milter, the SPEC reencrypt rules and a key store is running"

# check FILE RCPT NAME CIPHER: send inbound, check what smtp-sink got
check() {
	local file=$1 rcpt=$2 name=$3 cipher=$4 qid sink
	qid=$(pf_send "$file" carol@legacy.example "$rcpt" 127.0.0.2)
	ok $? "the RC2-40 message to $rcpt is accepted" || { diag "reply: $(pf_last_reply)"; return; }
	if ! sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
		fail "the message to $rcpt reaches smtp-sink"
		sed 's/^/#   /' "$PF_DIR/err"
		return
	fi
	grep -q "^X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=reencrypted; new-cipher=$cipher" "$sink"
	ok $? "$rcpt: X-SMIME-Encryption says reencrypted with $cipher" ||
		diag "$(grep -i '^X-SMIME' "$sink")"
	is "$(cipher_of "$sink")" "$cipher" "$rcpt: the delivered EnvelopedData uses $cipher"
	openssl cms -decrypt $LEGACY -binary -in "$sink" -recip "$K/$name.pem" -inkey "$K/$name.key" \
		-out "$PF_DIR/dec" 2>"$PF_DIR/err" && cmp -s "$PF_DIR/dec" "$K/inner.txt"
	ok $? "$rcpt: openssl decrypts the delivered message to the original inner entity" ||
		diag "$(head -c 300 "$PF_DIR/err")"
	grep -q '^X-Mailer: Microsoft Windows Mobile 5.0' "$sink" && grep -q '^Subject: from the phone' "$sink"
	ok $? "$rcpt: the other headers arrive unchanged"
	grep -q "$qid: dir=inbound .*action=reencrypted new-cipher=$cipher .*mailer=\"Microsoft Windows Mobile 5.0\"" "$PF_MILTER_LOG"
	ok $? "$rcpt: the milter's log line says action=reencrypted new-cipher=$cipher" ||
		diag "$(grep "$qid" "$PF_MILTER_LOG" | head -3)"
}
check "$K/to-bob.eml" bob@example.net bob aes-256-cbc
check "$K/to-mobile.eml" m@mobile.example.org mobile des-ede3-cbc
# tests/e2e_oracle.sh turns them on with SMIME_DEBUG_COUNTERS=1
! grep ' debug unwraps=' "$PF_MILTER_LOG" >/dev/null
ok $? "without SMIME_DEBUG_COUNTERS the log has no debug counters"

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
