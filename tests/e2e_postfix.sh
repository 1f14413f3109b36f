# e2e_postfix.sh - smime-milter behind a real Postfix.
#
# Starts the milter ($SMIME_MILTER) and a private Postfix (tests/postfix_lib.sh)
# whose next hop is smtp-sink, sends a spread of corpus messages over SMTP
# (inbound from 127.0.0.2, outbound from 127.0.0.1, which is in
# InternalHosts), and proves for each one:
#   - Postfix accepted it with the milter attached;
#   - it was delivered byte for byte as sent: apart from the trace lines
#     added on the way, the one Authentication-Results field the milter
#     adds to signed mail and the X-SMIME-Encryption findings it adds to
#     encrypted mail, nothing may differ (line ends are
#     compared as SMTP carries them, CRLF);
#   - the milter wrote exactly one log line for its queue id, with the dir=,
#     kind=, cipher= and strength= that CATALOG.md implies, and the From
#     address.
# Messages of the folders tests/corpus leaves out (tests/corpus/README) are
# sent only with configure --with-corpus; without it their checks SKIP.
# Then: a milter that is down makes Postfix tempfail (never bypass), the
# milter stops on SIGTERM, and no process started here is left running.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"
need_corpus

pf_e2e_require

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT
# Killed or interrupted: still stop Postfix, the sink and the milter.
trap 'exit 1' INT TERM HUP PIPE

# One message a line: DIR|KIND|CIPHER|STRENGTH|FROM|FILE, "-" where a key
# must be absent (no cipher for a message without encryption, no from= for
# a message without From).  KIND is the outermost S/MIME layer; CIPHER the
# weakest encrypted layer reachable without keys (CATALOG.md columns
# "Structure" and "Content encryption").
MESSAGES='
inbound|none|-|-|smime1@hmailserver.test|hiraoka-smime-mail-samples/received-at-smime2/Message from smime1 to smime2 (plain).eml
outbound|none|-|-|smime1@hmailserver.test|hiraoka-smime-mail-samples/sent-from-smime1/Writing from smime1 to smime2 (plain).eml
inbound|signed|-|-|rsa1@example.org|openssl-generated/sig-sha256-detached.eml
outbound|signed|-|-|alice@example.com|mozilla-nss/smime/alice.dsig.SHA256.multipart.eml
inbound|signed|-|-|-|mozilla-nss/smime/alice.dsig.SHA256.multipart
inbound|opaque-signed|-|-|-|mozilla-nss/smime/alice.sig.SHA256.opaque
inbound|opaque-signed|-|-|rsa1@example.org|openssl-generated/sig-sha256-opaque.eml
inbound|opaque-signed|-|-|shatzing5@outlook.com|simple-java-mail/test-messages/SMIME (signed and clear text).eml
inbound|signed|-|-|dave@example.com|mozilla-nss/smime/alice.plain.sig.SHA256.opaque.dave.dsig.SHA256.multipart.eml
inbound|signed|-|-|sielenkemper@otris.de|simple-java-mail/test-messages/#486 TestValidSignedMimeMessage.eml
inbound|enveloped|rc2-40-cbc|weak|sender@example.org|openssl-generated/env-rc2-40.eml
outbound|enveloped|rc2-40-cbc|weak|sender@example.org|openssl-generated/env-rc2-40.eml
inbound|enveloped|rc2-64-cbc|weak|sender@example.org|openssl-generated/env-rc2-64.eml
inbound|enveloped|rc2-128-cbc|weak|sender@example.org|openssl-generated/env-rc2-128.eml
inbound|enveloped|des-cbc|weak|sender@example.org|openssl-generated/env-des.eml
outbound|enveloped|des-ede3-cbc|legacy|sender@example.org|openssl-generated/env-des3.eml
inbound|enveloped|aes-128-cbc|strong|sender@example.org|openssl-generated/env-aes128.eml
inbound|enveloped|aes-128-cbc|strong|sender@example.org|openssl-generated/env-aes128-ecdh.eml
inbound|enveloped|aes-192-cbc|strong|sender@example.org|openssl-generated/env-aes192-mixed.eml
inbound|enveloped|aes-256-cbc|strong|sender@example.org|openssl-generated/env-aes256-skid-stream.eml
inbound|authEnveloped|aes-128-gcm|strong|sender@example.org|openssl-generated/authenv-aes128-gcm.eml
outbound|authEnveloped|aes-256-gcm|strong|sender@example.org|openssl-generated/authenv-aes256-gcm-mixed.eml
inbound|enveloped|rc2-40-cbc|weak|rsa1@example.org|openssl-generated/sig-then-env-rc2-40.eml
inbound|signed|aes-128-cbc|strong|-|openssl-generated/env-then-sig-sha256.eml
inbound|opaque-signed|aes-128-cbc|strong|alice@example.com|mozilla-nss/smime/alice.env.sig.SHA256.opaque.eml
inbound|enveloped|aes-128-cbc|strong|alice@example.com|mozilla-nss/browser-smime/multipart-alternative.eml
inbound|enveloped|des-ede3-cbc|legacy|benny@bennybottema.com|simple-java-mail/pkcs12/test messages/S_MIME test message encrypted.eml
inbound|enveloped|aes-256-cbc|strong|smime1@hmailserver.test|hiraoka-smime-mail-samples/received-at-smime2/Message from smime1 to smime2 (encrypted).eml
inbound|enveloped|des-ede3-cbc|legacy|-|bouncycastle/outlook_2010_beta_sime_msg.eml
outbound|enveloped|des-ede3-cbc|legacy|alice@smime.example|protected-headers/smime-sign+enc.eml
'

