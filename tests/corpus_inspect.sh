# corpus_inspect.sh - smime-tool inspect agrees with CATALOG.md on every
# message of the shared corpus (the comparison lives in corpus_inspect.py).
. "$(dirname "$0")/lib.sh"
need_corpus
[ -x "$SMIME_TOOL" ] || bail "smime-tool not built at $SMIME_TOOL"
exec /usr/bin/python3 "$top_srcdir/tests/corpus_inspect.py"
