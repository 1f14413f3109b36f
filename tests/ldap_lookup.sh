#!/bin/bash
# ldap_lookup.sh - `smime-tool lookup` against a real slapd (SPEC section
# 9): certificates from userCertificate;binary and userSMIMECertificate,
# the source order (CertDirectory before LDAP, LDAP before LDAPHarvestBase),
# the capabilities a userSMIMECertificate carries, the caches counted in
# slapd's log, RFC 4515 escaping of a hostile address, a bind DN, StartTLS
# and ldaps://; and, with slapd stopped and with slapd SIGSTOPped, over
# ldap://, StartTLS and ldaps://, five uncached addresses answered
# directory-unavailable within LDAPTimeout + 1 s; with two URIs, the
# first SIGSTOPped or refusing, the second answers.
#
# The certificates are made here, valid from now for 30 days; the
# directory is tests/slapd_lib.sh's (dc=example,dc=test).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slapd_lib.sh"

sl_require_tools || bail "slapd is needed"
tmp=$(mktemp -d)
trap 'sl_cleanup; evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
sl_init || bail "sl_init"

# ---- certificates ------------------------------------------------------------
pki=$tmp/pki
mkdir -p "$pki" "$tmp/certdir"
test_ca "$pki" "/CN=LDAP Lookup Test CA" || bail "CA"
# mkcert NAME MAIL: $pki/NAME.pem and NAME.key, an S/MIME encryption
# certificate for MAIL (issue_cert, lib.sh).
mkcert() {
	issue_cert "$pki" "$1" "subjectAltName=email:$2" \
		'keyUsage=critical,digitalSignature,keyEncipherment' \
		'extendedKeyUsage=emailProtection' || bail "certificate $1"
}
mkcert ann ann@example.test
mkcert ben ben@example.test
mkcert cat cat@example.test
mkcert dup-dir dup@example.test
sleep 1 # the LDAP one is newer: a later notBefore
mkcert dup-ldap dup@example.test
mkcert hv hv@example.test
mkcert sec sec@example.test
cp "$pki/dup-dir.pem" "$tmp/certdir/"
# IDNA: an A-label rfc822Name and a U-label SmtpUTF8Mailbox in
# CertDirectory, an A-label mail in LDAP.
mkcert anna anna@xn--bcher-kva.example
issue_cert "$pki" otto "subjectAltName=@san" "[san]" \
	"otherName.1=1.3.6.1.5.5.7.8.9;FORMAT:UTF8,UTF8:otto@bücher.example" ||
	bail "certificate otto"
cp "$pki/anna.pem" "$pki/otto.pem" "$tmp/certdir/"
mkcert idn idn@xn--bcher-kva.example

sl_start || bail "slapd does not start"
sl_add_user ann@example.test "$pki/ann.pem" || bail "add ann"
sl_add_user_signed ben@example.test "$pki/ben.pem" "$pki/ben.key" || bail "add ben"
sl_add_user cat@example.test "$pki/cat.pem" smime || bail "add cat"
sl_add_user dup@example.test "$pki/dup-ldap.pem" || bail "add dup"
sl_add_user idn@xn--bcher-kva.example "$pki/idn.pem" || bail "add idn"
SL_USER_BASE=$SL_HARVEST sl_add_user hv@example.test "$pki/hv.pem" || bail "add hv"
SL_USER_BASE=$SL_RESTRICTED sl_add_user sec@example.test "$pki/sec.pem" || bail "add sec"

