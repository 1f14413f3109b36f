# slapd_fixture.sh - the fixtures of the LDAP and SMTP AUTH tests work.
#
# tests/slapd_lib.sh: a private slapd answers over ldap://, ldap:// with
# StartTLS and ldaps:// (checked against the test CA), and returns the
# userCertificate;binary and userSMIMECertificate values sl_add_user and
# sl_add_user_signed stored, byte for byte; sl_queries counts each search
# once; a SIGSTOPped slapd makes a client with a 2 s timeout fail within
# seconds and answers again after SIGCONT; the gateways' bind DN can write
# under the harvest base and read the restricted one, anonymous clients
# can do neither; a second instance serves the same data, keeps it over a
# restart and gets what was added while it was down; sl_stop leaves no
# slapd of ours.
#
# tests/postfix_lib.sh's pf_enable_sasl: a private Postfix (no milter)
# offers AUTH PLAIN LOGIN without TLS, accepts the right password for a
# login with and without a domain, refuses a wrong one (535), relays for
# an authenticated client outside mynetworks and not for an
# unauthenticated one, logs the login as sasl_username=, and passes
# {auth_authen} to the milter (which calls such mail outbound).
#
# Needs root (a real Postfix).  Not root, or slapd missing, means FAIL,
# never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/slapd_lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"

sl_require_tools || bail "slapd_fixture: slapd or ldap-utils missing (see above)"
pf_require_root || bail "slapd_fixture needs root to run a private Postfix"
pf_require_tools || bail "slapd_fixture: a test peer is missing (see above)"
command -v saslpasswd2 >/dev/null || bail "saslpasswd2 not found (apt-get install sasl2-bin)"
[ -x "$SMIME_MILTER" ] || bail "smime-milter not built at $SMIME_MILTER"

trap '[ "$tap_fail" -eq 0 ] || { SL_KEEP=1; PF_KEEP=1; }; sl_cleanup; pf_cleanup' EXIT
trap 'exit 1' INT TERM HUP PIPE

# No search may hang the test on a server that stopped answering.
export LDAPTIMEOUT=5

# ldap MODE [NAME] ARG...: ldapsearch, simple bind, to instance NAME
# (main when the first ARG starts with -) over MODE: plain, starttls or
# ldaps.
ldap() {
	local mode=$1 n=main
	shift
	case $1 in
	-*) ;;
	*) n=$1; shift ;;
	esac
	case $mode in
	plain) ldapsearch -x -LLL -o ldif_wrap=no -o nettimeout=5 -H "$(sl_var URI "$n")" "$@" ;;
	starttls) LDAPTLS_CACERT=$SL_CA ldapsearch -x -ZZ -LLL -o ldif_wrap=no -o nettimeout=5 \
		-H "$(sl_var URI "$n")" "$@" ;;
	ldaps) LDAPTLS_CACERT=$SL_CA ldapsearch -x -LLL -o ldif_wrap=no -o nettimeout=5 \
		-H "$(sl_var LDAPS_URI "$n")" "$@" ;;
	esac
}

# values ATTR: the values of ATTR in ldapsearch's LDIF on stdin, one
# base64 line each.
values() {
	sed -n "s/^$1:: //p"
}

fp() { openssl x509 -noout -fingerprint -sha256 "$@" 2>/dev/null; }

# The fingerprints of the certificates in a PKCS#7/CMS SignedData (DER).
p7_fps() {
	openssl pkcs7 -inform DER -in "$1" -print_certs 2>/dev/null |
		awk '/BEGIN CERT/ { c = "" } { c = c $0 "\n" }
		     /END CERT/ { printf "%s", c | "openssl x509 -noout -fingerprint -sha256"
				  close("openssl x509 -noout -fingerprint -sha256") }'
}

ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- slapd ---------------------------------------------------------------
t0=$(ms)
sl_init || bail "sl_init failed"
t1=$(ms)
sl_start || bail "sl_start failed"
diag "slapd main at $SL_URI and $SL_LDAPS_URI (init $((t1 - t0)) ms, start $(($(ms) - t1)) ms); dir $SL_DIR"
pass "sl_start: slapd answers on ldap:// and ldaps://"
is "$(stat -c %a "$SL_GW_PWFILE")" 600 "the gateway's password file is mode 0600"

W=$SL_DIR/work
mkdir "$W" && test_ca "$W" || bail "test CA"
for u in alice alice2 bob carol dave erin frank gina; do
	issue_cert "$W" "$u" "subjectAltName=email:$u@example.test" \
		"keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=emailProtection" ||
		bail "issue_cert $u"
done
: >"$W/empty"

