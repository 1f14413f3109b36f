# e2e_oracle.sh - inbound re-encryption is no decryption oracle (SPEC 8,
# "No decryption oracle" and "The order that keeps it from being an
# oracle"; issue 12, finding F1), through a real Postfix.
#
# The gateway holds alice's key (and mallory's) and re-encrypts every
# encrypted inbound message (`when encrypted then reencrypt aes-256-cbc`,
# sent from 127.0.0.2).  An attacker changes a message to alice and
# watches what becomes of it.  The queries, made here with fresh keys by
# tests/e2e_oracle.py from what `openssl cms` wrote, for RC2-128 and for
# AES-128-CBC:
#   goodpad / badpad          the second-to-last ciphertext block changed
#                             so that the last plaintext byte is 0x01
#                             (valid CBC padding) or 0x00 (invalid): a
#                             CBC padding oracle query
#   probe-pkcs1 / probe-random  a RecipientInfo naming alice's certificate
#                             before her real one, holding a PKCS#1 v1.5
#                             conformant key or random bytes: a
#                             Bleichenbacher query against alice's key
# Within each pair, nothing the attacker can see may differ:
#   (a) carol, in the envelope next to alice, has no key in the KeyStore:
#       every query is kept as unknown-recipient before any private-key
#       operation (debug counters: unwraps=0 decrypted=0);
#   (b) mallory, whose key is in the KeyStore and to whom the message is
#       also encrypted, gets the copy: within each pair the same
#       X-SMIME-Encryption, log action, debug counters and body length
#       (padding: reencrypted; probe: alice's first RecipientInfo gives
#       another key than mallory's, so decrypt-failed);
#   (c) the sender, not a recipient: alice alone in the envelope, MAIL FROM
#       with RET=HDRS, RCPT TO with NOTIFY=SUCCESS (smtplib: this swaks
#       has no DSN options); Postfix's success notification (smtp-sink -N
#       announces no DSN, so Postfix reports "relayed" itself) comes back
#       to the sender at smtp-sink.  Within each pair its header part
#       (text/rfc822-headers without the MTA's Received fields), the debug
#       counters and the delivered body's length are the same, and with
#       one proven recipient every query is reencrypted.
# SMIME_DEBUG_COUNTERS=1 makes the milter follow each SPEC 7 log line
# with "QUEUEID: debug unwraps=N decrypted=BYTES".  The unmodified
# messages check the harness: they are re-encrypted, their notification
# carries X-SMIME-Encryption, and alice's key opens the delivered copy.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"

pf_e2e_require

ORACLE=("$PF_PY" "$top_srcdir/tests/e2e_oracle.py")
trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
K=$PF_DIR/keys
Q=$PF_DIR/queries
R=$PF_DIR/results
mkdir -p "$PF_DIR/tmp" "$K" "$R" && mkdir -m 700 "$PF_DIR/ks"
LEGACY="-provider legacy -provider default"
CIPHERS="rc2-128 aes-128-cbc"
SENDER=x@attacker.example

# --- alice's and mallory's keys, in the gateway's KeyStore ------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/ca.key" -out "$K/ca.pem" \
	-subj "/CN=E2E Oracle CA" -days 30 2>/dev/null || bail "CA"
for n in alice mallory; do
	keystore_issue "$K" "$PF_DIR/ks" "$n" "$n@example.org" || bail "key for $n"
done
"${ORACLE[@]}" gen "$K" "$Q" 2>"$PF_DIR/gen.err" ||
	{ sed 's/^/#   /' "$PF_DIR/gen.err"; bail "e2e_oracle.py gen failed"; }
evidence_secret "$Q/inner.txt"

# --- the queries are what they claim to be ----------------------------------
for set in alice pair; do
	for c in $CIPHERS; do
		q=$Q/$set-$c
		openssl cms -decrypt $LEGACY -binary -in "$q-goodpad.eml" -recip "$K/alice.pem" \
			-inkey "$K/alice.key" -out "$R/dec" 2>"$R/err" &&
			[ "$(tail -c 1 "$R/dec" | od -An -tx1 | tr -d ' ')" = 05 ]
		ok $? "query $set-$c-goodpad has valid padding: openssl decrypts it (the 0x01 pad removed)" ||
			diag "$(head -c 300 "$R/err")"
		! openssl cms -decrypt $LEGACY -binary -in "$q-badpad.eml" -recip "$K/alice.pem" \
			-inkey "$K/alice.key" -out "$R/dec" 2>"$R/err" && grep -q 'bad decrypt' "$R/err"
		ok $? "query $set-$c-badpad has invalid padding: openssl says bad decrypt"
		is "$("${ORACLE[@]}" alice-ris "$q-probe-pkcs1.eml" "$K")" conformant,conformant \
			"query $set-$c-probe-pkcs1: alice's first RecipientInfo holds a PKCS#1 v1.5 conformant key, her real one follows"
		is "$("${ORACLE[@]}" alice-ris "$q-probe-random.eml" "$K")" not-conformant,conformant \
			"query $set-$c-probe-random: alice's first RecipientInfo is not PKCS#1 conformant, her real one follows"
	done
