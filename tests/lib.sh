# lib.sh - TAP helpers for the shell tests (sourced).  Every test script
# prints TAP through these, and cleans up what it started with an EXIT trap.
tap_n=0
tap_fail=0
ok() { # ok CONDITION-STATUS NAME...
	local st=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$st" -eq 0 ]; then echo "ok $tap_n - $*"; else echo "not ok $tap_n - $*"; tap_fail=$((tap_fail + 1)); fi
	return "$st"
}
pass() { ok 0 "$@"; }
fail() { ok 1 "$@"; }
is() { # is GOT WANT NAME...
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then ok 0 "$@"; else ok 1 "$@"; printf '#   got:      %s\n#   expected: %s\n' "$got" "$want"; return 1; fi
}
diag() { printf '# %s\n' "$*"; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() {
	echo "1..$tap_n"
	[ "$tap_n" -gt 0 ] || { echo "# no checks ran"; exit 1; }
	[ "$tap_fail" -eq 0 ] || exit 1
	exit 0
}
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SMIME_TOOL:=$top_builddir/milter/smime-tool}"
: "${SMIME_MILTER:=$top_builddir/milter/smime-milter}"
: "${CORPUS_DIR:=$top_srcdir/../shared/corpus}"
[ -d "$CORPUS_DIR" ] || bail "corpus not found at $CORPUS_DIR (configure --with-corpus=DIR)"
