"""The physical floor without the framework (research/performance.md B5, last row).

A producer INSERTs an execution-like row into `floor_executions` in `attune_bench`
(COMMIT) and LPUSHes its id to a Redis list; 2 worker processes BRPOP it, UPDATE the
row to 'running' (COMMIT), run `sh -c true` with stdout/stderr captured, UPDATE it to
'succeeded' with a small JSON result (COMMIT) and LPUSH a reply.

(a) latency, sequential (one in flight): submit → process start, where submit is the
    producer's time.time() just before the INSERT (the platform's Event.created_at is
    likewise taken in Python just before its INSERT) and process start is the worker's
    time.time() right after Popen returned (the platform's spawned_at likewise);
    also submit → child exited (≈ finished_at) and submit → reply received (durable
    'succeeded' + reply hop).
(b) throughput: back-to-back submissions for --duration seconds with at most
    --max-backlog items pending (closed loop, like bench/throughput.py), completions/s
    after a warm-up; or, with --items N, N submissions with no bound, timed until the
    last completion.

    python bench/floor.py [--runs 1000] [--warmup 50] [--duration 20] [--items N]
"""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from bench import common  # noqa: E402

QUEUE = "floor:queue"
REPLIES = "floor:replies"
STOP = b"stop"

SCHEMA = """
DROP TABLE IF EXISTS floor_executions;
CREATE TABLE floor_executions (
    id          bigserial PRIMARY KEY,
    action_ref  varchar(255) NOT NULL,
    status      varchar(16) NOT NULL,
    parameters  jsonb NOT NULL DEFAULT '{}',
    result      jsonb,
    stdout      text NOT NULL DEFAULT '',
    stderr      text NOT NULL DEFAULT '',
    exit_code   integer,
    worker      varchar(64) NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    started_at  timestamptz,
    spawned_at  timestamptz,
    finished_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX floor_executions_status_id ON floor_executions (status, id);
CREATE INDEX floor_executions_action_id ON floor_executions (action_ref, id);
"""


