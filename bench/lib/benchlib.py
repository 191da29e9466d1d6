"""Helpers for bench/run: CPU accounting from /proc, wrk output parsing, the report.

    benchlib.py freeport                      print a free loopback TCP port
    benchlib.py cpu PID...                    print utime+stime (ms) of the PIDs and their children
    benchlib.py cpu2 PID...                   print two figures: the PIDs with their children, and
                                              the children alone (gantry's plugin servers)
    benchlib.py record OUT.jsonl k=v... -- WRKOUT CPU0 CPU1 UPCPU0 UPCPU1
                                              parse one wrk run, append one JSON line; the
                                              optional k=v status0/status1 (GET /status before and
                                              after) and plugin_cpu0/plugin_cpu1 add plugin fields
    benchlib.py report RUNS.jsonl OUT.json    medians per (scenario, connections), table, plugin
                                              targets + JSON
"""

import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def cpu_ms(pids, skip_roots=False):
    """utime+stime of each process (all its threads) and, recursively, of its children
    (skip_roots: of the children only)."""
    roots = set(pids) if skip_roots else set()
    seen, stack, total = set(), list(pids), 0.0
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if pid not in roots:
                total += (int(fields[11]) + int(fields[12])) * TICK_MS  # fields 14, 15 of stat(5)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        stack += children(pid)
    return total


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return v * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text):
    r = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None, "errors": 0,
         "non_2xx": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m:
        r["requests"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, text, re.M)
        if m:
            r[key] = to_ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        r["non_2xx"] = int(m.group(1))
    return r


def plugin_counters(before_path, after_path):
    """Deltas of gantry's plugin counters (GET /status) over one run: round trips per request
    ((phase_calls + fetches) / requests_with_plugins) and events per message (events_sent /
    batches_sent, summed over the servers)."""
    try:
        with open(before_path) as f:
            b = json.load(f)["plugins"]
        with open(after_path) as f:
            a = json.load(f)["plugins"]
    except (OSError, ValueError, KeyError):
        return {"plugin_round_trips_per_request": None, "plugin_events_per_message": None}
    d = lambda k: a.get(k, 0) - b.get(k, 0)  # noqa
    reqs = d("requests_with_plugins")
    rt = round((d("phase_calls") + d("fetches")) / reqs, 3) if reqs > 0 else None
    ev = bt = 0
    for name, sa in a.get("servers", {}).items():
        sb = b.get("servers", {}).get(name, {})
        ev += sa.get("events_sent", 0) - sb.get("events_sent", 0)
        bt += sa.get("batches_sent", 0) - sb.get("batches_sent", 0)
    return {"plugin_round_trips_per_request": rt,
            "plugin_events_per_message": round(ev / bt, 3) if bt > 0 else None,
            "plugin_requests": reqs, "plugin_events": ev, "plugin_batches": bt,
            "plugin_timeouts": d("timeouts"), "plugin_failures": d("failures")}


