# verify_process.sh - signature verification in the milter's code path
# (`smime-tool process`): the Authentication-Results field it adds, the
# forged ones it removes, the log line's signer/result/reason, the rules'
# `signature RESULT` condition, and --at driving the clock.
. "$(dirname "$0")/lib.sh"
need_corpus

tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
C=$CORPUS_DIR
AT=2026-12-01T00:00:00Z
PASS_MSG="$C/mozilla-nss/smime/alice.dsig.SHA256.multipart.eml"
TAMPERED="$C/openssl-generated/sig-sha256-detached-tampered.eml"
TWO="$C/openssl-generated/sig-sha256-2signers.eml"
PLAIN=$tmp/plain.eml
plain_mail "$PLAIN"

cat > "$tmp/trust.pem" "$C/mozilla-nss/smime/TestCA.pem" "$C/openssl/smime-certs/smroot.pem"
conf() { # conf NAME TRUST-FILE [LINE...]
	local name=$1 trust=$2; shift 2
	printf '%s\n' "AuthservID mx.test" "TrustAnchorFile $trust" "$@" > "$tmp/$name.conf"
	echo "$tmp/$name.conf"
}
ALL=$tmp/trust.pem
SMROOT=$C/openssl/smime-certs/smroot.pem
base=$(conf base "$ALL")
run() { # run FILE [ARGS...]
	local f=$1; shift
	"$SMIME_TOOL" process -c "${CONF:-$base}" --from a@b.example --rcpt r@example.org \
		--at "${AT_TIME:-$AT}" "$@" -i "$f" -o "$tmp/out" 2> "$tmp/err"
	st=$?
	err=$(cat "$tmp/err")
}
ar() { # the first Authentication-Results field of the output, unfolded
	/usr/bin/python3 - "$tmp/out" <<'EOF'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
v = m.get_all("Authentication-Results") or []
print(" ".join(" ".join(v[0].split()).split()) if v else "")
EOF
}
authres() { # authres [PROPERTY]: what python3-authres reads in the output's
	# A-R field: every method=result, or PROPERTY of the first resinfo with
	# its quoted-pairs undone (python3-authres keeps them as written)
	/usr/bin/python3 - "$tmp/out" "${1-}" <<'EOF' 2>/dev/null
import authres, email, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + m["Authentication-Results"])
if sys.argv[2]:
    v = [p.value for p in h.results[0].properties if p.name == sys.argv[2]][0]
    print(re.sub(r"\\(.)", r"\1", v))
else:
    print(" ".join("%s=%s" % (r.method, r.result) for r in h.results))
EOF
}

run "$PASS_MSG"
is "$st" 0 "a signed message is accepted"
is "$(ar)" 'mx.test; smime=pass body.smime-identifier=Alice@example.com body.smime-part=1 body.smime-serial=1e body.smime-issuer="CN=NSS Test CA (RSA),O=BOGUS NSS,L=Mountain View,ST=California,C=US"' \
	"a good signature is stamped smime=pass with identifier, part, serial and issuer"
head -1 "$tmp/out" | grep -q '^Authentication-Results: mx.test;'
ok $? "the Authentication-Results field is added at the top"
is "$(authres)" "smime=pass" "python3-authres parses the field we wrote"
awk 'length($0) > 998 { bad = 1 } END { exit bad }' "$tmp/out"
ok $? "no header line reaches 998 characters"
case $err in *" kind=signed signer=Alice@example.com result=pass "*) r=0 ;; *) r=1 ;; esac
ok $r "the log line names signer and result" || diag "$err"
awk 'NR == 1 { skip = 1; next } skip && /^[ \t]/ { next } { skip = 0; print }' "$tmp/out" |
	cmp -s - "$PASS_MSG"
ok $? "apart from the new field the message is unchanged"

run "$TAMPERED"
case $(ar) in *'smime=fail reason="bad-signature"'*) r=0 ;; *) r=1 ;; esac
ok $r "a changed body is smime=fail reason=bad-signature" || diag "$(ar)"
case $err in *" result=fail reason=bad-signature "*) r=0 ;; *) r=1 ;; esac
ok $r "the log line says result=fail reason=bad-signature" || diag "$err"

