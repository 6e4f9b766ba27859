"""Shared bits of the bench scripts: connection settings, percentiles, printing, the
machine description.

The scripts are run as files (`python bench/latency.py`), which puts bench/ first on
sys.path, where `bench/platform.py` would shadow the standard library's `platform`
module for every library that imports it. Each script therefore calls
`fix_sys_path()` (a copy of the few lines below) before importing anything else."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "bench")
RESULTS_DIR = os.path.join(BENCH_DIR, "results")  # git-ignored

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
PG_DB = "attune_bench"
PG_DSN = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DB}"
DATABASE_URL = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"

REDIS_HOST = os.environ.get("BENCH_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6379"))
REDIS_DB = 9
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"

# Targets (research/performance.md section C).
TARGET_LATENCY_P50_MS = 15.0  # G1
TARGET_LATENCY_P99_MS = 40.0
TARGET_SUCCEEDED_P50_MS = 25.0  # G2
TARGET_SUCCEEDED_P99_MS = 60.0
TARGET_THROUGHPUT = 200.0  # G3, executions/s
TARGET_QUEUE_WAIT_P99_MS = 250.0


def ensure_database() -> None:
    """Create `attune_bench` if it is missing (never touches another database)."""
    import psycopg

    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{PG_DB}"')


def redis_client():
    import redis

    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)


def flush_redis() -> None:
    """Empty Redis database 9 (only that one)."""
    redis_client().flushdb()


# --- statistics -----------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    data = sorted(values)
    k = (len(data) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    if lo == hi:
        return data[int(k)]
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean in milliseconds from seconds."""
    ms = [v * 1000.0 for v in values_s]
    if not ms:
        return {"n": 0, "p50": math.nan, "p90": math.nan, "p99": math.nan, "max": math.nan, "mean": math.nan}
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "mean": sum(ms) / len(ms),
    }


def fmt_summary(name: str, s: dict[str, float], target: str = "") -> str:
    line = (f"  {name:<44} n={s['n']:<5} p50 {s['p50']:8.2f} ms  p90 {s['p90']:8.2f} ms  "
            f"p99 {s['p99']:8.2f} ms  max {s['max']:8.2f} ms")
    return line + (f"   [target {target}]" if target else "")


def verdict(value: float, target: float, *, higher_is_better: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    ok = value >= target if higher_is_better else value <= target
    return "meets" if ok else "MISSES"


def write_json(path: str | None, data: dict[str, Any]) -> None:
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(data, fh, indent=2, default=str)


# --- CPU accounting -------------------------------------------------------------------
def _proc_cpu(pid: int | str, *, children: bool = True) -> tuple[str, float]:
    """(comm, utime+stime[+cutime+cstime]) of a process from /proc, in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        raw = fh.read()
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw.rsplit(")", 1)[1].split()
    idx = (11, 12, 13, 14) if children else (11, 12)
    return comm, sum(int(fields[i]) for i in idx) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores)."""
    with open("/proc/stat") as fh:
        parts = fh.readline().split()[1:]
    vals = [int(v) for v in parts]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    guest = sum(vals[8:10]) if len(vals) > 9 else 0  # already counted in user/nice
    return (sum(vals) - idle - guest) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by our processes (each with its reaped children, e.g. the
    actions it ran), by every postgres and redis-server process (postgres includes
    backends that exited: the postmaster reaps them), by this process, and by the
    whole machine; `other` is the machine's busy time nobody of ours accounts for,
    i.e. whatever else ran on the box meanwhile (noise)."""

    def __init__(self, pids: dict[str, int] | None = None) -> None:
        self.pids = dict(pids or {})

    def snapshot(self) -> dict[str, float]:
        snap: dict[str, float] = {}
        for role, pid in self.pids.items():
            try:
                snap[role] = _proc_cpu(pid)[1]
            except (OSError, ValueError):
                snap[role] = 0.0
        t = os.times()
        snap["bench process"] = t.user + t.system + t.children_user + t.children_system
        pg = rd = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                comm, cpu = _proc_cpu(entry)
            except (OSError, ValueError):
                continue
            if comm.startswith("postgres"):
                pg += cpu
            elif comm.startswith("redis-server"):
                rd += cpu
        snap["postgres (all)"] = pg
        snap["redis"] = rd
        snap["_busy"] = _machine_busy()
        snap["_wall"] = time.time()
        return snap

    @staticmethod
    def diff(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        d = {k: b[k] - a.get(k, 0.0) for k in b if not k.startswith("_")}
        busy = b["_busy"] - a["_busy"]
        wall = b["_wall"] - a["_wall"]
        d["other processes"] = max(0.0, busy - sum(d.values()))
        d["_busy"] = busy
        d["_wall"] = wall
        return d


def cpu_report(d: dict[str, float], per: int, what: str) -> str:
    """One line of CPU ms per item plus the machine's load from others."""
    cores = os.cpu_count() or 1
    parts = ", ".join(f"{k} {1000 * v / max(per, 1):.2f}" for k, v in d.items() if not k.startswith("_"))
    wall = d.get("_wall") or 1.0
    other = d.get("other processes", 0.0)
    line = f"  CPU ms per {what}: {parts}"
    line += (f"\n  machine busy {100 * d.get('_busy', 0) / (wall * cores):.0f}% of {cores} cores; "
             f"other processes used {100 * other / (wall * cores):.0f}%")
    if other / (wall * cores) > 0.10:
        line += "  ** the box was not quiet: figures are pessimistic **"
    return line


def wait_quiet(max_wait: float, *, threshold: float = 0.10, window: float = 3.0) -> float:
    """Wait (up to `max_wait` s) until the machine's busy share over `window` s is below
    `threshold`; returns the last share seen."""
    cores = os.cpu_count() or 1
    deadline = time.monotonic() + max_wait
    while True:
        b0 = _machine_busy()
        time.sleep(window)
        share = (_machine_busy() - b0) / (window * cores)
        if share < threshold or time.monotonic() >= deadline:
            return share
        print(f"  (machine {100 * share:.0f}% busy with other work; waiting for it to settle)", flush=True)


def pg_sessions() -> int | None:
    """Connections ever opened to attune_bench (pg_stat_database.sessions, PG ≥ 14)."""
    try:
        import psycopg

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (PG_DB,)).fetchone()
            return int(row[0]) if row else None
    except Exception:  # noqa: BLE001
        return None


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


