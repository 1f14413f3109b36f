# report_suite.sh - after every other test: `smime-tool report` over the
# logs the whole suite left names the RC2-40 senders the tests sent, with
# their mailers, and its --json parses (tests/report_suite.py says how).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || bail "python3 not installed (Debian package python3)"
export SMIME_EVIDENCE
SMIME_TOOL=${SMIME_TOOL_REAL:-$SMIME_TOOL} exec python3 "$top_srcdir/tests/report_suite.py"
