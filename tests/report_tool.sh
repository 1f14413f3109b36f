# report_tool.sh - `smime-tool report` (SPEC section 3) summarises, from
# the milter's log lines, who still sends weak or legacy crypto: per
# sender (with its ciphers and mailers), domain, cipher and mailer, with
# counts and first and last seen, most recent first.  It reads syslog
# files with traditional and RFC 3339 timestamps, gzip-compressed files,
# standard input and saved `smime-tool process` stderr; judges a message
# by cipher= and strength= (and a weak signature by reason=) only; skips
# every other line; and --since drops older lines, compared in UTC.
. "$(dirname "$0")/lib.sh"

for tool in openssl python3 gzip; do
	command -v $tool >/dev/null || bail "$tool not installed"
done
T=$(mktemp -d "${TMPDIR:-/tmp}/report_tool.XXXXXX")
trap 'evidence_keep "$T"; rm -rf "$T"' EXIT
# Traditional syslog dates are local time: the checks compute in UTC.
export TZ=UTC LC_ALL=C

now=$(date +%s)
stamp() { # stamp SECONDS-AGO: a year-less syslog date ("Dec  6 04:05:06")
	date -u -d "@$((now - $1))" '+%b %e %H:%M:%S'
}
iso() { # iso SECONDS-AGO: an RFC 3339 syslog date (rsyslog's)
	date -u -d "@$((now - $1))" '+%Y-%m-%dT%H:%M:%S.123456+00:00'
}
utc() { # utc SECONDS-AGO: how report prints that time
	date -u -d "@$((now - $1))" '+%Y-%m-%dT%H:%M:%SZ'
}
L() { # L DATE TEXT: a line of the milter in syslog
	printf '%s mx smime-milter[4242]: %s\n' "$1" "$2"
}
report() { # report ARGS...: sets st, out (text), err
	"$SMIME_TOOL" report "$@" > "$T/out" 2> "$T/err"
	st=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
section() { # section NAME: that section of $out, header included
	printf '%s\n' "$out" | sed -n "/^$1:\$/,/^[a-z]*:\$/p" | sed '$!b; /^[a-z]*:$/d'
}

WM='mailer="Microsoft Windows Mobile 5.0"'
RC2='kind=enveloped cipher=rc2-40-cbc strength=weak'
{
	L "$(stamp 864000)" "A1: dir=inbound from=<carol@legacy.example> $RC2 action=none $WM ms=4"
	L "$(iso 432000)" "A2: dir=inbound from=<carol@legacy.example> $RC2 action=reencrypted new-cipher=aes-256-cbc $WM ms=12"
	L "$(stamp 3600)" "A3: dir=inbound from=<carol@legacy.example> $RC2 action=kept action-reason=no-key $WM ms=2"
	L "$(iso 7200)" "A4: dir=inbound from=<dave@Old.Example> $RC2 action=none mailer=\"Outlook Express 6.00\" ms=2"
	L "$(iso 100)" "A5: dir=inbound from=<alice@modern.example> kind=enveloped cipher=aes-256-cbc strength=strong action=none mailer=Thunderbird ms=1"
	L "$(iso 50)" "A6: dir=outbound from=<eve@wrapped.example> kind=none action=encrypted new-cipher=aes-256-cbc mailer=\"Legacy Phone\" ms=9"
	L "$(iso 40)" "A7: dir=inbound from=<frank@rewrapped.example> $RC2 action=encrypted new-cipher=aes-256-cbc mailer=\"Windows Mobile 6\" ms=7"
	L "$(iso 30)" "A8: dir=inbound from=<grace@sig.example> kind=signed signer=grace@sig.example result=policy reason=weak-digest mailer=\"Old Signer 1.0\" ms=3"
	L "$(iso 20)" "A9: dir=inbound from=<heidi@3des.example> kind=enveloped cipher=des-ede3-cbc strength=legacy action=none ms=2"
} > "$T/mail.log"
# what must be skipped, among the lines above
{
	sed -n 1,4p "$T/mail.log"
	printf '%s mx postfix/smtpd[77]: connect from client.example[192.0.2.7]\n' "$(stamp 60)"
	printf '%s mx postfix/cleanup[78]: B1: dir=inbound from=<mallory@other.example> %s ms=1\n' "$(stamp 60)" "$RC2"
	L "$(stamp 60)" "NOQUEUE: internal error: out of memory"
	L "$(stamp 60)" "B2: debug unwraps=1 decrypted=1"
	L "$(iso 60)" "B3: dir=inbound from=<cut@truncated.exam"
	L "$(iso 60)" "B4: dir=inbound from=<cutq@truncated.example> $RC2 action=none mailer=\"Microsoft Wi"
	L "$(iso 60)" "B5: dir=inbound from=<quote@broken.example> $RC2 mailer=\"a \\q b\" ms=1"
	L "$(iso 60)" "B6: dir=inbound from=<quote2@broken.example> $RC2 mailer=\"unterminated ms=1"
	L "$(iso 60)" "B7: dir=inbound from=<long@overlong.example> $RC2 mailer=\"$(head -c 70000 /dev/zero | tr '\0' x)\" ms=1"
	printf 'garbage \001\377 line\n\n'
	sed -n '5,$p' "$T/mail.log"
} > "$T/noisy.log"

# --- who sends RC2-40, with which mailer -------------------------------------
report "$T/mail.log"
is "$st" 0 "a readable log: exit status 0"
case $out in *"
  <carol@legacy.example> messages=3 first=$(utc 864000) last=$(utc 3600)
    cipher=rc2-40-cbc strength=weak messages=3
    mailer=\"Microsoft Windows Mobile 5.0\" messages=3
"*) r=0 ;; *) r=1 ;; esac
ok $r "an RC2-40 sender is named with its message count, first and last seen, its cipher and its mailer" || diag "$out"
case $out in *"
  <dave@old.example> messages=1 first=$(utc 7200) last=$(utc 7200)
    cipher=rc2-40-cbc strength=weak messages=1
    mailer=\"Outlook Express 6.00\" messages=1"*) r=0 ;; *) r=1 ;; esac
