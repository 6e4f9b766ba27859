"""`attune workflow simulate|validate`: the conductor without a server."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attune.cli.main import app

runner = CliRunner()

TASK_KEYS = {"name", "action", "input", "item_index", "attempt", "status", "result"}

# build (retried) → deploy over regions → report; a failed build goes to notify and fails.
GRAPH = """\
version: 1.0
vars: {image: none}
tasks:
  - name: build
    action: ci.build
    input: {ref: "{{ parameters.git_ref }}"}
    retry: {count: 2}
    next:
      - when: "{{ succeeded() }}"
        publish: [{image: "{{ result().image }}"}]
        do: [deploy]
      - when: "{{ failed() }}"
        do: [notify, fail]
  - name: deploy
    action: ci.deploy
    with_items: "{{ parameters.regions }}"
    input: {region: "{{ item }}", image: "{{ workflow.image }}"}
    next:
      - do: [report]
  - name: report
    action: core.echo
    input: {message: "deployed {{ length(task.deploy.result) }} regions"}
  - name: notify
    action: core.echo
    input: {message: "build failed"}
output:
  image: "{{ workflow.image }}"
  regions: "{{ task.deploy.result }}"
"""

ACTION = """\
ref: ci.release
runner_type: workflow
workflow_file: workflows/release.yaml
parameters:
  greeting: {type: string, default: hello}
  count: {type: integer, default: 1}
  tags: {type: array, default: [a]}
  target: {type: string, required: true}
"""

ECHO_PARAMS = """\
version: 1.0
tasks:
  - name: only
    action: core.noop
output:
  parameters: "{{ parameters }}"
