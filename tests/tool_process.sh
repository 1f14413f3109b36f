# tool_process.sh - `smime-tool process` runs the milter's path offline:
# direction, the SPEC section 7 log line, byte-exact output of unchanged
# mail, exit statuses, and On-InternalError on a resource failure.
. "$(dirname "$0")/lib.sh"
need_corpus

tmp=$(mktemp -d)
trap 'evidence_keep "$tmp"; rm -rf "$tmp"' EXIT
C=$CORPUS_DIR

conf() { # conf NAME [LINE...]: writes a config file
	local f=$tmp/$1.conf; shift
	printf '%s\n' "AuthservID mx.test" "$@" > "$f"
	echo "$f"
}
base=$(conf base)

# run IN [ARGS...]: process IN with base config; sets st, out file, err text
run() {
	local in=$1; shift
	"$SMIME_TOOL" process -c "${CONF:-$base}" --from sender@example.net \
		--rcpt rcpt@example.org "$@" -i "$in" -o "$tmp/out" 2> "$tmp/err"
	st=$?
	err=$(cat "$tmp/err")
}

printf 'From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: plain\nX-Mailer: Test Mailer 1.0\n\nHello\n' > "$tmp/plain.eml"

run "$tmp/plain.eml"
is "$st" 0 "a plain message is accepted (exit 0)"
cmp -s "$tmp/plain.eml" "$tmp/out"; ok $? "an unchanged LF-only message is written back byte for byte"
case $err in NOQUEUE:\ dir=inbound\ from=\<alice@example.org\>\ kind=none\ mailer=\"Test\ Mailer\ 1.0\"\ ms=*) r=0 ;; *) r=1 ;; esac
ok $r "the log line names direction, From, kind=none and the quoted mailer in SPEC order" || diag "$err"

# Issue 13, 3c: an internationalised sender keeps its letters in the log
# line, and nothing in a header can split or forge the line.
printf 'From: L\303\265ks <l\303\265ks@n\303\244ide.ee>\nTo: bob@example.org\nSubject: t\nX-Mailer: M\303\244iler\302\205X: \342\200\250Y\377\n\nHello\n' > "$tmp/utf8.eml"
run "$tmp/utf8.eml"
case $err in *" from=<lõks@näide.ee> "*) r=0 ;; *) r=1 ;; esac
ok $r "the log line keeps a UTF-8 From address whole" || diag "$err"
case $err in *' mailer="Mäiler\xc2\x85X: \xe2\x80\xa8Y\xff" '*) r=0 ;; *) r=1 ;; esac
ok $r "NEL, U+2028 and a byte that is not UTF-8 are escaped, the letters kept" || diag "$err"
is "$(printf '%s\n' "$err" | wc -l)" 1 "the log line stays one line"

run "$tmp/plain.eml" --client-ip 127.0.0.1
case $err in *dir=outbound*) r=0 ;; *) r=1 ;; esac
ok $r "a client in the default InternalHosts is outbound"
run "$tmp/plain.eml" --auth-user alice
case $err in *dir=outbound*) r=0 ;; *) r=1 ;; esac
ok $r "an authenticated client is outbound"
run "$tmp/plain.eml" --daemon-name ORIGINATING
case $err in *dir=inbound*) r=0 ;; *) r=1 ;; esac
ok $r "a daemon name not in OutboundDaemonNames stays inbound"
CONF=$(conf orig "OutboundDaemonNames ORIGINATING") run "$tmp/plain.eml" --daemon-name ORIGINATING
case $err in *dir=outbound*) r=0 ;; *) r=1 ;; esac
ok $r "a daemon name in OutboundDaemonNames is outbound"
CONF=$(conf nets "InternalHosts 10.0.0.0/8, 2001:db8::/32") run "$tmp/plain.eml" --client-ip 2001:db8::5
case $err in *dir=outbound*) r=0 ;; *) r=1 ;; esac
ok $r "an IPv6 client inside an InternalHosts network is outbound"

run "$C/openssl-generated/env-rc2-40.eml"
is "$st" 0 "an RC2-40 message without rules is accepted"
is "$(head -1 "$tmp/out")" "X-SMIME-Encryption: cipher=rc2-40-cbc; strength=weak; action=none" \
	"the encrypted entity gets its X-SMIME-Encryption finding at the top"
tail -n +2 "$tmp/out" | cmp -s - "$C/openssl-generated/env-rc2-40.eml"
ok $? "otherwise the encrypted message is written back unchanged"
case $err in *" kind=enveloped cipher=rc2-40-cbc strength=weak "*) r=0 ;; *) r=1 ;; esac
ok $r "the log line classifies RC2-40 as weak" || diag "$err"

run "$C/openssl-generated/env-des3.eml"
case $err in *" kind=enveloped cipher=des-ede3-cbc strength=legacy "*) r=0 ;; *) r=1 ;; esac
ok $r "3DES is legacy by default" || diag "$err"
CONF=$(conf weak3 "WeakCiphers rc2-40-cbc,des-ede3-cbc") run "$C/openssl-generated/env-des3.eml"
case $err in *" cipher=des-ede3-cbc strength=weak "*) r=0 ;; *) r=1 ;; esac
ok $r "WeakCiphers naming des-ede3-cbc makes 3DES weak" || diag "$err"
CONF=$(conf weak40 "WeakCiphers rc2-40-cbc") run "$C/openssl-generated/env-rc2-64.eml"
case $err in *" cipher=rc2-64-cbc strength=strong "*) r=0 ;; *) r=1 ;; esac
ok $r "a cipher left out of WeakCiphers is strong" || diag "$err"

