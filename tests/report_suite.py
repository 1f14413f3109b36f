#!/usr/bin/env python3
"""report_suite.py - smime-tool report over the logs the whole suite left.

Every shell test keeps what its programs logged under
$SMIME_EVIDENCE/NAME/logs/ (tests/lib.sh): the milter's stderr under a
private Postfix, smime-tool's stderr, Postfix's maillog.  This runs
`smime-tool report --json` over all of them (report_tool's and this
test's own directories excepted: those hold lines made up to test the
parser, not lines the product wrote) and checks its answer against an
independent reading of the same lines: every sender that sent an
RC2-40 message (cipher=rc2-40-cbc on its log line) is named, with that
cipher as weak, and with every mailer it used.  When the real-Postfix
re-encryption test ran, its Windows Mobile 5 sender must be among them.
Prints TAP.
"""
import gzip
import json
import os
import re
import subprocess
import sys

SKIP_DIRS = {"report_tool", "report_suite"}
# key=value, the value bare or double-quoted with backslash escapes.
PAIR = re.compile(r'([a-z-]+)=("(?:[^"\\]|\\.)*"|\S+)')
ESC = re.compile(r'\\(x[0-9A-Fa-f]{2}|.)')
n = 0
failed = 0


def tap(ok, what):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what))


def unquote(v):
    if not v.startswith('"'):
        return v

    def one(m):
        e = m.group(1)
        if e.startswith("x") and len(e) == 3:
            return chr(int(e[1:], 16))
        return {"t": "\t", "n": "\n", "r": "\r"}.get(e, e)
    return ESC.sub(one, v[1:-1])


def log_files(root):
    for test in sorted(os.listdir(root)):
        d = os.path.join(root, test, "logs")
        if test in SKIP_DIRS or not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            yield test, os.path.join(d, f)


def lines_of(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for raw in fh:
            yield raw.decode("utf-8", "replace").rstrip("\r\n")


def rc2_senders(files):
    """{sender: set(mailers)} of every line with cipher=rc2-40-cbc; and
    the tests whose logs held such a line."""
    senders, tests = {}, set()
    for test, path in files:
        for line in lines_of(path):
            i = line.find(": dir=")
            if i < 0:
                continue
            kv = {k: unquote(v) for k, v in PAIR.findall(line[i + 2:])}
            if kv.get("cipher") != "rc2-40-cbc" or "from" not in kv:
                continue
            who = kv["from"].strip("<>").lower()
            senders.setdefault(who, set()).add(kv.get("mailer"))
            tests.add(test)
    return senders, tests


def main():
    root = os.environ["SMIME_EVIDENCE"]
    tool = os.environ["SMIME_TOOL"]
    files = list(log_files(root))
    tap(len(files) > 0, "the suite left logs under %s (%d files)" % (root, len(files)))
    want, tests = rc2_senders(files)
    tap(len(want) > 0, "the suite's logs hold RC2-40 messages (from %s)" %
        ", ".join(sorted(tests)))
    r = subprocess.run([tool, "report", "--json"] + [p for _, p in files],
                       capture_output=True)
    tap(r.returncode == 0, "smime-tool report --json over %d files exits 0 (%s)" %
        (len(files), r.stderr.decode(errors="replace").strip()[:200]))
    try:
        rep = json.loads(r.stdout)
        parsed = True
    except ValueError as e:
        rep, parsed = {"senders": []}, False
        print("# not JSON: %s" % e)
    tap(parsed, "its --json output parses")
    # a bounce (MAIL FROM:<>) is the sender null
    got = {(s["sender"] or "").lower(): s for s in rep.get("senders", [])}
    for who in sorted(want):
        s = got.get(who)
        weak = s is not None and any(c["cipher"] == "rc2-40-cbc" and c["strength"] == "weak"
                                     for c in s["ciphers"])
        tap(weak, "report names <%s> with rc2-40-cbc as weak" % who)
        mailers = set() if s is None else {m["mailer"] for m in s["mailers"]}
        tap(want[who] <= mailers, "report names <%s>'s mailers %s (it has %s)" %
            (who, sorted(map(str, want[who])), sorted(map(str, mailers))))
    if os.path.isdir(os.path.join(root, "e2e_reencrypt", "logs")):
        s = got.get("carol@legacy.example", {"mailers": []})
        tap(any(m["mailer"] == "Microsoft Windows Mobile 5.0" for m in s["mailers"]),
            "the Windows Mobile 5 sender of e2e_reencrypt is named with its mailer")
    text = subprocess.run([tool, "report"] + [p for _, p in files], capture_output=True)
    out = text.stdout.decode(errors="replace")
    tap(text.returncode == 0 and all("<%s>" % w in out.lower() for w in want),
        "the text report names the same senders")
    print("1..%d" % n)
    return 1 if failed else 0


sys.exit(main())
