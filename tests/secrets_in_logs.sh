# secrets_in_logs.sh - the last test of the suite: no private key,
# passphrase or decrypted text in any log the suite produced, raw or in
# hex or base64 (tests/secrets_in_logs.py says how).
. "$(dirname "$0")/lib.sh"
need_corpus
export SMIME_EVIDENCE CORPUS_DIR top_srcdir top_builddir
exec python3 "$top_srcdir/tests/secrets_in_logs.py"
