#!/usr/bin/python3
"""e2e_faults.py - the mail of tests/e2e_faults.sh: make it, send it, check it.

  gen DIR PREFIX N_PLAIN N_PLAIN_BIG N_SIGNED N_RC2 N_HUGE TEMPLATES
      writes DIR/NNNN.eml and DIR/manifest.tsv (message-id, kind, sha256
      of the body as SMTP carries it, spills, file).  Kinds: plain (small,
      kept in the milter's memory), plain-big (over 16K: spills), signed
      (TEMPLATES/signed.eml or signed-big.eml, alternately), rc2 (RC2-40
      to bob, TEMPLATES/rc2.eml) and huge (TEMPLATES/rc2-huge.eml, RC2-40
      too, several MB: last, listed in DIR/huge.tsv with the exact size
      of the body the milter receives, so the test can see when it has
      all of it).  The other kinds are shuffled (fixed seed).
  send PORT WORKERS RATE FILE...
      sends each FILE to 127.0.0.1:PORT over WORKERS parallel SMTP
      sessions, RATE messages a second in all (0: as fast as possible).
      Prints "sent N failed M"; exits 1 when one was not accepted.
  kill PID PORT TMPDIR FULL MODE TIMEOUT
      SIGKILLs the milter PID once it is in MODE (see kill_when).
  check SINKDIR KEYDIR INNER INNER-HUGE MANIFEST...
      reads every file smtp-sink wrote, and prints one "name value" line
      per figure (see the end) followed by "bad ..." lines.
"""
import hashlib
import os
import random
import re
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

RCPT = "bob@example.net"
SENDER = "carol@legacy.example"


def crlf(data):
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def split_message(data):
    """(headers, body) of a CRLF message, at the first empty line."""
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return data, b""
    return data[:i + 2], data[i + 4:]


def plain_body(n, size):
    rng = random.Random(n)
    words = [b"alpha", b"bravo", b"charlie", b"delta", b"echo", b"foxtrot",
             b"golf", b"hotel", b"india", b"juliet", b"kilo", b"lima"]
    lines = [b"Message %d of the fault test." % n]
    total = 0
    while total < size:
        line = b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
        lines.append(line)
        total += len(line) + 2
    return b"\r\n".join(lines) + b"\r\n"


def gen(outdir, prefix, n_plain, n_big, n_signed, n_rc2, n_huge, templates):
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(prefix)
    kinds = (["plain"] * n_plain + ["plain-big"] * n_big +
             ["signed"] * n_signed + ["rc2"] * n_rc2)
    rng.shuffle(kinds)
    kinds += ["huge"] * n_huge
    tpl = {}
    for name in ("signed.eml", "signed-big.eml", "rc2.eml", "rc2-huge.eml"):
        if os.path.exists(os.path.join(templates, name)):
            tpl[name] = crlf(open(os.path.join(templates, name), "rb").read())
    manifest = []
    huge = []
    for i, kind in enumerate(kinds, 1):
        mid = "<%s-%04d@faults.test>" % (prefix, i)
        head = (b"Message-ID: " + mid.encode() + b"\r\n" +
                b"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n")
        if kind in ("plain", "plain-big"):
            size = rng.randint(300, 6000) if kind == "plain" \
                else rng.randint(20000, 300000)
            msg = (head + b"From: <%s>\r\nTo: <%s>\r\n" % (SENDER.encode(), RCPT.encode()) +
                   b"Subject: fault test %s %d\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" %
                   (kind.encode(), i) + plain_body(i, size))
        elif kind == "signed":
            msg = head + tpl["signed-big.eml" if i % 3 == 0 else "signed.eml"]
        elif kind == "rc2":
            msg = head + tpl["rc2.eml"]
        else:
            msg = head + tpl["rc2-huge.eml"]
        _, body = split_message(msg)
        path = os.path.join(outdir, "%04d.eml" % i)
        open(path, "wb").write(msg)
        spills = len(body) > 16384
        manifest.append("%s\t%s\t%s\t%d\t%s" % (
            mid, kind, hashlib.sha256(body).hexdigest(), spills, path))
        if kind == "huge":
            huge.append("%s\t%d\t%s" % (mid, len(body), path))
    open(os.path.join(outdir, "manifest.tsv"), "w").write("\n".join(manifest) + "\n")
    open(os.path.join(outdir, "huge.tsv"), "w").write(
        "\n".join(huge) + ("\n" if huge else ""))


