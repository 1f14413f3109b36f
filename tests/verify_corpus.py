#!/usr/bin/python3
"""verify_corpus.py - every signed corpus message gets the verdict that
tests/verify_corpus_expect.txt records for it.

The table (see its header) names, per message, the trust set to verify
with and the verdicts `smime-tool inspect --json --trust ...` must report:
one PART:RESULT[/REASON][+OTHER...] per SignerInfo, outermost layer first,
where OTHER are the further problems found (SPEC section 7 words), or
"none" when no signature can be reached (inside encryption).  It also
checks that every signed row of CATALOG.md has a line, so the table cannot
silently fall behind the corpus.  Rows of the folders tests/corpus leaves
out are skipped without FULL_CORPUS_DIR (tests/corpus_lib.py); so are their
trust anchors, which only their own messages chain to.  Prints TAP.
Environment: CORPUS_DIR, FULL_CORPUS_DIR, CORPUS_LEFT_OUT, SMIME_TOOL (or
INSPECT_BATCH and SMIME_TOOL_RUNNER, corpus_lib.inspect_all),
top_srcdir.

With --print it prints the table's lines with the verdicts found now
instead (to review a change, never to overwrite the table blindly).
"""
import json
import os
import re
import sys
import tempfile

import corpus_lib

CORPUS = corpus_lib.CORPUS
TOOL = os.environ.get("SMIME_TOOL", "")
SRCDIR = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), ".."))
TABLE = os.path.join(SRCDIR, "tests", "verify_corpus_expect.txt")
REASONS = ["bad-signature", "revoked", "untrusted", "expired", "not-yet-valid",
           "key-usage", "weak-digest", "weak-key", "address-mismatch", "malformed",
           "unsupported-algorithm", "too-large", "crl-unavailable", "resource",
           "no-certificate"]

n = 0
failed = 0


def ok(passed, name, diag=None):
    global n, failed
    n += 1
    if not passed:
        failed += 1
    print("%s %d - %s" % ("ok" if passed else "not ok", n, name))
    if not passed and diag:
        for line in diag.splitlines():
            print("# " + line)


def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))


def read_table():
    sets, at, rows = {}, None, []
    for lineno, line in enumerate(open(TABLE, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@trust "):
            words = line.split()[1:]
            sets[words[0]] = words[1:]
            continue
        if line.startswith("@at "):
            at = line.split()[1]
            continue
        cells = [c.strip() for c in line.split(" | ")]
        if len(cells) != 4:
            raise SystemExit("Bail out! %s:%d: expected 4 cells" % (TABLE, lineno))
        rows.append(cells)
    return sets, at, rows


def make_trust(sets, tmp):
    """inspect arguments per trust set: anchors joined into one file (those
    of a folder this run lacks left out)."""
    args = {}
    for name, words in sets.items():
        anchors, crls = [], []
        for w in words:
            crl = w.startswith("crl=")
            path = corpus_lib.path(w[4:] if crl else w)
            if path is not None:
                (crls if crl else anchors).append(path)
        if len(anchors) == 1:
            path = anchors[0]
        else:
            path = os.path.join(tmp, name + ".pem")
            with open(path, "wb") as out:
                for a in anchors:
                    out.write(open(a, "rb").read())
                    out.write(b"\n")
        args[name] = ["--trust", path] + sum((["--crl", c] for c in crls), [])
    return args


def inspect_args(path, trust_args, at):
    return ["--json", "--at", at] + trust_args + [corpus_lib.path(path)]


def verdicts(p):
    """The table's words for what one inspect run (corpus_lib.Run) found."""
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip())
    d = json.loads(p.stdout)
    out = []

    def word(part, v):
        s = "%s:%s" % (part, v["result"])
        if v["reason"]:
            s += "/" + v["reason"]
        for r in REASONS:
            if r in v["problems"] and r != v["reason"]:
                s += "+" + r
        return s

    for layer in d["layers"]:
        for s in layer.get("signers", []):
            if "result" in s:
                out.append(word(layer["part"], s))
        if "verdict" in layer:
            out.append(word(layer["part"], layer["verdict"]))
    return " ".join(out) or "none"


def signed_catalog_rows():
    rows = []
    for line in open(os.path.join(CORPUS, "CATALOG.md"), encoding="utf-8"):
        if not line.startswith("| ") or line.startswith("| File"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 12 and ("signedData" in cells[2] or cells[5]):
            rows.append(cells[0])
    return rows


def main():
    if not os.path.isdir(CORPUS) or not os.access(TOOL, os.X_OK):
        print("Bail out! CORPUS_DIR or SMIME_TOOL missing")
        return 1
    sets, at, rows = read_table()
    if at is None:
        print("Bail out! the table names no @at time")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        trust = make_trust(sets, tmp)
        runs = corpus_lib.inspect_all([
            inspect_args(r[0], trust[r[1]], at) if corpus_lib.path(r[0]) else None
            for r in rows])
        results = [None if p is None else verdicts(p) for p in runs]
        for (path, tset, want, note), got in zip(rows, results):
            if got is None and "--print" in sys.argv:
                print("# %s: skipped, %s" % (path, corpus_lib.why(path)))
                continue
            if got is None:
                skip("%s: %s" % (path, want), corpus_lib.why(path))
                continue
            if "--print" in sys.argv:
                print(" | ".join([path, tset, got, note]))
                continue
            ok(got == want, "%s: %s" % (path, want),
               "got:      %s\nexpected: %s" % (got, want))
    if "--print" in sys.argv:
        return 0
    listed = {r[0] for r in rows}
    missing = [p for p in signed_catalog_rows() if p not in listed]
    ok(not missing, "every signed message of CATALOG.md has a line in the table",
       "missing: " + ", ".join(missing))
    print("1..%d" % n)
    return 1 if failed or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
