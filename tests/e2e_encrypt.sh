#!/bin/bash
# e2e_encrypt.sh - the `encrypt` action through a real Postfix with SMTP
# AUTH and a real slapd (SPEC sections 4, 5 and 9).
#
# The recipients' certificates are in slapd; their capabilities are
# harvested from signed mail they send in through the same Postfix
# (gcm@ lists aes-256-gcm first, tdes@ only des-ede3-cbc).  The sender
# authenticates and sends under `encrypt auto`:
# - to both, the message arrives at smtp-sink as des-ede3-cbc, and both
#   and the sender (EncryptToSender) open it with OpenSSL; to gcm@ alone
#   (written GCM@Example.TEST) it arrives as aes-256-gcm;
# - to an address without a certificate it is rejected at SMTP time
#   (550 5.7.1 naming it) and nothing reaches smtp-sink;
# - signed too, the message opens to a signature that verifies;
# - a multipart/mixed with an RC2-40 attachment under `reencrypt auto`,
#   `sign` and `encrypt auto` arrives encrypted whole, signed, with the
#   attachment re-encrypted to des-ede3-cbc inside, and the log line
#   reads cipher=rc2-40-cbc strength=weak action=encrypted ...;
# - over MaxCryptoSize it is 552 5.3.4, nothing delivered;
# - with slapd stopped, a message to a recipient the milter has not
#   cached gets 451 4.7.1 and nothing reaches smtp-sink;
# - a resource failure before the Rules (the spill directory gone) with
#   On-InternalError accept and an encrypt rule loaded gets a 4xx.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"
. "$top_srcdir/tests/slapd_lib.sh"

pf_e2e_require
sl_require_tools || bail "e2e_encrypt: slapd is missing (see above)"
[ -x "$SMIME_MILTER" ] || bail "smime-milter not built at $SMIME_MILTER"
DRIVER=$top_builddir/tests/harvest_sign_driver
[ -x "$DRIVER" ] || bail "harvest_sign_driver not built at $DRIVER"

trap '[ "$tap_fail" -eq 0 ] || { PF_KEEP=1; SL_KEEP=1; }; sl_cleanup; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
sl_init || bail "cannot set up the slapd temp dir"
K=$PF_DIR/keys
mkdir -p "$PF_DIR/tmp" "$PF_DIR/spill" "$K" && mkdir -m 700 "$PF_DIR/ks"
SENDER=sender@example.test
PASSWORD=$(openssl rand -hex 8)

# --- keys: the sender's in the key store, the recipients' in slapd ----------
test_ca "$K" "/CN=E2E Encrypt CA" || bail "CA"
keystore_issue "$K" "$PF_DIR/ks" sender "$SENDER" || bail "the sender's key"
sl_start || bail "slapd does not start"
for r in gcm tdes dir; do
	issue_cert "$K" "$r" "subjectAltName=email:$r@example.test" \
		'keyUsage=critical,digitalSignature,keyEncipherment' || bail "$r"
	sl_add_user "$r@example.test" "$K/$r.pem" || bail "add $r"
done
SIGNED=$(date +%s)

rules=$PF_DIR/smime.rules
cat >"$rules" <<'EOF2'
when outbound and cipher weak then reencrypt auto
when outbound and header Subject "*[[]signed]*" then sign
when outbound then encrypt auto
EOF2
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF2
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/spill
BodyMemoryLimit 64K
MaxCryptoSize 1M
On-InternalError accept
Rules $rules
KeyStore $PF_DIR/ks
TrustAnchorFile $K/ca.pem
ReencryptOutbound yes
HarvestCertificates yes
HarvestDirectory $PF_DIR/harvest
LDAPURI $SL_URI
LDAPBase $SL_SUFFIX
LDAPCAFile $SL_CA
LDAPTimeout 2
EOF2
pf_enable_sasl "$SENDER" "$PASSWORD" || bail "SASL"
pf_up "$conf"
pass "Postfix with SMTP AUTH, smime-milter with an encrypt rule, and slapd are running"

