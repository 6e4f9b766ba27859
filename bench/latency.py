"""Event → action process start, one event at a time (research/performance.md G1/G2).

Starts the platform (executor, 2 action workers, scheduler; bench/platform.py), then
for each of --warmup + --runs events: `event_create(trigger="bench.ping",
payload={"n": i}, source="bench")` (commits and publishes to the executor), waits
until the execution the rule bench.ping_true made for it (core.local, cmd=true) is
terminal, and records, from the rows (server-side timestamps, CLOCK_REALTIME, same
host):

    event → process start  = execution.spawned_at  - event.created_at     (G1)
    event → succeeded      = execution.finished_at - event.created_at     (G2)

plus the path's segments (event → processed by the executor → execution created →
claimed by a worker → spawned → finished). The bench polls the execution row every
~1 ms; polling only paces the loop, it never enters a figure.

    python bench/latency.py [--runs 1000] [--warmup 50] [--action-workers 2]
"""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import time  # noqa: E402

from bench import common  # noqa: E402
from bench import platform as bp  # noqa: E402

TERMINAL = ("succeeded", "failed", "timeout", "canceled", "abandoned")


def _wait_execution(cur, event_id: int, after_id: int, timeout: float, poll: float, first: float):
    """The row of the execution made for `event_id` once terminal (polling by primary
    key range, which stays cheap however big the table is). The first poll comes after
    `first` seconds (a fraction of the typical latency), so that polling competes less
    with the platform for the 2 cores; timestamps come from the rows either way."""
    deadline = time.monotonic() + timeout
    if first > 0:
        time.sleep(first)
    execution_id = None
    while True:
        if execution_id is None:
            cur.execute("SELECT id FROM executions_execution WHERE id > %s AND event_id = %s ORDER BY id LIMIT 1",
                        (after_id, event_id))
            row = cur.fetchone()
            if row:
                execution_id = row[0]
        if execution_id is not None:
            cur.execute(
                "SELECT id, status, created_at, started_at, spawned_at, finished_at, error "
                "FROM executions_execution WHERE id = %s", (execution_id,))
            row = cur.fetchone()
            if row and row[1] in TERMINAL:
                return row
        if time.monotonic() > deadline:
            return None
        time.sleep(poll)