# The fields KEYS... of the milter's log line (after "QID: "), in the order
# asked, as "key=value" with "key=-" for an absent key; values unquoted.
logline_fields() {
	"$PF_PY" - "$@" <<'EOF'
import shlex, sys
line, keys = sys.argv[1], sys.argv[2:]
fields = {}
for word in shlex.split(line, posix=True):
    k, sep, v = word.partition("=")
    if sep and k not in fields:
        fields[k] = v
out = []
for k in keys:
    v = fields.get(k, "-")
    if k == "from" and v != "-":
        v = v.strip("<>").lower()
    out.append("%s=%s" % (k, v))
print(" ".join(out))
EOF
}

pf_init || bail "cannot set up the temp dir"
diag "work dir $PF_DIR; smtpd 127.0.0.1:$PF_PORT, sink :$PF_SINK_PORT, milter :$PF_MILTER_PORT"
mkdir -p "$PF_DIR/tmp"
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
EOF

"$SMIME_MILTER" -n -c "$conf" >"$PF_DIR/check.out" 2>&1
ok $? "smime-milter -n accepts the test configuration" ||
	sed 's/^/#   /' "$PF_DIR/check.out"

# The example configuration operators copy: it documents every key, and
# the defaults it shows are ones the milter accepts.  (Keys naming files
# stay commented; Socket is moved off /run, which -n checks exists.)
example=$top_srcdir/contrib/smime-milter.conf
missing=
for key in Socket AuthservID TrustAnchorFile CRLFile KeyStore CertDirectory Rules \
	InternalHosts OutboundDaemonNames WeakCiphers On-InternalError UserID PidFile \
	SocketMode SyslogFacility DryRun WeakDigests MinRSABits StampInnerSignatures \
	SenderLoginMap SignUnauthenticated SignDigest SignRSAPadding BodyMemoryLimit \
	TempDirectory MaxCryptoSize MaxNesting MaxRecipientInfos MaxCertificates \
	MaxSignatures LDAPURI LDAPStartTLS LDAPCAFile LDAPBase LDAPFilter LDAPBindDN \
	LDAPBindPasswordFile LDAPTimeout LDAPCacheTTL LDAPNegativeCacheTTL \
	LDAPHarvestBase HarvestCertificates HarvestDirectory HarvestMax DefaultCipher \
	HarvestToLDAP EncryptToSender ReencryptOutbound MaxKeyOperations \
	MetricsFile MetricsInterval; do
	grep -q -E "^#${key}[[:space:]]" "$example" || missing="$missing $key"
