#!/usr/bin/env python3
"""secrets_in_logs.py - no key material, passphrase or decrypted text in
any log of the test suite (issue 7, SPEC section 8 "never leak plaintext").

Runs last in `make check` (Makefile.am makes its log depend on every other
test's).  It reads:

  secrets  every file the shell tests kept with evidence_secret and
           evidence_keep (tests/lib.sh) under EVIDENCE/*/secrets/: private
           keys, PKCS#12 files, passphrase files, the plaintext the tests
           had encrypted; and every private key and passphrase file of
           tests/data and of the corpus (tests/corpus_lib.py: tests/corpus and
           the folders --with-corpus adds);
  logs     EVIDENCE/*/logs/* (the milter's stderr, Postfix's maillog,
           smime-tool's stderr through tests/logged_tool, other *.log/*.err)
           and the TAP logs tests/*.log of this build (unit tests too).

From each secret it derives needles in several forms:
  private key   the private exponent or scalar, raw, hex (lower, upper,
                OpenSSL's colon form) and base64 at all three alignments;
                a chunk of the key's DER raw, hex and as PEM/base64 text;
  PKCS#12       a chunk of the file raw, hex and base64 (three alignments);
  passphrase    the phrase raw, hex and base64 (phrases under 10 characters
                are too common to search for: counted and reported);
  plaintext     every line of 16 or more characters that is not a header
                line, raw, hex and base64.
All needles go to one `grep -F -f` (Aho-Corasick) run over all logs.

Before the real search it plants one needle of each form in a scratch log
and requires grep to find every one: a search that cannot find anything
would pass for ever.  It prints TAP.
"""
import base64
import glob
import os
import re
import subprocess
import sys
import tempfile

import corpus_lib

n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
    if not cond:
        failed += 1
    return cond


def diag(text):
    for line in str(text).splitlines():
        print("# " + line)


def b64_forms(data):
    """Base64 of data at the three byte alignments, trimmed so every form
    is text an encoder of a larger buffer would also produce."""
    out = []
    for k in range(3):
        enc = base64.b64encode(data[k:]).decode()
        core = enc[4:-4] if len(enc) > 12 else ""
        if len(core) >= 16:
            out.append(core[:48])
    return out


def hex_forms(data):
    h = data.hex()
    return [h, h.upper(), ":".join(h[i:i + 2] for i in range(0, len(h), 2))]


def raw_chunk(data, size=20):
    """A chunk of data without newline or NUL bytes (grep -F patterns are
    lines), or None."""
    for start in range(len(data) // 3, len(data) - size):
        c = data[start:start + size]
        if b"\n" not in c and b"\0" not in c and b"\r" not in c:
            return c
    return None


def key_numbers(path):
    """The secret numbers of a private key file, as bytes (OpenSSL's text
    dump: privateExponent, prime1/2 for RSA; priv for EC/EdDSA)."""
    try:
        text = subprocess.run(["openssl", "pkey", "-in", path, "-noout", "-text",
                               "-passin", "pass:"], capture_output=True, timeout=30,
                              check=False).stdout.decode(errors="replace")
    except (OSError, subprocess.SubprocessError):
        return []
    nums, cur = [], None
    for line in text.splitlines():
        m = re.match(r"^(privateExponent|prime1|prime2|priv):", line)
        if m:
            cur = []
            nums.append(cur)
            continue
        if cur is not None and re.match(r"^\s+[0-9a-f:]+$", line):
            cur.append(line.strip())
        else:
            cur = None
    out = []
    for parts in nums:
        h = "".join(parts).replace(":", "")
        if h.startswith("00"):
            h = h[2:]
        if len(h) >= 32:
            out.append(bytes.fromhex(h))
    return out


def key_der(path):
    try:
        return subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER",
                               "-passin", "pass:"], capture_output=True, timeout=30,
                              check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return b""