run "$C/openssl-generated/authenv-aes128-gcm.eml"
case $err in *" kind=authEnveloped cipher=aes-128-gcm strength=strong "*) r=0 ;; *) r=1 ;; esac
ok $r "AuthEnvelopedData with AES-128-GCM is strong" || diag "$err"

run "$C/openssl-generated/sig-then-env-rc2-40.eml"
case $err in *" kind=enveloped cipher=rc2-40-cbc "*) r=0 ;; *) r=1 ;; esac
ok $r "signed-then-encrypted mail is classified by its outer layer" || diag "$err"

run "$C/openssl-generated/env-then-sig-sha256.eml"
case $err in *" kind=signed cipher=aes-128-cbc strength=strong "*) r=0 ;; *) r=1 ;; esac
ok $r "encryption under a detached signature is found and named" || diag "$err"

big="$C/simple-java-mail/test-messages/#486 TestValidSignedMimeMessage.eml"
CONF=$(conf small "MaxCryptoSize 1M") run "$big"
case $err in *" result=neutral reason=too-large "*) r=0 ;; *) r=1 ;; esac
ok $r "a message over MaxCryptoSize is not analysed and says too-large" || diag "$err"
case $err in *" kind="*) r=1 ;; *) r=0 ;; esac
ok $r "the too-large message gets no guessed kind" || diag "$err"
awk 'NR == 1 && /^Authentication-Results:/ { skip = 1; next } skip && /^[ \t]/ { next } { skip = 0; print }' \
	"$tmp/out" | cmp -s - "$big"
ok $? "the too-large message is still delivered unchanged but for its A-R field"
run "$big"
case $err in *" kind=signed "*) r=0 ;; *) r=1 ;; esac
ok $r "the same 2 MB message under the default MaxCryptoSize is classified" || diag "$err"

# A resource failure: the body store cannot spill to a missing directory.
for pair in "tempfail 75" "accept 0" "reject 1"; do
	set -- $pair
	CONF=$(conf onerr-$1 "BodyMemoryLimit 16" "TempDirectory $tmp/missing" "On-InternalError $1") \
		run "$C/openssl-generated/env-rc2-40.eml"
	is "$st" "$2" "On-InternalError $1 gives exit status $2 when the body cannot spill"
done
case $err in *"550 5.3.0 "*) r=0 ;; *) r=1 ;; esac
ok $r "the reject of an internal error carries its SMTP reply on stderr" || diag "$err"

"$SMIME_TOOL" process -c "$base" --from a@b -i "$tmp/plain.eml" -o "$tmp/out" 2>/dev/null
is $? 2 "a missing --rcpt is a usage error (exit 2)"
printf 'NoSuchKey yes\n' > "$tmp/bad.conf"
"$SMIME_TOOL" process -c "$tmp/bad.conf" --from a@b --rcpt c@d -i "$tmp/plain.eml" -o "$tmp/out" 2> "$tmp/err"
is $? 2 "a config error is exit 2"
grep -q "^$tmp/bad.conf:1: " "$tmp/err"; ok $? "the config error names FILE:LINE"
run "$tmp/plain.eml" --at 2030-01-02T03:04:05Z
is "$st" 0 "--at takes an RFC 3339 time"
run "$tmp/plain.eml" --at @1700000000
is "$st" 0 "--at takes @EPOCH"
run "$tmp/plain.eml" --at yesterday
is "$st" 2 "--at rejects other text"
"$SMIME_TOOL" process -c "$base" --from a@b --rcpt c@d -i "$tmp/nonexistent" -o "$tmp/out" 2>/dev/null
is $? 2 "an unreadable input is exit 2"

"$SMIME_TOOL" inspect "$tmp/nonexistent" >/dev/null 2>&1
is $? 2 "inspect of an unreadable file is exit 2"
head -c 3000 /dev/urandom > "$tmp/random.bin"
"$SMIME_TOOL" inspect "$tmp/random.bin" >/dev/null 2>&1
is $? 0 "inspect of random bytes is exit 0 (any readable file)"

# A FIFO where a file is expected must not hang the load (fuzz finding F2).
mkfifo "$tmp/fifo"
printf 'Rules %s\n' "$tmp/fifo" > "$tmp/fifo.conf"
timeout 20 "$SMIME_TOOL" process -c "$tmp/fifo.conf" --from a@b --rcpt c@d -i "$tmp/plain.eml" -o "$tmp/out" 2> "$tmp/err"
is $? 2 "a FIFO named as the rules file is a config error, not a hang"
grep -q "fifo.conf:1: Rules: expected a regular file or a directory" "$tmp/err"
ok $? "and the error says what was expected" || diag "$(cat "$tmp/err")"
mkdir "$tmp/crls" "$tmp/certs"
mkfifo "$tmp/crls/pipe.crl" "$tmp/certs/pipe.pem"
printf 'CRLFile %s\nCertDirectory %s\n' "$tmp/crls" "$tmp/certs" > "$tmp/fifodir.conf"
timeout 20 "$SMIME_TOOL" process -c "$tmp/fifodir.conf" --from a@b --rcpt c@d -i "$tmp/plain.eml" -o "$tmp/out" 2>/dev/null
st=$?
[ "$st" -ne 124 ]; ok $? "a FIFO inside CRLFile or CertDirectory does not hang the load (exit $st)"

done_testing
