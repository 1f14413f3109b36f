#!/usr/bin/python3
"""metrics_check.py - reads smime-milter's MetricsFile with the Prometheus
client's own text parser (python3-prometheus-client) for tests/metrics.sh.

  metrics_check.py check FILE [SERIES=N]...
      FILE parses, has every family SPEC 10 names, each with all its label
      values, and every counter is exactly N as listed, 0 when not listed
      (SERIES is NAME or NAME:LABEL=VALUE,LABEL=VALUE, without the
      smime_milter_ prefix); histograms are whole (+Inf bucket equals
      _count, buckets cumulative).  Prints what differs; exit 1 then.
  metrics_check.py get FILE SERIES
      prints the value of one series.
  metrics_check.py poll FILE STOPFILE
      reads FILE in a tight loop until STOPFILE exists, parsing every
      version it reads: each must parse, be whole and hold every family,
      no counter may go down, and no other name in FILE's directory may
      end in .prom; prints "reads=R versions=V bad=B" and the first
      problems.
  metrics_check.py grafana JSON FILE
      the dashboard JSON parses, takes its Prometheus datasource from a
      variable, and every smime_milter_ name its queries use is a series
      FILE has.
Exit 2 when prometheus_client is missing.
"""
import json
import os
import re
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("metrics_check: cannot import prometheus_client "
          "(apt-get install python3-prometheus-client)")
    sys.exit(2)

PREFIX = "smime_milter_"
STRENGTHS = ["weak", "legacy", "strong", "unknown"]
ENC_ACTIONS = ["none", "tagged", "reencrypted", "rejected", "tempfailed",
               "quarantined", "discarded", "kept"]
# family -> {label: values}: SPEC 10's label sets (man page, METRICS)
FAMILIES = {
    "messages": [{"dir": d} for d in ["inbound", "outbound"]],
    "signatures": [{"result": r} for r in ["pass", "fail", "policy", "neutral",
                                           "temperror", "permerror", "none"]],
    "encrypted": [{"strength": s, "action": a}
                  for s in STRENGTHS for a in ENC_ACTIONS]
    + [{"strength": "none", "action": "encrypted"}],
    "signed": [{"action": a} for a in ["signed", "kept"]],
    "actions": [{"action": a} for a in ["reject", "tempfail", "quarantine",
                                        "discard", "tag"]],
    "internal_errors": [{}],
    "ldap_lookups": [{"outcome": o} for o in ["found", "not-found", "cached",
                                              "error"]],
    "config_reloads_failed": [{}],
}


def key(name, labels):
    return name + ":" + ",".join("%s=%s" % kv for kv in sorted(labels.items()))


def parse(text):
    """{series key: value}, with the problems of a version that is not
    whole; raises on text the parser refuses."""
    values, problems, seen = {}, [], {}
    for fam in text_string_to_metric_families(text):
        seen[fam.name] = fam.type
        for s in fam.samples:
            values[key(s.name, s.labels)] = s.value
    for fam, sets in FAMILIES.items():
        if seen.get(PREFIX + fam) != "counter":
            problems.append("no counter family %s%s_total" % (PREFIX, fam))
        for labels in sets:
            k = key(PREFIX + fam + "_total", labels)
            if k not in values:
                problems.append("missing series " + k)
    if seen.get(PREFIX + "processing_seconds") != "histogram":
        problems.append("no histogram processing_seconds")
    if seen.get(PREFIX + "config_reload_timestamp_seconds") != "gauge":
        problems.append("no gauge config_reload_timestamp_seconds")
    hist = PREFIX + "processing_seconds"
    buckets = sorted((float(k.split("le=")[1]), v) for k, v in values.items()
                     if k.startswith(hist + "_bucket:"))
    if [v for _, v in buckets] != sorted(v for _, v in buckets):
        problems.append("buckets not cumulative")
    count = values.get(key(hist + "_count", {}))
    if not buckets or buckets[-1][0] != float("inf") or buckets[-1][1] != count:
        problems.append("the +Inf bucket is not _count")
    return values, problems


def series(arg):
    name, _, labels = arg.partition(":")
    return key(PREFIX + name, dict(kv.split("=", 1) for kv in labels.split(",")
                                   if kv))


def check(path, wants):
    values, problems = parse(open(path).read())
    want = {}
    for w in wants:
        s, _, n = w.rpartition("=")
        want[series(s)] = float(n)
    for k, v in sorted(values.items()):
        counted = k.split(":")[0].endswith("_total") or \
            k.split(":")[0].endswith("_seconds_count")
        if counted and v != want.get(k, 0.0):
            problems.append("%s is %g, expected %g" % (k, v, want.get(k, 0.0)))
    for k in want:
        if k not in values:
            problems.append("%s is not in the file" % k)
    print("\n".join(problems))
    return 1 if problems else 0


def poll(path, stop):
    reads = versions = bad = 0
    last_text, last, problems = None, {}, []
    d = os.path.dirname(path) or "."
    while not os.path.exists(stop):
        others = [n for n in os.listdir(d) if n.endswith(".prom")
                  and n != os.path.basename(path)]
        try:
            text = open(path).read()
        except FileNotFoundError:
            text = None
        reads += 1
        if others:
            bad += 1
            problems.append("the directory has %s" % others)
        if text is None:
            bad += 1
            problems.append("read %d: no file" % reads)
            continue
        if text == last_text:
            continue
        versions += 1
        last_text = text
        try:
            values, p = parse(text)
        except Exception as e:  # the parser refused it: a partial file
            values, p = {}, ["does not parse: %s" % e]
        for k, v in values.items():
            if k.endswith("_total") or "_total:" in k:
                if v < last.get(k, 0):
                    p.append("%s went down from %g to %g" % (k, last[k], v))
        if p:
            bad += 1
            problems += ["read %d: %s" % (reads, x) for x in p]
        last = values or last
    print("reads=%d versions=%d bad=%d" % (reads, versions, bad))
    for p in problems[:10]:
        print("# " + p)
    return 0


def grafana(path, metrics):
    dash = json.load(open(path))
    names = {k.split(":")[0] for k in parse(open(metrics).read())[0]}
    problems, exprs = [], []
    variables = [v for v in dash.get("templating", {}).get("list", [])
                 if v.get("type") == "datasource"
                 and v.get("query") == "prometheus"]
    if not variables:
        problems.append("no datasource variable of type prometheus")

    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    panels = list(walk(dash.get("panels", [])))
    for p in panels:
        for t in p.get("targets", []):
            exprs.append(t.get("expr", ""))
    if not exprs:
        problems.append("no queries")
    exprs += [v.get("definition", "") for v in
              dash.get("templating", {}).get("list", [])]
    for e in exprs:
        for n in re.findall(r"\b" + PREFIX + r"\w+", e):
            if n not in names:
                problems.append("unknown series %s in %s" % (n, e))
    print("panels=%d queries=%d" % (len(panels), len(exprs)))
    print("\n".join(problems))
    return 1 if problems else 0


def main(argv):
    if argv[1] == "check":
        return check(argv[2], argv[3:])
    if argv[1] == "get":
        v = parse(open(argv[2]).read())[0].get(series(argv[3]), -1)
        print(int(v) if v == int(v) else v)
        return 0
    if argv[1] == "poll":
        return poll(argv[2], argv[3])
    if argv[1] == "grafana":
        return grafana(argv[2], argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