"""


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


def attune(*args: str):
    return runner.invoke(app, list(args))


def simulated(result, code: int = 0) -> dict:
    assert result.exit_code == code, (result.stdout, result.stderr)
    data = json.loads(result.stdout)
    assert list(data) == ["status", "output", "errors", "tasks"]
    for task in data["tasks"]:
        assert set(task) == TASK_KEYS
    return data


@pytest.fixture
def graph(tmp_path) -> str:
    return write(tmp_path / "deploy.yaml", GRAPH)


@pytest.fixture
def action(tmp_path) -> str:
    write(tmp_path / "actions" / "workflows" / "release.yaml", ECHO_PARAMS)
    return write(tmp_path / "actions" / "release.yaml", ACTION)


# --- simulate ---------------------------------------------------------------------------


def test_simulate_json_shape_and_success(graph, tmp_path):
    outcomes = write(tmp_path / "out.yaml", """\
        build: {result: {image: "app:7"}}
        deploy: [{result: eu-ok}, {result: us-ok}]
    """)
    result = attune("workflow", "simulate", graph, "--input", "git_ref=main", "--input", 'regions=["eu", "us"]',
                    "--outcomes", outcomes, "--json")
    data = simulated(result)
    assert data["status"] == "succeeded"
    assert data["errors"] == []
    assert data["output"] == {"image": "app:7", "regions": ["eu-ok", "us-ok"]}
    runs = [(t["name"], t["item_index"], t["attempt"], t["status"]) for t in data["tasks"]]
    assert runs == [
        ("build", None, 1, "succeeded"),
        ("deploy", 0, 1, "succeeded"),
        ("deploy", 1, 1, "succeeded"),
        ("report", None, 1, "succeeded"),
    ]
    assert data["tasks"][0]["input"] == {"ref": "main"}
    assert data["tasks"][1]["input"] == {"region": "eu", "image": "app:7"}
    assert data["tasks"][3]["input"] == {"message": "deployed 2 regions"}


def test_outcome_lists_are_consumed_one_per_run(graph, tmp_path):
    outcomes = write(tmp_path / "out.json", json.dumps({
        "build": [{"status": "failed"}, {"status": "timeout"}, {"status": "succeeded", "result": {"image": "v3"}}],
    }))
    data = simulated(attune("workflow", "simulate", graph, "-i", "git_ref=x", "-i", "regions=[]",
                            "--outcomes", outcomes, "--json"))
    builds = [(t["attempt"], t["status"]) for t in data["tasks"] if t["name"] == "build"]
    assert builds == [(1, "failed"), (2, "timeout"), (3, "succeeded")]
    assert data["status"] == "succeeded"
    assert data["output"]["image"] == "v3"


def test_a_failed_workflow_exits_1(graph, tmp_path):
    outcomes = write(tmp_path / "out.yaml", "build: {status: failed, result: {error: compile}}\n")
    data = simulated(attune("workflow", "simulate", graph, "-i", "git_ref=x", "-i", 'regions=["eu"]',
                            "--outcomes", outcomes, "--json"), code=1)
    assert data["status"] == "failed"
    names = [t["name"] for t in data["tasks"]]
    assert names.count("build") == 3 and "notify" in names and "deploy" not in names


def test_runtime_expression_errors_fail_the_workflow(graph):
    # no parameters at all: the build input cannot render
    data = simulated(attune("workflow", "simulate", graph, "--json"), code=1)
    assert data["status"] == "failed"
    assert data["errors"] and any("parameters" in json.dumps(error) for error in data["errors"])


def test_readable_simulation(graph, tmp_path):
    outcomes = write(tmp_path / "out.yaml", "build: {result: {image: 'app:9'}}\n")
    result = attune("workflow", "simulate", graph, "-i", "git_ref=main", "-i", 'regions=["eu"]', "--outcomes", outcomes)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for column in ("task", "item", "attempt", "status", "input", "result"):
        assert column in out
    assert "build" in out and "deploy" in out and "report" in out
    assert "status: succeeded" in out
    assert '"image": "app:9"' in out

    failed = attune("workflow", "simulate", graph)
    assert failed.exit_code == 1
    assert "status: failed" in failed.stdout and "errors:" in failed.stdout


def test_inputs_parse_as_json_else_string_and_later_wins(tmp_path):
    graph = write(tmp_path / "params.yaml", ECHO_PARAMS)
    data = simulated(attune(
        "workflow", "simulate", graph, "--json",
        "--input", "count=3", "--input", "name=web", "--input", "flags=[1, 2]", "--input", "on=true",
        "--input", "quoted=\"7\"", "--input", "empty=", "--input", "name=api", "--input", "url=http://x?a=b",
    ))
    assert data["output"]["parameters"] == {
        "count": 3, "name": "api", "flags": [1, 2], "on": True, "quoted": "7", "empty": "", "url": "http://x?a=b",
    }


def test_action_yaml_uses_workflow_file_and_defaults(action):
    data = simulated(attune("workflow", "simulate", action, "--input", "target=prod", "--json"))
    assert data["output"]["parameters"] == {"greeting": "hello", "count": 1, "tags": ["a"], "target": "prod"}


def test_inputs_override_action_defaults(action):
    data = simulated(attune("workflow", "simulate", action, "--json", "-i", "target=prod", "-i", "count=3",
                            "-i", "tags=[]", "-i", "greeting=42"))
    # greeting is declared a string: its text is kept, not parsed as a number
    assert data["output"]["parameters"] == {"greeting": "42", "count": 3, "tags": [], "target": "prod"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "parameters.target: is required (give --input target=…)"),
        (["-i", "target=x", "-i", "count=many"], "parameters.count: 'many' is not of type 'integer'"),
        (["-i", "target=x", "-i", "typo=1"], "parameters.typo: is not a parameter of this action"),
        (["-i", "target"], "--input 'target': expected KEY=VALUE"),
    ],
)
def test_bad_parameters_exit_2(action, args, message):
    result = attune("workflow", "simulate", action, *args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("outcomes", "message"),
    [
        ("buidl: {status: failed}\n", "no task named 'buidl' in the workflow"),
        ("build: {status: exploded}\n", "status 'exploded' is not one of succeeded, failed, timeout"),
        ("build: [{status: failed}, oops]\n", "build[1]: an outcome is {status: …, result: …}, not a string"),
        ("build: {status: failed, reslt: 1}\n", "unknown key(s) reslt"),
        ("build: []\n", "an empty list of outcomes"),
        ("- build\n", "must map task names to outcomes"),
        ("build: {status: [\n", "invalid YAML"),
    ],
)
def test_bad_outcomes_exit_2(graph, tmp_path, outcomes, message):
    path = write(tmp_path / "outcomes.yaml", outcomes)
    result = attune("workflow", "simulate", graph, "--outcomes", path)
    assert result.exit_code == 2
    assert message in result.stderr


INVALID = """\
version: 1.0
tasks:
  - name: a
    action: core.echo
    input: {message: "{{ parameters.x + }}"}
    next:
      - do: [nowhere]
  - name: b
    action: core.noop
    retry: {count: -1}