CONF=$(conf other-ca "$SMROOT") run "$PASS_MSG"
case $(ar) in *'smime=policy reason="untrusted"'*) r=0 ;; *) r=1 ;; esac
ok $r "an unknown CA is policy untrusted, never fail" || diag "$(ar)"

run "$TWO"
is "$(ar | grep -o 'smime=[a-z]*' | wc -l)" 2 "two SignerInfos give two resinfos in one field"

run "$PLAIN"
is "$(ar)" "" "unsigned mail gets no Authentication-Results"

# Forged fields: ours with smime go; other methods under our id and other
# hosts' fields stay.
{
	printf 'Authentication-Results: mx.test; smime=pass body.smime-identifier=forged@example.org\r\n'
	printf 'Authentication-Results: mx.test; dkim=pass header.d=example.com\r\n'
	printf 'Authentication-Results: other.example; smime=pass\r\n'
	cat "$PLAIN"
} > "$tmp/forged.eml"
run "$tmp/forged.eml"
grep -q 'forged@example.org' "$tmp/out"; ok $((! $?)) "a forged smime result under our authserv-id is removed"
grep -q 'mx.test; dkim=pass' "$tmp/out"; ok $? "another method's result under our authserv-id stays"
grep -q 'other.example; smime=pass' "$tmp/out"; ok $? "another host's smime result stays"
cmp -s "$tmp/out" <(tail -n +2 "$tmp/forged.eml"); ok $? "nothing else changes"

# Issue 13, F8: fields under our id that a lenient reader would take for
# an smime result, because we cannot read them to their end or they say
# smime outside a proper resinfo, go too; OpenDKIM's field stays.
{
	printf 'Authentication-Results: mx.test (; smime=pass body.smime-identifier=f1@example.org\r\n'
	printf 'Authentication-Results: mx.test; dkim="x; smime=pass body.smime-identifier=f2@example.org\r\n'
	printf 'Authentication-Results: mx.test; dkim=pass reason="x\\"; smime=pass body.smime-identifier=f3@example.org"\r\n'
	printf 'Authentication-Results: mx.test; dkim=pass (1024-bit key; unprotected) header.d=example.com header.b="AbC1"\r\n'
	cat "$PLAIN"
} > "$tmp/forged-unreadable.eml"
run "$tmp/forged-unreadable.eml"
for f in f1 f2 f3; do
	grep -q "$f@example.org" "$tmp/out"; ok $((! $?)) "F8: the unreadable forged field naming $f@example.org is removed"
done
cmp -s "$tmp/out" <(tail -n +4 "$tmp/forged-unreadable.eml")
ok $? "F8: OpenDKIM's field under our id and the rest of the message stay as they were"

# The clock: the same signature judged today and in 2200, when the
# signer's certificate has long expired.
AT_TIME=2200-01-01T00:00:00Z run "$PASS_MSG"
case $(ar) in *'smime=policy reason="expired"'*) r=0 ;; *) r=1 ;; esac
ok $r "--at in 2200 makes the same signature policy expired" || diag "$(ar)"
exp_msg="$C/simple-java-mail/test-messages/#486 TestValidSignedMimeMessage.eml"

# Which form verified, and why nothing inside encryption was verified.
run "$C/mozilla-nss/smime/alice.env.dsig.SHA256.multipart.eml"
case $err in *'note="'*'a signature verified only over bare-LF content'*) r=0 ;; *) r=1 ;; esac
ok $r "a signature that verifies only over bare-LF content says so in the log" || diag "$err"
run "$C/openssl-generated/sig-then-env-rc2-40.eml"
case $err in *'note="encrypted content: signatures inside it are not verified"'*) r=0 ;; *) r=1 ;; esac
ok $r "signed-then-encrypted mail the gateway cannot open logs why it has no verdict" || diag "$err"
is "$(ar)" "" "and gets no Authentication-Results"

