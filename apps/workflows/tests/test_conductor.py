"""The conductor through its API: run requests, out-of-order completion, pause,
resume, cancel, the item results loader and the state round-trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.workflows.conductor import Conductor, ConductorError, TaskRun

from .util import wf

CHAIN = """
    tasks:
      - {name: a, action: x.a, next: [{do: b}]}
      - {name: b, action: x.b}
"""


def roundtrip(conductor: Conductor, **kwargs: Any) -> Conductor:
    return Conductor.from_state(conductor.spec, json.loads(json.dumps(conductor.to_state())), **kwargs)


def test_delay_and_timeout_are_passed_through_and_retries_back_off():
    """The task delay applies to the first attempt only; retries wait per the backoff, capped."""
    c = Conductor(wf("""
        tasks:
          - name: a
            action: x.a
            delay: 10
            timeout: 30
            input: {v: "{{ parameters.v }}"}
            retry: {count: 4, delay: 5, backoff: exponential, max_delay: 12}
    """), {"v": 1})
    runs = c.start()
    assert runs == [TaskRun(1, "a", "x.a", {"v": 1}, None, 1, 10.0, 30.0)]
    delays = []
    for _ in range(4):
        (runs,) = [c.complete(runs[0].run_id, "failed", None)]
        delays.append((runs[0].attempt, runs[0].delay, runs[0].timeout))
    assert delays == [(2, 5.0, 30.0), (3, 10.0, 30.0), (4, 12.0, 30.0), (5, 12.0, 30.0)]
    assert c.complete(runs[0].run_id, "failed", None) == [] and c.status == "failed"


def test_items_results_follow_item_order_not_completion_order():
    """Completing items out of order still gives the results in item order."""
    c = Conductor(wf("""
        tasks:
          - {name: t, action: x.t, with_items: [a, b, c], concurrency: 0, input: {x: "{{ item }}"}}
        output: {r: "{{ task.t.result }}"}
    """), {})
    assert [r.item_index for r in c.start()] == [0]  # concurrency <= 0 means 1
    c = Conductor(wf("""
        tasks:
          - {name: t, action: x.t, with_items: [a, b, c], concurrency: 3, input: {x: "{{ item }}"}}
        output: {r: "{{ task.t.result }}"}
    """), {})
    first, second, third = c.start()
    c.complete(third.run_id, "succeeded", "C")
    c.complete(first.run_id, "succeeded", "A")
    c.complete(second.run_id, "succeeded", "B")
    assert c.output == {"r": ["A", "B", "C"]}


def test_item_results_loader_contract():
    """A restored conductor asks the loader for (task, first run id, last run id, count)."""
    spec = wf("tasks: [{name: t, action: x.t, with_items: [1, 2, 3], concurrency: 2}]\noutput: {r: '{{ task.t.result }}'}")
    c = Conductor(spec, {})
    runs = c.start()
    more = c.complete(runs[0].run_id, "succeeded", "one")
    calls = []

    def loader(task: str, first: int, last: int, count: int) -> list[Any]:
        calls.append((task, first, last, count))
        return ["one", "two", "three"]

    c = roundtrip(c, item_results=loader)
    c.complete(runs[1].run_id, "succeeded", "two")
    assert calls == []
    c.complete(more[0].run_id, "succeeded", "three")
    assert calls == [("t", 1, 3, 3)] and c.output == {"r": ["one", "two", "three"]}
    c = Conductor(spec, {})
    runs = c.start()
    c = roundtrip(c)  # no loader given
    (last,) = c.complete(runs[0].run_id, "succeeded", 1)
    c.complete(runs[1].run_id, "succeeded", 2)
    with pytest.raises(ConductorError, match="loader"):
        c.complete(last.run_id, "succeeded", 3)


def test_state_does_not_grow_with_completed_items():
    """The serialised state holds no item results: it shrinks as items are launched."""
    c = Conductor(wf("tasks: [{name: t, action: x.t, with_items: '{{ range(300) }}', concurrency: 3}]"), {})
    active = {r.run_id for r in c.start()}
    sizes = []
    for step in range(290):
        run_id = min(active)
        active.remove(run_id)
        active |= {r.run_id for r in c.complete(run_id, "succeeded", {"payload": "x" * 100})}
        if step in (20, 280):
            sizes.append(len(json.dumps(c.to_state())))
    assert sizes[1] <= sizes[0]


def test_pause_with_active_runs_then_resume():
    """pausing until active runs finish, then paused; resume returns the held runs."""
    c = Conductor(wf("""
        tasks:
          - {name: s, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, next: [{do: after}]}
          - {name: b, action: x.b}
          - {name: after, action: x.c}
    """), {})
    (s,) = c.start()
    a, b = c.complete(s.run_id, "succeeded", None)
    c.pause()
    assert c.status == "pausing"
    assert c.complete(a.run_id, "succeeded", None) == [] and c.status == "pausing"
    c = roundtrip(c)
    assert c.complete(b.run_id, "succeeded", None) == [] and c.status == "paused"
    assert c.active == []
    c = roundtrip(c)
    (after,) = c.resume()
    assert after.task == "after" and c.status == "running"
    c.complete(after.run_id, "succeeded", None)
    assert c.status == "succeeded"


def test_pause_holds_items_and_retries():
    """While pausing, neither the next items nor retries start; resume starts them."""
    c = Conductor(wf("""
        tasks:
          - {name: t, action: x.t, with_items: [1, 2, 3], concurrency: 2, retry: {count: 1}}
    """), {})
    one, two = c.start()
    c.pause()
    assert c.complete(one.run_id, "failed", None) == []
    assert c.complete(two.run_id, "succeeded", None) == [] and c.status == "paused"
    assert [(r.item_index, r.attempt) for r in c.resume()] == [(0, 2), (2, 1)]


def test_cancel_with_active_runs():
    """canceling until the active runs finish, then canceled; nothing new starts."""
    c = Conductor(wf(CHAIN), {})
    (a,) = c.start()
    c.cancel()
    assert c.status == "canceling" and c.resume() == []
    assert c.complete(a.run_id, "succeeded", None) == []
    assert c.status == "canceled"
    c.cancel()
    c.pause()
    assert c.status == "canceled"


def test_bad_calls_are_refused():
    """Unknown runs, unknown statuses and a second start raise ConductorError."""
    c = Conductor(wf(CHAIN), {})
    (a,) = c.start()
    with pytest.raises(ConductorError):
        c.complete(99, "succeeded", None)
    with pytest.raises(ConductorError):
        c.complete(a.run_id, "exploded", None)
    assert c.active == [a.run_id]
    with pytest.raises(ConductorError):
        c.start()


def test_tasks_lists_runs_in_start_order():
    """tasks() gives name, action, input, item, attempt, status and result per run."""
    c = Conductor(wf(CHAIN), {})
    (a,) = c.start()
    (b,) = c.complete(a.run_id, "succeeded", 1)
    assert [(t["name"], t["status"], t["result"]) for t in c.tasks()] == [("a", "succeeded", 1), ("b", "running", None)]


COMPLEX = """
    vars: [{n: 0}]
    tasks:
      - name: start
        action: x.start
        next:
          - {when: "{{ succeeded() }}", publish: [{n: "{{ workflow.n + 1 }}"}], do: [fan, flaky, side]}
          - {when: "{{ failed() }}", do: [recover]}
      - name: fan
        action: x.fan
        with_items: "{{ range(4) }}"
        concurrency: 2
        retry: {count: 1, delay: 1}
        input: {i: "{{ item }}"}
        next: [{when: "{{ succeeded() }}", do: join}, {when: "{{ failed() }}", publish: {fan: failed}, do: noop}]
      - name: flaky
        action: x.flaky
        retry: {count: 1, delay: 2, backoff: exponential}
        next: [{when: "{{ succeeded() }}", do: join}, {when: "{{ failed() }}", do: [retry]}]
      - {name: side, action: x.side, next: [{do: route}, {do: route}]}
      - name: route
        next: [{when: "{{ task_status('side') == 'succeeded' }}", do: [join]}]
      - name: join
        join: 2
        action: x.join
        input: {n: "{{ workflow.n }}"}
        next: [{when: "{{ failed() }}", do: [notify, fail]}, {publish: [{n: "{{ n + 10 }}"}]}]
      - {name: recover, action: x.recover}
      - {name: notify, action: x.notify}
    output: {n: "{{ workflow.n }}", fan: "{{ task.fan.result if 'fan' in task else none }}"}
