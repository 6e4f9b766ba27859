"""Rehearsals of with_items, retries, timeouts and lost workers through the
simulation harness (FIFO completion, state serialised between every step)."""

from __future__ import annotations

from .util import failed, names, run

WITH_ITEMS = """
    tasks:
      - name: fan
        action: x.f
        with_items: "{{ parameters.xs }}"
        concurrency: 2
        input: {x: "{{ item }}", i: "{{ index }}"}
        next: [{publish: [{all: "{{ result() }}"}], do: [after]}]
      - {name: side, action: x.s}
      - {name: after, action: x.a, input: {n: "{{ length(task.fan.result) }}"}}
    output: {results: "{{ task.fan.result }}"}
"""


def test_with_items_concurrency_release_order_and_results():
    """Items start in order, at most `concurrency` at once, slots refilled as runs end;
    the result lists item results in item order."""
    xs = ["a", "b", "c", "d", "e"]
    result = run(WITH_ITEMS, {"xs": xs}, {"fan": [{"result": x.upper()} for x in xs]})
    assert [(t["name"], t["item_index"]) for t in result["tasks"]] == [
        ("fan", 0), ("fan", 1), ("side", None), ("fan", 2), ("fan", 3), ("fan", 4), ("after", None)]
    assert result["tasks"][3]["input"] == {"x": "c", "i": 2}
    assert result["output"] == {"results": ["A", "B", "C", "D", "E"]}
    assert result["variables"]["all"] == ["A", "B", "C", "D", "E"]
    assert result["tasks"][-1]["input"] == {"n": 5}


def test_with_items_empty_list_succeeds_at_once():
    """An empty item list succeeds with [] and its transitions fire."""
    result = run(WITH_ITEMS, {"xs": []})
    assert names(result) == ["side", "after"]
    assert result["output"] == {"results": []} and result["status"] == "succeeded"


def test_with_items_failed_item_stops_unstarted_items():
    """A failed item: running items finish, unstarted ones never start, the task fails."""
    xs = [1, 2, 3, 4, 5]
    only_on_success = WITH_ITEMS.replace("next: [{publish", 'next: [{when: "{{ succeeded() }}", publish')
    result = run(only_on_success, {"xs": xs}, {"fan": [{"result": 1}, failed(), {"result": 3}, {"result": 4}]})
    assert [t["item_index"] for t in result["tasks"] if t["name"] == "fan"] == [0, 1, 2]
    assert "after" not in names(result)
    assert result["status"] == "failed"
    assert result["output"] == {"results": [1, {"error": "boom"}, 3, None, None]}


def test_two_iterations_of_one_task_run_one_after_the_other():
    """A with_items task reached twice iterates twice, the second after the first."""
    result = run("""
        tasks:
          - {name: start, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, next: [{do: fan}]}
          - {name: b, action: x.b, next: [{do: fan}]}
          - name: fan
            action: x.f
            with_items: [0, 1]
            concurrency: 2
            next: [{publish: [{seen: "{{ (workflow.seen or []) + [result()] }}"}]}]
        vars: {seen: null}
        """, outcomes={"fan": [{"result": "A0"}, {"result": "A1"}, {"result": "B0"}, {"result": "B1"}]})
    assert [(t["name"], t["item_index"]) for t in result["tasks"]] == [
        ("start", None), ("a", None), ("b", None), ("fan", 0), ("fan", 1), ("fan", 0), ("fan", 1)]
    assert result["variables"]["seen"] == [["A0", "A1"], ["B0", "B1"]]


def test_item_function_and_keys():
    """`item()` is the current item and `item(key)` a key of it (Orquesta's spelling)."""
    result = run("""
        tasks:
          - name: t
            action: x.t
            with: {items: "{{ parameters.hosts }}", concurrency: 5}
            input: {whole: "{{ item() }}", name: "{{ item(name) }}", port: "{{ item('port') }}"}
        """, {"hosts": [{"name": "a", "port": 1}]})
    assert result["tasks"][0]["input"] == {"whole": {"name": "a", "port": 1}, "name": "a", "port": 1}


def test_retry_count_and_when():
    """`retry.count` extra attempts while `when` holds; transitions after the last one."""
    spec = """
        tasks:
          - name: a
            action: x.a
            retry: {count: 2, when: "{{ failed() and result().code == 503 }}"}
            next: [{when: "{{ failed() }}", publish: [{last: "{{ result().code }}"}], do: noop}]
    """
    exhausted = run(spec, outcomes={"a": {"status": "failed", "result": {"code": 503}}})
    assert [t["attempt"] for t in exhausted["tasks"]] == [1, 2, 3]
    assert exhausted["variables"] == {"last": 503}
    stops = run(spec, outcomes={"a": [{"status": "failed", "result": {"code": 503}},
                                      {"status": "failed", "result": {"code": 500}}]})
    assert [t["attempt"] for t in stops["tasks"]] == [1, 2]
    assert stops["variables"] == {"last": 500}


def test_retry_applies_per_item():
    """Each item is retried on its own; the result holds each item's last attempt."""
    result = run("""
        tasks:
          - name: t
            action: x.t
            with_items: [a, b]
            retry: {count: 1}
        output: {r: "{{ task.t.result }}"}
        """, outcomes={"t": [failed(), {"result": "A2"}, {"result": "B"}]})
    assert [(t["item_index"], t["attempt"]) for t in result["tasks"]] == [(0, 1), (0, 2), (1, 1)]
    assert result["output"] == {"r": ["A2", "B"]}


def test_timeout_outcome_makes_timed_out_and_failed_true():
    """A run ending `timeout` makes timed_out() and failed() true."""
    result = run("""
        tasks:
          - name: a
            action: x.a
            timeout: 5
            next:
              - {when: "{{ timed_out() }}", do: on_timeout}
              - {when: "{{ failed() and completed() }}", publish: [{failed: true}]}
          - {name: on_timeout, action: x.t}
        """, outcomes={"a": {"status": "timeout"}})
    assert names(result) == ["a", "on_timeout"]
    assert result["variables"] == {"failed": True} and result["status"] == "succeeded"


def test_abandoned_run_is_a_failure():
    """A run whose worker was lost counts as failed."""
    result = run("""
        tasks:
          - {name: a, action: x.a, next: [{when: "{{ failed() }}", do: b}]}
          - {name: b, action: x.b}
        output: null
        """, outcomes={"a": {"status": "abandoned"}})
    assert names(result) == ["a", "b"] and result["status"] == "succeeded" and result["output"] is None
