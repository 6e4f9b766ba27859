"""Workflows on the platform (research/performance.md G4, G5): per-task transition
overhead of a 40-task sequential chain, and with_items fan-outs of 1000 and 5000 items.

Starts the platform (executor, 2 action workers, scheduler) on `attune_bench`, then:

* `bench.chain` (--chains times, after one warm-up): 40 sequential `core.local cmd=true`
  tasks. Figures from the rows' server-side timestamps: wall = workflow finished_at −
  created_at; time inside actions = Σ child (finished_at − spawned_at); overhead per
  task = (wall − inside) / 40. Also the gaps between one task's end and the next one's
  process start. Targets: overhead ≤ 10 ms p50, the chain ≤ 0.5 s.
* `bench.fanout` with count = each of --items: one `core.local cmd=true` child per item,
  all at once; workflow created_at → finished_at. Targets: 1000 items ≤ 5 s; 5000 items
  ≤ 5.5 × the 1000-item time.

The workflow is requested from this process with execution_request (what the API does).

    python bench/workflows.py [--chains 10] [--items 1000 5000] [--json FILE]
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
CHAIN_TASKS = 40


def wait_finished(execution_id: int, timeout: float, poll: float = 0.005):
    from apps.executions.models import Execution

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = Execution.objects.filter(pk=execution_id).values("status", "created_at", "finished_at", "error").get()
        if row["status"] in TERMINAL:
            return row
        time.sleep(poll)
    raise TimeoutError(f"workflow {execution_id} did not finish within {timeout} s")


def run_chain() -> dict:
    from apps.executions.models import Execution
    from apps.executions.services.requests import execution_request

    workflow = execution_request(action="bench.chain", parameters={})
    row = wait_finished(workflow.pk, timeout=120)
    if row["status"] != "succeeded":
        raise RuntimeError(f"chain {workflow.pk} ended {row['status']}: {row['error']}")
    children = list(Execution.objects.filter(parent_id=workflow.pk).order_by("task_run")
                    .values("spawned_at", "finished_at", "started_at"))
    assert len(children) == CHAIN_TASKS, len(children)
    wall = (row["finished_at"] - row["created_at"]).total_seconds()
    inside = sum((c["finished_at"] - c["spawned_at"]).total_seconds() for c in children)
    gaps = [(b["spawned_at"] - a["finished_at"]).total_seconds() for a, b in zip(children, children[1:], strict=False)]
    return {"wall": wall, "inside": inside, "overhead": (wall - inside) / CHAIN_TASKS, "gaps": gaps,
            "first": (children[0]["spawned_at"] - row["created_at"]).total_seconds(),
            "last": (row["finished_at"] - children[-1]["finished_at"]).total_seconds()}


def run_fanout(count: int) -> dict:
    from apps.executions.models import Execution
    from apps.executions.services.requests import execution_request

    started = time.perf_counter()
    workflow = execution_request(action="bench.fanout", parameters={"count": count})
    requested = time.perf_counter() - started
    row = wait_finished(workflow.pk, timeout=max(120, count * 0.1))
    if row["status"] != "succeeded":
        raise RuntimeError(f"fan-out {workflow.pk} ended {row['status']}: {row['error']}")
    children = Execution.objects.filter(parent_id=workflow.pk, status="succeeded").count()
    assert children == count, (children, count)
    return {"count": count, "wall": (row["finished_at"] - row["created_at"]).total_seconds(),
            "request_call": requested}


def main() -> None:
    parser = argparse.ArgumentParser(description="Workflow chain overhead and with_items fan-out (G4, G5).")
    parser.add_argument("--chains", type=int, default=10)
    parser.add_argument("--items", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--action-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json")
    parser.add_argument("--no-machine", action="store_true")
    args = parser.parse_args()

    if not args.no_machine:
        common.print_machine(common.machine_info())
    plat = bp.BenchPlatform(action_workers=args.action_workers, threads=args.threads)
    try:
        plat.start_clean()
        print(f"\nPlatform up: executor, {args.action_workers} action worker(s) × {args.threads} threads, scheduler")
        run_chain()  # warm-up
        chains = [run_chain() for _ in range(args.chains)]
        walls = [c["wall"] for c in chains]
        overheads = [c["overhead"] for c in chains]
        gaps = [g for c in chains for g in c["gaps"]]
        print(f"\nSequential chain of {CHAIN_TASKS} core.local cmd=true tasks, {args.chains} runs after 1 warm-up")
        print(common.fmt_summary("chain wall time", common.summary_ms(walls), "≤ 500 ms"))
        print(common.fmt_summary("overhead per task", common.summary_ms(overheads), "p50 ≤ 10 ms"))
        print(common.fmt_summary("task end → next start", common.summary_ms(gaps)))
        print(common.fmt_summary("workflow start → first", common.summary_ms([c["first"] for c in chains])))
        print(common.fmt_summary("last end → workflow end", common.summary_ms([c["last"] for c in chains])))
        print(common.fmt_summary("time inside actions", common.summary_ms([c["inside"] for c in chains])))

        fanouts = []
        for count in args.items:
            bp.reset_history()
            result = run_fanout(count)
            fanouts.append(result)
            print(f"\nwith_items fan-out, {count} items, concurrency {count}: workflow start → succeeded "
                  f"{result['wall']:.2f} s ({count / result['wall']:.0f} items/s; the request call itself "
                  f"{result['request_call'] * 1000:.0f} ms)")
        by_count = {f["count"]: f["wall"] for f in fanouts}
        if 1000 in by_count:
            print(f"  1000 items: {by_count[1000]:.2f} s [target ≤ 5 s: {'meets' if by_count[1000] <= 5 else 'MISSES'}]")
        if 1000 in by_count and 5000 in by_count:
            ratio = by_count[5000] / by_count[1000]
            print(f"  5000 / 1000 items: {ratio:.2f}× [target ≤ 5.5×: {'meets' if ratio <= 5.5 else 'MISSES'}]")
    finally:
        plat.stop()
    common.write_json(args.json, {"chains": chains, "fanouts": fanouts})


if __name__ == "__main__":
    main()