ok $r "a second RC2-40 sender with its own mailer (the domain lowercased)" || diag "$out"
is "$(section senders)" "senders:
  <heidi@3des.example> messages=1 first=$(utc 20) last=$(utc 20)
    cipher=des-ede3-cbc strength=legacy messages=1
    mailer=- messages=1
  <grace@sig.example> messages=1 first=$(utc 30) last=$(utc 30)
    cipher=weak-digest messages=1
    mailer=\"Old Signer 1.0\" messages=1
  <frank@rewrapped.example> messages=1 first=$(utc 40) last=$(utc 40)
    cipher=rc2-40-cbc strength=weak messages=1
    mailer=\"Windows Mobile 6\" messages=1
  <carol@legacy.example> messages=3 first=$(utc 864000) last=$(utc 3600)
    cipher=rc2-40-cbc strength=weak messages=3
    mailer=\"Microsoft Windows Mobile 5.0\" messages=3
  <dave@old.example> messages=1 first=$(utc 7200) last=$(utc 7200)
    cipher=rc2-40-cbc strength=weak messages=1
    mailer=\"Outlook Express 6.00\" messages=1" \
	"the senders section: every weak or legacy sender, most recent first, nothing else"
case $out in *eve@wrapped.example* | *"Legacy Phone"*) r=1 ;; *) r=0 ;; esac
ok $r "a kind=none action=encrypted line (no cipher=) counts no weak sender"
case $out in *"<frank@rewrapped.example> messages=1"*) r=0 ;; *) r=1 ;; esac
ok $r "an rc2-40 line with action=encrypted new-cipher=aes-256-cbc still counts its sender"
case $out in *"<grace@sig.example> messages=1"*"    cipher=weak-digest messages=1"*) r=0 ;; *) r=1 ;; esac
ok $r "a weak-digest signature (result=policy) counts its sender"
case $out in *alice@modern.example* | *Thunderbird*) r=1 ;; *) r=0 ;; esac
ok $r "a strong cipher counts nothing"
is "$(printf '%s\n' "$out" | head -n 1)" "summary: lines=9 messages=9 counted=7 untimed=0 older=0" \
	"the summary: lines read, the milter's message lines, those counted"
is "$(section ciphers)" "ciphers:
  des-ede3-cbc strength=legacy messages=1 senders=1 first=$(utc 20) last=$(utc 20)
  weak-digest messages=1 senders=1 first=$(utc 30) last=$(utc 30)
  rc2-40-cbc strength=weak messages=5 senders=3 first=$(utc 864000) last=$(utc 40)" \
	"the ciphers section: per cipher (and weak-digest), messages, senders, first and last seen"
is "$(section domains | sed -n 5,6p)" "  legacy.example messages=3 senders=1 first=$(utc 864000) last=$(utc 3600)
  old.example messages=1 senders=1 first=$(utc 7200) last=$(utc 7200)" \
	"the domains section: per sender domain"
