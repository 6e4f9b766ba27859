"""run_process and kill_tree against real subprocesses (no Django)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import signal
import sys
import textwrap
import threading
import time
import types
from collections.abc import Iterator

import psutil
import pytest


def _load(name: str) -> types.ModuleType:
    """The module loaded from its file: importing it as apps.executions.runners.<name>
    runs the package's __init__, which registers the Django-backed runners and so
    needs configured settings. These tests run without Django."""
    path = os.path.join(os.path.dirname(__file__), os.pardir, "runners", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_attune_runners_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


process = _load("process")
kill_tree, run_process = process.kill_tree, process.run_process

PY = sys.executable
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

# A main process that starts a grandchild in its own session (setsid), reports both
# pids, then either sleeps (argv[1] == "stay") or exits at once leaving the grandchild
# holding our stdout/stderr.
SPAWN_TREE = textwrap.dedent("""
    import os, subprocess, sys, time
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    print(os.getpid(), child.pid, flush=True)
    if sys.argv[1] == "stay":
        time.sleep(600)
""")


def _gone(pid: int) -> bool:
    # Reparented grandchildren may stay zombies if PID 1 does not reap: dead all the same.
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def strays() -> Iterator[list[int]]:
    """Pids a test may leave behind on failure; killed afterwards."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_exit_code_and_streams() -> None:
    """The exit code, stdout and stderr of the process are reported."""
    out = run_process(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], env=ENV)
    assert (out.exit_code, out.signal, out.stdout, out.stderr) == (3, None, "out\n", "err\n")
    assert not (out.timed_out or out.canceled or out.stdout_truncated or out.spawn_error)
    assert out.pid and out.started_at <= out.spawned_at <= out.finished_at


def test_success_exit_code_zero() -> None:
    """A process that succeeds reports exit code 0 and no signal."""
    out = run_process(["/bin/sh", "-c", "true"], env=ENV)
    assert (out.exit_code, out.signal, out.stdout, out.stderr) == (0, None, "", "")