# Rules on signature results.
printf 'when inbound and signature fail then reject "5.7.1 S/MIME signature did not verify"\nwhen signature pass then tag good-sig\nwhen signature none then tag no-sig\n' > "$tmp/sig.rules"
SIGCONF=$(conf sig "$ALL" "Rules $tmp/sig.rules")
CONF=$SIGCONF run "$TAMPERED"
is "$st" 1 "'inbound and signature fail' rejects a broken signature"
case $err in *"550 5.7.1 S/MIME signature did not verify"*) r=0 ;; *) r=1 ;; esac
ok $r "with the rule's reply" || diag "$err"
CONF=$SIGCONF run "$TAMPERED" --auth-user a
is "$st" 0 "the same message outbound is not rejected by an inbound rule"
CONF=$SIGCONF run "$PASS_MSG"
grep -q '^X-SMIME-Tag: good-sig' "$tmp/out"; ok $? "'signature pass' holds for a good signature"
CONF=$SIGCONF run "$C/mozilla-nss/smime/alice.dsig.SHA256.multipart.bad.eml"
is "$st" 1 "NSS's altered-data message is rejected by the fail rule"
CONF=$SIGCONF run "$PLAIN"
grep -q '^X-SMIME-Tag: no-sig' "$tmp/out"; ok $? "'signature none' holds for unsigned mail"
CONF=$(conf unk "$SMROOT" "Rules $tmp/sig.rules") run "$PASS_MSG"
is "$st" 0 "an unknown-CA signature passes the 'signature fail' reject rule"

# F7 (issue 13): two authors, one verdict.  SPEC 7: the signer must match
# the single From mailbox or the Sender mailbox.  Real signatures: NSS's
# (Alice) with its From rewritten, and one made here by mallory.
reauthor() { # reauthor OUT HEADER-LINE...: PASS_MSG with these instead of its From
	local out=$1; shift
	{
		sed -n '1,/^From: /{/^From: /!p}' "$PASS_MSG"
		for h in "$@"; do printf '%s\r\n' "$h"; done
		sed '1,/^From: /d' "$PASS_MSG"
	} > "$out"
}
verdict() { ar | grep -o 'smime=[a-z]*\( reason="[a-z-]*"\)\?' | head -1; }
reauthor "$tmp/a1.eml" "From: Alice@example.com, boss@example.com"
run "$tmp/a1.eml"
is "$(verdict)" 'smime=policy reason="address-mismatch"' \
	"From with two mailboxes and no Sender: no author, address-mismatch"
reauthor "$tmp/a2.eml" "From: Alice@example.com" "From: boss@example.com"
run "$tmp/a2.eml"
is "$(verdict)" 'smime=policy reason="address-mismatch"' \
	"two From fields: no author, address-mismatch"
reauthor "$tmp/a3.eml" "From: boss@example.com, Alice@example.com" "Sender: Alice@example.com"
run "$tmp/a3.eml"
is "$(verdict)" 'smime=pass' "two From mailboxes and Sender: the signer as Sender passes"
mkdir "$tmp/pki"
test_ca "$tmp/pki" && issue_cert "$tmp/pki" mallory "subjectAltName=email:mallory@example.org" ||
	bail "openssl: test CA and mallory's certificate"
cat "$ALL" "$tmp/pki/ca.pem" > "$tmp/trust-own.pem"
OWN=$(conf own "$tmp/trust-own.pem")
NOW=@$(($(date +%s) + 300)) # after every certificate this test makes
signed_mail "$tmp/pki" mallory "$tmp/m1.eml" "From: mallory@example.org" "To: boss@example.org" &&
signed_mail "$tmp/pki" mallory "$tmp/m2.eml" "From: mallory@example.org, boss@example.org" \
	"To: staff@example.org" &&
signed_mail "$tmp/pki" mallory "$tmp/m3.eml" "From: mallory@example.org" "From: boss@example.org" \
	"To: staff@example.org" || bail "openssl cms -sign"
CONF=$OWN AT_TIME=$NOW run "$tmp/m1.eml"
is "$(verdict)" 'smime=pass' "mallory's own mail, signed by mallory, passes"
CONF=$OWN AT_TIME=$NOW run "$tmp/m2.eml"
is "$(verdict)" 'smime=policy reason="address-mismatch"' \
	"From: mallory, boss signed by mallory is address-mismatch"
case $err in *" signer=mallory@example.org result=policy reason=address-mismatch "*) r=0 ;; *) r=1 ;; esac
ok $r "and the log line says so" || diag "$err"
CONF=$OWN AT_TIME=$NOW run "$tmp/m3.eml"
is "$(verdict)" 'smime=policy reason="address-mismatch"' \
	"From: mallory and From: boss signed by mallory is address-mismatch"

