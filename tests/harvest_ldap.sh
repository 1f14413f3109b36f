#!/bin/bash
# harvest_ldap.sh - HarvestToLDAP (SPEC section 9) through the milter's
# code path (`smime-tool process`) and a real slapd: a pass signature by
# a new correspondent whose SMIMECapabilities list only des-ede3-cbc
# becomes mail=ADDRESS,LDAPHarvestBase (inetOrgPerson, cn, sn,
# userCertificate;binary, userSMIMECertificate), HarvestDirectory stays
# empty, and a second gateway with an empty HarvestDirectory finds the
# certificate and its capabilities in slapd; a policy or fail signature
# writes nothing; hostile addresses become entries directly under the
# harvest base; the same signature again changes nothing, a later
# signingTime updates the capabilities; with slapd not answering the
# message is unchanged and the failure logged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slapd_lib.sh"

DRIVER=$top_builddir/tests/harvest_sign_driver
[ -x "$DRIVER" ] || bail "harvest_sign_driver not built at $DRIVER"
sl_require_tools || bail "slapd is needed"
tmp=$(mktemp -d)
trap 'sl_cleanup; evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
sl_init || bail "sl_init"
sl_start || bail "slapd does not start"
# Signed a minute after the certificates are made, judged a minute later.
SIGNED=$(($(date +%s) + 60))
AT=$(date -u -d "@$((SIGNED + 60))" +%Y-%m-%dT%H:%M:%SZ)

test_ca "$tmp" "/CN=Harvest LDAP CA" || bail "CA"
mkdir "$tmp/stranger" && test_ca "$tmp/stranger" "/CN=Stranger CA" || bail "CA"
# user STEM ADDRESS [CADIR]: an S/MIME certificate (quotes escaped for
# OpenSSL's configuration syntax)
user() {
	local d=${3:-$tmp}
	issue_cert "$d" "$1" \
		"subjectAltName=email:$(printf '%s' "$2" | sed 's/"/\\"/g')" \
		'keyUsage=digitalSignature,keyEncipherment' \
		'extendedKeyUsage=emailProtection' || bail "certificate $1"
	[ "$d" = "$tmp" ] || cp "$d/$1.pem" "$d/$1.key" "$tmp/"
}
user new new@example.test
user dots '"../../x"@evil.example'
user slash 'a/b+c@evil.example'
user mallory mallory@example.test "$tmp/stranger"

conf() { # conf NAME HARVESTDIR [LINE...]
	local name=$1 h=$2
	shift 2
	printf '%s\n' "AuthservID mx.test" "TrustAnchorFile $tmp/ca.pem" \
		"Socket local:$tmp/s" "HarvestCertificates yes" \
		"HarvestDirectory $h" "HarvestToLDAP yes" "LDAPURI $SL_URI" \
		"LDAPBase $SL_SUFFIX" "LDAPHarvestBase $SL_HARVEST" \
		"LDAPBindDN $SL_GW_DN" "LDAPBindPasswordFile $SL_GW_PWFILE" \
		"LDAPTimeout 2" "$@" >"$tmp/$name.conf"
}
conf one "$tmp/h1"
conf two "$tmp/h2"
run() { # run FILE OUT
	"$SMIME_TOOL" process -c "$tmp/one.conf" --from x@example.net \
		--rcpt bob@example.net --at "$AT" -i "$1" -o "$2" 2>"$2.err"
	st=$?
}
entries() { # the DNs one level under the harvest base
	ldapsearch -x -LLL -H "$SL_URI" -b "$SL_HARVEST" -s one '(objectClass=*)' dn 2>/dev/null |
		sed -n 's/^dn: //p'
}
search_new() { # ATTRS...: new@'s entry
	ldapsearch -x -LLL -o ldif-wrap=no -H "$SL_URI" -b "$SL_HARVEST" -s one \
		'(mail=new@example.test)' "$@" 2>/dev/null
}

