# rules_process.sh - every rules condition and action, run through
# `smime-tool process` (the milter's code path) on real corpus messages
# (and one plain message it makes), not only on hand-built facts.
. "$(dirname "$0")/lib.sh"
need_corpus

tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
C=$CORPUS_DIR
RC2="$C/openssl-generated/env-rc2-40.eml"          # From sender@example.org
DES3="$C/openssl-generated/env-des3.eml"
AES="$C/openssl-generated/env-aes256.eml"
GCM="$C/openssl-generated/authenv-aes128-gcm.eml"
SIGNED="$C/openssl-generated/sig-sha256-detached.eml" # From rsa1@example.org
PLAIN=$tmp/plain.eml
plain_mail "$PLAIN"
BIG="$C/simple-java-mail/test-messages/#486 TestValidSignedMimeMessage.eml"

n=0
# process RULES FILE [ARGS...]: sets st, out (the message), err
process() {
	local rules=$1 file=$2; shift 2
	n=$((n + 1))
	printf '%s\n' "$rules" > "$tmp/$n.rules"
	printf 'Rules %s\nSocket local:%s\n%s\n' "$tmp/$n.rules" "$tmp/milter.sock" \
		"${CONF_EXTRA-}" > "$tmp/$n.conf"
	"$SMIME_TOOL" process -c "$tmp/$n.conf" --from env@sender.example \
		--rcpt rcpt@example.org "$@" -i "$file" -o "$tmp/out" 2> "$tmp/err"
	st=$?
	out=$(cat "$tmp/out" 2>/dev/null)
	err=$(cat "$tmp/err")
}
tagged() { case $out in *"X-SMIME-Tag: t"*) return 0 ;; *) return 1 ;; esac; }

# holds COND FILE [ARGS...] / fails COND FILE [ARGS...]
holds() {
	local cond=$1 file=$2; shift 2
	if corpus_absent "$file"; then
		skip "$corpus_why" "'$cond' holds for $(basename "$file") $*"
		return
	fi
	process "when $cond then tag t" "$file" "$@"
	tagged; ok $? "'$cond' holds for $(basename "$file") $*" || diag "$err"
}
fails() {
	local cond=$1 file=$2; shift 2
	if corpus_absent "$file"; then
		skip "$corpus_why" "'$cond' does not hold for $(basename "$file") $*"
		return
	fi
	process "when $cond then tag t" "$file" "$@"
	! tagged; ok $? "'$cond' does not hold for $(basename "$file") $*" || diag "$err"
}

holds outbound "$PLAIN" --client-ip 127.0.0.1
fails outbound "$PLAIN"
holds inbound "$PLAIN"
fails inbound "$PLAIN" --auth-user alice
holds authenticated "$PLAIN" --auth-user alice
fails authenticated "$PLAIN" --client-ip 127.0.0.1
holds "client-ip 192.0.2.0/24" "$PLAIN"
fails "client-ip 198.51.100.0/24" "$PLAIN"
holds "client-ip 2001:db8::/32" "$PLAIN" --client-ip 2001:db8::25
fails "client-ip 2001:db8::/32" "$PLAIN" --client-ip 2001:db9::25
holds "from *@hmailserver.test" "$PLAIN"
fails "from *@example.org" "$PLAIN"
holds "from rsa1@EXAMPLE.org" "$SIGNED"
holds "sender *@sender.example" "$PLAIN"
fails "sender *@example.org" "$PLAIN"
holds "to *@mobile.example.org" "$PLAIN" --rcpt x@mobile.example.org
fails "to *@mobile.example.org" "$PLAIN"
holds "all-to *@example.org" "$PLAIN" --rcpt b@example.org
fails "all-to *@example.org" "$PLAIN" --rcpt b@other.example
holds 'header User-Agent "*Thunderbird*"' "$PLAIN"
fails 'header X-Mailer "*Thunderbird*"' "$PLAIN"
holds 'header subject "*(plain)"' "$PLAIN"
holds signed "$SIGNED"
fails signed "$RC2"
holds "signature none" "$PLAIN"
holds encrypted "$RC2"
fails encrypted "$PLAIN"
holds "cipher rc2-40-cbc" "$RC2"
fails "cipher rc2-40-cbc" "$DES3"
holds "cipher weak" "$RC2"
fails "cipher weak" "$AES"
holds "cipher legacy" "$DES3"
fails "cipher legacy" "$RC2"
holds "cipher strong" "$AES"
holds "cipher aes-128-gcm" "$GCM"
fails "cipher strong" "$DES3"
holds "size > 1M" "$BIG"
fails "size > 1M" "$RC2"
holds "not encrypted" "$PLAIN"
fails "not inbound" "$PLAIN"
holds "inbound and cipher weak and to rcpt@*" "$RC2"
fails "inbound and cipher weak and outbound" "$RC2"

