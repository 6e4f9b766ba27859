"""Start the real platform processes for a benchmark: the executor, N action workers
and the scheduler, against the `attune_bench` database and Redis database 9.

Modelled on tests/e2e/harness.py and `manage.py up` (same command lines). Settings are
`attune.settings.local` with ATTUNE_DATABASE_URL / ATTUNE_BROKER_URL pointing at the
bench services and ATTUNE_HOME in a temp dir (production settings need secrets).

Use:

    from bench import platform as bp
    with bp.BenchPlatform(action_workers=2) as plat:   # migrate, register, start, wait
        bp.django_setup(plat.env)                      # this process talks to the same DB
        ...

Import it as `bench.platform` (never put bench/ itself on sys.path: this file would
shadow the standard library's `platform` module)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common

ROOT = Path(common.ROOT)
BENCH_PACK = ROOT / "bench" / "packs" / "bench"
CORE_PACK = ROOT / "packs" / "core"
SHELL_QUEUE = "runtime.shell"
CELERY_ARGS = ["-A", "attune", "worker", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]


def bench_env(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "attune.settings.local",
        "ATTUNE_DATABASE_URL": common.DATABASE_URL,
        "ATTUNE_BROKER_URL": common.BROKER_URL,
        "ATTUNE_HOME": home,
        "ATTUNE_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }
    # Anything that would redirect the children elsewhere.
    for name in ("ATTUNE_TEST_DATABASE_NAME", "ATTUNE_REDIS_URL", "ATTUNE_PACKS_DIRS"):
        if name not in (extra or {}):
            env.pop(name, None)
    return env


class PlatformError(RuntimeError):
    pass


class BenchPlatform:
    """The platform's processes, each in its own session (stopped as a group)."""

    def __init__(
        self,
        *,
        action_workers: int = 2,
        threads: int = 4,
        scheduler: bool = True,
        log_dir: str | None = None,
        extra_env: dict[str, str] | None = None,
        python: str = sys.executable,
        ready_timeout: float = 90.0,
    ) -> None:
        self.action_workers = action_workers
        self.threads = threads
        self.with_scheduler = scheduler
        self.python = python
        self.ready_timeout = ready_timeout
        self.home = tempfile.mkdtemp(prefix="attune-bench-home-")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_dir = Path(log_dir or Path(common.RESULTS_DIR) / "logs" / f"{stamp}-{os.getpid()}")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = bench_env(self.home, extra_env)
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    # --- preparation ---------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 300) -> str:
        proc = subprocess.run([self.python, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise PlatformError(f"manage.py {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def prepare(self) -> None:
        """Create the database if missing, empty Redis db 9, migrate, register packs."""
        common.ensure_database()
        common.flush_redis()
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("pack_register", str(CORE_PACK), str(BENCH_PACK))

    # --- processes -----------------------------------------------------------------
    def _start(self, role: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{role}.log", "ab")
        self._logs.append(log)
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes[role] = proc
        return proc

    def start(self) -> None:
        py = self.python
        CELERY = ["-m", "celery", *CELERY_ARGS]
        self._start("executor", [py, *CELERY, "-Q", "attune.executor", "-P", "solo", "-n", "executor@%h"])
        for i in range(self.action_workers):
            self._start(f"actions{i}", [py, *CELERY, "-Q", SHELL_QUEUE, "-P", "threads", "-c", str(self.threads),
                                        "-n", f"actions{i}@%h"])
        if self.with_scheduler:
            self._start("scheduler", [py, "manage.py", "scheduler"])

    def celery_pids(self) -> dict[str, int]:
        return {role: p.pid for role, p in self.processes.items() if role != "scheduler"}

    def check_alive(self) -> None:
        dead = {role: p.returncode for role, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise PlatformError(f"platform process(es) exited: {dead}\n{self.logs()}")

    def wait_ready(self) -> None:
        """Every Celery worker has registered its Worker row (status online, our pid):
        the rows are written on Celery's worker_ready signal, after the consumer is up."""
        import psycopg

        pids = set(self.celery_pids().values())
        deadline = time.monotonic() + self.ready_timeout
        with psycopg.connect(common.PG_DSN, autocommit=True) as conn:
            while True:
                self.check_alive()
                rows = conn.execute(
                    "SELECT pid FROM executions_worker WHERE status = 'online' AND pid = ANY(%s)", (list(pids),)
                ).fetchall()
                if {r[0] for r in rows} >= pids:
                    return
                if time.monotonic() > deadline:
                    raise PlatformError(
                        f"workers not ready after {self.ready_timeout:.0f} s (online: {sorted(r[0] for r in rows)}, "
                        f"expected {sorted(pids)})\n{self.logs()}"
                    )
                time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.processes.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(10)
        for log in self._logs:
            log.close()
        self._logs.clear()
        shutil.rmtree(self.home, ignore_errors=True)

    def logs(self, tail: int = 3000) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name}\n{text[-tail:]}")
        return "\n".join(parts)

    def start_clean(self) -> float:
        """Migrate and register, make this process a client of the same database,
        empty the event/execution tables, start the processes and wait until they are
        ready. Returns the seconds it took."""
        started = time.time()
        self.prepare()
        django_setup(self.env)
        reset_history()
        self.start()
        self.wait_ready()
        return time.time() - started

    def __enter__(self) -> BenchPlatform:
        try:
            self.prepare()
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- this process as a platform client ------------------------------------------------
def django_setup(env: dict[str, str]) -> None:
    """Configure this process like the platform's (same DB, broker, ATTUNE_HOME)."""
    for name in ("DJANGO_SETTINGS_MODULE", "ATTUNE_DATABASE_URL", "ATTUNE_BROKER_URL", "ATTUNE_HOME",
                 "ATTUNE_LOG_LEVEL"):
        os.environ[name] = env[name]
    for name in ("ATTUNE_TEST_DATABASE_NAME", "ATTUNE_REDIS_URL", "ATTUNE_PACKS_DIRS"):
        os.environ.pop(name, None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import attune  # noqa: F401 - the Celery app, made current for send_task


def reset_history() -> None:
    """Empty the event/execution tables of `attune_bench` so every run starts alike
    (after django_setup). Packs, rules and workers stay."""
    from django.db import connection

    from apps.automation.models import Enforcement, Event
    from apps.executions.models import Execution, ExecutionHistory, ExecutionOutput

    tables = [m._meta.db_table for m in (ExecutionOutput, ExecutionHistory, Enforcement, Execution, Event)]
    with connection.cursor() as cur:
        # Ids keep counting: a running executor remembers the ids it has handled (events,
        # workflow children) and would take reused ones for old ones.
        cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        for table in tables:
            cur.execute(f"ANALYZE {table}")


def process_cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its reaped children (from /proc), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    # fields[0] is state (field 3); utime=14, stime=15, cutime=16, cstime=17 (1-based)
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks
