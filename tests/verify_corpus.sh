# verify_corpus.sh - every signed corpus message gets the verdict of
# tests/verify_corpus_expect.txt (the comparison lives in verify_corpus.py).
. "$(dirname "$0")/lib.sh"
need_corpus
[ -x "$SMIME_TOOL" ] || bail "smime-tool not built at $SMIME_TOOL"
exec /usr/bin/python3 "$top_srcdir/tests/verify_corpus.py"