# signer GLOB (SPEC 5): the address of a passing signature.  Mail signed
# here by mallory and by the boss, verified against the CA made here.
P=$tmp/pki
mkdir "$P" && mkdir -m 700 "$P/ks"
test_ca "$P" && issue_cert "$P" mallory "subjectAltName=email:mallory@example.org" &&
	issue_cert "$P" boss "subjectAltName=email:boss@example.org" &&
	keystore_issue "$P" "$P/ks" rcpt rcpt@example.org || bail "openssl: CA and certificates"
signed_mail "$P" mallory "$P/mallory.eml" "From: mallory@example.org" "To: rcpt@example.org" &&
	signed_mail "$P" mallory "$P/two-authors.eml" "From: mallory@example.org, boss@example.org" \
		"To: rcpt@example.org" &&
	signed_mail "$P" boss "$P/boss.eml" "From: boss@example.org" "To: rcpt@example.org" &&
	signed_mail "$P" boss "$P/inner.eml" ||
	bail "openssl cms -sign"
# Signed by the boss, then RC2-40 encrypted to a KeyStore key: only
# re-encryption sees that signature, after the Rules.
openssl cms -encrypt -rc2-40 -provider legacy -provider default -in "$P/inner.eml" \
	-from boss@example.org -to rcpt@example.org -subject sealed "$P/rcpt.pem" \
	> "$P/sealed.eml" 2>/dev/null || bail "openssl cms -encrypt"
NOW=@$(date +%s) # the certificates made here are valid from now on
CONF_EXTRA="TrustAnchorFile $P/ca.pem
KeyStore $P/ks
StampInnerSignatures yes"
holds "signer mallory@example.org" "$P/mallory.eml" --at "$NOW"
holds "signer *@EXAMPLE.org" "$P/boss.eml" --at "$NOW"
fails "signer mallory@example.org" "$P/boss.eml" --at "$NOW"
fails "signer *" "$P/two-authors.eml" --at "$NOW"
fails "signer *" "$PLAIN"
holds "not signer boss@example.org" "$P/two-authors.eml" --at "$NOW"
BOSS_RULE='when from boss@example.org and not signer boss@example.org then reject "5.7.1 mail from the boss must be signed by the boss"'
process "$BOSS_RULE" "$P/two-authors.eml" --at "$NOW"
is "$st" 1 "From: mallory, boss signed by mallory is rejected by the boss rule" || diag "$err"
process "$BOSS_RULE" "$P/boss.eml" --at "$NOW"
is "$st" 0 "the boss's own signed mail is accepted" || diag "$err"
process "$BOSS_RULE" "$PLAIN" --at "$NOW"
is "$st" 0 "mail that is not from the boss is not concerned" || diag "$err"
process "when cipher weak then reencrypt aes-256-cbc
when signer boss@example.org then tag t" "$P/sealed.eml" --at "$NOW"
case $out in *"smime=pass body.smime-identifier=boss@example.org"*) r=0 ;; *) r=1 ;; esac
ok $r "re-encryption opens the sealed message and stamps the boss's inner signature" || diag "$err"
! tagged; ok $? "a signature found in decrypted content never drives 'signer'" || diag "$err"
CONF_EXTRA=

# Actions and their exit statuses (SPEC section 3).
process 'when cipher weak then reject "5.7.1 weak S/MIME encryption refused"' "$RC2"
is "$st" 1 "reject exits 1"
case $err in *"550 5.7.1 weak S/MIME encryption refused"*) r=0 ;; *) r=1 ;; esac
ok $r "reject writes its SMTP reply with the rule's status and text" || diag "$err"
case $err in *" action=rejected "*) r=0 ;; *) r=1 ;; esac
ok $r "the log line says action=rejected" || diag "$err"
process 'when cipher weak then reject' "$RC2"
case $err in *"550 5.7.1 "*) r=0 ;; *) r=1 ;; esac
ok $r "a bare reject replies 550 5.7.1" || diag "$err"
process 'when cipher weak then tempfail "4.7.1 come back later"' "$RC2"
is "$st" 75 "tempfail exits 75"
case $err in *"451 4.7.1 come back later"*) r=0 ;; *) r=1 ;; esac
ok $r "tempfail writes its 4xx reply" || diag "$err"
process 'when cipher weak then quarantine "weak crypto"' "$RC2"
is "$st" 4 "quarantine exits 4"
[ -s "$tmp/out" ]; ok $? "a quarantined message is still written"
process 'when cipher weak then discard' "$RC2"
is "$st" 3 "discard exits 3"
process 'when inbound then accept
when inbound then reject' "$RC2"
is "$st" 0 "accept ends the evaluation: a later reject does not apply"
process 'when inbound then tag one
when cipher weak then tag two, tag one
when inbound then tag' "$RC2"
is "$(printf '%s\n' "$out" | grep -c '^X-SMIME-Tag: ')" 3 "tags add up, one X-SMIME-Tag per distinct label"
case $out in *"X-SMIME-Tag: smime-policy"*) r=0 ;; *) r=1 ;; esac
ok $r "a bare tag writes X-SMIME-Tag: smime-policy"
process 'when inbound then tag first, quarantine "q"
when inbound then tag second' "$RC2"
is "$st" 4 "quarantine ends the evaluation"
case $out in *"X-SMIME-Tag: second"*) r=1 ;; *) r=0 ;; esac
ok $r "no tag from a rule after the terminal one"