done
is "${missing:-none}" none "contrib/smime-milter.conf documents every configuration key"
sed -E 's/^#([A-Z][A-Za-z-]+[[:space:]])/\1/' "$example" |
	grep -v -E '^(UserID|PidFile|OutboundDaemonNames|TrustAnchorFile|CRLFile|KeyStore|CertDirectory|Rules|SenderLoginMap|LDAPBindPasswordFile|MetricsFile)[[:space:]]' |
	sed "s|^Socket[[:space:]].*|Socket inet:$PF_MILTER_PORT@127.0.0.1|" >"$PF_DIR/example.conf"
"$SMIME_MILTER" -n -c "$PF_DIR/example.conf" >"$PF_DIR/check.out" 2>&1
ok $? "the defaults shown in contrib/smime-milter.conf pass smime-milter -n" ||
	sed 's/^/#   /' "$PF_DIR/check.out"

pf_milter_start "$SMIME_MILTER" "$conf" 2>"$PF_DIR/start.err"
ok $? "smime-milter listens on 127.0.0.1:$PF_MILTER_PORT" ||
	{ sed 's/^/#   /' "$PF_DIR/start.err"; bail "the milter did not start"; }

pf_start "inet:127.0.0.1:$PF_MILTER_PORT" 2>"$PF_DIR/start.err"
ok $? "a private Postfix with the milter attached is running" ||
	{ sed 's/^/#   /' "$PF_DIR/start.err"; bail "Postfix did not start"; }

# split_authres SINK REST AR: the milter verifies every signature and
# adds its Authentication-Results field at the top (above Postfix's own
# Received: line, below what smtp-sink writes), and one X-SMIME-Encryption
# field per encrypted entity; AR gets those
# field (empty when there is none), REST the delivered file without it,
# which must then be the message as sent plus the trace lines.
split_authres() {
	"$PF_PY" - "$1" "$2" "$3" <<'EOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
ar = []
i = 0
while i < len(lines) and lines[i] not in (b"", b"\r"):
    if (lines[i].startswith(b"Authentication-Results: mx.test;") or
            lines[i].startswith(b"X-SMIME-Encryption: ")):
        ar.append(lines.pop(i))
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            ar.append(lines.pop(i))
    else:
        i += 1
open(sys.argv[2], "wb").write(b"\n".join(lines))
open(sys.argv[3], "wb").write(b"\n".join(ar) + (b"\n" if ar else b""))
EOF
}

# Send everything first, then check: Postfix delivers while we send.
n=0
sent=0
echo "$MESSAGES" | grep -v '^$' >"$PF_DIR/messages"
while IFS='|' read -r dir kind cipher strength from file; do
	n=$((n + 1))
	if [ "$dir" = outbound ]; then ip=127.0.0.1; else ip=127.0.0.2; fi
	envfrom=$from
	[ "$envfrom" != - ] || envfrom=relay@example.net
	path=$(corpus "$file")
	if corpus_absent "$path"; then
		skip "$corpus_why" "Postfix accepts $file ($dir)"
		continue
	fi
	qid=$(pf_send "$path" "$envfrom" bob@example.net "$ip")
	ok $? "Postfix accepts $file ($dir)" ||
		{ diag "reply: $(pf_last_reply)"; qid=; }
	echo "$qid" >"$PF_DIR/qid.$n"
	[ -z "$qid" ] || sent=$((sent + 1))
done <"$PF_DIR/messages"