"""


def test_simulating_an_invalid_workflow_exits_2_with_file_task_field(tmp_path):
    path = write(tmp_path / "bad.yaml", INVALID)
    result = attune("workflow", "simulate", path)
    assert result.exit_code == 2
    assert f"Error: invalid workflow {path}" in result.stderr
    assert f"file {path}, task a, field next[0].do: unknown task" in result.stderr

    as_json = attune("workflow", "simulate", path, "--json")
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert data["error"] == f"invalid workflow {path}"
    assert {"file": path, "task": "a", "field": "next[0].do", "reason": 'unknown task "nowhere"'} in data["errors"]


def test_a_missing_workflow_file_exits_2(tmp_path):
    result = attune("workflow", "simulate", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


# --- validate ---------------------------------------------------------------------------


def test_validate_a_valid_graph_and_action(graph, action):
    for path in (graph, action):
        result = attune("workflow", "validate", path)
        assert result.exit_code == 0
        assert result.stdout == "valid\n"


def test_validate_skips_unknown_actions_offline(tmp_path):
    path = write(tmp_path / "unknown.yaml", "version: 1.0\ntasks:\n  - name: a\n    action: no.such_action\n")
    result = attune("workflow", "validate", path)
    assert result.exit_code == 0 and result.stdout == "valid\n"


def test_validate_prints_every_error(tmp_path):
    path = write(tmp_path / "bad.yaml", INVALID)
    result = attune("workflow", "validate", path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "invalid: 3 errors"
    assert any(line.strip().startswith(f"file {path}, task a, field next[0].do:") for line in lines)
    assert any("task a, field input.message: syntax error" in line for line in lines)
    assert any("task b, field retry.count:" in line for line in lines)

    as_json = attune("workflow", "validate", path, "--json")
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert data["valid"] is False and len(data["errors"]) == 3
    assert all(set(error) == {"file", "task", "field", "reason"} for error in data["errors"])


def test_validate_an_action_whose_graph_is_missing(tmp_path):
    path = write(tmp_path / "act.yaml", "ref: x.y\nrunner_type: workflow\nworkflow_file: workflows/none.yaml\n")
    result = attune("workflow", "validate", path)
    assert result.exit_code == 1
    assert "none.yaml" in result.stdout and "cannot read" in result.stdout


def test_standard_input_is_not_a_workflow_file():
    result = attune("workflow", "validate", "-")
    assert result.exit_code == 2
    assert "give a file, not '-'" in result.stderr


# --- offline: no Django ---------------------------------------------------------------------

OFFLINE_PROBE = """
import json, sys
from typer.testing import CliRunner
from attune.cli.main import app
runner = CliRunner()
codes = [
    runner.invoke(app, ["expr", "1 + 1"]).exit_code,
    runner.invoke(app, ["workflow", "simulate", sys.argv[1], "--json"]).exit_code,
    runner.invoke(app, ["workflow", "validate", sys.argv[1]]).exit_code,
    runner.invoke(app, ["rule", "test", sys.argv[2], "--event", sys.argv[3], "--json"]).exit_code,
]
heavy = sorted(m for m in sys.modules if m.startswith(("django.db", "django.apps", "rest_framework"))
               or (m.startswith("apps.") and m.rsplit(".", 1)[-1] in ("models", "services")))
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_offline_commands_do_not_set_django_up(tmp_path):
    """The commands run in a fresh interpreter without Django models, settings or a database."""
    import os
    import subprocess
    import sys

    graph = write(tmp_path / "flow.yaml", ECHO_PARAMS)
    rule = write(tmp_path / "rule.yaml", "ref: a.b\ntrigger: a.t\naction: core.noop\n")
    event = write(tmp_path / "event.json", "{}")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    root = str(Path(__file__).resolve().parents[2])  # the checkout, installed or not
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", OFFLINE_PROBE, graph, rule, event], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"codes": [0, 0, 0, 0], "heavy": []}


def test_a_stackstorm_action_naming_its_graph_in_entry_point(tmp_path):
    """An orquesta action YAML with `entry_point:` is simulated and validated from its
    graph, with its parameter defaults."""
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "greet.yaml").write_text(textwrap.dedent("""\
        version: 1.0
        input: [who]
        tasks:
          say:
            action: core.echo
            input: {message: "hi {{ parameters.who }}"}
    """))
    action = tmp_path / "greet.yaml"
    action.write_text("name: greet\nrunner_type: orquesta\nentry_point: workflows/greet.yaml\n"
                      "parameters: {who: {type: string, default: ops}}\n")
    assert runner.invoke(app, ["workflow", "validate", str(action)]).exit_code == 0
    answer = runner.invoke(app, ["workflow", "simulate", str(action), "--json"])
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.stdout)["tasks"][0]["input"] == {"message": "hi ops"}