def send(port, workers, rate, files):
    lock = threading.Lock()
    todo = list(files)
    result = {"sent": 0, "failed": 0}
    start = time.monotonic()
    issued = [0]

    def take():
        with lock:
            if not todo:
                return None
            k = issued[0]
            issued[0] += 1
            f = todo.pop(0)
        if rate > 0:
            due = start + k / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
        return f

    def worker():
        s = None
        while True:
            f = take()
            if f is None:
                break
            data = open(f, "rb").read()
            for attempt in range(3):
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", port, "client.test", timeout=120)
                    s.sendmail(SENDER, [RCPT], data)
                    with lock:
                        result["sent"] += 1
                    break
                except (smtplib.SMTPException, OSError) as e:
                    try:
                        if s is not None:
                            s.close()
                    except OSError:
                        pass
                    s = None
                    if attempt == 2:
                        print("send %s: %s" % (f, e), file=sys.stderr)
                        with lock:
                            result["failed"] += 1
        if s is not None:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                pass

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("sent %d failed %d" % (result["sent"], result["failed"]))
    return 0 if result["failed"] == 0 else 1


HDR_END = re.compile(rb"\r?\n\r?\n")


def sink_message(path):
    """(headers, body) as delivered: smtp-sink's trace lines stay in the
    headers (they are header-like), its final empty line goes."""
    data = open(path, "rb").read()
    if data.endswith(b"\n\n"):
        data = data[:-1]
    elif data.endswith(b"\r\n\r\n"):
        data = data[:-2]
    return split_message(crlf(data))


def header_values(headers, name):
    out = []
    lines = headers.split(b"\r\n")
    key = name.lower().encode() + b":"
    i = 0
    while i < len(lines):
        if lines[i].lower().startswith(key):
            v = lines[i][len(key):]
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                v += b" " + lines[i].strip()
                i += 1
            out.append(b" ".join(v.split()).decode("ascii", "replace"))
        else:
            i += 1
    return out