is "$(section mailers | sed -n 4,6p)" "  \"Windows Mobile 6\" messages=1 senders=1 first=$(utc 40) last=$(utc 40)
  \"Microsoft Windows Mobile 5.0\" messages=3 senders=1 first=$(utc 864000) last=$(utc 3600)
  \"Outlook Express 6.00\" messages=1 senders=1 first=$(utc 7200) last=$(utc 7200)" \
	"the mailers section: per X-Mailer/User-Agent, quoted as in the log"
case $(section mailers) in *"
  - messages=1 senders=1 first=$(utc 20) last=$(utc 20)"*) r=0 ;; *) r=1 ;; esac
ok $r "a message without a mailer is counted under - in the mailers section"

# --- what is not the milter's line is skipped --------------------------------
printf '%s\n' "$out" > "$T/clean.out"
report "$T/noisy.log"
is "$st" 0 "other programs', truncated, broken and overlong lines: no error (exit 0)"
is "$(section senders)" "$(out=$(cat "$T/clean.out"); section senders)" \
	"other programs' lines, other milter lines, a truncated line, broken quotes and an overlong line add nothing"
case $out in *mallory* | *truncated.example* | *broken.example* | *overlong.example*) r=1 ;; *) r=0 ;; esac
ok $r "none of the skipped lines' senders appears" || diag "$out"
case $(printf '%s\n' "$out" | head -n 1) in "summary: lines=20 messages=9 counted=7 "*) r=0 ;; *) r=1 ;; esac
ok $r "every line is read, only the nine message lines are taken" || diag "$(printf '%s\n' "$out" | head -n 1)"

# --- gzip, standard input ----------------------------------------------------
gzip -c "$T/noisy.log" > "$T/noisy.log.1.gz"
report "$T/noisy.log.1.gz"
is "$st" 0 "a .gz file: exit status 0"
printf '%s\n' "$out" > "$T/gz.out"
report "$T/noisy.log"
printf '%s\n' "$out" | cmp -s - "$T/gz.out"
ok $? "a gzip-compressed rotated log reads as the plain one"
"$SMIME_TOOL" report < "$T/noisy.log" > "$T/stdin.out" 2>/dev/null
is "$?" 0 "standard input: exit status 0"
printf '%s\n' "$out" | cmp -s - "$T/stdin.out"
ok $? "without a file, standard input is read"
"$SMIME_TOOL" report < "$T/noisy.log.1.gz" > "$T/stdin.out" 2>/dev/null
printf '%s\n' "$out" | cmp -s - "$T/stdin.out"
ok $? "gzip-compressed standard input is read too"
report "$T/mail.log" "$T/noisy.log.1.gz"
case $out in *"<carol@legacy.example> messages=6 "*) r=0 ;; *) r=1 ;; esac
ok $r "several files add up" || diag "$out"

# --- JSON ----------------------------------------------------------------------
"$SMIME_TOOL" report --json "$T/noisy.log" > "$T/r.json" 2>/dev/null
is "$?" 0 "--json: exit status 0"
python3 -m json.tool "$T/r.json" > /dev/null
ok $? "--json prints valid JSON (python3 -m json.tool)"
got=$(python3 - "$T/r.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print(d["lines"], d["messages"], d["counted"], d["untimed"], d["older"])
for s in d["senders"]:
    print(s["sender"], s["messages"], s["first_seen"], s["last_seen"],
          [(c["cipher"], c["strength"], c["messages"]) for c in s["ciphers"]],
          [(m["mailer"], m["messages"]) for m in s["mailers"]])
for k in ("domains", "ciphers", "mailers"):
    print(k, [(g[k[:-1]], g["messages"], g["senders"]) for g in d[k]])
EOF
)
is "$got" "20 9 7 0 0
heidi@3des.example 1 $(utc 20) $(utc 20) [('des-ede3-cbc', 'legacy', 1)] [(None, 1)]
grace@sig.example 1 $(utc 30) $(utc 30) [('weak-digest', None, 1)] [('Old Signer 1.0', 1)]
frank@rewrapped.example 1 $(utc 40) $(utc 40) [('rc2-40-cbc', 'weak', 1)] [('Windows Mobile 6', 1)]
carol@legacy.example 3 $(utc 864000) $(utc 3600) [('rc2-40-cbc', 'weak', 3)] [('Microsoft Windows Mobile 5.0', 3)]
dave@old.example 1 $(utc 7200) $(utc 7200) [('rc2-40-cbc', 'weak', 1)] [('Outlook Express 6.00', 1)]
domains [('3des.example', 1, 1), ('sig.example', 1, 1), ('rewrapped.example', 1, 1), ('legacy.example', 3, 1), ('old.example', 1, 1)]
ciphers [('des-ede3-cbc', 1, 1), ('weak-digest', 1, 1), ('rc2-40-cbc', 5, 3)]
mailers [(None, 1, 1), ('Old Signer 1.0', 1, 1), ('Windows Mobile 6', 1, 1), ('Microsoft Windows Mobile 5.0', 3, 1), ('Outlook Express 6.00', 1, 1)]" \
	"--json holds the same senders, counts, times, ciphers and mailers as the text, in the same order"