# --- the machine ----------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _mem_total() -> str:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    kb = int(line.split()[1])
                    return f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def pg_fdatasync_us() -> str:
    """fdatasync of one 8 kB write as pg_test_fsync reports it (about 15 s with -s 1),
    run on a temp file: the commit cost that dominates durable writes."""
    exe = shutil.which("pg_test_fsync")
    if exe is None:
        for cand in sorted(os.listdir("/usr/lib/postgresql"), reverse=True) if os.path.isdir("/usr/lib/postgresql") else []:
            path = f"/usr/lib/postgresql/{cand}/bin/pg_test_fsync"
            if os.path.exists(path):
                exe = path
                break
    if exe is None:
        return "pg_test_fsync not found"
    with tempfile.TemporaryDirectory(prefix="bench-fsync-") as tmp:
        try:
            out = subprocess.run([exe, "-s", "1", "-f", os.path.join(tmp, "f")], capture_output=True, text=True,
                                 timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"pg_test_fsync failed: {exc}"
    # The first "fdatasync" line is in "Compare file sync methods using one 8kB write".
    m = re.search(r"^\s*fdatasync\s+([\d.,]+) ops/sec\s+([\d.,]+) usecs/op", out, re.M)
    return f"{m.group(2)} µs/op ({m.group(1)} ops/s)" if m else "unparsed"


def machine_info(*, fsync: bool = False) -> dict[str, str]:
    info: dict[str, str] = {
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _mem_total(),
        "kernel": " ".join(os.uname()[2:3]),
        "python": sys.version.split()[0],
    }
    try:
        import psycopg

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            settings = []
            for name in ("fsync", "synchronous_commit", "shared_buffers"):
                settings.append(f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}")
            info["postgresql settings"] = ", ".join(settings)
    except Exception as exc:  # noqa: BLE001 - a description, not a check
        info["postgresql"] = f"unreachable ({exc})"
    try:
        server = redis_client().info("server")
        info["redis"] = str(server.get("redis_version"))
    except Exception as exc:  # noqa: BLE001
        info["redis"] = f"unreachable ({exc})"
    try:
        import celery
        import django
        import kombu

        info["celery / kombu / django"] = f"{celery.__version__} / {kombu.__version__} / {django.get_version()}"
    except Exception:  # noqa: BLE001
        pass
    if fsync:
        info["pg_test_fsync fdatasync (8 kB)"] = pg_fdatasync_us()
    return info


def print_machine(info: dict[str, str]) -> None:
    print("Machine:")
    for key, value in info.items():
        print(f"  {key:<32} {value}")
