"""Parsing graph files and reporting every problem with its file, task and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from apps.workflows.spec import Retry, SpecError, WorkflowSpecError, load_workflow, parse_workflow

from .util import wf


def errors_of(text: str, **kwargs) -> list[tuple[str, str, str]]:
    with pytest.raises(WorkflowSpecError) as caught:
        parse_workflow(yaml.safe_load(textwrap.dedent(text)), file="f.yaml", **kwargs)
    for error in caught.value.errors:
        assert error.file == "f.yaml"
    return [(e.task, e.field, e.reason) for e in caught.value.errors]


def fields(text: str, **kwargs) -> list[tuple[str, str]]:
    return [(task, field) for task, field, _ in errors_of(text, **kwargs)]


def test_list_and_map_forms_parse_alike():
    """Tasks as a list with names and as a name → task map give the same spec."""
    as_list = wf("tasks: [{name: a, action: x.a, next: [{do: b}]}, {name: b, action: x.b}]")
    as_map = wf("tasks: {a: {action: x.a, next: [{do: [b]}]}, b: {action: x.b}}")
    assert as_list.tasks == as_map.tasks
    assert as_list.start == ("a",) and as_list.inbound == {"a": (), "b": ("a",)}


def test_stackstorm_spellings():
    """`with: {items, concurrency}`, `with: expr`, `output_map`, publish maps, do strings."""
    spec = wf("""
        input: [x, {y: 2}]
        vars: [{a: 1}, {b: 2}]
        tasks:
          t:
            action: x.t
            with: {items: "{{ parameters.xs }}", concurrency: 3}
            next: [{publish: {p: 1}, do: "u, v"}]
          u: {action: x.u, with: "{{ [1] }}"}
          v: {action: x.v}
        output_map: [{o: 1}]
    """)
    t = spec.tasks["t"]
    assert (t.with_items, t.concurrency) == ("{{ parameters.xs }}", 3)
    assert spec.tasks["u"].with_items == "{{ [1] }}" and spec.tasks["u"].concurrency == 1
    assert t.next[0].publish == (("p", 1),) and t.next[0].do == ("u", "v")
    assert spec.input == (("x", None), ("y", 2)) and spec.vars == (("a", 1), ("b", 2))
    assert spec.output == (("o", 1),)


def test_legacy_fields_become_transitions_after_next():
    """on_success/on_failure/on_complete/on_timeout append, in that order, after `next`."""
    spec = wf("""
        tasks:
          a: {action: x.a, next: [{do: b}], on_timeout: c, on_complete: [c], on_failure: b, on_success: c,
              publish: {r: "{{ result() }}"}}
          b: {action: x.b}
          c: {action: x.c}
    """)
    got = [(t.origin, t.when, t.do, t.publish) for t in spec.tasks["a"].next]
    assert got == [
        ("next[0]", None, ("b",), ()),
        ("on_success", "{{ succeeded() }}", ("c",), (("r", "{{ result() }}"),)),
        ("on_failure", "{{ failed() }}", ("b",), ()),
        ("on_complete", None, ("c",), ()),
        ("on_timeout", "{{ timed_out() }}", ("c",), ()),
    ]


def test_retry_defaults_and_backoff():
    """A retry policy defaults to constant backoff on failed(); delays follow the backoff."""
    spec = wf("tasks: [{name: a, action: x.a, retry: {count: 2}}]")
    assert spec.tasks["a"].retry == Retry(count=2)
    assert [Retry(3, 5, "exponential", 12).delay_for(n) for n in (1, 2, 3)] == [5, 10, 12]
    assert [Retry(3, 2, "linear").delay_for(n) for n in (1, 2, 3)] == [2, 4, 6]


def test_not_a_mapping_and_no_tasks():
    """A graph must be a mapping with at least one task."""
    assert fields("[1, 2]") == [("", "")]
    assert fields("version: 1.0") == [("", "tasks")]
    assert fields("tasks: []") == [("", "tasks")]


def test_names_duplicates_and_reserved():
    """Nameless tasks, duplicate names and engine command names are refused."""
    got = fields("""
        tasks:
          - {action: x.a}
          - {name: a, action: x.a}
          - {name: a, action: x.b}
          - {name: retry, action: x.c}
    """)
    assert ("", "tasks[0].name") in got and ("a", "name") in got and ("retry", "name") in got


def test_unknown_targets_unreachable_tasks_and_no_start():
    """`do` must name tasks; every task must be reachable; some task must start."""
    got = errors_of("""
        tasks:
          - {name: a, action: x.a, next: [{do: [b, ghost]}]}
          - {name: b, action: x.b}
          - {name: island, action: x.i, next: [{do: island2}]}
          - {name: island2, action: x.i, next: [{do: island}]}
    """)
    assert ("a", "next[0].do", 'unknown task "ghost"') in got
    assert {(t, f) for t, f, r in got if "reachable" in r} == {("island", "name"), ("island2", "name")}
    assert fields("tasks: [{name: a, action: x.a, next: [{do: a}]}]") == [("", "tasks")]


def test_join_validation():
    """`join` is "all" or a positive integer no larger than the number of inbound tasks."""
    got = fields("""
        tasks:
          - {name: s, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, join: 2}
          - {name: b, action: x.b, join: sometimes}
          - {name: c, action: x.c, join: all}
    """)
    assert ("a", "join") in got and ("b", "join") in got and ("c", "join") in got


def test_expression_syntax_errors_everywhere():
    """Syntax errors are reported for every expression field, all at once."""
    got = errors_of("""
        vars: {v: "{{ 1 + }}"}
        tasks:
          - name: a
            action: x.a
            input: {i: "{{ ( }}"}
            with_items: "{{ [1, }}"
            concurrency: "{{ ] }}"
            retry: {count: 1, when: "{{ failed( }}"}
            next: [{when: "{{ succeeded( }}", publish: [{p: "{{ % }}"}]}]
        output: {o: "{% for %}"}
    """)
    assert {(t, f) for t, f, _ in got} == {
        ("", "vars.v"), ("a", "input.i"), ("a", "with_items"), ("a", "concurrency"), ("a", "retry.when"),
        ("a", "next[0].when"), ("a", "next[0].publish.p"), ("", "output.o")}
    reason = dict(((t, f), r) for t, f, r in got)[("a", "input.i")]
    assert "{{ ( }}" in reason


def test_bad_retry_delay_and_timeout_values():
    """retry count/delay/backoff, delay and timeout must be sensible numbers."""
    got = fields("""
        tasks:
          - name: a
            action: x.a
            retry: {count: -1, delay: -2, backoff: random, max_delay: no, extra: 1}
            delay: -1
            timeout: 0
    """)
    assert set(got) == {("a", "retry.count"), ("a", "retry.delay"), ("a", "retry.backoff"),
                        ("a", "retry.max_delay"), ("a", "retry.extra"), ("a", "delay"), ("a", "timeout")}


def test_unknown_actions_and_fields():
    """With `action_exists`, unknown actions are reported; unknown fields always are."""
    got = fields("""
        tasks:
          - {name: a, action: x.known, next: [{do: b}]}
          - {name: b, action: x.unknown, actoin: typo}
    """, action_exists=lambda ref: ref == "x.known")
    assert got == [("b", "actoin"), ("b", "action")]


def test_with_items_needs_an_action():
    """A routing task cannot iterate."""
    assert fields("tasks: [{name: a, with_items: [1]}]") == [("a", "with_items")]


def test_error_text_names_file_task_and_field(tmp_path: Path):
    """str(SpecError) reads "file: task X: field: reason"; the exception lists them all."""
    assert str(SpecError("f.yaml", "a", "join", "bad")) == "f.yaml: task a: join: bad"
    assert str(SpecError("f.yaml", "", "tasks", "empty")) == "f.yaml: tasks: empty"
    path = tmp_path / "flow.yaml"
    path.write_text("tasks: [{name: a, action: x.a, timeout: -1, delay: -1}]\n")
    with pytest.raises(WorkflowSpecError) as caught:
        load_workflow(path)
    assert f"{path}: task a: timeout" in str(caught.value) and "delay" in str(caught.value)