# send FILE TO: the sender, authenticated; sets $qid and $line
send() {
	qid=$(pf_send_auth "$1" "$SENDER" "$2" 127.0.0.1 "$SENDER" "$PASSWORD")
	local rc=$?
	line=
	[ -z "$qid" ] || line=$(grep "$qid: dir=" "$PF_MILTER_LOG" | tail -n 1)
	return $rc
}
sinks() { find "$PF_SINK_DIR" -type f | wc -l; }
opens() { # opens FILE NAME [OUT]
	openssl cms -decrypt -in "$1" -inkey "$K/$2.key" -recip "$K/$2.pem" \
		-out "${3:-$K/dec}" 2>"$K/dec.err"
}
# refused WHAT REPLY-PATTERN FILE TO: not accepted, the reply, no delivery
refused() {
	local what=$1 want=$2 n0 reply
	n0=$(sinks)
	send "$3" "$4"
	ok $((!$?)) "$what: not accepted"
	reply=$(pf_last_reply)
	case $reply in
	$want) pass "$what: the client sees $reply" ;;
	*) fail "$what: the client sees $want"; diag "reply: $reply" ;;
	esac
	sleep 1
	is "$(sinks)" "$n0" "$what: nothing reaches smtp-sink"
}

# --- the recipients' capabilities, harvested from mail they sent -------------
for r in gcm:gcm tdes:3des; do
	n=${r%%:*}
	caps_signed_mail "$DRIVER" "$K/$n" "$n@example.test" "${r#*:}" "$SIGNED" "$K/s-$n.eml"
	q=$(pf_send "$K/s-$n.eml" "$n@example.test" "$SENDER" 127.0.0.2) || bail "harvest mail of $n"
	pf_wait_delivered "$q" >/dev/null || bail "not delivered"
done
[ -f "$PF_DIR/harvest/gcm@example.test.pem" ] && [ -f "$PF_DIR/harvest/tdes@example.test.pem" ]
ok $? "the capabilities of gcm@ and tdes@ are harvested from their signed mail"

# --- encrypt auto --------------------------------------------------------------
code=$(openssl rand -hex 8)
msg() { # msg SUBJECT TO OUT
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe code is %s.\r\n' \
		"$SENDER" "$2" "$1" "$code" >"$3"
}
msg "the code" "gcm@example.test, tdes@example.test" "$K/both.eml"
evidence_secret "$K/both.eml"
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nThe code is %s.\r\n' "$code" >"$K/both.inner"

send "$K/both.eml" gcm@example.test,tdes@example.test
ok $? "to gcm@ and tdes@: accepted" || diag "reply: $(pf_last_reply)"
case $line in
*'dir=outbound'*'kind=none action=encrypted new-cipher=des-ede3-cbc'*) pass "log: action=encrypted new-cipher=des-ede3-cbc" ;;
*) fail "log: action=encrypted new-cipher=des-ede3-cbc"; diag "$line" ;;
esac
sink=$(pf_wait_delivered "$qid") || bail "not delivered"
is "$(cipher_of "$sink")" des-ede3-cbc "it arrives as des-ede3-cbc (the 3DES-only phone reads it)"
grep -q "The code is $code" "$sink"
ok $((!$?)) "no plaintext reaches smtp-sink"
for r in gcm tdes sender; do
	opens "$sink" $r && cmp -s "$K/dec" "$K/both.inner"
	ok $? "$r opens it with OpenSSL to the original" || diag "$(cat "$K/dec.err")"
done

msg "the code" gcm@example.test "$K/gcm.eml"
send "$K/gcm.eml" GCM@Example.TEST
ok $? "to gcm@ alone, written GCM@Example.TEST: accepted (its certificate and capabilities found)" ||
	diag "reply: $(pf_last_reply)"
sink=$(pf_wait_delivered "$qid") || bail "not delivered"
is "$(cipher_of "$sink")" aes-256-gcm "it arrives as aes-256-gcm"
opens "$sink" gcm && cmp -s "$K/dec" "$K/both.inner"
ok $? "gcm@ opens it with OpenSSL" || diag "$(cat "$K/dec.err")"

# --- fail closed ----------------------------------------------------------------
msg "the code" "gcm@example.test, nobody@example.test" "$K/unknown.eml"
refused "a recipient without a certificate" "550 5.7.1 no S/MIME certificate for <nobody@example.test>*" \
	"$K/unknown.eml" gcm@example.test,nobody@example.test

{
	printf 'From: %s\r\nTo: gcm@example.test\r\nSubject: big\r\nContent-Type: text/plain\r\n\r\n' "$SENDER"
	head -c 1500000 /dev/zero | tr '\0' 'x' | fold -w 76 | sed 's/$/\r/'
} >"$K/big.eml"
refused "a message over MaxCryptoSize" "552 5.3.4 message too big to encrypt*" "$K/big.eml" gcm@example.test