# Internationalised addresses (issue 13, 3a; RFC 8398/8550): an
# SmtpUTF8Mailbox, and an A-label rfc822Name for a U-label From.
issue_cert "$tmp/pki" loks "subjectAltName=@san" "[san]" \
	"otherName.1=1.3.6.1.5.5.7.8.9;FORMAT:UTF8,UTF8:lõks@näide.ee" &&
	issue_cert "$tmp/pki" user "subjectAltName=email:user@xn--nide-loa.ee" ||
	bail "openssl: certificates with internationalised names"
signed_mail "$tmp/pki" loks "$tmp/u1.eml" "From: lõks@näide.ee" "To: r@example.org" &&
	signed_mail "$tmp/pki" user "$tmp/u2.eml" "From: user@näide.ee" "To: r@example.org" &&
	signed_mail "$tmp/pki" user "$tmp/u3.eml" "From: user@NÄIDE.ee" "To: r@example.org" &&
	signed_mail "$tmp/pki" loks "$tmp/u4.eml" "From: Lõks@näide.ee" "To: r@example.org" &&
	signed_mail "$tmp/pki" loks "$tmp/u5.eml" "From: Lõks <lõks@näide.ee>" "To: r@example.org" ||
	bail "openssl cms -sign"
CONF=$OWN AT_TIME=$NOW run "$tmp/u1.eml"
is "$(verdict)" 'smime=pass' "an SmtpUTF8Mailbox certificate passes for its From: lõks@näide.ee"
case $err in *" signer=lõks@näide.ee result=pass "*) r=0 ;; *) r=1 ;; esac
ok $r "the log line names the UTF-8 signer" || diag "$err"
is "$(authres)" "smime=pass" "python3-authres parses its Authentication-Results" || diag "$(ar)"
case $(ar) in *smime-identifier*) r=1 ;; *) r=0 ;; esac
ok $r "a non-ASCII identifier is left out of the ASCII field, never mangled" || diag "$(ar)"
CONF=$OWN AT_TIME=$NOW run "$tmp/u2.eml"
is "$(verdict)" 'smime=pass' "an A-label rfc822Name passes for the U-label From: user@näide.ee"
CONF=$OWN AT_TIME=$NOW run "$tmp/u3.eml"
is "$(verdict)" 'smime=pass' "and for From: user@NÄIDE.ee (domain case-insensitive)"
CONF=$OWN AT_TIME=$NOW run "$tmp/u4.eml"
is "$(verdict)" 'smime=policy reason="address-mismatch"' \
	"the local part compares exactly: Lõks is not lõks"
CONF=$OWN AT_TIME=$NOW run "$tmp/u5.eml"
is "$(verdict)" 'smime=pass' "and with a display name: From: Lõks <lõks@näide.ee>"

# Non-ASCII in the issuer DN (issue 13, 3b): RFC 4514 \XX escapes keep
# the value exact and the field ASCII.
mkdir "$tmp/pki-idn"
test_ca "$tmp/pki-idn" "/CN=Näide CA/O=Tëst" &&
	issue_cert "$tmp/pki-idn" kati "subjectAltName=email:kati@example.org" ||
	bail "openssl: a CA with a UTF-8 name"
signed_mail "$tmp/pki-idn" kati "$tmp/i1.eml" "From: kati@example.org" || bail "openssl cms -sign"
cat "$ALL" "$tmp/pki-idn/ca.pem" > "$tmp/trust-idn.pem"
CONF=$(conf idn "$tmp/trust-idn.pem") AT_TIME=$NOW run "$tmp/i1.eml"
is "$(verdict)" 'smime=pass' "a certificate from a CA with a UTF-8 name passes"
issuer=$(authres smime-issuer)
is "$issuer" 'O=T\C3\ABst,CN=N\C3\A4ide CA' \
	"python3-authres reads the issuer with its non-ASCII bytes as RFC 4514 \\XX escapes"
ar | LC_ALL=C grep -q '[^ -~]'; ok $((! $?)) \
	"the Authentication-Results field is ASCII" || diag "$(ar)"

# Too large to verify: neutral too-large for a signed top entity.
CONF=$(conf big "$ALL" "MaxCryptoSize 1M") run "$exp_msg"
case $(ar) in *'smime=neutral reason="too-large"'*) r=0 ;; *) r=1 ;; esac
ok $r "a signed message over MaxCryptoSize is stamped neutral too-large" || diag "$(ar)"

done_testing
