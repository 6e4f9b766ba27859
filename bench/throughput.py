"""Sustained trivial executions per second (research/performance.md G3).

Starts the platform (executor, --action-workers action worker processes, scheduler;
bench/platform.py), then for --duration seconds creates `bench.ping` events from this
process with `event_create` (each one commits and publishes; the rule bench.ping_true
turns it into a fully persisted core.local `cmd=true` execution: requested →
scheduled → running → succeeded with its result, history and enforcement rows).

Closed loop by default: the producer keeps at most --max-backlog items in flight
(backlog = events not yet processed + executions not yet terminal, read from the
database every 50 ms) and otherwise creates events back-to-back, so the platform is
saturated. With --rate R the producer offers R events/s (open loop) and the run
shows whether the platform keeps up (backlog flat) or not (backlog grows to the bound).

Figures, all from server-side timestamps in the rows after the run:
  rate       executions whose finished_at falls in [start + --warm, end of submission],
             divided by that window (the first --warm seconds are excluded);
  queue wait execution.spawned_at - execution.created_at (G3: p99 ≤ 250 ms);
  event → spawned, for reference (includes the time an event waits for the executor).

    python bench/throughput.py [--duration 60] [--warm 5] [--max-backlog 300] [--rate R]
"""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from bench import common  # noqa: E402
from bench import platform as bp  # noqa: E402

ACTIVE = ("requested", "delayed", "scheduled", "running", "pending", "canceling")


class Backlog:
    def __init__(self, event_id0: int, exec_id0: int) -> None:
        from apps.automation.models import Event
        from apps.executions.models import Execution

        self.sql = (
            f"SELECT (SELECT count(*) FROM {Event._meta.db_table} WHERE status = 'pending' AND id > %s) + "
            f"(SELECT count(*) FROM {Execution._meta.db_table} WHERE status = ANY(%s) AND id > %s)"
        )
        self.args = (event_id0, list(ACTIVE), exec_id0)

    def read(self, cur) -> int:
        cur.execute(self.sql, self.args)
        return cur.fetchone()[0]


