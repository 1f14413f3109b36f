# e2e_verify.sh - signature verification through a real Postfix.
#
# Inbound mail (from 127.0.0.2) reaches smtp-sink with our
# Authentication-Results field in the SPEC section 7 form; a forged A-R
# carrying our authserv-id is gone; the rule `when inbound and signature
# fail then reject` refuses a broken signature at SMTP time and lets an
# unknown-CA signature through.  400 SignerInfos in 83 KB (issue 12, F5),
# whose 77 KB A-R field libmilter refused so that every retry got 451,
# are delivered with a bounded field that ends in too-many-signatures.
#
# Needs root (a real Postfix).  Not root means FAIL, never a skip.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"

. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/postfix_lib.sh"
need_corpus

pf_e2e_require

trap '[ "$tap_fail" -eq 0 ] || PF_KEEP=1; pf_cleanup' EXIT
C=$CORPUS_DIR
GOOD="$C/mozilla-nss/smime/alice.dsig.SHA256.multipart.eml"
TAMPERED="$C/openssl-generated/sig-sha256-detached-tampered.eml"
UNKNOWN_CA=$(corpus "hiraoka-smime-mail-samples/sent-from-smime1/Writing from smime1 to smime2 (signed).eml")

pf_init || bail "cannot set up the Postfix temp dir"
mkdir -p "$PF_DIR/tmp"
cat "$C/mozilla-nss/smime/TestCA.pem" "$C/openssl/smime-certs/smroot.pem" >"$PF_DIR/trust.pem"
echo 'when inbound and signature fail then reject "5.7.1 S/MIME signature did not verify"' >"$PF_DIR/smime.rules"
conf=$PF_DIR/smime-milter.conf
cat >"$conf" <<EOF
Socket inet:$PF_MILTER_PORT@127.0.0.1
AuthservID mx.test
InternalHosts 127.0.0.1,::1
TempDirectory $PF_DIR/tmp
TrustAnchorFile $PF_DIR/trust.pem
Rules $PF_DIR/smime.rules
EOF

pf_up "$conf"
pass "Postfix with smime-milter and a trust anchor file is running"

# The good message, with a forged A-R of ours and a foreign one in front.
{
	printf 'Authentication-Results: mx.test; smime=pass body.smime-identifier=mallory@example.org\r\n'
	printf 'Authentication-Results: upstream.example; dkim=pass header.d=example.com\r\n'
	cat "$GOOD"
} >"$PF_DIR/good.eml"
qid=$(pf_send "$PF_DIR/good.eml" alice@example.com bob@example.net 127.0.0.2)
ok $? "a well-signed message is accepted" || diag "reply: $(pf_last_reply)"
if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
	/usr/bin/python3 - "$sink" >"$PF_DIR/ar.txt" 2>&1 <<'EOF'
import email, sys
import authres
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for v in m.get_all("Authentication-Results") or []:
    flat = " ".join(v.split())
    h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + v)
    print(flat)
    print("parsed:", h.authserv_id, [(r.method, r.result) for r in h.results])
EOF
	grep -q '^mx.test; smime=pass body.smime-identifier=Alice@example.com body.smime-part=1 body.smime-serial=1e body.smime-issuer="CN=NSS Test CA (RSA),O=BOGUS NSS,L=Mountain View,ST=California,C=US"$' "$PF_DIR/ar.txt"
	ok $? "the A-R field arrives at smtp-sink in the SPEC form" || sed 's/^/#   /' "$PF_DIR/ar.txt"
	grep -q "^parsed: mx.test \[('smime', 'pass')\]" "$PF_DIR/ar.txt"
	ok $? "python3-authres parses the delivered field" || sed 's/^/#   /' "$PF_DIR/ar.txt"
	! grep -q 'mallory@example.org' "$sink"
	ok $? "the forged A-R with our authserv-id is gone"
	grep -q 'upstream.example; dkim=pass' "$sink"
	ok $? "another host's A-R is left alone"
else
	fail "the A-R field arrives at smtp-sink (not delivered)"
	sed 's/^/#   /' "$PF_DIR/err"
fi

