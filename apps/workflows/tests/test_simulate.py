"""Rehearsals: whole workflows run through the simulation harness (FIFO completion,
conductor serialised between every step and compared with one kept in memory)."""

from __future__ import annotations

from pathlib import Path

from apps.workflows.simulate import load_for_simulation, simulate

from .util import failed, names, run


def test_sequential_chain_passes_results_along():
    """Each task starts after the previous one, its input rendered from earlier results."""
    result = run(
        """
        tasks:
          - name: a
            action: core.echo
            input: {message: "{{ parameters.who }}"}
            next: [{do: b}]
          - name: b
            action: core.echo
            input: {message: "{{ task.a.result.out }}!"}
            next: [{do: [c]}]
          - name: c
            action: core.noop
        output: {last: "{{ task.c.status }}", b: "{{ task.b.result }}"}
        """,
        {"who": "ann"},
        {"a": {"result": {"out": "hi"}}, "b": {"result": "B"}},
    )
    assert result["status"] == "succeeded"
    assert names(result) == ["a", "b", "c"]
    assert [t["input"] for t in result["tasks"]] == [{"message": "ann"}, {"message": "hi!"}, {}]
    assert result["output"] == {"last": "succeeded", "b": "B"}


BRANCH = """
    tasks:
      - name: check
        action: x.check
        next:
          - when: "{{ succeeded() and result().ok }}"
            publish: [{image: "{{ result().image }}"}, {tag: "{{ workflow.image }}:latest"}]
            do: deploy
          - when: "{{ succeeded() and not result().ok }}"
            do: abort
      - name: deploy
        action: x.deploy
        input: {image: "{{ image }}", tag: "{{ vars.tag }}"}
      - name: abort
        action: x.abort
"""


def test_branch_on_result_with_publish():
    """A transition's `when` picks the branch; publishes apply in order (bare names too)."""
    ok = run(BRANCH, {}, {"check": {"result": {"ok": True, "image": "app"}}})
    assert names(ok) == ["check", "deploy"]
    assert ok["tasks"][1]["input"] == {"image": "app", "tag": "app:latest"}
    assert ok["variables"] == {"image": "app", "tag": "app:latest"}
    other = run(BRANCH, {}, {"check": {"result": {"ok": False}}})
    assert names(other) == ["check", "abort"] and other["status"] == "succeeded"


def test_parallel_split_and_join_all():
    """`join: all` waits for every inbound branch and runs once."""
    result = run(
        """
        tasks:
          - {name: start, action: x.a, next: [{do: [left, right]}]}
          - {name: left, action: x.l, next: [{do: done}]}
          - {name: right, action: x.r, next: [{do: [mid]}]}
          - {name: mid, action: x.m, next: [{do: done}]}
          - name: done
            join: all
            action: x.d
            input: {l: "{{ task.left.result }}", m: "{{ task.mid.result }}"}
        """,
        outcomes={"left": {"result": "L"}, "mid": {"result": "M"}},
    )
    assert names(result) == ["start", "left", "right", "mid", "done"]
    assert result["tasks"][-1]["input"] == {"l": "L", "m": "M"}
    assert result["status"] == "succeeded"


def test_join_n_fires_once_after_n_inbound_tasks():
    """`join: 2` starts after two inbound tasks; the third arrival is absorbed."""
    result = run(
        """
        tasks:
          - {name: start, action: x.s, next: [{do: [a, b, c]}]}
          - {name: a, action: x.a, next: [{do: d}, {do: d}]}
          - {name: b, action: x.b, next: [{do: d}]}
          - {name: c, action: x.c, next: [{do: d}]}
          - name: d
            join: 2
            action: x.d
            input: {c: "{{ task_status('c') }}", a: "{{ task_status('a') }}"}
        """
    )
    assert names(result) == ["start", "a", "b", "c", "d"]
    assert result["tasks"][-1]["input"] == {"c": "running", "a": "succeeded"}
    assert result["status"] == "succeeded" and result["errors"] == []


def test_task_reached_twice_without_join_runs_twice():
    """Without `join`, a task runs once per arriving branch."""
    result = run(
        """
        tasks:
          - {name: start, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, next: [{do: c}]}
          - {name: b, action: x.b, next: [{do: c}]}
          - {name: c, action: x.c}
        """
    )
    assert names(result) == ["start", "a", "b", "c", "c"]