sl_add_user alice@example.test "$W/alice.pem"
ok $? "sl_add_user alice (userCertificate;binary)"
sl_add_user bob@example.test "$W/bob.pem" smime
ok $? "sl_add_user bob smime (userSMIMECertificate, certs-only)"
sl_add_user_signed carol+tag@example.test "$W/carol.pem" "$W/carol.key" "$W/ca.pem"
ok $? "sl_add_user_signed carol+tag (userSMIMECertificate, signed)"

# Every transport finds both users, the values are the certificates
# stored, and each search is one query in slapd's log.
for mode in plain starttls ldaps; do
	q0=$(sl_queries)
	ldap "$mode" -b "$SL_PEOPLE" '(mail=alice@example.test)' 'userCertificate;binary' \
		>"$W/alice.$mode" 2>"$W/$mode.err"
	ok $? "$mode: search for alice"
	values 'userCertificate;binary' <"$W/alice.$mode" | base64 -d >"$W/alice.$mode.der"
	is "$(fp -inform DER -in "$W/alice.$mode.der")" "$(fp -in "$W/alice.pem")" \
		"$mode: alice's userCertificate;binary is her certificate"
	is "$(sl_queries)" $((q0 + 1)) "$mode: sl_queries counted one search"
	ldap "$mode" -b "$SL_PEOPLE" '(mail=bob@example.test)' userSMIMECertificate \
		>"$W/bob.$mode" 2>>"$W/$mode.err"
	ok $? "$mode: search for bob"
	values userSMIMECertificate <"$W/bob.$mode" | base64 -d >"$W/bob.$mode.der"
	is "$(p7_fps "$W/bob.$mode.der")" "$(fp -in "$W/bob.pem")" \
		"$mode: bob's userSMIMECertificate holds his certificate"
	is "$(sl_queries)" $((q0 + 2)) "$mode: sl_queries counted the second search"
done
[ "$tap_fail" -eq 0 ] || diag "$(cat "$W"/*.err)"

is "$(ldap plain -b "$SL_PEOPLE" '(mail=ALICE@Example.TEST)' mail | grep -c '^mail:')" 1 \
	"mail matches without regard to case"
is "$(ldap plain -b "$SL_SUFFIX" '(mail=nobody@example.test)' | grep -c '^dn:')" 0 \
	"an unknown address finds no entry"

ldap plain -b "$SL_PEOPLE" '(mail=carol+tag@example.test)' userSMIMECertificate |
	values userSMIMECertificate | base64 -d >"$W/carol.der"
openssl cms -verify -binary -inform DER -in "$W/carol.der" -content "$W/empty" \
	-CAfile "$W/ca.pem" -purpose any -out /dev/null 2>"$W/carol.verify"
ok $? "carol's signed userSMIMECertificate verifies (detached, empty content)" ||
	diag "$(cat "$W/carol.verify")"
openssl cms -cmsout -print -inform DER -in "$W/carol.der" >"$W/carol.txt" 2>&1
grep -q 'S/MIME Capabilities' "$W/carol.txt"
ok $? "its signed attributes carry SMIMECapabilities"
! grep -q 'eContent: *[0-9A-Fa-f]' "$W/carol.txt" && grep -q 'eContent: <ABSENT>' "$W/carol.txt"
ok $? "it has no eContent"
p7_fps "$W/carol.der" >"$W/carol.fps"
grep -qxF "$(fp -in "$W/carol.pem")" "$W/carol.fps" && grep -qxF "$(fp -in "$W/ca.pem")" "$W/carol.fps"
ok $? "it holds carol's certificate and the chain given"

sl_add_user alice@example.test "$W/alice2.pem"
ok $? "sl_add_user again for alice"
is "$(ldap plain -b "$SL_PEOPLE" '(mail=alice@example.test)' 'userCertificate;binary' |
	values 'userCertificate;binary' | wc -l)" 2 "alice's entry now has two certificates"

# The gateways' bind DN and anonymous clients.
gw_pw=$(head -n 1 "$SL_GW_PWFILE")
harvest_ldif() { # DN CERT
	printf 'dn: %s\nchangetype: add\nobjectClass: inetOrgPerson\n' "$1"
	printf 'mail: dave@example.test\ncn: dave@example.test\nsn: dave@example.test\n'
	printf 'userCertificate;binary:: %s\n' "$(openssl x509 -in "$2" -outform DER | base64 -w0)"
}
harvest_ldif "mail=dave@example.test,$SL_HARVEST" "$W/dave.pem" >"$W/harvest.ldif"
ldapmodify -x -H "$SL_URI" -f "$W/harvest.ldif" >"$W/anon-add.out" 2>&1
is "$?" 8 "anonymous cannot add under the harvest base (strongerAuthRequired)"
LDAPTLS_CACERT=$SL_CA ldapmodify -x -ZZ -H "$SL_URI" -D "$SL_GW_DN" -w "$gw_pw" \
	-f "$W/harvest.ldif" >"$W/gw-add.out" 2>&1