done

# --- Postfix, smtp-sink without DSN, the milter with debug counters ---------
cat >"$PF_DIR/smime.rules" <<'EOF'
when encrypted then reencrypt aes-256-cbc
EOF
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
Rules $PF_DIR/smime.rules
KeyStore $PF_DIR/ks
StampInnerSignatures no
EOF
export SMIME_DEBUG_COUNTERS=1
pf_milter_start "$SMIME_MILTER" "$conf" 2>"$PF_DIR/start.err" ||
	{ sed 's/^/#   /' "$PF_DIR/start.err"; bail "the milter did not start"; }
PF_SINK_OPTS=-N pf_start "inet:127.0.0.1:$PF_MILTER_PORT" 2>"$PF_DIR/start.err" ||
	{ sed 's/^/#   /' "$PF_DIR/start.err"; bail "Postfix did not start"; }
pass "Postfix (next hop without DSN) with smime-milter (SMIME_DEBUG_COUNTERS=1), a reencrypt rule and alice's and mallory's keys is running"

# --- one query ----------------------------------------------------------------
# query NAME FILE RCPTS [dsn]: sends FILE inbound from $SENDER to RCPTS and
# waits for the copy (and with dsn, the success notification to the
# sender).  Leaves in $R/NAME.*: qid, copy (the sink file's path), enc (the
# X-SMIME-Encryption value of the copy), act (the log line's action and
# its reason, as "action=A action-reason=R"), dbg (the debug line's "unwraps=N
# decrypted=B"; empty when there is none), len (the copy's body length),
# dsn (the notification's header part, no Received fields; empty when
# none came).
# Fails, saying why, when the message was not delivered.
query() {
	local name=$1 file=$2 rcpts=$3 dsn=${4-} qid dqid copy f
	for f in copy enc act dbg len dsn; do : >"$R/$name.$f"; done
	qid=$("${ORACLE[@]}" send "$PF_PORT" 127.0.0.2 "$SENDER" "$rcpts" "$file" ${dsn:+"$dsn"} 2>"$R/err")
	ok $? "$name: accepted" || { diag "$(cat "$R/err")"; return 1; }
	echo "$qid" >"$R/$name.qid"
	pf_wait_delivered "$qid" 60 >/dev/null 2>"$R/err" &&
		copy=$("${ORACLE[@]}" copy "$PF_SINK_DIR" "$qid" 2>>"$R/err")
	ok $? "$name: delivered to smtp-sink" || { sed 's/^/#   /' "$R/err"; return 1; }
	echo "$copy" >"$R/$name.copy"
	sed -n 's/^X-SMIME-Encryption: *//p' "$copy" | tr -d '\r' >"$R/$name.enc"
	"${ORACLE[@]}" bodylen "$copy" >"$R/$name.len"
	# SPEC 7: action, then action-reason when kept
	grep "$qid: dir=" "$PF_MILTER_LOG" | grep -o 'action=[^ ]*\( action-reason=[^ ]*\)\?' >"$R/$name.act"
	# the debug line, after the SPEC 7 log line
	awk -v q="$qid: " 'index($0, q "dir=") { seen = 1 }
		seen && index($0, q "debug ") { sub(/.*debug /, ""); print; exit }' \
		"$PF_MILTER_LOG" >"$R/$name.dbg"
	[ -n "$dsn" ] || return 0
	pf_wait_for 60 grep -q "$qid: sender delivery status notification: " "$PF_MAILLOG" &&
		dqid=$(sed -n "s/.*$qid: sender delivery status notification: \([0-9A-Za-z]*\).*/\1/p" \
			"$PF_MAILLOG" | head -n 1) &&
		pf_wait_for 60 pf_removed "$dqid" &&
		"${ORACLE[@]}" dsn "$PF_SINK_DIR" "$qid" "$R/$name.dsn" 2>"$R/err"
	ok $? "$name: the success notification came back to the sender $SENDER" ||
		{ diag "$(cat "$R/err")"; grep "$qid" "$PF_MAILLOG" | sed 's/^/#   /'; }
}

# same NAME FIELD A B: A's and B's FIELD are not empty and equal.
same() {
	local name=$1 field=$2 a b
	a=$(cat "$R/$3.$field" 2>/dev/null)
	b=$(cat "$R/$4.$field" 2>/dev/null)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		pass "$name"
	else
		fail "$name"
		diag "$3: ${a:-(none)}"
		diag "$4: ${b:-(none)}"
	fi
}

# same_dsn NAME A B: both notifications' header parts carry
# X-SMIME-Encryption and are identical.
same_dsn() {
	if grep -q '^X-SMIME-Encryption:' "$R/$2.dsn" && grep -q '^X-SMIME-Encryption:' "$R/$3.dsn" &&
	   cmp -s "$R/$2.dsn" "$R/$3.dsn"; then
		pass "$1"
	else
		fail "$1"
		diff "$R/$2.dsn" "$R/$3.dsn" | sed 's/^/#   /'
	fi
}