def test_env_is_exactly_what_was_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child sees only the given environment, nothing inherited from the worker."""
    monkeypatch.setenv("ATTUNE_WORKER_SECRET", "do-not-leak")
    out = run_process(["/usr/bin/env"], env={"ONLY": "this"})
    assert out.stdout == "ONLY=this\n"


def test_stdin_json_is_delivered() -> None:
    """stdin_data reaches the child, which can parse it as JSON."""
    code = "import json, sys; d = json.load(sys.stdin); print(d['n'] + 1)"
    out = run_process([PY, "-c", code], stdin_data=json.dumps({"n": 41}).encode(), env=ENV)
    assert (out.exit_code, out.stdout) == (0, "42\n")


def test_child_ignoring_large_stdin() -> None:
    """A child that never reads a 1 MB stdin payload and exits causes no error or hang."""
    t0 = time.monotonic()
    out = run_process(["/bin/sh", "-c", "sleep 0.2; echo done"], stdin_data=b"x" * (1 << 20), env=ENV)
    assert (out.exit_code, out.stdout, out.spawn_error) == (0, "done\n", None)
    assert time.monotonic() - t0 < 3


def test_large_stdin_and_stdout_at_once_do_not_deadlock() -> None:
    """4 MB through `cat` (which writes while we are still writing its stdin) comes back intact."""
    payload = b"0123456789abcdef" * (1 << 18)
    out = run_process(["cat"], stdin_data=payload, env=ENV, max_output=8 << 20)
    assert out.exit_code == 0 and out.stdout.encode() == payload


def test_output_cap_truncates_and_keeps_draining() -> None:
    """Past max_output the stream is cut and flagged while a 5 MB writer finishes promptly."""
    code = "import sys; sys.stdout.buffer.write(b'x' * (5 << 20)); sys.stderr.write('e')"
    t0 = time.monotonic()
    out = run_process([PY, "-c", code], env=ENV, max_output=64 << 10)
    assert out.exit_code == 0 and time.monotonic() - t0 < 5
    assert (len(out.stdout), out.stdout_truncated) == (64 << 10, True)
    assert (out.stderr, out.stderr_truncated) == ("e", False)


def test_on_output_batches_everything_within_the_cap_in_order() -> None:
    """on_output gets all kept bytes in order, no more often than flush_interval, plus a final flush."""
    code = "import sys, time\nfor i in range(30):\n    print(i, flush=True); time.sleep(0.01)\nprint('E', file=sys.stderr)"
    calls: list[tuple[float, str, bytes]] = []
    out = run_process([PY, "-c", code], env=ENV, flush_interval=0.1,
                      on_output=lambda s, d: calls.append((time.monotonic(), s, d)))
    got = b"".join(d for _, s, d in calls if s == "stdout")
    assert got.decode() == out.stdout == "".join(f"{i}\n" for i in range(30))
    assert b"".join(d for _, s, d in calls if s == "stderr") == b"E\n"
    # Flushes are flush_interval apart, except the final one, which may come early.
    stdout_times = [t for t, s, _ in calls if s == "stdout"]
    assert 1 < len(stdout_times) < 30  # streamed while running, but batched, not one call per line
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(stdout_times[:-1]))


def test_on_output_only_passes_bytes_within_the_cap() -> None:
    """Streamed output stops at the cap, like the stored output."""
    chunks: list[bytes] = []
    code = "import sys; sys.stdout.write('y' * 100000)"
    out = run_process([PY, "-c", code], env=ENV, max_output=1000, on_output=lambda s, d: chunks.append(d))
    assert b"".join(chunks) == b"y" * 1000 and out.stdout_truncated


def test_on_output_never_splits_a_utf8_character() -> None:
    """Each streamed chunk decodes on its own: a multibyte character cut by a read waits for the next flush."""
    code = ("import sys, time\nb = 'é€'.encode()\n"
            "for i in range(5):\n    sys.stdout.buffer.write(b[:i % 3 + 1]); sys.stdout.flush(); time.sleep(0.03)\n"
            "    sys.stdout.buffer.write(b[i % 3 + 1:]); sys.stdout.flush()")
    chunks: list[bytes] = []
    out = run_process([PY, "-c", code], env=ENV, flush_interval=0.01, on_output=lambda s, d: chunks.append(d))
    for chunk in chunks:
        chunk.decode()  # raises if a character was split
    assert out.stdout == "é€" * 5


def test_timeout_sends_sigterm() -> None:
    """At the timeout the process is terminated with SIGTERM and marked timed out, even when silent."""
    t0 = time.monotonic()
    out = run_process([PY, "-c", "import time; time.sleep(30)"], env=ENV, timeout=0.3, kill_grace=2)
    elapsed = time.monotonic() - t0
    assert out.timed_out and not out.canceled
    assert (out.exit_code, out.signal) == (-signal.SIGTERM, signal.SIGTERM)
    assert 0.3 <= elapsed < 1.0


def test_timeout_sigkills_a_child_that_ignores_sigterm() -> None:
    """A child ignoring SIGTERM is SIGKILLed once the grace period is over; partial output is kept."""
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(30)"
    t0 = time.monotonic()
    out = run_process([PY, "-c", code], env=ENV, timeout=1.0, kill_grace=0.5)
    elapsed = time.monotonic() - t0
    assert out.timed_out and (out.exit_code, out.signal) == (-signal.SIGKILL, signal.SIGKILL)
    assert out.stdout == "ready\n"
    assert 1.5 <= elapsed < 2.5


def test_timeout_kills_setsid_grandchild(strays: list[int]) -> None:
    """On timeout both the child and a grandchild that left the process group via setsid are gone."""
    t0 = time.monotonic()
    out = run_process([PY, "-c", SPAWN_TREE, "stay"], env=ENV, timeout=1.0, kill_grace=1.0)
    elapsed = time.monotonic() - t0
    child, grandchild = (int(p) for p in out.stdout.split())
    strays.append(grandchild)
    assert out.timed_out and child == out.pid and elapsed < 2.5
    deadline = time.monotonic() + 1
    while not (_gone(child) and _gone(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(child) and _gone(grandchild)


def test_daemonised_grandchild_holding_pipes_does_not_block(strays: list[int]) -> None:
    """A main process exiting normally returns within ~pipe_drain_timeout though a grandchild holds its pipes."""
    t0 = time.monotonic()
    out = run_process([PY, "-c", SPAWN_TREE, "leave"], env=ENV, pipe_drain_timeout=0.3)
    elapsed = time.monotonic() - t0
    child, grandchild = (int(p) for p in out.stdout.split())
    strays.append(grandchild)
    assert (out.exit_code, out.timed_out, child) == (0, False, out.pid)
    assert elapsed < 1.5
    assert not _gone(grandchild)  # left alone: only a timeout or cancel kills the tree


def test_without_pidfd(monkeypatch: pytest.MonkeyPatch, strays: list[int]) -> None:
    """Where pidfd_open is unavailable, exit is polled: normal runs, timeouts and pipe draining still work."""
    monkeypatch.setattr(process, "_pidfd_usable", False)
    out = run_process(["/bin/sh", "-c", "echo hi; exit 4"], env=ENV)
    assert (out.exit_code, out.stdout) == (4, "hi\n")
    out = run_process(["sleep", "30"], env=ENV, timeout=0.2, kill_grace=1)
    assert out.timed_out and out.exit_code == -signal.SIGTERM
    t0 = time.monotonic()
    out = run_process([PY, "-c", SPAWN_TREE, "leave"], env=ENV, pipe_drain_timeout=0.2)
    strays.append(int(out.stdout.split()[1]))
    assert out.exit_code == 0 and time.monotonic() - t0 < 1.5


def test_cancel_from_another_thread() -> None:
    """Setting the cancel event terminates the process and marks it canceled."""
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    t0 = time.monotonic()
    out = run_process(["sleep", "30"], env=ENV, cancel=cancel, kill_grace=1)
    assert out.canceled and not out.timed_out and out.exit_code == -signal.SIGTERM
    assert time.monotonic() - t0 < 1.0


def test_kill_tree_from_another_thread() -> None:
    """kill_tree, given the pid reported by on_spawn, stops the running process."""
    pids: list[int] = []
    spawned = threading.Event()

    def on_spawn(pid: int) -> None:
        pids.append(pid)
        spawned.set()

    result = []
    runner = threading.Thread(target=lambda: result.append(
        run_process(["/bin/sh", "-c", "sleep 30"], env=ENV, on_spawn=on_spawn)))
    runner.start()
    assert spawned.wait(5)
    kill_tree(pids[0], grace=1)
    runner.join(5)
    assert result and result[0].pid == pids[0] and result[0].exit_code == -signal.SIGTERM


def test_spawn_error_for_missing_executable() -> None:
    """A missing executable is reported as spawn_error naming it, without raising."""
    out = run_process(["/nonexistent/attune-prog", "x"], env=ENV)
    assert out.spawn_error and "/nonexistent/attune-prog" in out.spawn_error
    assert (out.exit_code, out.pid) == (None, None)


def test_spawn_error_for_non_executable_file(tmp_path) -> None:
    """A file without execute permission is a spawn error, not an exception."""
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    out = run_process([str(script)], env=ENV)
    assert out.spawn_error and "Permission denied" in out.spawn_error


def test_spawn_error_for_missing_cwd_and_nul_byte() -> None:
    """A missing working directory or a NUL byte in the environment is a spawn error."""
    out = run_process(["true"], env=ENV, cwd="/nonexistent-dir")
    assert out.spawn_error and "/nonexistent-dir" in out.spawn_error
    out = run_process(["true"], env={**ENV, "X": "a\0b"})
    assert out.spawn_error and out.pid is None
