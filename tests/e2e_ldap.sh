#!/bin/bash
# e2e_ldap.sh - outbound re-encryption to recipients the gateway finds in
# a real slapd, through a real Postfix with SMTP AUTH (SPEC sections 8
# and 9).
#
# The sender authenticates as his From address and sends an RC2-40
# message to five recipients whose certificates only the directory holds;
# under `reencrypt aes-256-cbc` with ReencryptOutbound yes it arrives
# re-encrypted, and OpenSSL opens it with a recipient's key.  A repeat is
# served from the milter's cache (no search in slapd's log); an
# unauthenticated client is no-key before any search.  With slapd
# SIGSTOPped and with slapd stopped, over ldap://, StartTLS and ldaps://,
# the message to five uncached recipients is kept with
# reason="directory-unavailable" within LDAPTimeout + 1 s (the milter's
# ms=).  With two URIs, the first SIGSTOPped, the second answers.  After
# slapd resumes, a message within the 60-second skip is
# directory-unavailable at once; the first after the skip ran out is
# re-encrypted (nothing was cached as "no certificate").
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"
. "$top_srcdir/tests/slapd_lib.sh"

pf_e2e_require
sl_require_tools || bail "e2e_ldap: slapd is missing (see above)"
[ -x "$SMIME_MILTER" ] || bail "smime-milter not built at $SMIME_MILTER"

trap '[ "$tap_fail" -eq 0 ] || { PF_KEEP=1; SL_KEEP=1; }; sl_cleanup; pf_cleanup' EXIT

pf_init || bail "cannot set up the Postfix temp dir"
sl_init || bail "cannot set up the slapd temp dir"
K=$PF_DIR/keys
mkdir -p "$PF_DIR/tmp" "$K" && mkdir -m 700 "$PF_DIR/ks"
LEGACY="-provider legacy -provider default"
SENDER=sender@example.test
PASSWORD=$(openssl rand -hex 8)

# --- keys: the sender's in the key store, the recipients' in slapd ----------
test_ca "$K" "/CN=E2E LDAP CA" || bail "CA"
keystore_issue "$K" "$PF_DIR/ks" sender "$SENDER" || bail "the sender's key"
sl_start || bail "slapd does not start"
sl_start second || bail "the second slapd does not start"
rcpts=()
for i in 1 2 3 4 5; do
	issue_cert "$K" "r$i" "subjectAltName=email:r$i@example.test" \
		'keyUsage=critical,digitalSignature,keyEncipherment' || bail "r$i"
	sl_add_user "r$i@example.test" "$K/r$i.pem" || bail "add r$i"
	rcpts+=("r$i@example.test")
done
to=$(IFS=,; echo "${rcpts[*]}")

# --- what a Windows Mobile 5 device sends: RC2-40, to all six --------------
printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nSent from my phone.\r\nCode %s\r\n' \
	"$(openssl rand -hex 12)" >"$K/inner.txt"
evidence_secret "$K/inner.txt"
{
	printf 'X-Mailer: Microsoft Windows Mobile 5.0\r\n'
	# shellcheck disable=SC2086 # provider options, split on purpose
	openssl cms -encrypt -rc2-40 $LEGACY -binary -in "$K/inner.txt" \
		-from "$SENDER" -to "$to" -subject "from the phone" \
		"$K/sender.pem" "$K"/r[1-5].pem
} >"$K/wm5.eml" || bail "encrypt"

rules=$PF_DIR/smime.rules
echo 'when cipher weak then reencrypt aes-256-cbc' >"$rules"
conf=$PF_DIR/smime-milter.conf
# write_conf URIS [EXTRA LINE]: the milter's configuration
write_conf() {
	cat >"$conf" <<EOF2
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
Rules $rules
KeyStore $PF_DIR/ks
TrustAnchorFile $K/ca.pem
ReencryptOutbound yes
LDAPURI $1
LDAPBase $SL_SUFFIX
LDAPCAFile $SL_CA
LDAPTimeout 2
${2-}
EOF2
}
write_conf "$SL_URI"
pf_enable_sasl "$SENDER" "$PASSWORD" || bail "SASL"
pf_up "$conf"
pass "Postfix with SMTP AUTH, smime-milter with LDAP and slapd are running"

# reload [URIS [EXTRA]]: a new configuration by SIGHUP (empty caches, no
# URI skipped), waited for.
reloads=0
reload() {
	local n
	write_conf "${1:-$SL_URI}" "${2-}"
	reloads=$((reloads + 1))
	kill -HUP "$PF_MILTER_PID"
	for _ in $(seq 100); do
		n=$(grep -c 'reloaded configuration' "$PF_MILTER_LOG")
		[ "$n" -ge "$reloads" ] && return 0
		sleep 0.05
	done
	bail "the milter did not reload"
}

# send [auth|noauth]: the RC2-40 message from 127.0.0.1; sets $qid,
# $line (the milter's log line) and $ms (its ms=).
send() {
	if [ "${1:-auth}" = auth ]; then
		qid=$(pf_send_auth "$K/wm5.eml" "$SENDER" "$to" 127.0.0.1 "$SENDER" "$PASSWORD")
	else
		qid=$(pf_send "$K/wm5.eml" "$SENDER" "$to" 127.0.0.1)
	fi || { line=; ms=; diag "reply: $(pf_last_reply)"; return 1; }
	line=$(grep "$qid: dir=" "$PF_MILTER_LOG" | tail -n 1)
	ms=$(printf '%s\n' "$line" | sed -n 's/.* ms=\([0-9]*\).*/\1/p')
}
within() { # within MS LIMIT NAME
	ok "$([ -n "$1" ] && [ "$1" -le "$2" ] && echo 0 || echo 1)" "$3 (ms=$1)"
}