# alike PREFIX A B WHAT FIELD...: for each FIELD, the check that the two
# queries PREFIX-A and PREFIX-B of one pair look the same in it.
alike() {
	local p=$1 a=$2 b=$3 what=$4 f
	shift 4
	for f in "$@"; do
		case $f in
		enc) same "$p: $what read the same X-SMIME-Encryption" enc "$p-$a" "$p-$b" ;;
		act) same "$p: $what get the same log action" act "$p-$a" "$p-$b" ;;
		dbg) same "$p: $what show the same debug counters" dbg "$p-$a" "$p-$b" ;;
		len) same "$p: $what deliver bodies of the same length" len "$p-$a" "$p-$b" ;;
		dsn) same_dsn "$p: $what bring back the same notification header part" "$p-$a" "$p-$b" ;;
		esac
	done
}

# action_is NAME WANT: the X-SMIME-Encryption field of NAME's copy ends in
# WANT.
action_is() {
	local got
	got=$(sed -n 's/.*\(action=.*\)/\1/p' "$R/$1.enc")
	is "$got" "$2" "$1: X-SMIME-Encryption reads $2"
}

REENC='action=reencrypted; new-cipher=aes-256-cbc'
KEPT_UNKNOWN='action=kept; reason="unknown-recipient"'
KEPT_FAILED='action=kept; reason="decrypt-failed"'
QUERIES="goodpad badpad probe-pkcs1 probe-random"

# --- (a) carol, no key in the KeyStore, next to alice -------------------------
for c in $CIPHERS; do
	for v in $QUERIES; do
		n=carol-$c-$v
		query "$n" "$Q/alice-$c-$v.eml" alice@example.org,carol@example.org || continue
		action_is "$n" "$KEPT_UNKNOWN"
		is "$(cat "$R/$n.act")" "action=kept action-reason=unknown-recipient" \
			"$n: the log line says kept, unknown-recipient"
		is "$(cat "$R/$n.dbg")" "unwraps=0 decrypted=0" \
			"$n: decided before any private-key operation (debug: unwraps=0 decrypted=0)"
	done
done

# --- (b) mallory, whose key is in the KeyStore, next to alice -------------------
for c in $CIPHERS; do
	n=mallory-$c-orig
	query "$n" "$Q/pair-$c-orig.eml" alice@example.org,mallory@example.org &&
		action_is "$n" "$REENC"
	for v in $QUERIES; do
		query "mallory-$c-$v" "$Q/pair-$c-$v.eml" alice@example.org,mallory@example.org
	done
	n=mallory-$c
	alike "$n" goodpad badpad "good and bad padding" enc act dbg len
	action_is "$n-goodpad" "$REENC"
	action_is "$n-badpad" "$REENC"
	# alice's first RecipientInfo (the probe) gives another key than
	# mallory's, whatever the probe holds
	alike "$n" probe-pkcs1 probe-random "conformant and random probes" enc act dbg len
	action_is "$n-probe-pkcs1" "$KEPT_FAILED"
	action_is "$n-probe-random" "$KEPT_FAILED"
done

# --- (c) the sender, not a recipient: alice alone, a success notification ------
for c in $CIPHERS; do
	n=sender-$c-orig
	if query "$n" "$Q/alice-$c-orig.eml" alice@example.org dsn; then
		action_is "$n" "$REENC"
		grep -q "^X-SMIME-Encryption: .*$REENC\$" "$R/$n.dsn"
		ok $? "$n: the notification's header part shows the copy's X-SMIME-Encryption" ||
			sed 's/^/#   /' "$R/$n.dsn"
		openssl cms -decrypt $LEGACY -binary -in "$(cat "$R/$n.copy")" -recip "$K/alice.pem" \
			-inkey "$K/alice.key" -out "$R/dec" 2>"$R/err" && cmp -s "$R/dec" "$Q/inner.txt"
		ok $? "$n: alice's key opens the delivered copy to the original plaintext" ||
			diag "$(head -c 300 "$R/err")"
	fi
	for v in $QUERIES; do
		query "sender-$c-$v" "$Q/alice-$c-$v.eml" alice@example.org dsn
	done
	# one proven recipient and a CBC cipher: everything after SPEC 8 step 1
	# is reencrypted
	n=sender-$c
	alike "$n" goodpad badpad "good and bad padding" dsn dbg len
	action_is "$n-goodpad" "$REENC"
	action_is "$n-badpad" "$REENC"
	alike "$n" probe-pkcs1 probe-random "conformant and random probes" dsn dbg len
	action_is "$n-probe-pkcs1" "$REENC"
	action_is "$n-probe-random" "$REENC"
done

# The counters are a debug aid beside the SPEC 7 line, never in it.
! grep -E ': dir=.*(unwraps|decrypted)=' "$PF_MILTER_LOG" >"$R/err"
ok $? "no SPEC 7 log line carries the debug counters" || sed 's/^/#   /' "$R/err"

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
