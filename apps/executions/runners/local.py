"""Runners that start a process: shell, python, node and native executables. Each
is served by its runtime's queue (`runtime.shell`, …)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from apps.packs.selectors import runtime_for

from . import io
from .base import Job, RunOutcome
from .process import run_process

# The worker's own environment is not passed on (it holds the platform's secrets);
# only these variables are.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL")
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_cache_lock = threading.Lock()
_runtime_cache: dict[str, tuple[float, dict]] = {}
_binary_cache: dict[tuple[str, tuple[str, ...]], str] = {}
_RUNTIME_TTL = 30.0


class RuntimeUnavailable(Exception):
    pass


def _runtime(name: str) -> dict:
    """The runtime's queue and interpreter, cached briefly: it is read on every run."""
    now = time.monotonic()
    with _cache_lock:
        hit = _runtime_cache.get(name)
        if hit and now - hit[0] < _RUNTIME_TTL:
            return hit[1]
    runtime = runtime_for(name)
    if runtime is None:
        raise RuntimeUnavailable(f"no runtime named {name!r} is registered")
    data = {"name": runtime.name, "queue": runtime.queue, "interpreter": runtime.interpreter}
    with _cache_lock:
        _runtime_cache[name] = (now, data)
    return data


def resolve_binary(binary: str, probe: list[str]) -> str:
    """An absolute path to the interpreter, resolved once per process. A `probe` asks
    the interpreter for its real path, which skips version-manager shims (a pyenv shim
    costs ~100 ms per start, the interpreter itself ~10 ms)."""
    key = (binary, tuple(probe))
    with _cache_lock:
        if key in _binary_cache:
            return _binary_cache[key]
    found = binary if os.path.isabs(binary) else shutil.which(binary, path=os.environ.get("PATH", _DEFAULT_PATH))
    if not found:
        raise RuntimeUnavailable(f"interpreter {binary!r} is not installed on this worker")
    if probe:
        try:
            answer = subprocess.run([found, *probe], capture_output=True, text=True, timeout=30)
            real = answer.stdout.strip().splitlines()[-1] if answer.returncode == 0 and answer.stdout.strip() else ""
            if real and os.path.isabs(real) and os.access(real, os.X_OK):
                found = real
        except (OSError, subprocess.TimeoutExpired):
            pass
    with _cache_lock:
        _binary_cache[key] = found
    return found


def base_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.setdefault("PATH", _DEFAULT_PATH)
    return env


def script_path(job: Job) -> Path:
    if job.pack_dir is None:
        raise RuntimeUnavailable(f"pack {job.pack_ref} has no directory on this worker")
    actions_dir = (job.pack_dir / "actions").resolve()
    path = (actions_dir / job.entry_point).resolve()
    # The entry point was checked at registration; check again in case the pack
    # directory changed since, so nothing outside the pack is ever executed.
    if actions_dir not in path.parents:
        raise RuntimeUnavailable(f"entry point {job.entry_point!r} is outside the pack's actions directory")
    if not path.is_file():
        raise RuntimeUnavailable(f"entry point {path} does not exist on this worker")
    return path


class ProcessRunner:
    """Runs the entry point with the runtime's interpreter (none for native), or, for a
    shell action without an entry point, its `cmd` parameter as a command line."""

    def __init__(self, name: str, default_queue: str) -> None:
        self.name = name
        self.queue = default_queue

    def queue_for(self) -> str:
        try:
            return _runtime(self.name)["queue"]
        except RuntimeUnavailable:
            return self.queue

    def argv(self, job: Job) -> tuple[list[str], str | None]:
        interpreter = _runtime(self.name)["interpreter"] or {}
        prefix: list[str] = []
        if interpreter.get("binary"):
            prefix = [resolve_binary(interpreter["binary"], interpreter.get("probe") or []), *interpreter.get("args", [])]
        cwd = job.parameters.get("cwd") if isinstance(job.parameters.get("cwd"), str) else None
        if not job.entry_point:
            cmd = job.parameters.get("cmd")
            if not isinstance(cmd, str) or not cmd:
                raise RuntimeUnavailable("this action has no entry point and no 'cmd' parameter to run")
            return [*(prefix or ["/bin/sh"]), "-c", cmd], cwd
        path = script_path(job)
        if not prefix and not os.access(path, os.X_OK):
            raise RuntimeUnavailable(f"{path} is not executable")
        return [*prefix, str(path)], cwd or str(path.parent)

    def run(self, job: Job) -> RunOutcome:
        try:
            argv, cwd = self.argv(job)
        except RuntimeUnavailable as exc:
            return RunOutcome(status="failed", error=str(exc))
        env = base_environment()
        extra = job.parameters.get("env")
        if isinstance(extra, dict):
            env.update({str(k): str(v) for k, v in extra.items() if not str(k).startswith("ATTUNE_")})
        env.update(job.env)
        stdin = io.format_parameters(job.parameters, job.parameter_format)
        if job.parameter_delivery == "file":
            param_file = job.work_dir / f"parameters.{job.parameter_format}"
            fd = os.open(param_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(stdin)
            env["ATTUNE_PARAMETER_FILE"] = str(param_file)
            stdin = b""
        env["ATTUNE_PARAMETER_FORMAT"] = job.parameter_format
        env["ATTUNE_PARAMETER_DELIVERY"] = job.parameter_delivery
        outcome = run_process(
            argv, stdin_data=stdin, env=env, cwd=cwd, timeout=job.timeout, kill_grace=job.kill_grace,
            max_output=job.max_output, on_output=job.on_output, flush_interval=job.flush_interval,
            cancel=job.cancel, on_spawn=job.on_spawn,
        )
        return outcome_of(outcome, job.output_format)


def outcome_of(proc, output_format: str) -> RunOutcome:
    if proc.spawn_error:
        return RunOutcome(status="failed", error=proc.spawn_error)
    if proc.canceled:
        status = "canceled"
    elif proc.timed_out:
        status = "timeout"
    else:
        status = "succeeded" if proc.exit_code == 0 else "failed"
    exit_code = proc.exit_code
    error = ""
    if proc.timed_out:
        error = "the action ran past its timeout and was stopped"
    elif proc.canceled:
        error = "canceled while running"
    elif status == "failed":
        error = f"exited with code {exit_code}" if (exit_code or 0) >= 0 else f"killed by signal {-(exit_code or 0)}"
    text = {"stdout": proc.stdout, "stderr": proc.stderr, "exit_code": exit_code}
    if output_format == "text":
        result = text
    else:
        value, parse_error = io.parse_output(proc.stdout, output_format)
        if parse_error:
            result = {**text, "parse_error": parse_error}
            error = error or parse_error
        else:
            result = value
    return RunOutcome(
        status=status, result=result, stdout=proc.stdout, stderr=proc.stderr,
        stdout_truncated=proc.stdout_truncated, stderr_truncated=proc.stderr_truncated,
        exit_code=exit_code, error=error, spawned_at=proc.spawned_at,
    )