# --- found in the directory: re-encrypted, opened by OpenSSL ----------------
q0=$(sl_queries)
send auth
ok $? "the authenticated sender's RC2-40 message is accepted"
case $line in
*'dir=outbound'*'action=reencrypted new-cipher=aes-256-cbc'*) pass "re-encrypted for the five recipients the directory holds" ;;
*) fail "re-encrypted for the five recipients the directory holds"; diag "$line" ;;
esac
is "$(($(sl_queries) - q0))" 5 "one search per recipient"
sink=$(pf_wait_delivered "$qid") || bail "not delivered"
for r in r1 r5; do
	openssl cms -decrypt -in "$sink" -inkey "$K/$r.key" -recip "$K/$r.pem" \
		-out "$K/out-$r.txt" 2>"$K/dec.err" && cmp -s "$K/out-$r.txt" "$K/inner.txt"
	ok $? "OpenSSL opens the new copy with $r's key: the original content" || diag "$(cat "$K/dec.err")"
done
openssl cms -cmsout -print -in "$sink" 2>/dev/null | grep -q 'aes-256-cbc'
ok $? "the new copy is aes-256-cbc"

q0=$(sl_queries)
send auth
case $line in
*'action=reencrypted'*) pass "a repeat is re-encrypted" ;;
*) fail "a repeat is re-encrypted"; diag "$line" ;;
esac
is "$(($(sl_queries) - q0))" 0 "from the milter's cache: no search"

q0=$(sl_queries)
send noauth
case $line in
*'reason="no-key"'* | *'reason=no-key'*) pass "an unauthenticated client: no-key" ;;
*) fail "an unauthenticated client: no-key"; diag "$line" ;;
esac
is "$(($(sl_queries) - q0))" 0 "before any search"

# --- outages: every transport, slapd SIGSTOPped and stopped ------------------
outage() { # outage STATE TRANSPORT
	send auth
	case $line in
	*'action=kept'*'directory-unavailable'*) pass "$1, $2: kept, directory-unavailable" ;;
	*) fail "$1, $2: kept, directory-unavailable"; diag "$line" ;;
	esac
	within "$ms" 3000 "$1, $2: within LDAPTimeout + 1 s"
	sink=$(pf_wait_delivered "$qid") || bail "not delivered"
	grep -q '^X-SMIME-Encryption: .*reason="\?directory-unavailable' "$sink"
	ok $? "$1, $2: the delivered original says why" || diag "$(grep '^X-SMIME' "$sink")"
}
for t in ldap starttls ldaps; do
	case $t in
	ldap) uri=$SL_URI extra= ;;
	starttls) uri=$SL_URI extra="LDAPStartTLS yes" ;;
	ldaps) uri=$SL_LDAPS_URI extra= ;;
	esac
	reload "$uri" "$extra"
	sl_stop_hard || bail "SIGSTOP"
	outage "slapd SIGSTOPped" "$t"
	sl_cont || bail "SIGCONT"
	reload "$uri" "$extra"
	sl_stop main || bail "stop"
	outage "slapd stopped" "$t"
	sl_start || bail "slapd does not start again"
done

# --- two URIs, the first SIGSTOPped: the second answers ----------------------
reload "$SL_URI $SL_URI_second"
sl_stop_hard || bail "SIGSTOP"
q0=$(sl_queries second)
send auth
case $line in
*'action=reencrypted'*) pass "the first URI SIGSTOPped: re-encrypted with the second's answers" ;;
*) fail "the first URI SIGSTOPped: re-encrypted with the second's answers"; diag "$line" ;;
esac
is "$(($(sl_queries second) - q0))" 5 "the second URI answered the five searches"
within "$ms" 3000 "within LDAPTimeout + 1 s"
sl_cont || bail "SIGCONT"

# --- the 60-second skip ------------------------------------------------------
reload "$SL_URI"
sl_stop_hard || bail "SIGSTOP"
send auth
failed_at=$(date +%s)
case $line in
*'directory-unavailable'*) pass "slapd SIGSTOPped: directory-unavailable" ;;
*) fail "slapd SIGSTOPped: directory-unavailable"; diag "$line" ;;
esac
sl_cont || bail "SIGCONT"
q0=$(sl_queries)
send auth
case $line in
*'directory-unavailable'*) pass "slapd resumed, within the 60 s skip: still directory-unavailable" ;;
*) fail "slapd resumed, within the 60 s skip: still directory-unavailable"; diag "$line" ;;
esac
within "$ms" 500 "at once, without waiting for LDAPTimeout"
is "$(($(sl_queries) - q0))" 0 "and without a search"
sleep $((failed_at + 61 - $(date +%s)))
q0=$(sl_queries)
send auth
case $line in
*'action=reencrypted'*) pass "the first message after the skip: re-encrypted (nothing was cached as no certificate)" ;;
*) fail "the first message after the skip: re-encrypted (nothing was cached as no certificate)"; diag "$line" ;;
esac
is "$(($(sl_queries) - q0))" 5 "five searches again"

pf_stop
ok $? "Postfix, the sink and the milter stopped"
sl_stop
is "$(sl_leftover_pids | wc -w)" 0 "no slapd of this test is left"
done_testing