def decrypts_to(path, keydir, want):
    with tempfile.NamedTemporaryFile() as out:
        r = subprocess.run(
            ["openssl", "cms", "-decrypt", "-binary", "-in", path,
             "-recip", os.path.join(keydir, "bob.pem"),
             "-inkey", os.path.join(keydir, "bob.key"), "-out", out.name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0 and open(out.name, "rb").read() == want


def check(sinkdir, keydir, inner_small, inner_huge, manifests):
    expect = {}
    for m in manifests:
        for line in open(m):
            if line.strip():
                mid, kind, sha, spills, path = line.rstrip("\n").split("\t")
                expect[mid] = (kind, sha, path)
    inner = open(inner_small, "rb").read()
    inner_huge = open(inner_huge, "rb").read()
    seen = {}
    bad = []
    files = sorted(os.listdir(sinkdir))
    ok = {"plain": 0, "plain-big": 0, "signed": 0, "rc2": 0, "huge": 0}
    for name in files:
        path = os.path.join(sinkdir, name)
        headers, body = sink_message(path)
        mids = header_values(headers, "Message-ID")
        if len(mids) != 1:
            bad.append("%s: %d Message-ID fields" % (name, len(mids)))
            continue
        mid = mids[0]
        seen.setdefault(mid, []).append(name)
        if mid not in expect:
            bad.append("%s: unexpected Message-ID %s" % (name, mid))
            continue
        if len(seen[mid]) > 1:
            continue
        kind, sha, src = expect[mid]
        ar = [v for v in header_values(headers, "Authentication-Results")
              if v.startswith("mx.test;")]
        enc = header_values(headers, "X-SMIME-Encryption")
        why = None
        if kind in ("plain", "plain-big"):
            if hashlib.sha256(body).hexdigest() != sha:
                why = "body changed"
            elif ar or enc:
                why = "the milter added fields to a plain message"
        elif kind == "signed":
            if hashlib.sha256(body).hexdigest() != sha:
                why = "signed body changed"
            elif len(ar) != 1 or not ar[0].startswith("mx.test; smime=pass "):
                why = "Authentication-Results: %r" % ar
        else:
            want = ("cipher=rc2-40-cbc; strength=weak; action=reencrypted; "
                    "new-cipher=aes-256-cbc")
            if not any(e.startswith(want) for e in enc):
                why = "X-SMIME-Encryption: %r" % enc
            else:
                plain = inner_huge if kind == "huge" else inner
                if not decrypts_to(path, keydir, plain):
                    why = "does not decrypt to the original inner entity"
        if why:
            bad.append("%s %s (%s): %s" % (name, mid, kind, why))
        else:
            ok[kind] += 1
    dups = [m for m, v in seen.items() if len(v) > 1]
    missing = [m for m in expect if m not in seen]
    print("files %d" % len(files))
    print("distinct %d" % len([m for m in seen if m in expect]))
    print("expected %d" % len(expect))
    print("duplicates %d" % len(dups))
    print("missing %d" % len(missing))
    for k in sorted(ok):
        print("ok-%s %d" % (k, ok[k]))
    print("ok-all %d" % sum(ok.values()))
    for m in dups[:10]:
        print("bad duplicate %s: %s" % (m, " ".join(seen[m])))
    for m in missing[:10]:
        print("bad missing %s (%s)" % (m, expect[m][0]))
    for b in bad[:20]:
        print("bad " + b)
    return 0


def milter_sessions(port):
    """Established TCP connections to 127.0.0.1:port (the milter's side)."""
    want = ":%04X" % port
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1].endswith(want) and fields[3] == "01":
                n += 1
    return n


def spill_sizes(pid, tmpdir):
    """{fd: size} of the milter's spill files (unlinked, in tmpdir)."""
    out = {}
    base = "/proc/%d/fd" % pid
    try:
        fds = os.listdir(base)
    except OSError:
        return out
    prefix = os.path.join(tmpdir, "smime-body.")
    for fd in fds:
        try:
            if os.readlink(os.path.join(base, fd)).startswith(prefix):
                out[fd] = os.stat(os.path.join(base, fd)).st_size
        except OSError:
            pass
    return out


def kill_when(pid, port, tmpdir, full, mode, timeout):
    """SIGKILLs pid once the milter is where mode says, and prints what
    was seen just before:
      eom      a spill file holds the whole body of a huge message (full
               bytes) and is still open 50 ms later: all of the body is
               in, the message is not freed yet, so end of message runs;
      body     a spill file holds part of such a body, more than 1 MB
               (nothing else is that big): it is arriving;
      session  some session is established.
    Exits 1 (killing nothing) when that is not seen within timeout s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sizes = spill_sizes(pid, tmpdir)
        hit = None
        if mode == "eom":
            for fd, size in sizes.items():
                if size == full:
                    time.sleep(0.05)
                    if spill_sizes(pid, tmpdir).get(fd) == full:
                        hit = "spill file of %d bytes complete and open" % size
                    break
        elif mode == "body":
            for fd, size in sizes.items():
                if 1 << 20 < size < full:
                    hit = "spill file at %d of %d bytes" % (size, full)
                    break
        elif milter_sessions(port) > 0:
            hit = "sessions established"
        if hit:
            sessions = milter_sessions(port)
            os.kill(pid, 9)
            print("phase=%s sessions=%d seen=%r" % (mode, sessions, hit))
            return 0
        time.sleep(0.005)
    print("phase=%s not seen within %ss" % (mode, timeout))
    return 1


def main(argv):
    if len(argv) == 8 and argv[1] == "kill":
        return kill_when(int(argv[2]), int(argv[3]), argv[4], int(argv[5]),
                         argv[6], float(argv[7]))
    if len(argv) >= 9 and argv[1] == "gen":
        gen(argv[2], argv[3], *[int(a) for a in argv[4:9]], argv[9])
        return 0
    if len(argv) >= 5 and argv[1] == "send":
        return send(int(argv[2]), int(argv[3]), float(argv[4]), argv[5:])
    if len(argv) >= 7 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4], argv[5], argv[6:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