"""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_restored_conductor_behaves_like_the_original(data):
    """Serialising and restoring between any two calls changes nothing, whatever the
    completion order, outcomes, pauses and cancels."""
    spec = wf(COMPLEX)
    results: dict[int, tuple[str, int | None, Any]] = {}

    def loader(task: str, first: int, last: int, count: int) -> list[Any]:
        out: list[Any] = [None] * count
        for run_id in sorted(results):
            name, index, value = results[run_id]
            if name == task and first <= run_id <= last and index is not None:
                out[index] = value
        return out

    memory = Conductor(spec, {})
    restored = Conductor(spec, {})
    runs: dict[int, TaskRun] = {}
    first = memory.start()
    assert first == restored.start()
    runs.update((r.run_id, r) for r in first)
    for _ in range(60):
        restored = roundtrip(restored, item_results=loader)
        assert restored.to_state() == memory.to_state()
        if not memory.active and memory.status != "paused":
            break
        command = data.draw(st.sampled_from(["complete"] * 16 + ["pause", "resume", "resume", "cancel"]))
        if command == "complete" and memory.active:
            run_id = data.draw(st.sampled_from(sorted(memory.active)))
            status = data.draw(st.sampled_from(["succeeded"] * 6 + ["failed", "failed", "timeout", "abandoned", "canceled"]))
            value = data.draw(st.integers(0, 3))
            results[run_id] = (runs[run_id].task, runs[run_id].item_index, value)
            new = memory.complete(run_id, status, value)
            assert restored.complete(run_id, status, value) == new
        elif command in ("pause", "cancel"):
            getattr(memory, command)()
            getattr(restored, command)()
            new = []
        else:
            new = memory.resume()
            assert restored.resume() == new
        runs.update((r.run_id, r) for r in new)
        assert (restored.status, restored.output, restored.errors) == (memory.status, memory.output, memory.errors)
