"""The runner registry. A runner turns a claimed execution into an outcome. Runners
with a `queue` run on action workers (`runtime.<name>`); runners without one complete
where the execution is scheduled (noop) or are driven by a higher app (workflow,
inquiry), which registers its own runner here."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from apps.core.errors import InvalidInput


@dataclass
class Job:
    execution_id: int
    action_ref: str
    runner_type: str
    entry_point: str
    pack_ref: str
    pack_dir: Path | None
    parameters: dict[str, Any]
    parameter_format: str
    parameter_delivery: str
    output_format: str
    timeout: float | None
    kill_grace: float
    max_output: int
    flush_interval: float
    env: dict[str, str]
    work_dir: Path
    cancel: threading.Event = field(default_factory=threading.Event)
    on_output: Callable[[str, bytes], None] | None = None
    on_spawn: Callable[[int], None] | None = None


@dataclass
class RunOutcome:
    status: str  # a terminal execution status
    result: Any = None
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    exit_code: int | None = None
    error: str = ""
    spawned_at: float | None = None


class Runner(Protocol):
    name: str
    # The broker queue of the workers that run it; None when it needs no worker.
    queue: str | None

    def run(self, job: Job) -> RunOutcome: ...


_runners: dict[str, Runner] = {}
_aliases: dict[str, str] = {}
_queue_resolvers: dict[str, Callable[[str], str | None]] = {}


def register(runner: Runner, *, aliases: tuple[str, ...] = ()) -> None:
    _runners[runner.name] = runner
    for alias in aliases:
        _aliases[alias] = runner.name


def canonical(runner_type: str) -> str:
    """The runner name for a runner type, mapping StackStorm spellings and runtime
    names; InvalidInput for an unknown one."""
    name = runner_type.lower()
    name = _aliases.get(name, name)
    if name in _runners:
        return name
    raise InvalidInput("runner_type", f"{runner_type!r} is not a known runner ({', '.join(sorted(_runners))})")


def get(runner_type: str) -> Runner:
    return _runners[canonical(runner_type)]


def names() -> list[str]:
    return sorted(_runners)


def is_driven(runner_type: str) -> bool:
    """A runner whose executions no worker holds: a higher app drives them with
    `launch` (a workflow), on the executor; no heartbeat is expected of them."""
    return getattr(get(runner_type), "launch", None) is not None


def driven() -> list[str]:
    """The names of the driven runners (see is_driven)."""
    return sorted(name for name in _runners if is_driven(name))