qid=$(pf_send "$TAMPERED" rsa1@example.org bob@example.net 127.0.0.2)
ok $((! $?)) "inbound, 'signature fail' rejects a broken signature at SMTP time"
case $(pf_last_reply) in
"550 5.7.1 S/MIME signature did not verify"*) pass "the client sees the rule's 550 5.7.1 reply" ;;
*) fail "the client sees the rule's 550 5.7.1 reply (got: $(pf_last_reply))" ;;
esac

if corpus_absent "$UNKNOWN_CA"; then
	skip "$corpus_why" "the same rule lets an unknown-CA signature through"
	skip "$corpus_why" "and stamps it smime=policy reason=untrusted"
else
	qid=$(pf_send "$UNKNOWN_CA" smime1@hmailserver.test bob@example.net 127.0.0.2)
	ok $? "the same rule lets an unknown-CA signature through" || diag "reply: $(pf_last_reply)"
	if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
		grep -A3 '^Authentication-Results: mx.test;' "$sink" | tr -d '\r\n\t' | grep -q 'smime=policy reason="untrusted"'
		ok $? "and stamps it smime=policy reason=untrusted"
	else
		fail "the unknown-CA message is delivered"
	fi
fi

# F5: 4 layers x 100 SignerInfos naming absent certificates, made at run
# time by the bad-input matrix's generator.
if python3 "$top_srcdir/tests/bad_input_gen.py" "$PF_DIR/gen" f5-400 >"$PF_DIR/gen.err" 2>&1; then
	qid=$(pf_send "$PF_DIR/gen/in/f5-400.eml" signer@example.org bob@example.net 127.0.0.2)
	ok $? "400 signers: accepted, not 451" || diag "reply: $(pf_last_reply)"
	if sink=$(pf_wait_delivered "$qid" 60 2>"$PF_DIR/err"); then
		"$PF_PY" - "$sink" >"$PF_DIR/f5.txt" 2>&1 <<'EOF'
import email, re, sys
import authres
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
ours = re.findall(rb"^Authentication-Results: mx\.test;.*(?:\n[ \t].*)*", head, re.M)
print("fields", len(ours))
# the field as it travelled: name, value, CRLF line ends
print("bytes", len(ours[0].replace(b"\n", b"\r\n")) + 2)
value = ours[0].split(b": ", 1)[1].decode("ascii")
h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
print("resinfos", len(h.results))
print("last", h.results[-1].method, h.results[-1].result, h.results[-1].reason)
print("others", sorted(set((r.method, r.result, r.reason) for r in h.results[:-1])))
EOF
		grep -q '^fields 1$' "$PF_DIR/f5.txt"
		ok $? "400 signers: one A-R field of ours arrives" || sed 's/^/#   /' "$PF_DIR/f5.txt"
		b=$(sed -n 's/^bytes //p' "$PF_DIR/f5.txt")
		[ "${b:-99999}" -lt 32768 ]
		ok $? "400 signers: the A-R field is under 32 KB (${b:-?} bytes with its CRLFs)"
		grep -q '^last smime neutral too-many-signatures$' "$PF_DIR/f5.txt"
		ok $? "400 signers: it ends with smime=neutral reason=\"too-many-signatures\"" ||
			sed 's/^/#   /' "$PF_DIR/f5.txt"
		grep -q '^resinfos 101$' "$PF_DIR/f5.txt" &&
			grep -q "^others \[('smime', 'permerror', 'no-certificate')\]$" "$PF_DIR/f5.txt"
		ok $? "400 signers: MaxSignatures 100 checked, each permerror no-certificate" ||
			sed 's/^/#   /' "$PF_DIR/f5.txt"
	else
		fail "400 signers: delivered"
		sed 's/^/#   /' "$PF_DIR/err"
	fi
else
	fail "bad_input_gen.py made the 400-signer message"
	sed 's/^/#   /' "$PF_DIR/gen.err"
fi

pf_stop
ok $? "Postfix, smtp-sink and the milter stopped"
pf_no_leftovers
ok $? "no process started by this test is left running" ||
	diag "left: $(pf_leftover_pids | tr '\n' ' ')"

done_testing
