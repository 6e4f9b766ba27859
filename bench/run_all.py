"""Run the floor, the latency and the throughput benchmarks in sequence (each in its own
process, one after the other, nothing else of ours running) and print a summary:
metric, platform figure, floor figure, ratio, target.

    python bench/run_all.py [--runs 1000] [--duration 60] [--floor-duration 20] [--no-fsync]

Each script's full output is shown as it runs; the figures are also written as JSON
to bench/results/<timestamp>/ (git-ignored)."""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shlex  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from bench import common  # noqa: E402


def run_script(name: str, args: list[str], out_json: str, wait: float = 0.0) -> tuple[dict | None, str, float]:
    if wait > 0:
        share = common.wait_quiet(wait)
        if share >= 0.10:
            print(f"  (still {100 * share:.0f}% busy after {wait:g} s; running anyway)", flush=True)
    argv = [sys.executable, os.path.join(_BENCH, f"{name}.py"), *args, "--no-machine", "--json", out_json]
    cmd = shlex.join([os.path.relpath(a, common.ROOT) if a.startswith(common.ROOT) else a for a in argv])
    print(f"\n{'=' * 100}\n$ {cmd}\n  (load average before: {common.loadavg()})", flush=True)
    t = time.time()
    proc = subprocess.run(argv, cwd=common.ROOT)
    elapsed = time.time() - t
    if proc.returncode != 0:
        print(f"!! {name} failed with exit code {proc.returncode}", flush=True)
        return None, cmd, elapsed
    with open(out_json) as fh:
        return json.load(fh), cmd, elapsed


def _get(d: dict | None, *path, default=math.nan):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d if d is not None else default


def _fmt(v, unit: str) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "n/a"
    return f"{v:.1f} {unit}" if unit else f"{v:.2f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="sequential samples for floor and latency")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="platform throughput run, seconds")
    ap.add_argument("--floor-duration", type=float, default=20.0, help="floor throughput run, seconds")
    ap.add_argument("--max-backlog", type=int, default=300)
    ap.add_argument("--no-fsync", action="store_true", help="skip pg_test_fsync (saves ~16 s)")
    ap.add_argument("--wait-quiet", type=float, default=120.0,
                    help="before each script, wait up to this many seconds for other work on the box to stop")
    ap.add_argument("--summary-of", metavar="DIR", help="only print the summary of an earlier run (its JSON dir)")
    args = ap.parse_args(argv)

    if args.summary_of:
        def load(name: str) -> dict | None:
            path = os.path.join(args.summary_of, f"{name}.json")
            return json.load(open(path)) if os.path.exists(path) else None
        run = load("run") or {}
        summarize(args.summary_of, run.get("machine", {}), load("floor"), load("latency"), load("throughput"),
                  run.get("commands", []), run.get("max_backlog", args.max_backlog))
        return

    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = os.path.join(common.RESULTS_DIR, stamp)
    os.makedirs(out_dir, exist_ok=True)
    common.ensure_database()
    machine = common.machine_info(fsync=not args.no_fsync)
    machine["load average at start"] = common.loadavg()
    common.print_machine(machine)

    backlog = ["--max-backlog", str(args.max_backlog)]
    floor, c1, t1 = run_script("floor", ["--runs", str(args.runs), "--warmup", str(args.warmup),
                                         "--duration", f"{args.floor_duration:g}", *backlog],
                               os.path.join(out_dir, "floor.json"), args.wait_quiet)
    lat, c2, t2 = run_script("latency", ["--runs", str(args.runs), "--warmup", str(args.warmup)],
                             os.path.join(out_dir, "latency.json"), args.wait_quiet)
    tp, c3, t3 = run_script("throughput", ["--duration", f"{args.duration:g}", *backlog],
                            os.path.join(out_dir, "throughput.json"), args.wait_quiet)
    commands = [(c1, t1), (c2, t2), (c3, t3)]
    common.write_json(os.path.join(out_dir, "run.json"), {
        "machine": machine, "commands": commands, "max_backlog": args.max_backlog})
    summarize(out_dir, machine, floor, lat, tp, commands, args.max_backlog)


