"""corpus_lib.py - where the Python tests find a corpus file: the same
rules as corpus() in tests/lib.sh, whose settings it reads from the
environment (the tests/*.sh wrappers source lib.sh, which exports them).

CORPUS_DIR is tests/corpus.  The folders it leaves out (CORPUS_LEFT_OUT; no
licence, tests/corpus/README) come from FULL_CORPUS_DIR, a full copy of the
shared corpus (configure --with-corpus=DIR); without one, the checks that
need them are skipped.
"""
import os
import sys

if "CORPUS_LEFT_OUT" not in os.environ:
    print("Bail out! CORPUS_LEFT_OUT unset: run this through its tests/*.sh "
          "(they source tests/lib.sh)")
    sys.exit(1)

CORPUS = os.environ.get("CORPUS_DIR", "")
FULL = os.environ.get("FULL_CORPUS_DIR", "")
LEFT_OUT = os.environ["CORPUS_LEFT_OUT"].split()


def path(rel):
    """The path of corpus file REL, or None when this run lacks its folder."""
    top = rel.split("/", 1)[0]
    if top in LEFT_OUT:
        return os.path.join(FULL, rel) if FULL else None
    return os.path.join(CORPUS, rel)


def why(rel):
    """Why the checks of REL (path(REL) is None) are skipped."""
    return ("needs %s/, left out of tests/corpus (no licence): "
            "configure --with-corpus=DIR" % rel.split("/", 1)[0])


def roots():
    """The directories the corpus files of this run are in."""
    return [CORPUS] + [os.path.join(FULL, d) for d in LEFT_OUT if FULL]