# A mailer with escapes: read as the log line wrote it, valid JSON out.
L "$(iso 5)" 'C1: dir=inbound from="<\"odd sender\"@esc.example>" kind=enveloped cipher=rc2-40-cbc strength=weak mailer="M\xc3\xa4iler \"5\" \\ \t\xff\xc2\x85" ms=1' > "$T/esc.log"
report "$T/esc.log"
case $out in *'  "<\"odd sender\"@esc.example>" messages=1 '*'    mailer="Mäiler \"5\" \\ \t\xff\xc2\x85" messages=1'*) r=0 ;; *) r=1 ;; esac
ok $r "quoted values and escapes are read, and shown again as the log line writes them" || diag "$out"
"$SMIME_TOOL" report --json "$T/esc.log" > "$T/esc.json" 2>/dev/null
got=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["senders"][0]; print(ascii(s["sender"]), ascii(s["mailers"][0]["mailer"]))' "$T/esc.json")
is "$got" "'\"odd sender\"@esc.example' 'M\\xe4iler \"5\" \\\\ \\t\\ufffd\\x85'" \
	"JSON strings are escaped: quotes, backslashes, controls, and U+FFFD for a byte that is not UTF-8"

# --- --since, both timestamp forms, offsets ----------------------------------
S=$((now - 172800)) # two days ago
plus2() { # plus2 EPOCH: that instant as RFC 3339 with a +02:00 offset
	date -u -d "@$(($1 + 7200))" '+%Y-%m-%dT%H:%M:%S+02:00'
}
{
	L "$(stamp $((now - S + 3600)))" "D1: dir=inbound from=<old@syslog.example> $RC2 ms=1"
	L "$(stamp $((now - S - 3600)))" "D2: dir=inbound from=<new@syslog.example> $RC2 ms=1"
	# one hour before S: its wall clock (S + 1 h in +02:00) is after S in UTC
	L "$(plus2 $((S - 3600)))" "D3: dir=inbound from=<old@rfc3339.example> $RC2 ms=1"
	L "$(plus2 $((S + 3600)))" "D4: dir=inbound from=<new@rfc3339.example> $RC2 ms=1"
	L "$(date -u -d "@$((S + 60))" '+%Y-%m-%dT%H:%M:%S+0000')" "D5: dir=inbound from=<new@short-iso.example> $RC2 ms=1"
	printf 'D6: dir=inbound from=<untimed@stderr.example> %s ms=1\n' "$RC2"
} > "$T/since.log"
report --since "@$S" "$T/since.log"
is "$st" 0 "--since @EPOCH: exit status 0"
got=$(section senders | grep '^  <' | sed 's/ messages=.*//' | sort | tr '\n' ' ')
is "$got" "  <new@rfc3339.example>   <new@short-iso.example>   <new@syslog.example>   <untimed@stderr.example> " \
	"--since drops older lines of both timestamp forms, keeps newer and untimed ones"
case $out in *"<new@rfc3339.example> messages=1 first=$(date -u -d "@$((S + 3600))" '+%Y-%m-%dT%H:%M:%SZ') "*) r=0 ;; *) r=1 ;; esac
ok $r "an RFC 3339 time with a +02:00 offset is converted to UTC" || diag "$out"
case $(printf '%s\n' "$out" | head -n 1) in *" older=2 since=$(date -u -d "@$S" '+%Y-%m-%dT%H:%M:%SZ')") r=0 ;; *) r=1 ;; esac
ok $r "the summary counts the two dropped lines and names --since in UTC" || diag "$(printf '%s\n' "$out" | head -n 1)"
printf '%s\n' "$out" > "$T/since.out"
report --since "$(plus2 $S)" "$T/since.log"
printf '%s\n' "$out" | cmp -s - "$T/since.out"
ok $? "--since as RFC 3339 with a +02:00 offset means the same instant as @EPOCH"
case $out in *"<untimed@stderr.example> messages=1 first=- last=-"*) r=0 ;; *) r=1 ;; esac
ok $r "a line without a time: first and last seen are -" || diag "$out"
report --since yesterday "$T/since.log"
is "$st" 2 "a --since that is no time is a usage error (exit 2)"