def summarize(out_dir: str, machine: dict, floor: dict | None, lat: dict | None, tp: dict | None,
              commands: list, max_backlog: int) -> None:
    stamp = os.path.basename(out_dir)
    def cpu_total(res: dict | None, per_key: str) -> float:
        cpu = _get(res, "cpu_s", default=None)
        n = _get(res, per_key, default=None)
        if not cpu or not n:
            return math.nan
        return 1000 * sum(v for k, v in cpu.items() if not k.startswith("_") and k != "other processes") / n

    rows = [
        # metric, platform, floor, unit, target, higher is better
        ("event → process start p50", _get(lat, "spawn", "p50"), _get(floor, "latency", "submit_to_spawn", "p50"),
         "ms", f"≤ {common.TARGET_LATENCY_P50_MS:g} ms", False),
        ("event → process start p99", _get(lat, "spawn", "p99"), _get(floor, "latency", "submit_to_spawn", "p99"),
         "ms", f"≤ {common.TARGET_LATENCY_P99_MS:g} ms", False),
        ("event → succeeded p50", _get(lat, "succeeded", "p50"), _get(floor, "latency", "submit_to_exit", "p50"),
         "ms", f"≤ {common.TARGET_SUCCEEDED_P50_MS:g} ms", False),
        ("event → succeeded p99", _get(lat, "succeeded", "p99"), _get(floor, "latency", "submit_to_exit", "p99"),
         "ms", f"≤ {common.TARGET_SUCCEEDED_P99_MS:g} ms", False),
        ("sustained executions/s (saturated)", _get(tp, "rate"), _get(floor, "throughput", "rate"), "/s",
         f"≥ {common.TARGET_THROUGHPUT:g}/s", True),
        ("queue wait p99 (exec. created → spawned)", _get(tp, "queue_wait", "p99"), math.nan, "ms",
         f"≤ {common.TARGET_QUEUE_WAIT_P99_MS:g} ms*", False),
        ("CPU per execution (all, incl. producer)", cpu_total(tp, "done_in_window"), cpu_total(floor.get("throughput") if floor else None, "done_in_window"),
         "ms", "≤ 10 ms (G3 budget)", False),
    ]
    targets = {
        0: common.TARGET_LATENCY_P50_MS, 1: common.TARGET_LATENCY_P99_MS, 2: common.TARGET_SUCCEEDED_P50_MS,
        3: common.TARGET_SUCCEEDED_P99_MS, 4: common.TARGET_THROUGHPUT, 5: common.TARGET_QUEUE_WAIT_P99_MS, 6: 10.0,
    }

    print(f"\n{'=' * 100}\nSummary ({stamp}; JSON in {os.path.relpath(out_dir, common.ROOT)})")
    common.print_machine(machine)
    head = f"  {'metric':<42} {'platform':>12} {'floor':>12} {'ratio':>10}  {'target':<22} verdict"
    print("\n" + head + "\n  " + "-" * (len(head) - 2))
    for i, (metric, plat, flo, unit, target, higher) in enumerate(rows):
        ratio = plat / flo if isinstance(plat, float | int) and isinstance(flo, float | int) and flo else math.nan
        ratio_s = "n/a" if math.isnan(ratio) else (f"{ratio:.2f}×" if not higher else f"{100 * ratio:.0f}%")
        verdict = common.verdict(plat, targets[i], higher_is_better=higher)
        if i == 5 and common.verdict(_get(tp, "rate"), common.TARGET_THROUGHPUT, higher_is_better=True) != "meets":
            verdict = f"n/a (only at {_fmt(_get(tp, 'rate'), '/s')})"
        print(f"  {metric:<42} {_fmt(plat, unit):>12} {_fmt(flo, unit):>12} {ratio_s:>10}  {target:<22} {verdict}")
    print("\n  ratio: platform ÷ floor (for executions/s: platform as a share of the floor).")
    print("  latency: platform = server timestamps event.created_at → execution.spawned_at / finished_at;")
    print("           floor = producer time before INSERT → worker time right after Popen / after the child exited.")
    print(f"  * G3's queue-wait goal holds together with ≥ {common.TARGET_THROUGHPUT:g}/s. Saturated with ≤ {max_backlog} "
          "in flight, the platform's backlog waits as pending events (before the")
    print("    execution row exists), so this figure excludes it; the floor's rows exist from submission, so its queue "
          "wait is ≈ backlog ÷ rate (Little's law) and is not comparable;")
    print(f"    floor: {_fmt(_get(floor, 'throughput', 'queue_wait', 'p99'), 'ms')}, platform event → spawned: "
          f"{_fmt(_get(tp, 'event_to_spawn', 'p99'), 'ms')} (p99). Open-loop check: `bench/throughput.py --rate 200`.")
    if tp:
        state = "held at the bound (saturated)" if tp.get("backlog_hit_bound") else "never reached the bound"
        print(f"  platform backlog during the throughput run: {state}; executions by status {tp.get('statuses')}; "
              f"new PG connections per execution {_fmt(_get(tp, 'pg_sessions_per_execution'), '')}")
        print(f"  machine busy during the platform throughput run: "
              f"{100 * _get(tp, 'cpu_s', '_busy') / (_get(tp, 'cpu_s', '_wall') * (os.cpu_count() or 1)):.0f}%, "
              f"of which other processes "
              f"{100 * _get(tp, 'cpu_s', 'other processes') / (_get(tp, 'cpu_s', '_wall') * (os.cpu_count() or 1)):.0f}%")
    print("\n  commands:")
    for cmd, el in commands:
        print(f"    {cmd}    ({el:.0f} s)")
    summary = {"machine": machine, "rows": [
        {"metric": r[0], "platform": r[1], "floor": r[2], "unit": r[3], "target": r[4]} for r in rows]}
    common.write_json(os.path.join(out_dir, "summary.json"), summary)


if __name__ == "__main__":
    main()