# --- sign, then encrypt ---------------------------------------------------------
msg "[signed] the code" gcm@example.test "$K/signed.eml"
send "$K/signed.eml" gcm@example.test
case $line in
*'action=encrypted new-cipher=aes-256-gcm sign=signed '*) pass "signed, then encrypted" ;;
*) fail "signed, then encrypted"; diag "$line" ;;
esac
sink=$(pf_wait_delivered "$qid") || bail "not delivered"
opens "$sink" gcm "$K/signed.dec" && grep -qi '^Content-Type: multipart/signed' "$K/signed.dec"
ok $? "gcm@ opens it to a multipart/signed entity"
openssl cms -verify -in "$K/signed.dec" -CAfile "$K/ca.pem" -out "$K/signed.txt" 2>"$K/v.err" &&
	grep -q "The code is $code" "$K/signed.txt"
ok $? "whose signature verifies over the original text" || diag "$(cat "$K/v.err")"

# --- reencrypt, sign, encrypt ------------------------------------------------------
printf 'Content-Type: text/plain\r\n\r\nThe attachment %s.\r\n' "$code" >"$K/att.txt"
attachment_mail "$K/att.eml" "$SENDER" "gcm@example.test, tdes@example.test" "[signed] att" \
	"$K/att.txt" "$K/sender.pem" "$K/gcm.pem" "$K/tdes.pem" || bail "RC2-40"
send "$K/att.eml" gcm@example.test,tdes@example.test
ok $? "the message with an RC2-40 attachment: accepted" || diag "reply: $(pf_last_reply)"
case $line in
*'cipher=rc2-40-cbc strength=weak action=encrypted new-cipher=des-ede3-cbc sign=signed '*)
	pass "log: cipher=rc2-40-cbc strength=weak action=encrypted new-cipher=des-ede3-cbc sign=signed" ;;
*) fail "log: cipher=rc2-40-cbc strength=weak action=encrypted new-cipher=des-ede3-cbc sign=signed"; diag "$line" ;;
esac
sink=$(pf_wait_delivered "$qid") || bail "not delivered"
opens "$sink" tdes "$K/att.dec"
ok $? "encrypted whole: tdes@ opens it" || diag "$(cat "$K/dec.err")"
openssl cms -verify -in "$K/att.dec" -CAfile "$K/ca.pem" -out "$K/att.mixed" 2>"$K/v.err"
ok $? "the signature inside verifies" || diag "$(cat "$K/v.err")"
second_part "$K/att.mixed" "$K/att.p7m"
is "$(cipher_of "$K/att.p7m")" des-ede3-cbc "the attachment inside was re-encrypted (des-ede3-cbc, not RC2-40)"
opens "$K/att.p7m" gcm && cmp -s "$K/dec" "$K/att.txt"
ok $? "and opens to the original attachment"

# --- a resource failure before the Rules, On-InternalError accept ---------------------
rm -rf "$PF_DIR/spill"
{
	printf 'From: %s\r\nTo: gcm@example.test\r\nSubject: spill\r\nContent-Type: text/plain\r\n\r\n' "$SENDER"
	head -c 100000 /dev/zero | tr '\0' 'y' | fold -w 76 | sed 's/$/\r/'
} >"$K/spill.eml"
refused "the body cannot spill (an internal error before the Rules, On-InternalError accept, encrypt loaded)" \
	"4[0-9][0-9] *" "$K/spill.eml" gcm@example.test
grep -q 'internal error: body: .*; tempfail' "$PF_MILTER_LOG"
ok $? "the milter logs the internal error and that it tempfails"
mkdir "$PF_DIR/spill"

# --- the directory down ---------------------------------------------------------------
sl_stop || bail "stopping slapd"
msg "the code" dir@example.test "$K/dir.eml"
refused "slapd stopped, a recipient not cached" "451 4.7.1 *" "$K/dir.eml" dir@example.test
grep -q 'action=tempfailed action-reason=directory-unavailable' "$PF_MILTER_LOG"
ok $? "log: action=tempfailed action-reason=directory-unavailable"

pf_stop
ok $? "Postfix, the sink and the milter stopped"
is "$(sl_leftover_pids | wc -w)" 0 "no slapd of this test is left"
done_testing