# --- worker ---------------------------------------------------------------------------
def worker_main(name: str) -> None:
    r = common.redis_client()
    conn = psycopg.connect(common.PG_DSN)
    cur = conn.cursor()
    while True:
        _, raw = r.brpop([QUEUE])
        if raw == STOP:
            break
        eid = int(raw)
        cur.execute("UPDATE floor_executions SET status = 'running', worker = %s, started_at = now(), "
                    "updated_at = now() WHERE id = %s AND status = 'scheduled'", (name, eid))
        conn.commit()
        proc = subprocess.Popen(["sh", "-c", "true"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        spawned = time.time()
        out, err = proc.communicate()
        finished = time.time()
        stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
        cur.execute(
            "UPDATE floor_executions SET status = 'succeeded', result = %s, stdout = %s, stderr = %s, "
            "exit_code = %s, spawned_at = to_timestamp(%s), finished_at = to_timestamp(%s), updated_at = now() "
            "WHERE id = %s AND status = 'running'",
            (Jsonb({"stdout": stdout, "stderr": stderr, "exit_code": proc.returncode, "succeeded": True}),
             stdout, stderr, proc.returncode, spawned, finished, eid),
        )
        conn.commit()
        r.lpush(REPLIES, json.dumps({"id": eid, "spawned": spawned, "finished": finished}))
    conn.close()


class Workers:
    def __init__(self, count: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.procs = [ctx.Process(target=worker_main, args=(f"floor{i}",), daemon=True) for i in range(count)]

    def __enter__(self) -> Workers:
        for p in self.procs:
            p.start()
        return self

    def __exit__(self, *exc) -> None:
        r = common.redis_client()
        r.lpush(QUEUE, *([STOP] * len(self.procs)))
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
                p.join(5)


# --- producer -------------------------------------------------------------------------
class Producer:
    def __init__(self) -> None:
        self.conn = psycopg.connect(common.PG_DSN)
        self.cur = self.conn.cursor()
        self.r = common.redis_client()
        self.params = Jsonb({"cmd": "true"})

    def submit(self) -> tuple[int, float]:
        t = time.time()
        self.cur.execute(
            "INSERT INTO floor_executions (action_ref, status, parameters, created_at) "
            "VALUES ('core.local', 'scheduled', %s, to_timestamp(%s)) RETURNING id",
            (self.params, t),
        )
        eid = self.cur.fetchone()[0]
        self.conn.commit()
        self.r.lpush(QUEUE, eid)
        return eid, t


def run_latency(runs: int, warmup: int) -> dict:
    producer = Producer()
    replies = common.redis_client()
    spawn, finish, reply = [], [], []
    for i in range(warmup + runs):
        eid, t = producer.submit()
        item = replies.brpop([REPLIES], timeout=10)
        got = time.time()
        if item is None:
            raise SystemExit(f"floor: no reply for {eid} within 10 s")
        data = json.loads(item[1])
        if data["id"] != eid:
            raise SystemExit(f"floor: reply for {data['id']}, expected {eid}")
        if i >= warmup:
            spawn.append(data["spawned"] - t)
            finish.append(data["finished"] - t)
            reply.append(got - t)
    return {
        "submit_to_spawn": common.summary_ms(spawn),
        "submit_to_exit": common.summary_ms(finish),
        "submit_to_reply": common.summary_ms(reply),
    }


def run_throughput(duration: float, warm: float, max_backlog: int, items: int | None, pids: dict[str, int]) -> dict:
    producer = Producer()
    meter = common.CpuMeter(pids)
    submitted_at: dict[int, float] = {}
    done_times: list[float] = []
    waits: list[tuple[float, float]] = []  # (completion time, spawned - submitted)
    cond = threading.Condition()
    state = {"submitted": 0, "completed": 0, "stop": False}

    def collect() -> None:
        r = common.redis_client()
        while True:
            item = r.brpop([REPLIES], timeout=0.5)
            now = time.time()
            if item is None:
                with cond:
                    if state["stop"] and state["completed"] >= state["submitted"]:
                        return
                continue
            data = json.loads(item[1])
            with cond:
                t = submitted_at.pop(data["id"], None)
                state["completed"] += 1
                done_times.append(now)
                if t is not None:
                    waits.append((now, data["spawned"] - t))
                cond.notify()
                if state["stop"] and state["completed"] >= state["submitted"]:
                    return

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    cpu0 = meter.snapshot()
    start = time.time()
    backlog_samples: list[tuple[float, int]] = []
    throttled = 0
    if items:
        for _ in range(items):
            eid, t = producer.submit()
            with cond:
                submitted_at[eid] = t
                state["submitted"] += 1
        submit_end = time.time()
    else:
        end = start + duration
        last_sample = start
        while True:
            now = time.time()
            if now >= end:
                break
            with cond:
                while state["submitted"] - state["completed"] >= max_backlog:
                    throttled += 1
                    cond.wait(0.05)
                pending = state["submitted"] - state["completed"]
            if now - last_sample >= 1.0:
                backlog_samples.append((now - start, pending))
                last_sample = now
            eid, t = producer.submit()
            with cond:
                submitted_at[eid] = t
                state["submitted"] += 1
        submit_end = time.time()
    cpu1 = meter.snapshot()
    with cond:
        state["stop"] = True
    collector.join(120)
    last = max(done_times) if done_times else time.time()
    result: dict = {"submitted": state["submitted"], "completed": state["completed"]}
    if items:
        result["mode"] = f"{items} items back-to-back, unbounded"
        result["rate"] = state["completed"] / (last - start)
        result["submit_rate"] = items / (submit_end - start)
        steady_waits = [w for _, w in waits]
    else:
        result["mode"] = f"{duration:.0f} s closed loop, backlog ≤ {max_backlog}"
        lo, hi = start + warm, submit_end
        n = sum(1 for t in done_times if lo <= t < hi)
        result["rate"] = n / (hi - lo)
        result["submit_rate"] = state["submitted"] / (submit_end - start)
        result["producer_throttled"] = throttled > 0
        result["backlog_samples"] = backlog_samples
        steady_waits = [w for t, w in waits if lo <= t < hi]
    result["queue_wait"] = common.summary_ms(steady_waits)
    result["cpu_s"] = common.CpuMeter.diff(cpu0, cpu1)
    result["done_in_window"] = sum(1 for t in done_times if start <= t < submit_end) or 1
    result["drain_s"] = last - submit_end
    return result


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="sequential latency samples (after warm-up)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="throughput run, seconds")
    ap.add_argument("--warm", type=float, default=2.0, help="seconds of the throughput run not counted")
    ap.add_argument("--items", type=int, default=None, help="instead of --duration: N unbounded submissions")
    ap.add_argument("--max-backlog", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--no-machine", action="store_true", help="do not print the machine description")
    args = ap.parse_args(argv)

    common.ensure_database()
    common.flush_redis()
    with psycopg.connect(common.PG_DSN, autocommit=True) as conn:
        conn.execute(SCHEMA)
    if not args.no_machine:
        common.print_machine(common.machine_info())
    print(f"\nFloor: PG INSERT+COMMIT → Redis LPUSH → {args.workers} worker processes "
          "(BRPOP, UPDATE running, sh -c true captured, UPDATE succeeded + JSON, LPUSH reply)")
    out: dict = {"workers": args.workers}
    with Workers(args.workers) as workers:
        # Workers are ready once they answer; the warm-up runs absorb the rest.
        out["latency"] = lat = run_latency(args.runs, args.warmup)
        print(f"\n(a) latency, sequential, {args.runs} runs after {args.warmup} warm-up")
        print(common.fmt_summary("submit → process start", lat["submit_to_spawn"]))
        print(common.fmt_summary("submit → child exited", lat["submit_to_exit"]))
        print(common.fmt_summary("submit → succeeded + reply", lat["submit_to_reply"]))
        with psycopg.connect(common.PG_DSN, autocommit=True) as conn:
            conn.execute("TRUNCATE floor_executions")
        tp = run_throughput(args.duration, args.warm, args.max_backlog, args.items,
                            {f"worker{i}": p.pid for i, p in enumerate(workers.procs)})
        out["throughput"] = tp
        print(f"\n(b) throughput: {tp['mode']}")
        print(f"  completions/s (steady)             {tp['rate']:8.1f}   "
              f"(submitted {tp['submitted']}, completed {tp['completed']}, offered {tp['submit_rate']:.1f}/s)")
        print(common.fmt_summary("queue wait (submit → start)", tp["queue_wait"]))
        if "producer_throttled" in tp:
            tail = ", ".join(f"{int(t)}s:{n}" for t, n in tp["backlog_samples"][-5:])
            print(f"  producer held back by the bound:   {'yes (saturated)' if tp['producer_throttled'] else 'no'}"
                  f"   backlog (last samples) {tail}")
        print(common.cpu_report(tp["cpu_s"], tp["done_in_window"], "execution (submission window)"))
    with psycopg.connect(common.PG_DSN, autocommit=True) as conn:
        counts = dict(conn.execute("SELECT status, count(*) FROM floor_executions GROUP BY status").fetchall())
    print(f"  rows by status: {counts}")
    out["rows_by_status"] = counts
    common.write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
