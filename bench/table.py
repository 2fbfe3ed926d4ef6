#!/usr/bin/env python3
"""table.py prints the table of a compare.sh run from its results folder:
for each figure, the median over the rounds, Parley's beside the peer's,
their ratio, and the issue's target for it, in Markdown, so that it can go
into docs/performance.md as it is.

    bench/table.py RESULTS_DIR

compare.sh calls it at the end of a run, and writes the run's settings to
RESULTS_DIR/run.env, which this reads; variables of the environment win.
"""
import glob, json, os, statistics, sys

def load_settings(folder):
    path = os.path.join(folder, "run.env")
    if os.path.exists(path):
        for line in open(path):
            key, sep, value = line.rstrip("\n").partition("=")
            if sep and key not in os.environ:
                os.environ[key] = value

load_settings(sys.argv[1])

runs = {}  # (scenario, target) -> one list of result lines per round
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.jsonl"))):
    scenario, target, _round = os.path.basename(path)[: -len(".jsonl")].split(".")
    lines = [json.loads(l) for l in open(path) if l.startswith("{")]
    runs.setdefault((scenario, target), []).append(lines)

def field(row, name):
    if name.startswith("extra."):
        return (row.get("extra") or {}).get(name[len("extra."):])
    return row.get(name)

def median(scenario, target, name, label=None):
    """The median over rounds of a field of the line with label (or the first line)."""
    vals = []
    for lines in runs.get((scenario, target), []):
        rows = [r for r in lines if label is None or r.get("label") == label]
        if rows and field(rows[0], name) is not None:
            vals.append(field(rows[0], name))
    return statistics.median(vals) if vals else None

def labels(scenario, target):
    seen = []
    for lines in runs.get((scenario, target), []):
        for r in lines:
            if r.get("label") not in seen:
                seen.append(r.get("label"))
    return seen

def num(v, unit=""):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    if abs(v) >= 10:
        return f"{v:.1f}{unit}"
    return f"{v:.2f}{unit}"

rows = []

def row(scenario, metric, p, q, target="", met=None, unit=""):
    ratio = f"{p / q:.3g}×" if p is not None and q else "–"
    verdict = {True: "yes", False: "**no**", None: ""}[met]
    rows.append((scenario, metric, num(p, unit), num(q, unit), ratio, target, verdict))

def both(*v):
    return all(x is not None for x in v)

if ("send", "parley") in runs or ("send", "dendrite") in runs:
    p, d = median("send", "parley", "extra.best_rate", "best"), median("send", "dendrite", "extra.best_rate", "best")
    met = p >= 50 * d and p >= 10000 if both(p, d) and d > 0 else None
    row("send", "sustained msg/s (Parley p99 ≤ 20 ms; Dendrite p99 ≤ %s)" % os.environ["DENDRITE_SEND_SLO"],
        p, d, "≥ 50× and ≥ 10,000/s", met)
    row("send", "p99 at that rate, ms", median("send", "parley", "p99_ms", "best") if p else None,
        median("send", "dendrite", "p99_ms", "best") if d else None)
    # The step each server stopped at in round 1: the one it failed, or
    # the last of the list.
    failed = []
    for t in ("parley", "dendrite"):
        rounds = runs.get(("send", t), [])
        steps = [r for r in rounds[0] if r["label"] != "best"] if rounds else []
        if steps:
            last = steps[-1]
            failed.append(f"{t} {last['label']}: p99 {num(last['p99_ms'])} ms, {last['errors']:,} errors")
    if failed:
        rows.append(("send", "last step (round 1)", "; ".join(failed), "", "", "", ""))

if ("fanout", "parley") in runs or ("fanout", "centrifugo") in runs:
    n = int(os.environ["FANOUT_RECEIVERS"])
    best = {}
    for label in labels("fanout", "parley") or labels("fanout", "centrifugo"):
        p, c = median("fanout", "parley", "p99_ms", label), median("fanout", "centrifugo", "p99_ms", label)
        row("fanout", f"p99 ms, {label} to {n:,} receivers", p, c, "≤ Centrifugo",
            p <= c if both(p, c) else None)
        for t in ("parley", "centrifugo"):
            rate, p99 = median("fanout", t, "rate", label), median("fanout", t, "p99_ms", label)
            lost = median("fanout", t, "extra.lost", label) or 0
            if both(rate, p99) and p99 <= 50 and lost == 0:
                best[t] = max(best.get(t, 0), rate)
    p, c = best.get("parley"), best.get("centrifugo")
    top = n * max(float(r) for r in os.environ["FANOUT_RATES"].split(","))
    if top >= 50000:
        row("fanout", "deliveries/s with p99 ≤ 50 ms, none lost", p, c, "≥ 50,000/s", (p or 0) >= 50000)
    else:
        row("fanout", "deliveries/s with p99 ≤ 50 ms, none lost", p, c,
            f"≥ 50,000/s (this run offers at most {top:,.0f}/s)")
    for t in ("parley", "centrifugo"):
        lost = sum(field(r, "extra.lost") or 0 for ls in runs.get(("fanout", t), []) for r in ls)
        if lost:
            rows.append(("fanout", f"{t}: deliveries lost", f"{lost:,.0f}", "", "", "", ""))

