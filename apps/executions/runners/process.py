"""Run one action process: feed it its parameters on stdin, read stdout and stderr
without blocking on either, stream them in batches, enforce the timeout and cancel,
and kill the whole process tree when it has to stop (research/reliability.md §2.12,
R-11). Pure Python; everything happens in the calling thread."""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import psutil

log = logging.getLogger(__name__)

# Cancel and the timeout are checked at least this often while the child is silent.
_TICK = 0.1
_READ_SIZE = 1 << 16
# After SIGKILL a process can only linger in uninterruptible sleep (a hung NFS
# mount, …); past this we stop waiting rather than hang the worker, and let
# subprocess reap the process later.
_REAP_AFTER_KILL = 5.0
# Without a pidfd the child's exit is polled, starting fast (most actions end
# right after closing their pipes) and backing off.
_POLL_FIRST, _POLL_MAX = 0.0005, 0.05

# pidfd_open can be missing (old kernel) or refused (seccomp); found out once.
_pidfd_usable = hasattr(os, "pidfd_open")


@dataclass
class ProcessOutcome:
    exit_code: int | None  # returncode semantics: negative = ended by that signal; None = no process/never reaped
    signal: int | None  # the signal that ended it, if any
    stdout: str  # decoded utf-8 with errors="replace", capped
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    canceled: bool
    spawn_error: str | None  # no process ran (executable missing, not executable, bad cwd, NUL byte)
    started_at: float  # time.time() just before spawn
    spawned_at: float  # time.time() right after the process was created
    finished_at: float
    pid: int | None


def run_process(
    argv: Sequence[str],
    *,
    stdin_data: bytes = b"",
    env: Mapping[str, str],
    cwd: str | None = None,
    timeout: float | None = None,
    kill_grace: float = 5.0,
    max_output: int = 1 << 20,
    on_output: Callable[[str, bytes], None] | None = None,
    flush_interval: float = 0.25,
    cancel: threading.Event | None = None,
    on_spawn: Callable[[int], None] | None = None,
    pipe_drain_timeout: float = 1.0,
) -> ProcessOutcome:
    """Run `argv` to completion in its own session with exactly `env`, and return what
    happened. Never raises for a process that cannot start (see `spawn_error`).
    Exceptions raised by `on_output`/`on_spawn` are logged, not propagated: a failing
    output sink must not orphan or fail a running action."""
    started_at = time.time()
    if not argv:
        return _failed_spawn("cannot start an empty command line", started_at)
    try:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            # bufsize=0: raw FileIO objects, so closing stdin never flushes (and never
            # raises BrokenPipeError) and we can use their fds directly.
            bufsize=0, env=dict(env), cwd=cwd, close_fds=True, start_new_session=True,
        )
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in argv or env
        return _failed_spawn(_spawn_message(argv, cwd, exc), started_at)
    spawned_at = time.time()
    run: _Supervisor | None = None
    try:
        if on_spawn is not None:
            try:
                on_spawn(proc.pid)
            except Exception:
                log.exception("on_spawn callback failed for pid %s", proc.pid)
        run = _Supervisor(
            proc, stdin_data=stdin_data, timeout=timeout, kill_grace=kill_grace, max_output=max_output,
            on_output=on_output, flush_interval=flush_interval, cancel=cancel, pipe_drain_timeout=pipe_drain_timeout,
        )
        returncode = run.supervise()
    except BaseException:
        # A bug here or a KeyboardInterrupt must not leave an unsupervised action behind.
        _TreeKiller(proc.pid).kill()
        raise
    finally:
        if run is not None:
            run.close()
    return ProcessOutcome(
        exit_code=returncode,
        signal=-returncode if returncode is not None and returncode < 0 else None,
        stdout=_decode(run.kept["stdout"], run.truncated["stdout"]),
        stderr=_decode(run.kept["stderr"], run.truncated["stderr"]),
        stdout_truncated=run.truncated["stdout"],
        stderr_truncated=run.truncated["stderr"],
        timed_out=run.timed_out,
        canceled=run.canceled,
        spawn_error=None,
        started_at=started_at,
        spawned_at=spawned_at,
        finished_at=time.time(),
        pid=proc.pid,
    )