ok $? "the gateway's bind DN adds under the harvest base (StartTLS)" ||
	diag "$(cat "$W/gw-add.out")"
is "$(sl_log_count "BIND dn=\"$SL_GW_DN\" method=128")" 1 "slapd logged the gateway's bind"
is "$(ldap plain -b "$SL_HARVEST" '(mail=dave@example.test)' mail | grep -c '^mail:')" 1 \
	"anonymous reads the harvest base"
harvest_ldif "mail=dave@example.test,$SL_PEOPLE" "$W/dave.pem" >"$W/people.ldif"
ldapmodify -x -H "$SL_URI" -D "$SL_GW_DN" -w "$gw_pw" -f "$W/people.ldif" >"$W/gw-people.out" 2>&1
is "$?" 50 "the gateway's bind DN cannot add under the people base"
SL_USER_BASE=$SL_RESTRICTED sl_add_user erin@example.test "$W/erin.pem"
ok $? "sl_add_user with SL_USER_BASE=\$SL_RESTRICTED"
is "$(ldap plain -b "$SL_SUFFIX" '(mail=erin@example.test)' mail | grep -c '^mail:')" 0 \
	"anonymous does not see the restricted base"
is "$(ldap ldaps -b "$SL_SUFFIX" -D "$SL_GW_DN" -w "$gw_pw" '(mail=erin@example.test)' mail |
	grep -c '^mail:')" 1 "the gateway's bind DN reads it (ldaps)"

# A hung server: the TCP connection is accepted, nothing answers.
sl_stop_hard
for tls in '' -ZZ; do
	t=$(ms)
	# shellcheck disable=SC2086 # no option or one, split on purpose
	LDAPTIMEOUT=2 LDAPTLS_CACERT=$SL_CA timeout 10 ldapsearch -x $tls -o nettimeout=2 \
		-H "$SL_URI" -b "$SL_PEOPLE" '(mail=alice@example.test)' >/dev/null 2>&1
	rc=$? t=$(($(ms) - t))
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$t" -lt 4000 ]
	ok $? "ldap:// ${tls:+with StartTLS }to a stopped slapd fails with LDAPTIMEOUT=2 (rc $rc, $t ms)"
done
LDAPTLS_CACERT=$SL_CA timeout 3 ldapsearch -x -o nettimeout=2 -H "$SL_LDAPS_URI" \
	-b "$SL_PEOPLE" '(mail=alice@example.test)' >/dev/null 2>&1
rc=$?
[ "$rc" -ne 0 ]
ok $? "ldaps: no answer from a stopped slapd (rc $rc; 124: libldap blocked in the handshake)"
sl_cont
ldap plain -b "$SL_PEOPLE" '(mail=alice@example.test)' mail >/dev/null
ok $? "after sl_cont it answers again"

# A second instance with the same data.
sl_start b
ok $? "sl_start b: a second instance"
[ "$(sl_var PORT b)" != "$SL_PORT" ] && [ "$(sl_var URI b)" != "$SL_URI" ]
ok $? "it has ports of its own ($(sl_var URI b), $(sl_var LDAPS_URI b))"
ldap starttls b -b "$SL_PEOPLE" '(mail=alice@example.test)' 'userCertificate;binary' |
	values 'userCertificate;binary' | head -n 1 | base64 -d >"$W/alice.b.der"
is "$(fp -inform DER -in "$W/alice.b.der")" "$(fp -in "$W/alice.pem")" \
	"b serves alice's certificate, added before it started"
sl_add_user frank@example.test "$W/frank.pem"
ok $? "sl_add_user frank with both running"
for n in main b; do
	is "$(ldap plain "$n" -b "$SL_PEOPLE" '(mail=frank@example.test)' mail | grep -c '^mail:')" 1 \
		"instance $n has frank"
done
sl_stop_hard
is "$(ldap ldaps b -b "$SL_PEOPLE" '(mail=bob@example.test)' mail | grep -c '^mail:')" 1 \
	"b answers while main is stopped"
sl_add_user gina@example.test "$W/gina.pem" 2>"$W/stopped.err"
is "$?" 1 "sl_add_user fails while an instance is stopped"
sl_cont
pid_b=$(sl_var PID b)
sl_stop b
ok $? "sl_stop b"
! kill -0 "$pid_b" 2>/dev/null && ! pf_port_listening "$(sl_var PORT b)"
ok $? "b's slapd is gone and its port closed"
sl_add_user gina@example.test "$W/gina.pem"
ok $? "sl_add_user gina while b is down"
sl_start b
ok $? "sl_start b again"
for u in gina alice; do
	is "$(ldap plain b -b "$SL_PEOPLE" "(mail=$u@example.test)" mail | grep -c '^mail:')" 1 \
		"restarted b has $u"