def run(args, plat: bp.BenchPlatform) -> dict:
    from django.db import connection

    from apps.automation.models import Event
    from apps.automation.services.events import event_create, trigger_resolve
    from apps.executions.models import Execution

    trigger = trigger_resolve("bench.ping")  # resolved once: the run measures executions, not ingest

    # Warm-up outside the window: a burst, then wait for it to drain.
    for i in range(args.warmup_events):
        event_create(trigger=trigger, payload={"n": -i}, source="bench")
    event0 = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    exec0 = 0
    backlog = Backlog(0, 0)
    deadline = time.monotonic() + 60
    with connection.cursor() as cur:
        while backlog.read(cur) > 0:
            if time.monotonic() > deadline:
                raise SystemExit(f"throughput: warm-up did not drain in 60 s\n{plat.logs()}")
            time.sleep(0.05)
    exec0 = Execution.objects.order_by("-id").values_list("id", flat=True).first() or 0
    backlog = Backlog(event0, exec0)

    meter = common.CpuMeter({role: p.pid for role, p in plat.processes.items()})
    sessions0 = common.pg_sessions()
    cpu0 = meter.snapshot()
    samples: list[tuple[float, int, int]] = []  # (t - start, backlog, created so far)
    created = 0
    throttled_s = 0.0
    hit_bound = False
    start = time.time()
    end = start + args.duration
    next_check = 0.0
    next_sample = start + 1.0
    pending = 0
    interval = 1.0 / args.rate if args.rate else 0.0
    with connection.cursor() as cur:
        while True:
            now = time.time()
            if now >= end:
                break
            if now >= next_check:
                pending = backlog.read(cur)
                next_check = now + 0.05
                if now >= next_sample:
                    samples.append((now - start, pending, created))
                    next_sample += 1.0
            if pending >= args.max_backlog:
                hit_bound = True
                t = time.time()
                time.sleep(0.005)
                throttled_s += time.time() - t
                next_check = 0.0
                continue
            if interval:
                due = start + created * interval
                if due > now:
                    time.sleep(min(due - now, 0.05))
                    continue
            event_create(trigger=trigger, payload={"n": created}, source="bench")
            created += 1
            pending += 1
        submit_end = time.time()
        cpu1 = meter.snapshot()
        sessions1 = common.pg_sessions()
        # Drain what is left (bounded), so the figures cover every submitted event.
        drain_deadline = time.monotonic() + 60
        left = backlog.read(cur)
        while left > 0 and time.monotonic() < drain_deadline:
            time.sleep(0.1)
            left = backlog.read(cur)
        drained = time.time()
    plat.check_alive()

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT status, count(*) FROM {Execution._meta.db_table} WHERE id > %s GROUP BY status", (exec0,))
        statuses = dict(cur.fetchall())
        cur.execute(
            f"SELECT extract(epoch FROM x.finished_at), extract(epoch FROM x.spawned_at - x.created_at), "
            f"extract(epoch FROM x.spawned_at - e.created_at) "
            f"FROM {Execution._meta.db_table} x JOIN {Event._meta.db_table} e ON e.id = x.event_id "
            f"WHERE x.id > %s AND x.status = 'succeeded'", (exec0,))
        rows = [(float(a), float(b), float(c)) for a, b, c in cur.fetchall()]
        cur.execute(f"SELECT count(*) FROM {Event._meta.db_table} WHERE id > %s", (event0,))
        events = cur.fetchone()[0]

    lo, hi = start + args.warm, submit_end
    steady = [r for r in rows if lo <= r[0] < hi]
    rate = len(steady) / (hi - lo) if hi > lo else math.nan
    buckets: dict[int, int] = {}
    for fin, _, _ in steady:
        buckets[int(fin - lo)] = buckets.get(int(fin - lo), 0) + 1
    per_second = [buckets.get(i, 0) for i in range(int(hi - lo))]

    # Backlog trend over the steady window: mean of its first and last thirds.
    steady_samples = [s for s in samples if s[0] >= args.warm]
    third = max(1, len(steady_samples) // 3)
    first = statistics.mean(s[1] for s in steady_samples[:third]) if steady_samples else math.nan
    last = statistics.mean(s[1] for s in steady_samples[-third:]) if steady_samples else math.nan
    if args.rate:
        grew = hit_bound or (last - first > 0.1 * args.max_backlog)
    else:
        grew = None  # closed loop: the backlog sits at the bound whenever the platform is the bottleneck

    window = submit_end - start
    cpu = common.CpuMeter.diff(cpu0, cpu1)
    done_in_window = sum(1 for r in rows if start <= r[0] < submit_end) or 1
    new_sessions = (sessions1 - sessions0 - 1) if sessions0 is not None and sessions1 is not None else None
    return {
        "mode": (f"open loop, offered {args.rate:g}/s" if args.rate else "closed loop (saturation)")
        + f", backlog bound {args.max_backlog}",
        "duration_s": args.duration,
        "warm_s": args.warm,
        "action_workers": args.action_workers,
        "threads": args.threads,
        "events_created": created,
        "events_in_db": events,
        "offered_rate": created / window,
        "rate": rate,
        "per_second_min": min(per_second) if per_second else math.nan,
        "per_second_median": statistics.median(per_second) if per_second else math.nan,
        "per_second_max": max(per_second) if per_second else math.nan,
        "statuses": statuses,
        "queue_wait": common.summary_ms([r[1] for r in steady]),
        "event_to_spawn": common.summary_ms([r[2] for r in steady]),
        "backlog_first_third": first,
        "backlog_last_third": last,
        "backlog_hit_bound": hit_bound,
        "backlog_grew": grew,
        "producer_throttled_share": throttled_s / window,
        "backlog_samples": samples,
        "left_after_drain": left,
        "drain_s": drained - submit_end,
        "cpu_s": cpu,
        "done_in_window": done_in_window,
        "pg_sessions_per_execution": new_sessions / done_in_window if new_sessions is not None else None,
        "window_s": window,
    }


def report(res: dict) -> None:
    print(f"\nThroughput, core.local cmd=true via rule, {res['action_workers']} action worker(s) × "
          f"{res['threads']} threads: {res['mode']}, {res['duration_s']:g} s, first {res['warm_s']:g} s excluded")
    print(f"  succeeded/s (steady)           {res['rate']:8.1f}   [target ≥ {common.TARGET_THROUGHPUT:g}/s: "
          f"{common.verdict(res['rate'], common.TARGET_THROUGHPUT, higher_is_better=True)}]"
          f"   per-second min/median/max {res['per_second_min']}/{res['per_second_median']}/{res['per_second_max']}")
    print(f"  events offered/s               {res['offered_rate']:8.1f}   (created {res['events_created']}; "
          f"producer held back by the bound {100 * res['producer_throttled_share']:.0f}% of the time)")
    print(common.fmt_summary("queue wait (spawned_at - created_at)", res["queue_wait"],
                             f"p99 ≤ {common.TARGET_QUEUE_WAIT_P99_MS:g} ms"))
    print(common.fmt_summary("event created → spawned", res["event_to_spawn"]))
    if res["backlog_grew"] is None:
        state = ("saturated: held at the bound" if res["backlog_hit_bound"] else
                 "never reached the bound: the producer, not the platform, set the pace")
    else:
        state = "GREW" if res["backlog_grew"] else "flat"
    print(f"  backlog: {state} (mean first third {res['backlog_first_third']:.0f}, last third "
          f"{res['backlog_last_third']:.0f}, bound {'hit' if res['backlog_hit_bound'] else 'not hit'}); "
          f"left after drain {res['left_after_drain']} ({res['drain_s']:.1f} s)")
    print(f"  executions by status: {res['statuses']}")
    print(common.cpu_report(res["cpu_s"], res["done_in_window"], "execution (whole submission window)"))
    if res["pg_sessions_per_execution"] is not None:
        print(f"  new PostgreSQL connections per execution: {res['pg_sessions_per_execution']:.2f}")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--warm", type=float, default=5.0, help="seconds at the start not counted")
    ap.add_argument("--max-backlog", type=int, default=300)
    ap.add_argument("--rate", type=float, default=0.0, help="offered events/s (open loop); 0 = saturate")
    ap.add_argument("--action-workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="threads per action worker")
    ap.add_argument("--warmup-events", type=int, default=100)
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--no-machine", action="store_true")
    args = ap.parse_args(argv)

    if not args.no_machine:
        common.print_machine(common.machine_info())
    plat = bp.BenchPlatform(action_workers=args.action_workers, threads=args.threads)
    try:
        took = plat.start_clean()
        print(f"\nPlatform up in {took:.1f} s; logs in {plat.log_dir}")
        res = run(args, plat)
    finally:
        plat.stop()
    report(res)
    common.write_json(args.json, res)
    return res


if __name__ == "__main__":
    main()