# --- a new correspondent --------------------------------------------------------
caps_signed_mail "$DRIVER" "$tmp/new" new@example.test 3des "$SIGNED" "$tmp/new.eml"
run "$tmp/new.eml" "$tmp/new.out"
is "$st" 0 "a signed message is accepted"
grep -q 'smime=pass' "$tmp/new.out"
ok $? "its signature is pass" || diag "$(grep -A2 Authentication-Results "$tmp/new.out")"
is "$(entries)" "mail=new@example.test,$SL_HARVEST" "the signer is harvested as mail=ADDRESS,LDAPHarvestBase"
search_new objectClass cn sn mail >"$tmp/entry"
grep -qx 'objectClass: inetOrgPerson' "$tmp/entry" && grep -qx 'cn: new@example.test' "$tmp/entry" &&
	grep -qx 'sn: new@example.test' "$tmp/entry"
ok $? "an inetOrgPerson with cn and sn the address" || diag "$(cat "$tmp/entry")"
search_new 'userCertificate;binary' | sed -n 's/^userCertificate;binary:: //p' | base64 -d >"$tmp/got.der"
openssl x509 -inform DER -in "$tmp/got.der" -noout -subject 2>/dev/null | grep -q 'CN *= *new'
ok $? "userCertificate;binary is the signer's certificate (openssl x509 reads it)"
search_new userSMIMECertificate | sed -n 's/^userSMIMECertificate:: //p' | base64 -d >"$tmp/got.p7"
openssl cms -cmsout -print -inform DER -in "$tmp/got.p7" 2>/dev/null >"$tmp/got.txt"
grep -q 'S/MIME Capabilities' "$tmp/got.txt" && grep -q 'eContent: <ABSENT>' "$tmp/got.txt"
ok $? "userSMIMECertificate is a SignedData without content, with the SMIMECapabilities attribute (openssl cms reads it)" ||
	diag "$(head -30 "$tmp/got.txt")"
is "$(find "$tmp/h1" -type f 2>/dev/null | wc -l)" 0 "HarvestDirectory stays empty"

"$SMIME_TOOL" lookup -c "$tmp/two.conf" --at "$AT" new@example.test >"$tmp/l2" 2>"$tmp/l2.err"
case $(cat "$tmp/l2") in
'new@example.test source=harvest subject="CN=new" '*' capabilities=des-ede3-cbc cipher=des-ede3-cbc')
	pass "a second gateway with an empty HarvestDirectory finds it in slapd, with its capabilities" ;;
*) fail "a second gateway with an empty HarvestDirectory finds it in slapd, with its capabilities"
	diag "$(cat "$tmp/l2" "$tmp/l2.err")" ;;
esac

# --- the same signature again; a later one --------------------------------------
search_new modifyTimestamp | sed -n 's/^modifyTimestamp: //p' >"$tmp/t1"
sleep 1
run "$tmp/new.eml" "$tmp/new2.out"
search_new modifyTimestamp | sed -n 's/^modifyTimestamp: //p' >"$tmp/t2"
[ -s "$tmp/t1" ] && cmp -s "$tmp/t1" "$tmp/t2"
ok $? "the same signature again changes nothing (modifyTimestamp $(cat "$tmp/t1"))"
caps_signed_mail "$DRIVER" "$tmp/new" new@example.test aes "$((SIGNED + 30))" "$tmp/new3.eml"
run "$tmp/new3.eml" "$tmp/new3.out"
"$SMIME_TOOL" lookup -c "$tmp/two.conf" --at "$AT" new@example.test >"$tmp/l3" 2>&1
case $(cat "$tmp/l3") in
*' capabilities=des-ede3-cbc '*) fail "a later signingTime updates the capabilities"; diag "$(cat "$tmp/l3")" ;;
*' capabilities='*) pass "a later signingTime updates the capabilities" ;;
*) fail "a later signingTime updates the capabilities"; diag "$(cat "$tmp/l3")" ;;
esac

# --- nothing from policy or fail ----------------------------------------------------
caps_signed_mail "$DRIVER" "$tmp/mallory" mallory@example.test 3des "$SIGNED" "$tmp/mallory.eml"
run "$tmp/mallory.eml" "$tmp/mallory.out"
grep -q 'smime=policy' "$tmp/mallory.out"
ok $? "an untrusted signer is policy"
caps_signed_mail "$DRIVER" "$tmp/new" new@example.test 3des "$SIGNED" "$tmp/bad.eml" tamper
run "$tmp/bad.eml" "$tmp/bad.out"
grep -q 'smime=fail' "$tmp/bad.out"
ok $? "a changed body is fail"
is "$(entries | wc -l)" 1 "policy and fail harvest nothing"