done

sl_stop
ok $? "sl_stop: every instance terminated"
is "$(sl_leftover_pids | wc -w)" 0 "no slapd of ours is left"
! pf_port_listening "$SL_PORT" && ! pf_port_listening "$SL_TLS_PORT"
ok $? "its ports are closed"

# ---- Postfix with SMTP AUTH -------------------------------------------
pf_init || bail "pf_init failed"
pf_enable_sasl alice@example.test 'Alice pw 1' && pf_enable_sasl bob 'bob-pw-2'
ok $? "pf_enable_sasl for alice@example.test and bob"
pf_start || bail "pf_start with SASL failed"
pass "pf_start with SASL"
case " $(postconf -c "$PF_CONF" -h milter_mail_macros) " in
*" {auth_authen} "*) pass "milter_mail_macros has {auth_authen}" ;;
*) fail "milter_mail_macros has {auth_authen}" ;;
esac
plain_mail "$W/mail.eml"
qid=$(pf_send_auth "$W/mail.eml" alice@example.test c@remote.test 127.0.0.3 \
	alice@example.test 'Alice pw 1')
ok $? "AUTH PLAIN as alice@example.test from 127.0.0.3 (not in mynetworks) is accepted" ||
	diag "$(tail -n 5 "$PF_DIR/last-swaks.log")"
grep -q '^<-  250-AUTH PLAIN LOGIN$' "$PF_DIR/last-swaks.log"
ok $? "Postfix offers exactly AUTH PLAIN LOGIN without TLS"
f=$(pf_wait_delivered "$qid" 30)
ok $? "alice's message is delivered"
grep -q "$qid: client=.*sasl_method=PLAIN, sasl_username=alice@example.test$" "$PF_MAILLOG"
ok $? "the maillog has sasl_username=alice@example.test"
qid=$(pf_send_auth "$W/mail.eml" b@example.test c@remote.test 127.0.0.3 bob 'bob-pw-2')
ok $? "AUTH PLAIN as bob (no domain) is accepted"
grep -q "$qid: client=.*sasl_username=bob$" "$PF_MAILLOG"
ok $? "the maillog has sasl_username=bob"
pf_send_auth "$W/mail.eml" alice@example.test c@remote.test 127.0.0.3 \
	alice@example.test 'wrong' >/dev/null
is "$?" 1 "a wrong password is refused"
is "$(pf_last_reply | cut -c1-3)" 535 "with 535"
pf_send "$W/mail.eml" a@remote.test c@remote.test 127.0.0.3 >/dev/null
is "$?" 1 "an unauthenticated client outside mynetworks may not relay"
grep -q 'from client.test (unknown \[127.0.0.3\])' "$f"
ok $? "Postfix's Received: names the client 127.0.0.3"
pf_stop
ok $? "pf_stop"

# The milter sees the login: mail from 127.0.0.2 (not in InternalHosts)
# is outbound when the client authenticated, inbound otherwise.
printf '%s\n' "Socket inet:$PF_MILTER_PORT@127.0.0.1" 'AuthservID mx.test' \
	'InternalHosts 127.0.0.1' "TempDirectory $PF_DIR/sent" >"$PF_DIR/milter.conf"
pf_milter_start "$SMIME_MILTER" "$PF_DIR/milter.conf" && pf_start "inet:127.0.0.1:$PF_MILTER_PORT"
ok $? "the milter and Postfix (SASL still on) start" || bail "no milter"
qa=$(pf_send_auth "$W/mail.eml" b@example.test c@remote.test 127.0.0.2 bob 'bob-pw-2') &&
	pf_wait_delivered "$qa" 30 >/dev/null
ok $? "an authenticated message from 127.0.0.2 passes the milter"
qi=$(pf_send "$W/mail.eml" b@remote.test c@example.test 127.0.0.2) &&
	pf_wait_delivered "$qi" 30 >/dev/null
ok $? "an unauthenticated one too"
grep -q -F "$qa: dir=outbound " "$PF_MILTER_LOG"
ok $? "the milter got {auth_authen}: the authenticated one is outbound"
grep -q -F "$qi: dir=inbound " "$PF_MILTER_LOG"
ok $? "the other is inbound" || diag "$(cat "$PF_MILTER_LOG")"
pf_stop
ok $? "pf_stop, the milter too"

done_testing