def test_continue_keeps_the_failure():
    """`do: continue` applies the publish but a failed task still fails the workflow."""
    result = run(
        """
        tasks:
          - name: a
            action: x.a
            next: [{when: "{{ failed() }}", publish: [{seen: true}], do: continue}]
        """,
        outcomes={"a": failed()},
    )
    assert result["status"] == "failed"
    assert result["variables"] == {"seen": True}
    assert result["errors"][0]["task"] == "a" and result["errors"][0]["result"] == {"error": "boom"}


def test_noop_handles_the_failure():
    """`do: noop` remediates a failure: the workflow succeeds."""
    result = run("""
        tasks:
          - {name: a, action: x.a, next: [{when: "{{ failed() }}", do: noop}]}
        """, outcomes={"a": failed()})
    assert result["status"] == "succeeded" and result["errors"] == []


def test_fail_command_fails_but_runs_its_siblings():
    """`do: [notify, fail]` runs notify, fails the workflow, and starts nothing after notify."""
    result = run(
        """
        tasks:
          - {name: a, action: x.a, next: [{do: [notify, fail]}]}
          - {name: notify, action: x.n, next: [{do: after}]}
          - {name: after, action: x.after}
        """
    )
    assert names(result) == ["a", "notify"]
    assert result["status"] == "failed"
    assert result["errors"][0]["task"] == "a" and "fail" in result["errors"][0]["message"]


def test_retry_command_retries_up_to_three_times():
    """`do: retry` reruns the task (3 retries by default), transitions evaluated after each."""
    spec = """
        tasks:
          - name: a
            action: x.a
            next:
              - {when: "{{ failed() }}", do: retry}
              - {when: "{{ succeeded() }}", do: b}
          - {name: b, action: x.b}
    """
    recovers = run(spec, outcomes={"a": [failed(), failed(), {"status": "succeeded"}]})
    assert [(t["name"], t["attempt"]) for t in recovers["tasks"]] == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    assert recovers["status"] == "succeeded"
    gives_up = run(spec, outcomes={"a": failed()})
    assert [t["attempt"] for t in gives_up["tasks"]] == [1, 2, 3, 4]
    assert gives_up["status"] == "failed"


def test_unhandled_failure_lets_running_branches_finish_and_starts_nothing():
    """A failed task without a handler fails the workflow; other running tasks finish."""
    result = run(
        """
        tasks:
          - {name: start, action: x.s, next: [{do: [bad, slow1]}]}
          - {name: bad, action: x.bad}
          - {name: slow1, action: x.s1, next: [{do: slow2}]}
          - {name: slow2, action: x.s2}
        """,
        outcomes={"bad": failed()},
    )
    assert names(result) == ["start", "bad", "slow1"]
    assert result["tasks"][2]["status"] == "succeeded"
    assert result["status"] == "failed" and [e["task"] for e in result["errors"]] == ["bad"]


def test_handled_failure_succeeds():
    """A failure routed to another task is remediated."""
    result = run("""
        tasks:
          - {name: a, action: x.a, next: [{when: "{{ failed() }}", do: cleanup}]}
          - {name: cleanup, action: x.c}
        """, outcomes={"a": failed()})
    assert names(result) == ["a", "cleanup"] and result["status"] == "succeeded"


def test_pause_holds_new_runs_until_resume():
    """Pausing waits for the active run; the next task starts only on resume."""
    chain = """
        tasks:
          - {name: a, action: x.a, next: [{do: b}]}
          - {name: b, action: x.b}
    """
    paused = run(chain, control={0: "pause"})
    assert paused["status"] == "paused" and names(paused) == ["a"]
    resumed = run(chain, control={0: "pause", 1: "resume"})
    assert resumed["status"] == "succeeded" and names(resumed) == ["a", "b"]


