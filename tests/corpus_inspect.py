#!/usr/bin/python3
"""corpus_inspect.py - `smime-tool inspect` agrees with the corpus CATALOG.md.

For every row of CATALOG.md (every message or CMS object in the shared
corpus) this runs `smime-tool inspect --json` and compares:
  * the S/MIME layers, outer to inner, with the catalog's Structure column,
    up to the first encrypted layer (nobody can see inside without keys);
  * the content cipher with the catalog's Content encryption column
    (SPEC section 6 names; the catalog writes RC2 as "rc2-cbc 40-bit");
  * the part number of an S/MIME entity nested in a plain multipart.
The catalog was made with OpenSSL, which stops at a signature that does not
verify; where it lists fewer layers than we find for such a message, the
extra inner layers are reported as a diagnostic, not a failure.
Rows of the folders tests/corpus leaves out are skipped without
FULL_CORPUS_DIR (tests/corpus_lib.py).
Prints TAP.  Environment: CORPUS_DIR, FULL_CORPUS_DIR, CORPUS_LEFT_OUT,
SMIME_TOOL, and INSPECT_BATCH and SMIME_TOOL_RUNNER (corpus_lib.inspect_all).
"""
import json
import os
import re
import sys

import corpus_lib

KIND = {
    "signedData (detached)": "signed",
    "signedData (encapsulated/opaque)": "opaque-signed",
    "envelopedData": "enveloped",
    "authEnvelopedData": "authEnveloped",
    "id-smime-ct-authData": "other",
}
RC2 = {"40": "rc2-40-cbc", "64": "rc2-64-cbc", "128": "rc2-128-cbc"}


def expected(structure, encryption):
    """Returns (layers, cipher, nested part) the catalog row promises."""
    layers, part = [], None
    for elem in [e.strip() for e in structure.split("→")]:
        m = re.match(r"\S+ \(S/MIME part ([\d.]+)\)$", elem)
        if m:
            part = m.group(1)
            continue
        if elem.startswith("not S/MIME"):
            break
        if elem not in KIND:
            break  # content: text/plain, multipart/mixed, non-MIME ...
        layers.append(KIND[elem])
        if KIND[elem] in ("enveloped", "authEnveloped"):
            break
    enc = encryption.strip()
    m = re.match(r"rc2-cbc (\d+)-bit$", enc)
    cipher = RC2.get(m.group(1), "rc2-cbc") if m else (enc or None)
    return layers, cipher, part


def catalog_rows(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("| ") or line.startswith("| File "):
                continue
            cols = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cols) < 12 or cols[0] in ("File", "---"):
                continue
            yield cols


def main():
    corpus = corpus_lib.CORPUS
    n = failed = 0
    rows = list(catalog_rows(os.path.join(corpus, "CATALOG.md")))
    if len(rows) < 250:
        print("Bail out! CATALOG.md has only %d rows" % len(rows))
        return 1
    # smime-tool runs for every row first, on every CPU (under valgrind,
    # in `make check-valgrind`, that is most of the time); the checks then
    # go in catalog order.
    def args(cols):
        path = corpus_lib.path(cols[0])
        return None if path is None else ["--json", path]
    procs = corpus_lib.inspect_all([args(cols) for cols in rows])
    for cols, proc in zip(rows, procs):
        name, structure, encryption, sigcheck = cols[0], cols[2], cols[3], cols[9]
        want_layers, want_cipher, want_part = expected(structure, encryption)
        n += 1
        desc = "%s: %s%s" % (name, "/".join(want_layers) or "none",
                             (" " + want_cipher) if want_cipher else "")
        if proc is None:
            print("ok %d - %s # SKIP %s" % (n, desc, corpus_lib.why(name)))
            continue
        problems = []
        got = {}
        if proc.returncode != 0:
            problems.append("exit status %d: %s" % (proc.returncode, proc.stderr.decode(errors="replace")[:200]))
        else:
            try:
                got = json.loads(proc.stdout)
            except ValueError as e:
                problems.append("output is not JSON: %s" % e)
        # The catalog follows one path, outer to inner: the first layer at
        # each level.  Siblings (e.g. two encrypted alternatives) are extra.
        path, seen = [], set()
        for l in got.get("layers", []):
            if l["level"] not in seen:
                seen.add(l["level"])
                path.append(l)
        if len(path) < len(got.get("layers", [])):
            print("# %s: %d sibling layer(s) beside the catalog's path" %
                  (name, len(got["layers"]) - len(path)))
        stopped = "FAIL" in sigcheck and len(path) > len(want_layers)
        if stopped:
            path = path[:len(want_layers)]
        kinds = [l["kind"] for l in path]
        if got:
            top = want_layers[0] if want_layers else "none"
            if got.get("kind") != top:
                problems.append("kind %s, catalog %s" % (got.get("kind"), top))
            if kinds[:len(want_layers)] != want_layers:
                problems.append("layers %s, catalog %s" % (kinds, want_layers))
            elif len(kinds) > len(want_layers) and want_layers:
                problems.append("layers %s beyond the catalog's %s" % (kinds, want_layers))
            if stopped:
                print("# %s: more layers than the catalog, which stopped at the "
                      "failed signature: %s" % (name, [l["kind"] for l in got["layers"]]))
            enc = [l for l in path if l["kind"] in ("enveloped", "authEnveloped")]
            got_cipher = enc[0].get("cipher") if enc else None
            if got_cipher != want_cipher:
                problems.append("cipher %s, catalog %s" % (got_cipher, want_cipher))
            if want_part and got.get("layers"):
                # The catalog numbers the message itself "1" and its
                # children "1.1", "1.2"; IMAP (and we) number them "1", "2".
                want_imap = want_part[2:] if want_part.startswith("1.") else want_part
                p = got["layers"][0]["part"]
                if got["layers"][0]["kind"] == "signed":
                    p = p.rsplit(".", 1)[0]  # the signed entity is the first child
                if p != want_imap:
                    problems.append("part %s, catalog %s (IMAP %s)" % (p, want_part, want_imap))
        if problems:
            failed += 1
            print("not ok %d - %s" % (n, desc))
            for p in problems:
                print("#   " + p)
        else:
            print("ok %d - %s" % (n, desc))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