# conf FILE URIS [EXTRA LINES...]
conf() {
	local f=$1 uris=$2
	shift 2
	{
		printf 'TrustAnchorFile %s\nCertDirectory %s\nSocket local:%s/s\n' \
			"$pki/ca.pem" "$tmp/certdir" "$tmp"
		printf 'LDAPURI %s\nLDAPBase %s\nLDAPHarvestBase %s\n' \
			"$uris" "$SL_SUFFIX" "$SL_HARVEST"
		printf 'LDAPTimeout 2\nLDAPCAFile %s\n' "$SL_CA"
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$f"
}
conf "$tmp/ldap.conf" "$SL_URI"

# lookup CONF ADDR...: stdout in $tmp/out, stderr in $tmp/err, status in
# $st, milliseconds in $ms.
lookup() {
	local c=$1 t0
	shift
	t0=$(date +%s%N)
	"$SMIME_TOOL" lookup -c "$c" "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}
line_of() { grep -F -- "$1 " "$tmp/out" | head -n1; }

# ---- sources ---------------------------------------------------------------
lookup "$tmp/ldap.conf" ann@example.test ben@example.test cat@example.test \
	dup@example.test hv@example.test
is "$st" 0 "every directory user has a certificate: exit 0" || diag "$(cat "$tmp/out" "$tmp/err")"
case $(line_of ann@example.test) in
*' source=ldap subject="CN=ann" '*) pass "userCertificate;binary: source=ldap" ;;
*) fail "userCertificate;binary: source=ldap"; diag "$(cat "$tmp/out")" ;;
esac
case $(line_of ben@example.test) in
*' source=ldap subject="CN=ben" '*' capabilities=aes-256-cbc,aes-192-cbc,aes-128-cbc,'*' cipher=aes-256-cbc')
	pass "a signed userSMIMECertificate: its certificate and its capabilities" ;;
*) fail "a signed userSMIMECertificate: its certificate and its capabilities"; diag "$(cat "$tmp/out")" ;;
esac
case $(line_of cat@example.test) in
*' source=ldap subject="CN=cat" '*' capabilities=unknown '*) pass "a certs-only userSMIMECertificate: its certificate, capabilities unknown" ;;
*) fail "a certs-only userSMIMECertificate: its certificate, capabilities unknown"; diag "$(cat "$tmp/out")" ;;
esac
case $(line_of dup@example.test) in
*' source=certdir subject="CN=dup-dir" '*) pass "CertDirectory outranks a newer LDAP certificate" ;;
*) fail "CertDirectory outranks a newer LDAP certificate"; diag "$(cat "$tmp/out")" ;;
esac
case $(line_of hv@example.test) in
*' source=harvest subject="CN=hv" '*) pass "an entry under LDAPHarvestBase is a harvested one" ;;
*) fail "an entry under LDAPHarvestBase is a harvested one"; diag "$(cat "$tmp/out")" ;;
esac

lookup "$tmp/ldap.conf" 'anna@bücher.example' 'OTTO@xn--BCHER-kva.example' 'idn@Bücher.example'
case $(line_of 'anna@bücher.example') in
*' source=certdir subject="CN=anna" '*) pass "IDNA: a U-label address finds the A-label rfc822Name" ;;
*) fail "IDNA: a U-label address finds the A-label rfc822Name"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
esac
case $(line_of 'OTTO@xn--BCHER-kva.example') in
*' source=certdir subject="CN=otto" '*) pass "IDNA: an A-label address in any case finds the U-label SmtpUTF8Mailbox" ;;
*) fail "IDNA: an A-label address in any case finds the U-label SmtpUTF8Mailbox"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
esac
case $(line_of 'idn@Bücher.example') in
*' source=ldap subject="CN=idn" '*) pass "IDNA: LDAP is searched with the A-label domain" ;;
*) fail "IDNA: LDAP is searched with the A-label domain"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
esac

lookup "$tmp/ldap.conf" nobody@example.test
is "$st" 1 "an unknown address: exit 1"
is "$(cat "$tmp/out")" "nobody@example.test reason=no-certificate" "an unknown address: no-certificate"

# ---- caches ----------------------------------------------------------------
q0=$(sl_queries)
lookup "$tmp/ldap.conf" ann@example.test ANN@example.test ann@example.test \
	nobody2@example.test nobody2@example.test
is "$(($(sl_queries) - q0))" 2 "a repeat is served from the cache, found or not: 2 searches for 5 lookups"
is "$(grep -c 'source=ldap' "$tmp/out")" 3 "and the cached certificate is used each time"
conf "$tmp/nocache.conf" "$SL_URI" "LDAPCacheTTL 0" "LDAPNegativeCacheTTL 0"
q0=$(sl_queries)
lookup "$tmp/nocache.conf" ann@example.test ann@example.test nobody2@example.test nobody2@example.test
is "$(($(sl_queries) - q0))" 4 "with both TTLs 0 every lookup searches"
conf "$tmp/neg.conf" "$SL_URI" "LDAPNegativeCacheTTL 0"
q0=$(sl_queries)
lookup "$tmp/neg.conf" ann@example.test ann@example.test nobody2@example.test nobody2@example.test
is "$(($(sl_queries) - q0))" 3 "the negative cache has its own TTL"