def test_pause_waits_for_every_active_branch():
    """With two branches running, pausing lasts until both have finished."""
    result = run("""
        tasks:
          - {name: s, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, next: [{do: a2}]}
          - {name: b, action: x.b}
          - {name: a2, action: x.a2}
        """, control={1: "pause", 3: "resume"})
    assert names(result) == ["s", "a", "b", "a2"] and result["status"] == "succeeded"
    held = run("""
        tasks:
          - {name: s, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, next: [{do: a2}]}
          - {name: b, action: x.b}
          - {name: a2, action: x.a2}
        """, control={1: "pause"})
    assert names(held) == ["s", "a", "b"] and held["status"] == "paused"


def test_cancel_waits_for_active_runs_and_renders_output():
    """Canceling lets the active run finish, starts nothing, and still renders the output."""
    result = run("""
        tasks:
          - {name: a, action: x.a, next: [{publish: [{v: 1}], do: b}]}
          - {name: b, action: x.b}
        output: {a: "{{ task.a.status }}"}
        """, control={0: "cancel"})
    assert result["status"] == "canceled" and names(result) == ["a"]
    assert result["output"] == {"a": "succeeded"}


def test_canceled_run_cancels_the_workflow():
    """A task canceled on its own cancels the workflow (Orquesta)."""
    result = run("""
        tasks:
          - {name: a, action: x.a, next: [{do: b}]}
          - {name: b, action: x.b}
        """, outcomes={"a": {"status": "canceled"}})
    assert result["status"] == "canceled" and names(result) == ["a"]


def test_legacy_on_fields_and_tasks_as_a_map():
    """on_success/on_failure/on_complete/on_timeout and task-level publish, tasks as a map."""
    spec = """
        tasks:
          a:
            action: x.a
            publish: {p: "{{ result() }}"}
            on_success: b
            on_failure: [c]
            on_complete: d
            on_timeout: e
          b: {action: x.b}
          c: {action: x.c}
          d: {action: x.d}
          e: {action: x.e}
    """
    ok = run(spec, outcomes={"a": {"result": 7}})
    assert names(ok) == ["a", "b", "d"] and ok["variables"] == {"p": 7}
    bad = run(spec, outcomes={"a": failed()})
    assert names(bad) == ["a", "c", "d"] and bad["status"] == "succeeded" and bad["variables"] == {}
    late = run(spec, outcomes={"a": {"status": "timeout"}})
    assert names(late) == ["a", "c", "d", "e"]


def test_output_is_rendered_when_the_workflow_fails():
    """The output is rendered on failure too, from the variables at that point."""
    result = run("""
        vars: {stage: init}
        tasks:
          - {name: a, action: x.a, next: [{when: "{{ failed() }}", publish: {stage: a}}]}
        output: {stage: "{{ workflow.stage }}"}
        """, outcomes={"a": failed()})
    assert result["status"] == "failed" and result["output"] == {"stage": "a"}


def _error(text: str, **kwargs) -> dict:
    result = run(text, **kwargs)
    assert result["status"] == "failed"
    return result["errors"][0]


def test_expression_errors_name_the_task_field_and_expression():
    """An expression failing at run time fails the workflow; the error names task, field, expression."""
    error = _error("""
        tasks:
          - {name: a, action: x.a, input: {x: "{{ parameters.missing.y }}"}}
        """)
    assert (error["task"], error["field"], error["expression"]) == ("a", "input.x", "{{ parameters.missing.y }}")
    assert "a" in error["message"] and "input.x" in error["message"]
    error = _error("""
        tasks:
          - {name: a, action: x.a, next: [{when: "{{ result().n > 1 }}", do: noop}]}
        """)
    assert (error["task"], error["field"]) == ("a", "next[0].when")
    error = _error("""
        tasks:
          - {name: a, action: x.a, next: [{publish: [{v: "{{ 1 / 0 }}"}]}]}
        """)
    assert (error["field"], error["expression"]) == ("next[0].publish.v", "{{ 1 / 0 }}")
    error = _error("""
        tasks:
          - {name: a, action: x.a, with_items: "{{ 5 }}"}
        """)
    assert (error["task"], error["field"]) == ("a", "with_items") and "list" in error["message"]
    error = _error("""
        tasks:
          - {name: a, action: x.a, with_items: "{{ [1] }}", concurrency: "{{ nope }}"}
        """)
    assert (error["task"], error["field"]) == ("a", "concurrency")
    error = _error("""
        tasks:
          - {name: a, action: x.a, retry: {count: 1, when: "{{ result().x }}"}}
        """)
    assert (error["task"], error["field"], error["expression"]) == ("a", "retry.when", "{{ result().x }}")
    error = _error("""
        vars: [{a: 1}, {b: "{{ workflow.zz }}"}]
        tasks:
          - {name: a, action: x.a}
        """)
    assert (error["task"], error["field"]) == (None, "vars.b")
    error = _error("""
        tasks:
          - {name: a, action: x.a}
        output: {x: "{{ nope }}"}
        """)
    assert (error["field"], error["expression"]) == ("output.x", "{{ nope }}")