class Needles:
    def __init__(self):
        self.by_text = {}   # needle bytes -> "secret (form)"
        self.short = []

    def add(self, needle, label):
        if isinstance(needle, str):
            needle = needle.encode()
        if needle and len(needle) >= 12 and b"\n" not in needle:
            self.by_text.setdefault(needle, label)

    def add_bytes(self, data, label):
        """A secret byte string in its raw, hex and base64 forms."""
        c = raw_chunk(data, 20) if len(data) > 24 else data
        if c is not None and len(c) >= 12:
            self.add(c, label + " (raw)")
        part = data[:24]
        for h in hex_forms(part):
            self.add(h, label + " (hex)")
        for b in b64_forms(data[:64]):
            self.add(b, label + " (base64)")

    def add_key(self, path, label):
        with open(path, "rb") as f:
            text = f.read()
        nums = key_numbers(path)
        for i, num in enumerate(nums):
            self.add_bytes(num, "%s secret number %d" % (label, i))
        der = key_der(path)
        if der:
            mid = der[len(der) // 2:len(der) // 2 + 24]
            c = raw_chunk(der)
            if c:
                self.add(c, label + " DER (raw)")
            for h in hex_forms(mid)[:2]:
                self.add(h, label + " DER (hex)")
        # the PEM body itself (base64 of the DER, encrypted or not)
        lines = [l for l in text.splitlines() if re.match(rb"^[A-Za-z0-9+/]{60,}$", l)]
        if lines:
            self.add(lines[len(lines) // 2], label + " PEM body (base64)")
        return bool(nums or lines)

    def add_passphrase(self, path, label):
        with open(path, "rb") as f:
            phrase = f.read().split(b"\n")[0].rstrip(b"\r")
        if len(phrase) < 10:
            self.short.append(label)
            return False
        self.add(phrase, label + " (raw)")
        for h in hex_forms(phrase)[:2]:
            self.add(h, label + " (hex)")
        self.add(base64.b64encode(phrase).decode().rstrip("="), label + " (base64)")
        return True

    def add_plaintext(self, path, label):
        with open(path, "rb") as f:
            data = f.read()
        count = 0
        for line in data.replace(b"\r", b"").split(b"\n"):
            if len(line) < 16 or re.match(rb"^[A-Za-z0-9-]+:", line):
                continue
            self.add(line, label + " (raw)")
            self.add(line.hex(), label + " (hex)")
            for b in b64_forms(line):
                self.add(b, label + " (base64)")
            count += 1
        return count > 0


def classify(path):
    name = os.path.basename(path)
    if name.endswith(".pass") or name == "passwd.txt":
        return "pass"
    if name.endswith(".p12") or name.endswith(".pfx"):
        return "p12"
    try:
        with open(path, "rb") as f:
            head = f.read(200000)
    except OSError:
        return None
    if b"PRIVATE KEY-----" in head:
        return "key"
    if name.endswith(".key"):
        return "key"
    return "plain"


def main():
    builddir = os.environ.get("top_builddir", ".")
    srcdir = os.environ.get("top_srcdir", ".")
    evidence = os.environ.get("SMIME_EVIDENCE", os.path.join(builddir, "tests", "evidence"))
    me = os.environ.get("SELF_LOG", "")

    needles = Needles()
    kinds = {"key": 0, "p12": 0, "pass": 0, "plain": 0}
    secret_files = glob.glob(os.path.join(evidence, "*", "secrets", "*"))
    static = []
    for root in [os.path.join(srcdir, "tests", "data")] + corpus_lib.roots():
        for dirpath, _, files in os.walk(root):
            for f in files:
                p = os.path.join(dirpath, f)
                k = classify(p)
                if k in ("key", "p12", "pass"):
                    static.append(p)
    for p in secret_files + static:
        k = classify(p)
        if k is None:
            continue
        label = os.path.relpath(p, evidence) if p.startswith(evidence) else p
        if k == "key":
            got = needles.add_key(p, label)
        elif k == "p12":
            with open(p, "rb") as f:
                needles.add_bytes(f.read(), label)
            got = True
        elif k == "pass":
            got = needles.add_passphrase(p, label)
        else:
            got = needles.add_plaintext(p, label)
        if got:
            kinds[k] += 1

    logs = glob.glob(os.path.join(evidence, "*", "logs", "*"))
    logs += [p for p in glob.glob(os.path.join(builddir, "tests", "*.log"))
             if os.path.abspath(p) != os.path.abspath(me)
             and not p.endswith("/test-suite.log")
             and not os.path.basename(p).startswith("secrets_in_logs")]
    logs = [p for p in logs if os.path.isfile(p)]
    total = sum(os.path.getsize(p) for p in logs)
    diag("secrets: %d private keys, %d PKCS#12 files, %d passphrases, %d plaintexts -> %d needles"
         % (kinds["key"], kinds["p12"], kinds["pass"], kinds["plain"], len(needles.by_text)))
    diag("logs: %d files, %d bytes" % (len(logs), total))
    if needles.short:
        diag("passphrases under 10 characters, too common to search for: %d (%s ...)"
             % (len(needles.short), ", ".join(needles.short[:3])))
    ok(kinds["key"] >= 5, "the suite left private keys to look for (%d)" % kinds["key"])
    ok(kinds["pass"] >= 1, "the suite left a passphrase to look for (%d)" % kinds["pass"])
    ok(kinds["plain"] >= 1, "the suite left plaintext it had encrypted (%d)" % kinds["plain"])
    ok(any("/logs/" in p for p in logs) and total > 0,
       "the suite left program logs to search (%d files)" % len(logs))

    with tempfile.TemporaryDirectory() as tmp:
        pat = os.path.join(tmp, "needles")
        items = sorted(needles.by_text.items())
        with open(pat, "wb") as f:
            for k, _ in items:
                f.write(k + b"\n")

        # The control: one needle of every form planted in a scratch log.
        planted = {}
        for k, label in items:
            form = label.rsplit("(", 1)[-1].rstrip(")")
            planted.setdefault(form, k)
        ctl = os.path.join(tmp, "control.log")
        with open(ctl, "wb") as f:
            for form, k in planted.items():
                f.write(b"smime-milter: something " + k + b" trailing\n")
        found = grep(pat, [ctl])
        ok(set(found_needles(found)) >= set(planted.values())
           and set(planted) >= {"raw", "hex", "base64"},
           "the search finds a planted secret in each form (%s)"
           % ", ".join(sorted(planted)))

        hits = grep(pat, logs)
    leaks = {}
    for path, needle in hits:
        leaks.setdefault(needles.by_text.get(needle, "?"), set()).add(path)
    ok(not leaks, "no key, passphrase or decrypted text in %d log files" % len(logs))
    for label, paths in sorted(leaks.items())[:20]:
        diag("LEAK %s in %s" % (label, ", ".join(sorted(paths)[:3])))
    print("1..%d" % n)
    return 1 if failed else 0


def grep(patfile, files):
    """(file, needle) pairs for every occurrence, by grep -F (Aho-Corasick)."""
    out = []
    for i in range(0, len(files), 200):
        # LC_ALL=C: the needles are bytes, and in a UTF-8 locale grep -F
        # with thousands of them is some fifty times slower.
        r = subprocess.run(["grep", "-a", "-F", "-o", "-H", "-f", patfile, "--"]
                           + files[i:i + 200], capture_output=True, check=False,
                           env=dict(os.environ, LC_ALL="C"))
        if r.returncode > 1:
            print("Bail out! grep failed: " + r.stderr.decode(errors="replace"))
            sys.exit(1)
        for line in r.stdout.split(b"\n"):
            if not line:
                continue
            for f in files[i:i + 200]:
                fb = f.encode() + b":"
                if line.startswith(fb):
                    out.append((f, line[len(fb):]))
                    break
    return out


def found_needles(pairs):
    return [n for _, n in pairs]


if __name__ == "__main__":
    sys.exit(main())
