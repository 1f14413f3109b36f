#!/usr/bin/env python3
"""targets.py OUT - issue 19's targets against what contrib/bench/run
measured into OUT (floor, direct, pipeline): one line per target with the
figures, the ratio, the target ratio and met / MISSED (by how much)."""
import sys

out = sys.argv[1]


def read(name):
    try:
        with open("%s/%s" % (out, name)) as f:
            return [l.split() for l in f if l.strip()]
    except OSError:
        return []


floor = {w[0]: float(w[1]) for w in read("floor") if len(w) >= 2 and w[1] != "failed"}
direct, scale, cpus = {}, {}, None
for w in read("direct"):
    if w[0] == "median" and w[2] != "failed":
        direct[w[1]] = float(w[2])
    elif w[0] == "scale" and w[3] != "failed":
        scale[(w[1], w[2])] = (float(w[3]), float(w[4]), float(w[5]))
    elif w[0] == "cpus":
        cpus = w[3]
pipe = {(w[1], w[2]): float(w[3]) for w in read("pipeline") if w[0] == "median" and w[3] != "failed"}
milter_cores = 1 if cpus not in (None, "all") else 2

rows = []


def target(name, got, base, want, what):
    if got is None or base is None or base == 0:
        rows.append("%-44s %s" % (name, "not measured"))
        return
    r = got / base
    verdict = "met" if r >= want else "MISSED by %.0f%%" % (100 * (want - r) / want)
    rows.append("%-44s %9.1f / %9.1f = %5.2fx (target >= %.2fx) %s  [%s]" % (
        name, got, base, r, want, verdict, what))


u, i = lambda c: pipe.get(("unix", c)), lambda c: pipe.get(("inet", c))
target("pipeline unix: pass-through vs no milter", u("pass"), u("none"), 0.85, "msg/s")
target("pipeline unix: verify vs own pass-through", u("verify"), u("pass"), 0.9, "msg/s")
target("pipeline unix: sign vs OpenDKIM signing", u("sign"), u("opendkim"), 1.2, "msg/s")
target("pipeline unix: re-encrypt vs no milter", u("reencrypt"), u("none"), 0.3, "msg/s")
for c in ("pass", "verify", "sign", "reencrypt"):
    target("pipeline inet: %s vs its unix figure" % c, i(c), u(c), 0.8, "msg/s")
target("pipeline inet: sign vs OpenDKIM over inet", i("sign"), i("opendkim"), 2.0, "msg/s")
g = floor.get("rsa2048-sign-gnutls")
target("direct: sign vs GnuTLS RSA-2048 sign x %d core" % milter_cores, direct.get("sign"),
       g * milter_cores if g else None, 0.8, "msg/s vs sign/s")
target("direct: verify vs 5,000 msg/s", direct.get("verify"), 5000.0, 1.0, "msg/s")
d = floor.get("rsa2048-decrypt-gnutls")
target("direct: re-encrypt vs its floor (unwrap/s / 3)", direct.get("reencrypt"),
       d * milter_cores / 3 if d else None, 0.5, "msg/s vs floor")
target("direct: re-encrypt x10 vs its floor (/ 30)", direct.get("reencrypt10"),
       d * milter_cores / 30 if d else None, 0.5, "msg/s vs floor")
target("direct: sign vs OpenDKIM signing", direct.get("sign"), direct.get("opendkim"), 1.0, "msg/s")
for c in ("sign", "verify", "reencrypt"):
    one, fifty = scale.get((c, "1m")), scale.get((c, "50m"))
    if one and fifty:
        # time per message: 50 MB must cost <= 1.2 x fifty 1 MB messages
        target("scaling %s: 50 x 1 MB vs one 50 MB (time)" % c, 50 * one[0], fifty[0], 1 / 1.2, "s")
    else:
        rows.append("%-44s %s" % ("scaling %s: 50 MB vs 50 x 1 MB" % c, "not measured"))
    if fifty:
        rows.append("%-44s %9.1f MiB peak anonymous above idle (target < 64) %s" % (
            "scaling %s: memory at 50 MB" % c, fifty[2], "met" if fifty[2] < 64 else "MISSED"))
print("\n".join(rows))
