"""corpus_lib.py - where the Python tests find a corpus file: the same
rules as corpus() in tests/lib.sh, whose settings it reads from the
environment (the tests/*.sh wrappers source lib.sh, which exports them);
and inspect_all, which runs `smime-tool inspect` over many of them.

CORPUS_DIR is tests/corpus.  The folders it leaves out (CORPUS_LEFT_OUT; no
licence, tests/corpus/README) come from FULL_CORPUS_DIR, a full copy of the
shared corpus (configure --with-corpus=DIR); without one, the checks that
need them are skipped.
"""
import concurrent.futures
import os
import shlex
import subprocess
import sys
import tempfile

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


class Run:
    """What one `smime-tool inspect` run gave: returncode, stdout, stderr
    (bytes), like subprocess.CompletedProcess."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _one(tool, args):
    p = subprocess.run([tool, "inspect"] + args, capture_output=True,
                       timeout=600)
    return Run(p.returncode, p.stdout, p.stderr)


def _batch(driver, runner, requests, tmp, k):
    """Runs REQUESTS (index, args) through one tests/inspect_batch process
    (under RUNNER, valgrind in make check-valgrind): {index: Run}."""
    lines = []
    for i, args in requests:
        if any(c in a for a in args for c in "\t\n"):
            raise SystemExit("Bail out! a tab or newline in %r" % args)
        lines.append("\t".join([os.path.join(tmp, str(i))] + args) + "\n")
    p = subprocess.run(runner + [driver], input="".join(lines).encode(),
                       capture_output=True, timeout=3600)
    statuses = p.stdout.decode().split()
    if p.returncode != 0 or len(statuses) != len(requests):
        raise SystemExit("Bail out! inspect_batch %d: exit %d, %d of %d runs: %s"
                         % (k, p.returncode, len(statuses), len(requests),
                            p.stderr.decode(errors="replace")[-500:]))
    runs = {}
    for (i, _), st in zip(requests, statuses):
        out = os.path.join(tmp, str(i))
        with open(out, "rb") as f, open(out + ".err", "rb") as e:
            runs[i] = Run(int(st), f.read(), e.read())
    return runs


def inspect_all(arglists):
    """`smime-tool inspect ARGS...` for every ARGS of ARGLISTS (None: no
    run, None back), on every CPU; a list of Run in the same order.

    Normally each is a process of its own (SMIME_TOOL).  With
    INSPECT_BATCH set (make check-valgrind), they are shared out among one
    tests/inspect_batch process per CPU, run under SMIME_TOOL_RUNNER: the
    same tool_inspect() on the same files, one valgrind start-up per
    process instead of one per file.  Their standard error goes to
    SMIME_TOOL_LOG as tests/logged_tool's would."""
    jobs = os.cpu_count() or 2
    todo = [(i, a) for i, a in enumerate(arglists) if a is not None]
    driver = os.environ.get("INSPECT_BATCH", "")
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        if not driver:
            tool = os.environ["SMIME_TOOL"]
            done = dict(zip([i for i, _ in todo],
                            pool.map(lambda r: _one(tool, r[1]), todo)))
        else:
            runner = shlex.split(os.environ.get("SMIME_TOOL_RUNNER", ""))
            with tempfile.TemporaryDirectory() as tmp:
                shares = [todo[k::jobs] for k in range(jobs)]
                done = {}
                for part in pool.map(
                        lambda k: _batch(driver, runner, shares[k], tmp, k),
                        [k for k in range(jobs) if shares[k]]):
                    done.update(part)
            log = os.environ.get("SMIME_TOOL_LOG")
            if log:
                with open(log, "ab") as f:
                    for i, _ in todo:
                        f.write(done[i].stderr)
    return [done.get(i) for i in range(len(arglists))]