# ---- RFC 4515 ----------------------------------------------------------------
lookup "$tmp/ldap.conf" '*)(mail=*' '*@example.test' '*'
is "$(cut -d' ' -f2 "$tmp/out" | sort -u)" "reason=no-certificate" "hostile addresses find nothing"
is "$(sl_log_count 'filter="\(mail=\\2A\\29\\28mail=\\2A\)"')" 1 "*)(mail=* reaches slapd escaped: one filter, (mail=\\2A\\29\\28mail=\\2A)"
is "$(sl_log_count 'filter="\(mail=\\2A\)"')" 1 "* reaches slapd as \\2A, not as a presence filter"
is "$(sl_log_count 'filter="\(mail=\*\)"')" 0 "no search ever asked for (mail=*)"
# The result lines of those searches (same conn= and op=) say nentries=0.
results=$(grep -E 'filter="\(mail=\\2A' "$SL_LOG" | grep -oE 'conn=[0-9]+ op=[0-9]+' |
	while read -r co; do grep -F "$co SEARCH RESULT" "$SL_LOG"; done)
is "$(printf '%s\n' "$results" | grep -c 'nentries=0')" 3 "the hostile searches returned no entries" || diag "$results"

# ---- bind DN ---------------------------------------------------------------
lookup "$tmp/ldap.conf" sec@example.test
is "$(cat "$tmp/out")" "sec@example.test reason=no-certificate" "anonymous: the restricted entry is not seen"
conf "$tmp/bind.conf" "$SL_URI" "LDAPBindDN $SL_GW_DN" "LDAPBindPasswordFile $SL_GW_PWFILE"
lookup "$tmp/bind.conf" sec@example.test
case $(cat "$tmp/out") in
'sec@example.test source=ldap '*) pass "with LDAPBindDN the gateway reads the restricted entry" ;;
*) fail "with LDAPBindDN the gateway reads the restricted entry"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
esac
cp "$SL_GW_PWFILE" "$tmp/open.pass"
chmod 644 "$tmp/open.pass"
conf "$tmp/open.conf" "$SL_URI" "LDAPBindDN $SL_GW_DN" "LDAPBindPasswordFile $tmp/open.pass"
lookup "$tmp/open.conf" sec@example.test
is "$st" 2 "a bind password file others may read is refused"
grep -q 'group or others may read it' "$tmp/err"
ok $? "and the error says why" || diag "$(cat "$tmp/err")"
echo wrong >"$tmp/wrong.pass"
chmod 600 "$tmp/wrong.pass"
conf "$tmp/wrong.conf" "$SL_URI" "LDAPBindDN $SL_GW_DN" "LDAPBindPasswordFile $tmp/wrong.pass"
lookup "$tmp/wrong.conf" sec@example.test
is "$(cat "$tmp/out")" "sec@example.test reason=directory-unavailable" "a refused bind is directory-unavailable, not no-certificate"

# ---- TLS ---------------------------------------------------------------------
conf "$tmp/starttls.conf" "$SL_URI" "LDAPStartTLS yes"
conf "$tmp/ldaps.conf" "$SL_LDAPS_URI"
for c in starttls ldaps; do
	lookup "$tmp/$c.conf" ann@example.test
	case $(cat "$tmp/out") in
	'ann@example.test source=ldap '*) pass "$c: found" ;;
	*) fail "$c: found"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
	esac
done
conf "$tmp/wrongca.conf" "$SL_LDAPS_URI"
sed -i "s|^LDAPCAFile .*|LDAPCAFile $pki/ca.pem|" "$tmp/wrongca.conf"
lookup "$tmp/wrongca.conf" ann@example.test
is "$(cat "$tmp/out")" "ann@example.test reason=directory-unavailable" "ldaps:// with a server certificate LDAPCAFile does not anchor: unavailable"
sed -i "s|^LDAPCAFile .*|LDAPCAFile $pki/ca.pem|" "$tmp/starttls.conf"
lookup "$tmp/starttls.conf" ann@example.test
is "$(cat "$tmp/out")" "ann@example.test reason=directory-unavailable" "StartTLS with the wrong CA: unavailable, never a fallback to plain text"
conf "$tmp/starttls.conf" "$SL_URI" "LDAPStartTLS yes"