if ("idle", "parley") in runs or ("idle", "centrifugo") in runs:
    p, c = median("idle", "parley", "extra.kb_per_conn"), median("idle", "centrifugo", "extra.kb_per_conn")
    size = (labels("idle", "parley") or labels("idle", "centrifugo"))[0]
    row("idle", f"server memory per connection, KiB ({size})",
        p, c, "≤ 0.5× Centrifugo", p <= 0.5 * c if both(p, c) else None)

if ("history", "parley") in runs or ("history", "dendrite") in runs:
    for label in labels("history", "parley") or labels("history", "dendrite"):
        p, d = median("history", "parley", "p99_ms", label), median("history", "dendrite", "p99_ms", label)
        row("history", f"p99 ms, newest 50, {label} reads", p, d, "≤ 2 ms and ≤ 1/20 Dendrite",
            p <= 2 and p <= d / 20 if both(p, d) else None)
        row("history", f"p50 ms, newest 50, {label} reads", median("history", "parley", "p50_ms", label),
            median("history", "dendrite", "p50_ms", label))
    row("history", "messages in the room", median("history", "parley", "extra.messages"),
        median("history", "dendrite", "extra.messages"))

if ("connect", "parley") in runs or ("connect", "centrifugo") in runs:
    p, c = median("connect", "parley", "rate"), median("connect", "centrifugo", "rate")
    row("connect", "connections/s", p, c, "≥ 1× Centrifugo", p >= c if both(p, c) else None)
    row("connect", "p99 ms of a connection", median("connect", "parley", "p99_ms"),
        median("connect", "centrifugo", "p99_ms"))

if ("coldstart", "parley") in runs or ("coldstart", "centrifugo") in runs:
    p, c = median("coldstart", "parley", "p50_ms"), median("coldstart", "centrifugo", "p50_ms")
    row("coldstart", "start to ready, p50 ms", p, c, "≤ 0.2× Centrifugo", p <= 0.2 * c if both(p, c) else None)
    row("coldstart", "start to ready, max ms", median("coldstart", "parley", "max_ms"),
        median("coldstart", "centrifugo", "max_ms"))

# Runs during which other processes used a tenth of a CPU or more.
shared = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.others"))):
    worst = max(float(l) for l in open(path) if l.strip())
    if worst >= 0.1:
        shared.append(f"{os.path.basename(path)[:-len('.others')]} ({worst:.2f} CPU)")

errors = []
for (scenario, target), rounds in sorted(runs.items()):
    n = sum(r.get("errors", 0) for ls in rounds for r in ls)
    if n:
        first = next(r["first_error"] for ls in rounds for r in ls if r.get("first_error"))
        errors.append(f"{scenario}/{target}: {n} errors, first: {first}")

env = os.environ
print(f"## Parley vs peers, {env['MODE']} mode, {env['ROUNDS']} round(s)\n")
print(f"- Date: {__import__('datetime').datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
      f"the whole run took {int(env['ELAPSED']) // 60} min {int(env['ELAPSED']) % 60} s")
print(f"- Machine: {env['MACHINE_NPROC']} CPUs, {env['MACHINE_CPU']}, Linux {env['MACHINE_KERNEL']}, {env['MACHINE_GO']}")
print(f"- Parley {env['PARLEY_COMMIT']}; Centrifugo {env['CENTRIFUGO_BUILT']}; Dendrite {env['DENDRITE_BUILT']}")
print("- Each figure is the median over the rounds; the server ran on CPU 1, the load tool on CPU 0\n")
head = ("Scenario", "Metric", "Parley", "Peer", "Parley/peer", "Target", "Met")
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" for _ in head) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("Peers: Dendrite for send and history, Centrifugo for the others. Every Centrifugo")
print("connection authenticates with an HS256 token of its own, as every Parley connection does;")
print("Centrifugo looks up no user and stores nothing, and its publisher uses the HTTP API")
print("without a key. Parley's fan-out latency includes writing each message to disk first.")
print("Dendrite's room is seeded over its API and is smaller than Parley's (see 'messages in")
print("the room').")
for e in errors:
    print(f"\n- {e}")
if shared:
    print("\n- Runs during which other processes on the machine used CPU (their figures are"
          " suspect; run again on a quiet machine): " + ", ".join(shared))
if env.get("FAILED_RUNS"):
    print(f"\n- Runs that failed (no figure): {env['FAILED_RUNS']}")