def record(args):
    out = args[0]
    sep = args.index("--")
    meta = dict(a.split("=", 1) for a in args[1:sep])
    wrkout, c0, c1, u0, u1 = args[sep + 1:sep + 6]
    with open(wrkout) as f:
        r = parse_wrk(f.read())
    r.update(meta)
    r["connections"] = int(r["connections"])
    n = r["requests"] or 0
    per_1k = lambda a, b: round((float(b) - float(a)) / n * 1000.0, 3) if n else None  # noqa
    r["proxy_cpu_ms_per_1k"] = per_1k(c0, c1) if c0 != "-" else None
    r["upstream_cpu_ms_per_1k"] = per_1k(u0, u1)
    plugins = ""
    if "status0" in r:
        r.update(plugin_counters(r.pop("status0"), r.pop("status1")))
        k0, k1 = r.pop("plugin_cpu0", "-"), r.pop("plugin_cpu1", "-")
        r["plugin_cpu_ms_per_1k"] = per_1k(k0, k1) if k0 != "-" and k1 != "-" else None
        plugins = "  (plugin cpu %s ms/1k, %s round trips/req, %s events/msg)" % (
            r["plugin_cpu_ms_per_1k"], r["plugin_round_trips_per_request"],
            r["plugin_events_per_message"])
    with open(out, "a") as f:
        f.write(json.dumps(r) + "\n")
    print("    %-18s c=%-3d %9.0f req/s  p50 %6.3f ms  p99 %6.3f ms  proxy cpu %s ms/1k%s%s" % (
        r["scenario"], r["connections"], r["rps"] or 0, r["p50_ms"] or 0, r["p99_ms"] or 0,
        r["proxy_cpu_ms_per_1k"], plugins,
        ("  ERRORS %d non-2xx %d" % (r["errors"], r["non_2xx"]))
        if r["errors"] or r["non_2xx"] else ""), flush=True)


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            model = m.group(1) if m else ""
    except OSError:
        pass

    def version(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None
    return {"kernel": platform.release(), "cpus": os.cpu_count(), "cpu_model": model,
            "nginx": version(["nginx", "-v"]), "wrk": version(["wrk", "-v"]),
            "hostname": platform.node(), "loadavg_at_report": os.getloadavg()}


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def report(args):
    runs_path, out_path = args[0], args[1]
    with open(runs_path) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    groups = {}
    for r in runs:
        groups.setdefault((r["scenario"], r["connections"]), []).append(r)
    order = []
    for r in runs:
        if (r["scenario"], r["connections"]) not in order:
            order.append((r["scenario"], r["connections"]))
    results = []
    for key in order:
        rs = groups[key]
        results.append({
            "scenario": key[0], "connections": key[1], "workers": int(rs[0].get("workers", 1)),
            "rps": median([r["rps"] for r in rs]),
            "p50_ms": median([r["p50_ms"] for r in rs]),
            "p99_ms": median([r["p99_ms"] for r in rs]),
            "proxy_cpu_ms_per_1k": median([r["proxy_cpu_ms_per_1k"] for r in rs]),
            "upstream_cpu_ms_per_1k": median([r["upstream_cpu_ms_per_1k"] for r in rs]),
            "errors": sum(r["errors"] + r["non_2xx"] for r in rs),
            "repeats": len(rs), "duration_s": float(rs[0].get("duration", 0)),
            "rps_runs": [r["rps"] for r in rs],
        })
        if any("plugin_round_trips_per_request" in r for r in rs):
            for k in ("plugin_cpu_ms_per_1k", "plugin_round_trips_per_request",
                      "plugin_events_per_message"):
                results[-1][k] = median([r.get(k) for r in rs])
            results[-1]["plugin_timeouts"] = sum(r.get("plugin_timeouts") or 0 for r in rs)
            results[-1]["plugin_failures"] = sum(r.get("plugin_failures") or 0 for r in rs)
    by = {(r["scenario"], r["connections"]): r for r in results}
    fmt = lambda v, f: (f % v) if v is not None else "-"  # noqa
    print()
    print("%-18s %5s %9s %8s %8s %12s %8s %9s %12s %7s %7s %6s" % (
        "scenario", "conns", "req/s", "p50 ms", "p99 ms", "proxy cpu/1k", "vs nginx",
        "vs gantry", "plugin cpu/1k", "rt/req", "ev/msg", "errors"))
    for r in results:
        ng = by.get(("nginx", r["connections"]))
        ga = by.get(("gantry", r["connections"]))
        ratio = lambda o: ("%.2fx" % (r["rps"] / o["rps"])) if o and o["rps"] and r["rps"] else "-"  # noqa
        print("%-18s %5d %9s %8s %8s %12s %8s %9s %12s %7s %7s %6d" % (
            r["scenario"], r["connections"], fmt(r["rps"], "%.0f"), fmt(r["p50_ms"], "%.3f"),
            fmt(r["p99_ms"], "%.3f"), fmt(r["proxy_cpu_ms_per_1k"], "%.1f ms"), ratio(ng),
            ratio(ga), fmt(r.get("plugin_cpu_ms_per_1k"), "%.1f ms"),
            fmt(r.get("plugin_round_trips_per_request"), "%.2f"),
            fmt(r.get("plugin_events_per_message"), "%.2f"), r["errors"]))
    targets = plugin_targets(by)
    if targets:
        print("\nplugin targets (issues):")
        for t in targets:
            print("  %-46s %10s   target %s %-8s %s" % (
                t["name"], fmt(t["value"], "%.3f"), t["op"], t["target"],
                {True: "met", False: "MISSED", None: "-"}[t["met"]]))
    meta = runs[0] if runs else {}
    doc = {"results": results, "machine": machine(),
           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "mode": meta.get("mode"), "workers": int(meta.get("workers", 1)),
           "gantry_commit": meta.get("commit"), "targets": targets}
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("\nwritten: %s" % out_path)


# The targets the plugin issues set: (name, scenario, measure, op, target). "rps_ratio": the
# scenario's req/s over gantry's (no plugins) at 50 connections; "p50_delta_us": its p50 minus
# gantry's at 1 connection, in microseconds.
TARGETS = [
    ("go-hello rps / gantry rps @50", "gantry+go-hello", "rps_ratio", ">=", 0.75),
    ("go-3plugins rps / gantry rps @50", "gantry+go-3plugins", "rps_ratio", ">=", 0.7),
    ("go-log rps / gantry rps @50", "gantry+go-log", "rps_ratio", ">=", 0.9),
    ("cpp-plugin rps / gantry rps @50", "gantry+cpp-plugin", "rps_ratio", ">=", 0.8),
    ("go-hello p50 - gantry p50 @1 (us)", "gantry+go-hello", "p50_delta_us", "<=", 150),
]


def plugin_targets(by):
    out = []
    for name, scen, measure, op, target in TARGETS:
        if measure == "rps_ratio":
            a, b = by.get((scen, 50)), by.get(("gantry", 50))
            value = a["rps"] / b["rps"] if a and b and a["rps"] and b["rps"] else None
        else:
            a, b = by.get((scen, 1)), by.get(("gantry", 1))
            value = ((a["p50_ms"] - b["p50_ms"]) * 1000.0
                     if a and b and a["p50_ms"] is not None and b["p50_ms"] is not None else None)
        if a is None:  # the scenario was not run
            continue
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        out.append({"name": name, "scenario": scen, "measure": measure,
                    "value": round(value, 3) if value is not None else None, "op": op,
                    "target": target, "met": met})
    return out


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "freeport":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
        s.close()
    elif cmd == "cpu":
        print("%.1f" % cpu_ms([int(p) for p in args]))
    elif cmd == "cpu2":
        pids = [int(p) for p in args]
        print("%.1f %.1f" % (cpu_ms(pids), cpu_ms(pids, skip_roots=True)))
    elif cmd == "record":
        record(args)
    elif cmd == "report":
        report(args)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