def measure(runs: int, warmup: int, poll: float, timeout: float, plat: bp.BenchPlatform) -> dict:
    from django.db import connection

    from apps.automation.models import Event
    from apps.automation.services.events import event_create

    samples: dict[str, list[float]] = {k: [] for k in (
        "spawn", "succeeded", "ev_to_exec", "exec_to_claim", "claim_to_spawn", "spawn_to_finish",
        "exec_to_processed")}
    failures: list[str] = []
    last_exec_id = 0
    meter = common.CpuMeter({role: p.pid for role, p in plat.processes.items()})
    cpu0 = None
    sessions0 = None
    t0 = time.time()
    with connection.cursor() as cur:
        for i in range(warmup + runs):
            event = event_create(trigger="bench.ping", payload={"n": i}, source="bench")
            recent = samples["succeeded"][-20:]
            first = 0.5 * sorted(recent)[len(recent) // 2] if len(recent) >= 5 else 0.0
            row = _wait_execution(cur, event.pk, last_exec_id, timeout, poll, first)
            if row is None:
                plat.check_alive()
                ev = Event.objects.filter(pk=event.pk).values("status", "rule_errors").first()
                raise SystemExit(f"latency: no terminal execution for event {event.pk} within {timeout} s "
                                 f"(event {ev})\n{plat.logs()}")
            exec_id, status, created, started, spawned, finished, error = row
            last_exec_id = exec_id
            if status != "succeeded":
                failures.append(f"execution {exec_id}: {status} {error[:200]}")
                continue
            if i < warmup:
                continue
            if cpu0 is None:
                cpu0, sessions0 = meter.snapshot(), common.pg_sessions()
            processed = Event.objects.filter(pk=event.pk).values_list("processed_at", flat=True).first()
            ev_created = event.created_at
            samples["spawn"].append((spawned - ev_created).total_seconds())
            samples["succeeded"].append((finished - ev_created).total_seconds())
            samples["ev_to_exec"].append((created - ev_created).total_seconds())
            if processed:
                samples["exec_to_processed"].append((processed - created).total_seconds())
            samples["exec_to_claim"].append((started - created).total_seconds())
            samples["claim_to_spawn"].append((spawned - started).total_seconds())
            samples["spawn_to_finish"].append((finished - spawned).total_seconds())
    wall = time.time() - t0
    cpu = common.CpuMeter.diff(cpu0, meter.snapshot()) if cpu0 else {}
    sessions1 = common.pg_sessions()
    new_sessions = (sessions1 - sessions0 - 1) if sessions0 is not None and sessions1 is not None else None
    return {
        "cpu_s": cpu,
        "pg_sessions_per_event": new_sessions / runs if new_sessions is not None and runs else None,
        "runs": runs,
        "warmup": warmup,
        "wall_s": wall,
        "failures": failures,
        **{k: common.summary_ms(v) for k, v in samples.items()},
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--action-workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="threads per action worker")
    ap.add_argument("--poll", type=float, default=0.001, help="seconds between polls of the execution row")
    ap.add_argument("--timeout", type=float, default=30.0, help="per event")
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--no-machine", action="store_true")
    args = ap.parse_args(argv)

    if not args.no_machine:
        common.print_machine(common.machine_info())
    plat = bp.BenchPlatform(action_workers=args.action_workers, threads=args.threads)
    try:
        took = plat.start_clean()
        print(f"\nPlatform up in {took:.1f} s: executor (solo), {args.action_workers} action worker(s) "
              f"(threads -c {args.threads}), scheduler; logs in {plat.log_dir}")
        res = measure(args.runs, args.warmup, args.poll, args.timeout, plat)
        plat.check_alive()
    finally:
        plat.stop()

    print(f"\nEvent → action, core.local cmd=true, sequential: {args.runs} events after {args.warmup} warm-up "
          f"({res['wall_s']:.1f} s)")
    print(common.fmt_summary("event → process start (spawned_at)", res["spawn"],
                             f"p50 ≤ {common.TARGET_LATENCY_P50_MS:g} / p99 ≤ {common.TARGET_LATENCY_P99_MS:g} ms"))
    print(common.fmt_summary("event → succeeded (finished_at)", res["succeeded"],
                             f"p50 ≤ {common.TARGET_SUCCEEDED_P50_MS:g} / p99 ≤ {common.TARGET_SUCCEEDED_P99_MS:g} ms"))
    s = res["spawn"]
    print(f"  G1 p50 {common.verdict(s['p50'], common.TARGET_LATENCY_P50_MS)}, "
          f"p99 {common.verdict(s['p99'], common.TARGET_LATENCY_P99_MS)}; "
          f"G2 p50 {common.verdict(res['succeeded']['p50'], common.TARGET_SUCCEEDED_P50_MS)}, "
          f"p99 {common.verdict(res['succeeded']['p99'], common.TARGET_SUCCEEDED_P99_MS)}")
    print("  segments:")
    for key, label in (("ev_to_exec", "event created → execution created"),
                       ("exec_to_claim", "execution created → claimed (started_at)"),
                       ("claim_to_spawn", "claimed → process spawned"),
                       ("spawn_to_finish", "spawned → finished"),
                       ("exec_to_processed", "(execution created → event processed_at)")):
        print(common.fmt_summary("  " + label, res[key]))
    if res["cpu_s"]:
        print(common.cpu_report(res["cpu_s"], args.runs, "event (incl. this process's polling)"))
    if res["pg_sessions_per_event"] is not None:
        print(f"  new PostgreSQL connections per event: {res['pg_sessions_per_event']:.2f}")
    if res["failures"]:
        print(f"  {len(res['failures'])} execution(s) did not succeed, e.g. {res['failures'][:3]}")
    common.write_json(args.json, res)
    return res


if __name__ == "__main__":
    main()