def test_failed_input_starts_no_run_and_no_transition():
    """A task whose input cannot be rendered never runs; its handlers do not fire."""
    result = run("""
        tasks:
          - {name: a, action: x.a, input: {x: "{{ nope }}"}, next: [{when: "{{ failed() }}", do: b}]}
          - {name: b, action: x.b}
        """)
    assert names(result) == [] and result["status"] == "failed"


def test_vars_render_in_order():
    """A later var may use an earlier one, by any of its names."""
    result = run("""
        vars: [{a: 1}, {b: "{{ workflow.a + 1 }}"}, {c: "{{ b * parameters.k }}"}]
        tasks:
          - {name: t, action: x.t, input: {c: "{{ variables.c }}"}}
        """, {"k": 10})
    assert result["variables"] == {"a": 1, "b": 2, "c": 20}
    assert result["tasks"][0]["input"] == {"c": 20}


def test_unreachable_join_fails_with_an_error_naming_it():
    """A join some inbound branch will never reach fails the workflow."""
    result = run("""
        tasks:
          - {name: start, action: x.s, next: [{do: [a, b]}]}
          - {name: a, action: x.a, next: [{do: j}]}
          - name: b
            action: x.b
            next: [{when: "{{ succeeded() }}", do: j}, {when: "{{ failed() }}", do: noop}]
          - {name: j, join: all, action: x.j}
        """, outcomes={"b": failed()})
    assert result["status"] == "failed" and "j" not in names(result)
    assert result["errors"][0]["task"] == "j" and "unreachable" in result["errors"][0]["message"]


def test_routing_tasks_complete_internally():
    """A task without an action routes without a run being requested."""
    result = run("""
        tasks:
          - {name: decide, next: [{when: "{{ parameters.go }}", do: work}]}
          - {name: work, action: x.w}
        """, {"go": True})
    assert [(t["name"], t["action"]) for t in result["tasks"]] == [("decide", None), ("work", "x.w")]


def test_context_namespaces():
    """config, keystore and system come from the context; parameters get input defaults."""
    result = run("""
        input: [{region: eu}, debug]
        tasks:
          - name: t
            action: x.t
            input: {c: "{{ config.url }}", k: "{{ keystore.token }}", s: "{{ system.user }}",
                    r: "{{ parameters.region }}", d: "{{ parameters.debug }}"}
        """, {}, context={"config": {"url": "u"}, "keystore": {"token": "t"}, "system": {"user": "ann"}})
    assert result["tasks"][0]["input"] == {"c": "u", "k": "t", "s": "ann", "r": "eu", "d": None}


def test_load_for_simulation_reads_a_workflow_action(tmp_path: Path):
    """An action YAML gives its graph file and its parameter defaults."""
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "flow.yaml").write_text(
        "tasks:\n  - {name: a, action: x.a, input: {n: '{{ parameters.n }}'}}\n")
    (tmp_path / "flow.yaml").write_text(
        "ref: p.flow\nrunner_type: workflow\nworkflow_file: workflows/flow.yaml\n"
        "parameters:\n  n: {type: integer, default: 3}\n  m: {type: string}\n")
    spec, defaults = load_for_simulation(tmp_path / "flow.yaml")
    assert defaults == {"n": 3}
    assert simulate(spec, defaults)["tasks"][0]["input"] == {"n": 3}
    graph, none = load_for_simulation(tmp_path / "workflows" / "flow.yaml")
    assert none == {} and list(graph.tasks) == ["a"]