def kill_tree(pid: int, *, grace: float) -> None:
    """SIGTERM the process group led by `pid` and every descendant of `pid`, then
    SIGKILL whatever is still alive after `grace` seconds. Safe to call from another
    thread than the one running the process, but prefer setting run_process's
    `cancel` event: only then is the outcome marked canceled."""
    killer = _TreeKiller(pid)
    killer.terminate()
    end = time.monotonic() + grace
    while killer.alive() and time.monotonic() < end:
        time.sleep(0.02)
    if killer.alive():
        killer.kill()


class _Supervisor:
    """The selector loop of one run_process call."""

    def __init__(
        self, proc: subprocess.Popen[bytes], *, stdin_data: bytes, timeout: float | None, kill_grace: float,
        max_output: int, on_output: Callable[[str, bytes], None] | None, flush_interval: float,
        cancel: threading.Event | None, pipe_drain_timeout: float,
    ) -> None:
        self.proc = proc
        self.timeout, self.kill_grace, self.max_output = timeout, kill_grace, max_output
        self.on_output, self.flush_interval, self.cancel = on_output, flush_interval, cancel
        self.pipe_drain_timeout = pipe_drain_timeout
        self.kept = {"stdout": bytearray(), "stderr": bytearray()}
        self.truncated = {"stdout": False, "stderr": False}
        self.pending = {"stdout": bytearray(), "stderr": bytearray()}
        self.timed_out = self.canceled = False
        self.callback_failed = False
        self.stdin_view = memoryview(stdin_data)
        self.stdin_pos = 0
        # poll(2) costs no file descriptor to set up, unlike epoll, and we watch ≤ 4 fds.
        self.sel: selectors.BaseSelector = (
            selectors.PollSelector() if hasattr(selectors, "PollSelector") else selectors.DefaultSelector()
        )
        self.readers: dict[int, str] = {}
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            self.sel.register(pipe.fileno(), selectors.EVENT_READ, name)
            self.readers[pipe.fileno()] = name
        self.pidfd = _open_pidfd(proc.pid)
        if self.pidfd is not None:
            # Readable once the child exits, even while a grandchild holds our pipes open.
            self.sel.register(self.pidfd, selectors.EVENT_READ, "exit")

    def supervise(self) -> int | None:
        """Loop until the child has exited and its pipes are drained; the returncode,
        or None if a SIGKILLed child never died."""
        proc = self.proc
        self._start_stdin()
        start = time.monotonic()
        deadline = start + self.timeout if self.timeout is not None else None
        last_flush = start
        exited_at: float | None = None
        killer: _TreeKiller | None = None
        escalate_at = give_up_at = 0.0
        settled = False  # the kill sequence (if any) needs nothing more from us
        poll_step = _POLL_FIRST
        while True:
            now = time.monotonic()
            if exited_at is None and self.pidfd is None and _has_exited(proc):
                exited_at = now
            # Timeout and cancel only stop a running action: once the child has exited
            # on its own its exit code is the outcome, whatever happens while draining.
            if killer is None and exited_at is None:
                if deadline is not None and now >= deadline:
                    self.timed_out = True
                elif self.cancel is not None and self.cancel.is_set():
                    self.canceled = True
                if self.timed_out or self.canceled:
                    killer = _TreeKiller(proc.pid)
                    killer.terminate()
                    escalate_at = now + self.kill_grace
            elif killer is not None and not settled:
                if not killer.killed:
                    # The child is gone, but a descendant trapping SIGTERM may not be.
                    if exited_at is not None and not killer.descendants_alive():
                        settled = True
                    elif now >= escalate_at:
                        killer.kill()
                        give_up_at = now + _REAP_AFTER_KILL
                elif exited_at is not None:
                    settled = True
                elif now >= give_up_at:
                    log.warning("pid %s survived SIGKILL for %.0f s; not waiting for it", proc.pid, _REAP_AFTER_KILL)
                    self._flush()
                    return None
            if exited_at is not None and self.readers and now >= exited_at + self.pipe_drain_timeout:
                # A daemonised grandchild inherited our pipes and may hold them for
                # hours: the action is over, so stop reading instead of waiting for EOF.
                for fd in list(self.readers):
                    self._close_reader(fd)
            if exited_at is not None and not self.readers and (killer is None or settled):
                break

            if self.on_output is not None and now - last_flush >= self.flush_interval:
                self._flush()
                last_flush = now

            wait = _TICK
            if deadline is not None and killer is None:
                wait = min(wait, deadline - now)
            if killer is not None and not killer.killed:
                # Poll for SIGTERM-trapping descendants more often once the child is gone.
                wait = min(wait, escalate_at - now, 0.02 if exited_at is not None else wait)
            if killer is not None and killer.killed:
                wait = min(wait, give_up_at - now)
            if exited_at is not None and self.readers:
                wait = min(wait, exited_at + self.pipe_drain_timeout - now)
            if self.on_output is not None and (self.pending["stdout"] or self.pending["stderr"]):
                wait = min(wait, last_flush + self.flush_interval - now)
            if exited_at is None and self.pidfd is None:
                wait = min(wait, poll_step)
                poll_step = min(poll_step * 2, _POLL_MAX)

            for key, _events in self.sel.select(max(wait, 0.0)):
                if key.data == "exit":
                    exited_at = time.monotonic()
                    self._close_pidfd()
                elif key.data == "stdin":
                    self._write_stdin()
                else:
                    self._read(key.fd)
        self._flush()
        # The child has exited (seen through the pidfd or waitid(WNOWAIT), neither of
        # which reaps), so this returns at once. Reaping only now keeps the pid, and
        # with it the process group id, reserved while we may still signal the group.
        return proc.wait()

    def _start_stdin(self) -> None:
        assert self.proc.stdin is not None
        if not self.stdin_view:
            self.proc.stdin.close()
            return
        fd = self.proc.stdin.fileno()
        # Non-blocking, so a child that writes a lot before reading its stdin can never
        # deadlock with us: we go on reading its output whenever the pipe is full.
        os.set_blocking(fd, False)
        self._write_stdin()  # most payloads fit in the pipe buffer: no selector round trip
        if self.proc.stdin.closed:
            return
        self.sel.register(fd, selectors.EVENT_WRITE, "stdin")

    def _write_stdin(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.stdin_pos += os.write(self.proc.stdin.fileno(), self.stdin_view[self.stdin_pos:])
        except BlockingIOError:
            return
        except OSError:
            # EPIPE: the child exited or closed its stdin without reading it all,
            # which is its right; the rest of the parameters are simply not delivered.
            self.stdin_pos = len(self.stdin_view)
        if self.stdin_pos >= len(self.stdin_view):
            self._close_stdin()

    def _close_stdin(self) -> None:
        assert self.proc.stdin is not None
        if self.proc.stdin.closed:
            return
        try:
            self.sel.unregister(self.proc.stdin.fileno())
        except KeyError:
            pass
        self.proc.stdin.close()

    def _read(self, fd: int) -> None:
        name = self.readers[fd]
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_reader(fd)
            return
        kept = self.kept[name]
        room = self.max_output - len(kept)
        if len(data) > room:
            # Keep reading and discarding past the cap: a child blocked on a full pipe
            # would never finish (or never notice SIGTERM's cleanup path finishing).
            self.truncated[name] = True
            data = data[:max(room, 0)]
        if data:
            kept += data
            if self.on_output is not None:
                self.pending[name] += data

    def _close_reader(self, fd: int) -> None:
        name = self.readers.pop(fd)
        self.sel.unregister(fd)
        pipe = self.proc.stdout if name == "stdout" else self.proc.stderr
        assert pipe is not None
        pipe.close()

    def _flush(self) -> None:
        if self.on_output is None:
            return
        final = not self.readers
        for name in ("stdout", "stderr"):
            pending = self.pending[name]
            # Hold back a UTF-8 sequence cut by the read boundary until it is complete,
            # so a consumer decoding each chunk on its own never splits a character.
            size = len(pending) if final else _utf8_prefix(pending)
            if not size:
                continue
            chunk = bytes(pending[:size])
            del pending[:size]
            try:
                self.on_output(name, chunk)
            except Exception:
                if not self.callback_failed:
                    log.exception("on_output callback failed for pid %s; the action keeps running", self.proc.pid)
                self.callback_failed = True

    def _close_pidfd(self) -> None:
        if self.pidfd is not None:
            self.sel.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None

    def close(self) -> None:
        self._close_pidfd()
        self.sel.close()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()


class _TreeKiller:
    """Signals a process, its process group, and every descendant, including those
    that left the group with setsid(). Descendants are snapshotted before the first
    signal: once a parent dies its children are reparented and cannot be found."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.killed = False
        self.tree: dict[int, psutil.Process] = {}
        try:
            # psutil remembers the creation time and refuses to signal a reused pid.
            self.leader: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self.leader = None
        try:
            pgid: int | None = os.getpgid(pid)
        except OSError:
            pgid = None
        # Only a group the process leads (it was started in its own session), and never
        # our own: signalling a group we belong to would kill the worker.
        self.pgid = pgid if pgid == pid and pgid != os.getpgrp() else None

    def terminate(self) -> None:
        self._snapshot()
        self._signal(signal.SIGTERM)
        # A stopped process only acts on SIGTERM once continued.
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        self.killed = True
        self._snapshot()  # catch what was forked during the grace period
        self._signal(signal.SIGKILL)

    def alive(self) -> bool:
        return (self.leader is not None and _running(self.leader)) or self.descendants_alive()

    def descendants_alive(self) -> bool:
        return any(_running(p) for p in self.tree.values())

    def _snapshot(self) -> None:
        roots = [p for p in (self.leader, *self.tree.values()) if p is not None and _running(p)]
        for root in roots:
            try:
                for child in root.children(recursive=True):
                    self.tree.setdefault(child.pid, child)
            except psutil.Error:
                pass

    def _signal(self, sig: int) -> None:
        if self.pgid is not None:
            try:
                os.killpg(self.pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        for proc in (self.leader, *self.tree.values()):
            if proc is None:
                continue
            try:
                if self.pgid is not None and os.getpgid(proc.pid) == self.pgid:
                    continue  # the group signal reached it
            except OSError:
                continue  # already gone
            try:
                proc.send_signal(sig)
            except psutil.Error:
                pass


def _running(proc: psutil.Process) -> bool:
    # A zombie is dead for our purposes: nothing reaps it if it was reparented to a
    # PID 1 that does not wait() (common in containers).
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _open_pidfd(pid: int) -> int | None:
    global _pidfd_usable
    if not _pidfd_usable:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        _pidfd_usable = False
        return None


def _has_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether our child has exited, without reaping it (WNOWAIT) where possible."""
    if not hasattr(os, "waitid"):  # not Linux: reaping early only loses the group-id guarantee
        return proc.poll() is not None
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # already reaped (SIGCHLD ignored): certainly gone
        return True


def _utf8_prefix(data: bytearray) -> int:
    """Length of the longest prefix of `data` that does not end inside a UTF-8 sequence."""
    end = len(data)
    for back in range(1, min(4, end) + 1):
        byte = data[end - back]
        if byte < 0x80:
            return end  # ASCII: nothing cut
        if byte >= 0xC0:  # a lead byte: complete if enough continuation bytes follow
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return end if back >= need else end - back
    return end  # only continuation bytes (invalid UTF-8): pass as is


def _decode(data: bytearray, truncated: bool) -> str:
    # The cap can cut a character in half; drop the fragment rather than show U+FFFD.
    return bytes(data[:_utf8_prefix(data)] if truncated else data).decode("utf-8", errors="replace")


def _spawn_message(argv: Sequence[str], cwd: str | None, exc: OSError | ValueError) -> str:
    if isinstance(exc, ValueError):
        return f"cannot start {argv[0]!r}: {exc}"
    reason = exc.strerror or str(exc)
    if cwd is not None and exc.filename == cwd:
        return f"cannot start {argv[0]!r}: working directory {cwd!r}: {reason}"
    return f"cannot start {argv[0]!r}: {reason}"


def _failed_spawn(message: str, started_at: float) -> ProcessOutcome:
    now = time.time()
    return ProcessOutcome(
        exit_code=None, signal=None, stdout="", stderr="", stdout_truncated=False, stderr_truncated=False,
        timed_out=False, canceled=False, spawn_error=message, started_at=started_at, spawned_at=now,
        finished_at=now, pid=None,
    )