# --- a year-less date in the future is last year's -----------------------------
read -r fdate fexp < <(python3 - <<'EOF'
import datetime
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
f = now + datetime.timedelta(days=1)
if f.month == 2 and f.day == 29:
    f += datetime.timedelta(days=1)
if f.year != now.year:
    f = now + datetime.timedelta(seconds=120)
if f.year != now.year:
    print("none none")
else:
    m = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[f.month - 1]
    print(("%s %2d %s" % (m, f.day, f.strftime("%H:%M:%S"))).replace(" ", "_"),
          f.replace(year=f.year - 1).strftime("%Y-%m-%dT%H:%M:%SZ"))
EOF
)
if [ "$fdate" = none ]; then
	skip "the last two minutes of the year" "a year-less date in the future goes to the previous year"
else
	L "${fdate//_/ }" "E1: dir=inbound from=<future@syslog.example> $RC2 ms=1" > "$T/future.log"
	report "$T/future.log"
	case $out in *"<future@syslog.example> messages=1 first=$fexp last=$fexp"*) r=0 ;; *) r=1 ;; esac
	ok $r "a year-less date in the future goes to the previous year" || diag "$out"
fi

# --- saved `smime-tool process` stderr ---------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rcpt.key" -out "$T/rcpt.pem" \
	-subj "/CN=Report Test Recipient" -addext subjectAltName=email:bob@example.org \
	-days 30 2>/dev/null || bail "certificate"
printf 'Content-Type: text/plain\r\n\r\nold phone\r\n' > "$T/inner.txt"
openssl cms -encrypt -in "$T/inner.txt" -rc2-40 -provider legacy -provider default \
	-from carol@legacy.example -to bob@example.org -subject "from the phone" \
	-out "$T/rc2.body" "$T/rcpt.pem" 2>"$T/openssl.err" || bail "openssl cms -encrypt: $(cat "$T/openssl.err")"
{ printf 'X-Mailer: Microsoft Windows Mobile 5.0\n'; cat "$T/rc2.body"; } > "$T/rc2.eml"
printf 'AuthservID mx.test\n' > "$T/p.conf"
"$SMIME_TOOL" process -c "$T/p.conf" --from carol@legacy.example --rcpt bob@example.org \
	-i "$T/rc2.eml" -o "$T/processed.eml" 2> "$T/process.stderr"
is "$?" 0 "smime-tool process accepts the RC2-40 message"
grep -q 'cipher=rc2-40-cbc strength=weak' "$T/process.stderr" || bail "no RC2-40 log line: $(cat "$T/process.stderr")"
report "$T/process.stderr"
case $out in *"
  <carol@legacy.example> messages=1 first=- last=-
    cipher=rc2-40-cbc strength=weak messages=1
    mailer=\"Microsoft Windows Mobile 5.0\" messages=1"*) r=0 ;; *) r=1 ;; esac
ok $r "smime-tool process stderr is read: the RC2-40 sender, its mailer, times unknown" || diag "$out"
"$SMIME_TOOL" report --json "$T/process.stderr" > "$T/p.json" 2>/dev/null
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["senders"][0]; print(d["counted"], d["untimed"], s["sender"], s["first_seen"], s["last_seen"])' "$T/p.json")
is "$got" "1 1 carol@legacy.example None None" "in JSON the unknown first and last seen are null"

# --- exit statuses -------------------------------------------------------------
report "$T/no-such.log"
is "$st" 2 "a file that does not exist: exit status 2"
case $err in *no-such.log*) r=0 ;; *) r=1 ;; esac
ok $r "the unreadable file is named on stderr" || diag "$err"
report "$T/mail.log" "$T"
is "$st" 2 "a directory in place of a file: exit status 2"
case $out in *"<carol@legacy.example> messages=3 "*) r=0 ;; *) r=1 ;; esac
ok $r "the readable files are still reported" || diag "$out"
cp "$T/mail.log" "$T/plain.gz"
report "$T/plain.gz"
is "$st" 2 "a .gz file that is not gzip-compressed: exit status 2"
head -c 200 "$T/noisy.log.1.gz" > "$T/cut.gz"
report "$T/cut.gz"
is "$st" 2 "a gzip file cut short: exit status 2"
report --bogus
is "$st" 2 "an unknown option is a usage error (exit 2)"

done_testing