# ---- a signer certificate the SignedData lacks -------------------------------
# tests/data/lookup/signed-nocerts.eml is signed by signer@example.org
# without certificates; here only slapd holds the signer's certificate.
ld=$top_srcdir/tests/data/lookup
sl_add_user signer@example.org "$ld/signer.pem" || bail "add signer"
conf "$tmp/signer.conf" "$SL_URI" "AuthservID mx.example.net"
sed -i "s|^TrustAnchorFile .*|TrustAnchorFile $ld/root.pem|" "$tmp/signer.conf"
process_signed() {
	"$SMIME_TOOL" process -c "$tmp/signer.conf" --from signer@example.org \
		--rcpt rcpt@example.net --at 2026-12-06T00:00:00Z \
		-i "$ld/signed-nocerts.eml" -o "$tmp/p.out" 2>"$tmp/p.err"
}
process_signed
grep -q '^	smime=pass body.smime-identifier=signer@example.org body.smime-part=1' "$tmp/p.out"
ok $? "a signature without its certificate verifies with the signer's certificate from LDAP" ||
	diag "$(grep -A2 '^Authentication-Results' "$tmp/p.out"; cat "$tmp/p.err")"
sl_stop_hard || bail "SIGSTOP"
process_signed
grep -q '^	smime=temperror reason="directory-unavailable" body.smime-part=1' "$tmp/p.out"
ok $? "slapd not answering: temperror directory-unavailable, not permerror" ||
	diag "$(grep -A2 '^Authentication-Results' "$tmp/p.out"; cat "$tmp/p.err")"
sl_cont || bail "SIGCONT"

# ---- outages -----------------------------------------------------------------
# outage STATE: five uncached addresses over each transport, each run
# within LDAPTimeout (2 s) + 1 s.
n=0
outage() {
	local state=$1 c addrs i
	for c in ldap starttls ldaps; do
		addrs=()
		for i in 1 2 3 4 5; do
			n=$((n + 1))
			addrs+=("u$n@example.test")
		done
		lookup "$tmp/$c.conf" "${addrs[@]}"
		is "$st" 1 "$state, $c: exit 1"
		is "$(grep -c ' reason=directory-unavailable$' "$tmp/out")" 5 \
			"$state, $c: all five addresses directory-unavailable" || diag "$(cat "$tmp/out" "$tmp/err")"
		ok "$([ "$ms" -le 3000 ] && echo 0 || echo 1)" \
			"$state, $c: within LDAPTimeout + 1 s (${ms} ms)"
	done
	grep -q 'did not answer' "$tmp/err"
	ok $? "$state: the log says which URI did not answer" || diag "$(cat "$tmp/err")"
}
sl_stop_hard || bail "SIGSTOP"
outage "slapd SIGSTOPped"
sl_cont || bail "SIGCONT"
sl_stop main || bail "stop"
outage "slapd stopped"
sl_start || bail "slapd does not start again"

# ---- failover ----------------------------------------------------------------
sl_start second || bail "the second slapd does not start"
sl_instance refusing || bail "instance"
conf "$tmp/two.conf" "$SL_URI $SL_URI_second"
conf "$tmp/refuse.conf" "$SL_URI_refusing $SL_LDAPS_URI_second"
sl_stop_hard main || bail "SIGSTOP"
q0=$(sl_queries second)
lookup "$tmp/two.conf" ann@example.test cat@example.test
case $(cat "$tmp/out") in
'ann@example.test source=ldap '*'cat@example.test source=ldap '*) pass "the first URI SIGSTOPped: the second answers" ;;
*) fail "the first URI SIGSTOPped: the second answers"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
esac
is "$(($(sl_queries second) - q0))" 2 "both searches went to the second"
ok "$([ "$ms" -le 2500 ] && echo 0 || echo 1)" "within LDAPTimeout: the first waited its half once, then was skipped (${ms} ms)"
sl_cont main
lookup "$tmp/refuse.conf" ann@example.test
case $(cat "$tmp/out") in
'ann@example.test source=ldap '*) pass "the first URI refuses: the second (ldaps://) answers" ;;
*) fail "the first URI refuses: the second (ldaps://) answers"; diag "$(cat "$tmp/out" "$tmp/err")" ;;
esac
ok "$([ "$ms" -le 1500 ] && echo 0 || echo 1)" "a refusing URI costs no wait (${ms} ms)"

sl_stop
is "$(sl_leftover_pids | wc -w)" 0 "no slapd of this test is left"
done_testing