# --- hostile addresses ------------------------------------------------------------
caps_signed_mail "$DRIVER" "$tmp/dots" '"../../x"@evil.example' none "$SIGNED" "$tmp/dots.eml"
caps_signed_mail "$DRIVER" "$tmp/slash" 'a/b+c@evil.example' none "$SIGNED" "$tmp/slash.eml"
run "$tmp/dots.eml" "$tmp/dots.out"
run "$tmp/slash.eml" "$tmp/slash.out"
entries | sort >"$tmp/dns"
grep -qxF "mail=\"../../x\"@evil.example,$SL_HARVEST" "$tmp/dns" ||
	grep -qxF "mail=\\22../../x\\22@evil.example,$SL_HARVEST" "$tmp/dns"
ok $? "\"../../x\"@evil.example is an entry directly under the harvest base" || diag "$(cat "$tmp/dns")"
grep -qxF "mail=a/b\\+c@evil.example,$SL_HARVEST" "$tmp/dns" ||
	grep -qxF "mail=a/b\\2Bc@evil.example,$SL_HARVEST" "$tmp/dns"
ok $? "a/b+c@evil.example is one too, its + escaped" || diag "$(cat "$tmp/dns")"
is "$(wc -l <"$tmp/dns")" 3 "and nothing else was written"

# --- slapd not answering ----------------------------------------------------------
user late late@example.test
caps_signed_mail "$DRIVER" "$tmp/late" late@example.test 3des "$SIGNED" "$tmp/late.eml"
sl_stop_hard || bail "SIGSTOP"
run "$tmp/late.eml" "$tmp/late.out"
is "$st" 0 "slapd SIGSTOPped: the message is accepted"
grep -q 'smime=pass' "$tmp/late.out"
ok $? "with its verdict"
grep -q 'not harvested to LDAP' "$tmp/late.out.err"
ok $? "the failed harvest is logged" || diag "$(cat "$tmp/late.out.err")"
sl_cont || bail "SIGCONT"
sed -e 's/^HarvestCertificates yes$/HarvestCertificates no/' "$tmp/one.conf" >"$tmp/off.conf"
"$SMIME_TOOL" process -c "$tmp/off.conf" --from x@example.net --rcpt bob@example.net \
	--at "$AT" -i "$tmp/late.eml" -o "$tmp/late.off" 2>/dev/null
cmp -s "$tmp/late.out" "$tmp/late.off"
ok $? "and the message is byte for byte the one without harvesting"

# --- a directory that refuses the write ----------------------------------------------
grep -v -E '^LDAPBind' "$tmp/one.conf" >"$tmp/anon.conf"
user anon anon@example.test
caps_signed_mail "$DRIVER" "$tmp/anon" anon@example.test 3des "$SIGNED" "$tmp/anon.eml"
"$SMIME_TOOL" process -c "$tmp/anon.conf" --from x@example.net --rcpt bob@example.net \
	--at "$AT" -i "$tmp/anon.eml" -o "$tmp/anon.out" 2>"$tmp/anon.err"
is "$?" 0 "an anonymous gateway's message is accepted"
grep -q 'not harvested to LDAP: the directory refused the write' "$tmp/anon.err"
ok $? "slapd refusing the write is logged as a refusal" || diag "$(cat "$tmp/anon.err")"
! grep -q 'did not answer' "$tmp/anon.err"
ok $? "not as a directory that did not answer (no URI skipped)"

# --- configuration ------------------------------------------------------------------
grep -v -E '^(LDAPURI|LDAPHarvestBase) ' "$tmp/one.conf" >"$tmp/nobase.conf"
"$SMIME_TOOL" lookup -c "$tmp/nobase.conf" new@example.test >/dev/null 2>"$tmp/nobase.err"
is "$?" 2 "HarvestToLDAP without LDAPURI and LDAPHarvestBase is a load error"
grep -q ':[0-9]*: HarvestToLDAP: needs LDAPURI and LDAPHarvestBase' "$tmp/nobase.err"
ok $? "naming the line" || diag "$(cat "$tmp/nobase.err")"

sl_stop
is "$(sl_leftover_pids | wc -w)" 0 "no slapd of this test is left"
done_testing