n=0
while IFS='|' read -r dir kind cipher strength from file; do
	n=$((n + 1))
	path=$(corpus "$file")
	if corpus_absent "$path"; then
		skip "$corpus_why" "delivered byte for byte as sent: $file"
		skip "$corpus_why" "our Authentication-Results field is there exactly when the message is signed: $file"
		skip "$corpus_why" "an X-SMIME-Encryption finding is there exactly when the message is encrypted: $file"
		skip "$corpus_why" "milter log line for $file"
		continue
	fi
	qid=$(cat "$PF_DIR/qid.$n")
	if [ -z "$qid" ]; then
		fail "delivered byte for byte: $file (never accepted)"
		fail "milter log line for $file (never accepted)"
		continue
	fi
	got=$PF_DIR/got.$n
	want=$PF_DIR/want.$n
	if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err") &&
	   split_authres "$sink" "$PF_DIR/noar.$n" "$PF_DIR/ar.$n" &&
	   pf_strip_trace "$PF_DIR/noar.$n" "$qid" "$got" 2>"$PF_DIR/err"; then
		pf_normalise "$path" "$want"
		cmp -s "$want" "$got"
		ok $? "delivered byte for byte as sent: $file ($qid)" ||
			diag "first difference: $(cmp "$want" "$got" 2>&1)"
	else
		fail "delivered byte for byte as sent: $file ($qid)"
		sed 's/^/#   /' "$PF_DIR/err"
	fi

	case $kind in
	signed|opaque-signed) want_ar=1 ;;
	*) want_ar=0 ;;
	esac
	is "$(grep -c '^Authentication-Results: mx.test;' "$PF_DIR/ar.$n" 2>/dev/null)" "$want_ar" \
		"our Authentication-Results field is there exactly when the message is signed: $file"
	if [ "$cipher" = - ]; then want_enc=0; else want_enc=1; fi
	got_enc=$(grep -c "^X-SMIME-Encryption: cipher=$cipher; strength=$strength; action=none" "$PF_DIR/ar.$n" 2>/dev/null)
	is "$((got_enc > 0))" "$want_enc" \
		"an X-SMIME-Encryption finding (cipher=$cipher) is there exactly when the message is encrypted: $file"

	lines=$(grep -F -c -e "$qid: dir=" "$PF_MILTER_LOG" 2>/dev/null)
	line=$(grep -F -e "$qid: dir=" "$PF_MILTER_LOG" 2>/dev/null | head -n 1)
	if [ "${lines:-0}" -ne 1 ]; then
		fail "exactly one milter log line for $qid ($file): found ${lines:-0}"
		continue
	fi
	is "$(logline_fields "${line#*"$qid: "}" dir kind cipher strength from)" \
		"dir=$dir kind=$kind cipher=$cipher strength=$strength from=$from" \
		"milter log line for $file: $dir $kind $cipher"
done <"$PF_DIR/messages"

pf_wait_drain 30
ok $? "the Postfix queue is empty after delivery"
is "$(find "$PF_SINK_DIR" -type f | wc -l)" "$sent" \
	"the sink got exactly one copy of each accepted message"

# A milter that is gone must stop mail, not let it through unchecked.
pf_stop_milter
ok $? "smime-milter exits 0 on SIGTERM"
! grep -E -q 'AddressSanitizer|LeakSanitizer|runtime error:' "$PF_MILTER_LOG"
ok $? "no sanitizer report in the milter's log" ||
	grep -E -A5 'AddressSanitizer|LeakSanitizer|runtime error:' "$PF_MILTER_LOG" |
	head -n 40 | sed 's/^/#   /'
qid=$(pf_send "$CORPUS_DIR/openssl-generated/env-rc2-40.eml" sender@example.org \
	bob@example.net 127.0.0.2)
ok $((! $?)) "with the milter down, Postfix does not accept mail" ||
	diag "accepted as $qid"
reply=$(pf_last_reply)
case $reply in
4[0-9][0-9]*) pass "with the milter down, Postfix tempfails ($reply)" ;;
*) fail "with the milter down, Postfix tempfails (got: $reply)" ;;
esac

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
