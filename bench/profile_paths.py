"""Diagnosis, not a benchmark: the platform's hot path run in this one process, without
Celery, so its own cost can be seen apart from queueing and scheduling.

For each of --runs events (after --warmup): `event_create` (what an API/sensor does),
`event_process` (what the executor's task does), then `execution_run` (what the
action worker's task does) with a LocalWorker registered by this process. Prints the
wall time of each step, the SQL statements per step (count and time, via Django's
execute_wrapper) and the top functions of a cProfile of each step.

With --close-connections the Django connection is closed before and after each step,
as Celery's Django fixup does around every task (celery/fixups/django.py,
on_task_prerun/on_task_postrun → close_database) unless CELERY_DB_REUSE_MAX is set.

No Celery worker runs: the messages the steps publish stay in Redis db 9, which is
flushed at the start and at the end.

    python bench/profile_paths.py [--runs 300] [--close-connections] [--top 25]
"""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402

from bench import common  # noqa: E402
from bench import platform as bp  # noqa: E402


class SqlCounter:
    def __init__(self) -> None:
        self.step = ""
        self.count: dict[str, int] = defaultdict(int)
        self.time: dict[str, float] = defaultdict(float)
        self.kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if self.step:
                self.count[self.step] += 1
                self.time[self.step] += time.perf_counter() - t
                head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
                self.kinds[self.step][head] += 1


def by_package(prof: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time (tottime) of a profile grouped by where the code lives."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in pstats.Stats(prof).stats.items():
        if "site-packages/" in filename:
            group = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/work/main/" in filename or filename.startswith(common.ROOT):
            group = "/".join(os.path.relpath(filename, common.ROOT).split("/")[:2])
        elif filename == "~":
            group = "C builtins (" + ("socket/select I/O" if any(
                w in func for w in ("recv", "send", "poll", "select", "fork_exec", "read", "write")) else "other") + ")"
        else:
            group = "stdlib"
        totals[group] += tt
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--profile-runs", type=int, default=100, help="further runs under cProfile (0: none)")
    ap.add_argument("--close-connections", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    ap.add_argument("--filter", default="", help="only functions whose path matches this regex, e.g. 'apps/'")
    args = ap.parse_args(argv)

    plat = bp.BenchPlatform(action_workers=0, scheduler=False)
    try:
        plat.prepare()
        bp.django_setup(plat.env)
        bp.reset_history()
        from django.db import connection, connections

        from apps.automation.services.events import event_create, event_process
        from apps.executions.models import Execution
        from apps.executions.services.running import execution_run
        from apps.executions.services.workers import LocalWorker

        worker = LocalWorker(name="profile@bench", role="action", queues=["runtime.shell"])
        worker.register()  # no heartbeat thread
        steps = ("event_create", "event_process", "execution_run")
        walls: dict[str, list[float]] = {s: [] for s in steps}
        profiles = {s: cProfile.Profile() for s in steps}
        counter = SqlCounter()

        def step(name: str, fn, measured: bool, profiled: bool):
            if args.close_connections:
                connections.close_all()
            counter.step = name if measured else ""
            prof = profiles[name] if profiled else None
            t = time.perf_counter()
            if prof:
                prof.enable()
            try:
                return fn()
            finally:
                if prof:
                    prof.disable()
                walls[name].append(time.perf_counter() - t) if measured else None
                counter.step = ""
                if args.close_connections:
                    connections.close_all()

        with connection.execute_wrapper(counter):
            for i in range(args.warmup + args.runs + args.profile_runs):
                measured = args.warmup <= i < args.warmup + args.runs
                profiled = i >= args.warmup + args.runs
                event = step("event_create", lambda i=i: event_create(trigger="bench.ping", payload={"n": i},
                                                                      source="bench"), measured, profiled)
                step("event_process", lambda pk=event.pk: event_process(event_id=pk), measured, profiled)
                exec_id = Execution.objects.filter(event_id=event.pk).values_list("id", flat=True).first()
                if exec_id is None:
                    raise SystemExit(f"event {event.pk} made no execution")
                status = step("execution_run", lambda pk=exec_id: execution_run(execution_id=pk, worker=worker),
                              measured, profiled)
                if status != "succeeded":
                    raise SystemExit(f"execution {exec_id} ended {status}")
    finally:
        try:
            common.flush_redis()
        finally:
            plat.stop()

    print(f"In-process hot path, {args.runs} events after {args.warmup} warm-up"
          f"{' (connections closed around every step, as Celery does)' if args.close_connections else ''}")
    for s in steps:
        n = counter.count.get(s, 0)
        per = n / args.runs if args.runs else 0
        kinds = ", ".join(f"{k} {v / args.runs:.1f}" for k, v in sorted(counter.kinds[s].items()))
        print(common.fmt_summary(s, common.summary_ms(walls[s])))
        print(f"      SQL per call: {per:.1f} statements ({kinds}); "
              f"{1000 * counter.time.get(s, 0) / args.runs:.2f} ms in execute")
    for s in steps if args.profile_runs else ():
        groups = by_package(profiles[s])
        total = sum(v for _, v in groups) or 1.0
        print(f"\n  {s}: profiled time by package (own time; psycopg's 'wait' holds the time spent waiting for "
              "PostgreSQL): " + ", ".join(f"{g} {100 * v / total:.0f}%" for g, v in groups[:9]))
    for s in steps if args.profile_runs else ():
        buf = io.StringIO()
        pstats.Stats(profiles[s], stream=buf).sort_stats(args.sort).print_stats(
            *([args.filter] if args.filter else []), args.top)
        print(f"\n===== cProfile {s} ({args.sort}, {args.profile_runs} further calls; wall inflated by the profiler) =====")
        lines = buf.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print("\n".join(lines[start:start + args.top + 1]))


if __name__ == "__main__":
    main()
