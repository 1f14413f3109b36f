# readme_rules.sh - the README's rules cookbook stays true: every rule in
# its "Rules cookbook" section loads (smime-milter -n, each recipe alone
# and all of them in one file), and the first recipe tags an RC2-40
# message from a Windows Mobile mailer as it says.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || bail "openssl not installed"
T=$(mktemp -d "${TMPDIR:-/tmp}/readme_rules.XXXXXX")
trap 'evidence_keep "$T"; rm -rf "$T"' EXIT
README=$top_srcdir/README.md
DATA=$top_srcdir/tests/data/cms

# The indented "when ..." lines between "## Rules cookbook" and the next
# "## " heading; a blank line ends a recipe.
awk '/^## Rules cookbook/ { on = 1; next } /^## / { on = 0 }
     on && /^    when / { sub(/^    /, ""); print; r = 1; next }
     on && r && /^$/ { print "#"; r = 0 }' "$README" >"$T/all.rules"
nrules=$(grep -c '^when ' "$T/all.rules")
ok $([ "$nrules" -ge 8 ]; echo $?) "the README's cookbook has its rules ($nrules found)"

mkdir -m 700 "$T/ks"
cp "$DATA/alice.pem" "$T/ks/alice.crt" && cp "$DATA/alice.key" "$T/ks/alice.key"
chmod 600 "$T/ks/alice.key"
conf() { # conf RULES-FILE: a configuration that loads RULES-FILE
	printf 'Socket local:%s/s.sock\nKeyStore %s/ks\nRules %s\n' "$T" "$T" "$1"
}
check() { # check RULES-FILE NAME
	conf "$1" >"$1.conf"
	"$SMIME_MILTER" -n -c "$1.conf" >"$1.out" 2>&1
	ok $? "$2" || sed 's/^/# /' "$1.out"
}
check "$T/all.rules" "all the cookbook's rules load together (smime-milter -n)"
i=0
awk -v d="$T" '/^#/ { n++; next } { print > (d "/recipe" n ".rules") }' "$T/all.rules"
for f in "$T"/recipe*.rules; do
	i=$((i + 1))
	check "$f" "recipe $i loads alone: $(head -1 "$f")"
done

# The first recipe on a message a Windows Mobile 5 phone would send.
{
	printf 'From: carol@legacy.example\r\nTo: bob@example.org\r\nSubject: t\r\n'
	printf 'X-Mailer: Microsoft Windows Mobile 5.0\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	base64 -w 76 "$DATA/env-rc2-40.der" | sed 's/$/\r/'
} >"$T/wm5.eml"
sed -n '1,/^#/p' "$T/all.rules" >"$T/flag.rules"
conf "$T/flag.rules" >"$T/flag.conf"
"$SMIME_TOOL" process -c "$T/flag.conf" --from carol@legacy.example --rcpt bob@example.org \
	-i "$T/wm5.eml" -o "$T/out.eml" 2>"$T/err"
ok $? "smime-tool process runs the first recipe" || sed 's/^/# /' "$T/err"
tags=$(grep -a '^X-SMIME-Tag:' "$T/out.eml" | tr -d '\r' | sort | tr '\n' ' ')
is "$tags" "X-SMIME-Tag: legacy-crypto X-SMIME-Tag: legacy-mobile " \
	"an RC2-40 message from a Windows Mobile mailer gets both tags"
ok $(grep -q 'cipher=rc2-40-cbc.*mailer="Microsoft Windows Mobile 5.0"' "$T/err"; echo $?) \
	"its log line names the cipher and the mailer"
done_testing