printf 'X-SMIME-Tag: forged\nX-SMIME-Encryption: cipher=aes-256-cbc; strength=strong; action=none\n' > "$tmp/forged.eml"
cat "$RC2" >> "$tmp/forged.eml"
process 'when signed then tag never' "$tmp/forged.eml"
case $out in *"X-SMIME-Tag: forged"*|*"X-SMIME-Encryption: cipher=aes"*) r=1 ;; *) r=0 ;; esac
ok $r "incoming X-SMIME-Tag and X-SMIME-Encryption fields are removed" || diag "$out"
{
	printf 'X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=none\n'
	tail -c +$(($(head -2 "$tmp/forged.eml" | wc -c) + 1)) "$tmp/forged.eml"
} > "$tmp/forged.expect"
cmp -s "$tmp/out" "$tmp/forged.expect"; ok $? "and nothing else changes but our own finding" ||
	diag "$(diff "$tmp/out" "$tmp/forged.expect" | head -5)"

printf 'DryRun yes\n' > "$tmp/dry.conf"
printf 'when cipher weak then reject\n' > "$tmp/dry.rules"
printf 'Rules %s\n' "$tmp/dry.rules" >> "$tmp/dry.conf"
"$SMIME_TOOL" process -c "$tmp/dry.conf" --from a@b --rcpt c@d -i "$RC2" -o "$tmp/out" 2> "$tmp/err"
is $? 0 "DryRun changes no message, even on reject"
grep -q " action=rejected " "$tmp/err"; ok $? "DryRun still logs the decision"
cmp -s "$RC2" "$tmp/out"; ok $? "DryRun writes the message unchanged"

# encrypt loads and fails closed: no certificate for the recipient, so
# the message is rejected naming it (encrypt_process.sh does the rest).
process 'when authenticated then encrypt auto' "$PLAIN" --auth-user someone
is "$st" 1 "an encrypt rule loads; no recipient certificate rejects (exit 1)"
case $err in *"550 5.7.1 no S/MIME certificate for <rcpt@example.org>"*) r=0 ;; *) r=1 ;; esac
ok $r "the reply names the recipient" || diag "$err"
# Load errors: a bad rule.
process 'when cipher rc2-41-cbc then tag' "$PLAIN"
case $err in *"$n.rules:1:13: "*) r=0 ;; *) r=1 ;; esac
ok $r "a cipher name outside SPEC section 6 is an error at its column" || diag "$err"
"$SMIME_MILTER" -n -c "$tmp/$n.conf" 2> "$tmp/err"
is $? 1 "smime-milter -n fails on the bad rules file"
grep -q "$n.rules:1:13: " "$tmp/err"; ok $? "and prints FILE:LINE:COLUMN" || diag "$(cat "$tmp/err")"
process 'when cipher weak then tag weak' "$PLAIN"
"$SMIME_MILTER" -n -c "$tmp/$n.conf" 2> "$tmp/err"
is $? 0 "smime-milter -n passes a good rules file"

# The SPEC section 5 example loads as written, now that this build signs
# and re-encrypts.
process '# sign everything our users send
when outbound and from *@example.org then sign
# Windows Mobile 5 sends RC2-40; Windows Mobile 6 reads 3DES but not AES
when cipher weak and to *@mobile.example.org then reencrypt des-ede3-cbc, tag legacy-mobile
when cipher weak then reencrypt aes-256-cbc, tag
when header X-Mailer "*Windows Mobile*" then tag legacy-mobile
when inbound and signature fail then reject "5.7.1 S/MIME signature did not verify"' "$PLAIN"
"$SMIME_MILTER" -n -c "$tmp/$n.conf" 2> "$tmp/err"
is $? 0 "smime-milter -n accepts the SPEC section 5 example as written" || diag "$(cat "$tmp/err")"
is "$st" 0 "and smime-tool process runs it on a plain message"

done_testing
