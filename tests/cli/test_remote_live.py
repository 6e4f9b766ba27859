"""The remote CLI against a live platform: the ASGI server, the executor and an
action worker (tests/e2e/harness.py), the CLI run in-process with ATTUNE_API_URL /
ATTUNE_API_KEY pointing at it."""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from typer.testing import CliRunner

from attune.cli.main import app
from tests.e2e.harness import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# One platform serves every check below: they run in one test because a transactional
# test empties the database when it ends, and the running workers' rows must outlive
# each check (a non-transactional test would hold SQLite's write lock all along).
def test_remote_cli_against_a_live_platform(platform, tmp_path, monkeypatch):
    """The remote commands against a real server, executor and action worker."""
    from apps.identity.services import api_key_create

    # The core and e2e packs are registered by the `packs` fixture.
    user = get_user_model().objects.create_superuser(username="cli-admin", password="x-password-1")
    _, token = api_key_create(user=user, name="cli")
    platform.web()
    platform.executor()
    platform.actions()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ATTUNE_CONFIG", raising=False)
    monkeypatch.setenv("ATTUNE_API_URL", platform.url)
    monkeypatch.setenv("ATTUNE_API_KEY", token)
    runner = CliRunner()

    def cli(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    for check in (run_waits_and_exit_code_mirrors_the_outcome, run_coerces_parameters_by_the_action_schema,
                  run_async_tail_and_execution_commands, cancel_an_execution, pause_and_resume_a_workflow,
                  output_streams_over_the_websocket, catalogue_and_rules, users_login_keys_and_api_keys, pack_upload_rules_and_uninstall,
                  errors_are_messages_and_exit_codes):
        check(cli, monkeypatch)


def run_waits_and_exit_code_mirrors_the_outcome(cli, monkeypatch):
    """`attune run` waits for the execution, prints its outcome, and exits 0 when it
    succeeded, 1 when it failed; -o json prints the execution document."""
    ok = cli("run", "core.echo", "message=hi there", "-o", "json")
    assert ok.exit_code == 0, ok.output
    execution = json.loads(ok.stdout)
    assert execution["status"] == "succeeded" and execution["stdout"] == "hi there"
    assert execution["parameters"] == {"message": "hi there"}

    readable = cli("run", "core.echo", "message=plain")
    assert readable.exit_code == 0 and "succeeded" in readable.stdout and "plain" in readable.stdout

    failed = cli("run", "core.local", "cmd=exit 3", "--field", "status")
    assert failed.exit_code == 1
    assert failed.stdout.strip() == "failed"


def run_coerces_parameters_by_the_action_schema(cli, monkeypatch):
    """k=v strings become the schema's types; JSON objects and @file keep theirs; a
    value of the wrong type is refused before anything runs, naming the parameter."""
    typed = cli("run", "e2e.pyinfo", "name=x", "count=3", "-k", "result.params")
    assert typed.exit_code == 0, typed.output
    assert json.loads(typed.stdout) == {"name": "x", "count": 3}

    as_json = cli("run", "e2e.nodeinfo", '{"n": 21}', "-k", "result")
    assert as_json.exit_code == 0, as_json.output
    assert "42" in as_json.stdout

    bad = cli("run", "e2e.pyinfo", "name=x", "count=three")
    assert bad.exit_code == 2
    assert "parameter count: 'three' is not an integer" in bad.stderr

    missing = cli("run", "e2e.pyinfo", "count=1", "-o", "json")
    assert missing.exit_code == 1
    error = json.loads(missing.stdout)
    assert error["status"] == 400 and "name" in error["error"]


def run_async_tail_and_execution_commands(cli, monkeypatch):
    """--async prints the id; `execution tail` prints the output from the start;
    show/list find it; re-run changes a parameter; result prints the result."""
    started = cli("run", "e2e.ticker", "count=3", "--async")
    assert started.exit_code == 0, started.output
    execution_id = started.stdout.strip()
    assert execution_id.isdigit()

    tailed = cli("execution", "tail", execution_id)
    assert tailed.exit_code == 0, tailed.output
    assert tailed.stdout == "tick 1\ntick 2\ntick 3\n"

    streamed = cli("run", "e2e.ticker", "count=2", "--tail")
    assert streamed.exit_code == 0 and streamed.stdout == "tick 1\ntick 2\n"
    assert "succeeded" in streamed.stderr
    document = cli("run", "e2e.ticker", "count=1", "--tail", "-o", "json")
    assert json.loads(document.stdout)["status"] == "succeeded" and "tick 1" in document.stderr

    shown = cli("execution", "show", execution_id, "-o", "yaml")
    assert yaml.safe_load(shown.stdout)["status"] == "succeeded"

    listed = cli("execution", "list", "--action", "e2e.ticker", "--status", "succeeded", "-k", "id")
    assert execution_id in listed.stdout.split()

    rerun = cli("execution", "re-run", execution_id, "count=1", "-j")
    assert rerun.exit_code == 0, rerun.output
    again = json.loads(rerun.stdout)
    assert again["re_run_of"] == int(execution_id) and again["stdout"] == "tick 1\n"

    finished = cli("run", "e2e.emit", 'value={"a": [1, 2]}', "-k", "id")
    result = cli("execution", "result", finished.stdout.strip())
    assert result.exit_code == 0 and json.loads(result.stdout) == {"a": [1, 2]}
    answer = cli("execution", "result", "last", "-k", "a.1")
    assert answer.exit_code == 0 and answer.stdout.strip() == "2"


def output_streams_over_the_websocket(cli, monkeypatch):
    """The CLI's live feed receives an execution's chunks in order as they are written,
    then its end; with the socket turned off, `--tail` polls and prints the same."""
    from attune.cli.client import Api
    from attune.cli.live import open_feed

    started = cli("run", "e2e.ticker", "count=8", "--async")
    execution_id = int(started.stdout.strip())
    with Api() as api:
        feed = open_feed(api, execution_id)
        assert feed is not None
        streamed = []
        while True:
            message = feed.next(timeout=15)
            assert message is not None, "the feed went quiet before the execution ended"
            if message["notification_type"] == "execution.output":
                streamed.append(message["payload"]["seq"])
            elif message["payload"]["status"] in ("succeeded", "failed"):
                break
        feed.close()
    assert streamed and streamed == sorted(streamed) and len(set(streamed)) == len(streamed)

    monkeypatch.setenv("ATTUNE_CLI_NO_WEBSOCKET", "1")
    polled = cli("run", "e2e.ticker", "count=2", "--tail")
    assert polled.exit_code == 0 and polled.stdout == "tick 1\ntick 2\n"
    monkeypatch.delenv("ATTUNE_CLI_NO_WEBSOCKET")


def cancel_an_execution(cli, monkeypatch):
    """`execution cancel` stops a running action; waiting on it then exits 1."""
    started = cli("run", "e2e.sleeper", "seconds=30", "--async")
    execution_id = started.stdout.strip()
    canceled = cli("execution", "cancel", execution_id, "-k", "status")
    assert canceled.exit_code == 0, canceled.output
    assert canceled.stdout.strip() in ("canceling", "canceled")
    tailed = cli("execution", "tail", execution_id)
    assert tailed.exit_code == 1 and "canceled" in tailed.stderr


def pause_and_resume_a_workflow(cli, monkeypatch):
    """`execution pause` and `resume` drive a running workflow, which then succeeds."""
    started = cli("run", "e2e.slow_flow", "seconds=2", "--async")
    execution_id = started.stdout.strip()
    wait_for(lambda: cli("execution", "show", execution_id, "-k", "status").stdout.strip() == "running",
             timeout=20, what="the workflow to run")
    paused = cli("execution", "pause", execution_id, "-k", "status")
    assert paused.exit_code == 0, paused.output
    assert paused.stdout.strip() in ("pausing", "paused")
    wait_for(lambda: cli("execution", "show", execution_id, "-k", "status").stdout.strip() == "paused",
             timeout=20, what="the workflow to pause")
    resumed = cli("execution", "resume", execution_id)
    assert resumed.exit_code == 0 and f"execution {execution_id}: " in resumed.stdout
    streamed = cli("execution", "tail", execution_id)
    assert streamed.exit_code == 0 and "succeeded" in streamed.stderr


def catalogue_and_rules(cli, monkeypatch):
    """action list/show, workflow list, rule list/enable/disable, and -o/--field on them."""
    actions = cli("action", "list", "--pack", "core", "-k", "ref")
    assert actions.exit_code == 0 and "core.echo" in actions.stdout.split()
    table = cli("action", "list", "--pack", "e2e")
    assert "e2e.ticker" in table.stdout and "runner_type" in table.stdout

    shown = cli("action", "show", "e2e.pyinfo", "-k", "parameters.count.type")
    assert shown.stdout.strip() == "integer"

    workflows = cli("workflow", "list", "-k", "ref")
    assert {"e2e.deploy", "e2e.slow_flow"} <= set(workflows.stdout.split())

    rules = cli("rule", "list", "-j")
    refs = [rule["ref"] for rule in json.loads(rules.stdout)]
    assert "e2e.big_orders" in refs

    off = cli("rule", "disable", "e2e.big_orders", "-k", "enabled")
    assert off.exit_code == 0 and off.stdout.strip() == "false"
    on = cli("rule", "enable", "e2e.big_orders")
    assert on.exit_code == 0 and "rule e2e.big_orders enabled" in on.stdout


def users_login_keys_and_api_keys(cli, monkeypatch):
    """An admin creates a user with a role; that user logs in with a password (JWT),
    stores an encrypted key, reads it back only with -d, makes an API key, and logs
    out, after which the stored tokens no longer work."""
    made = cli("user", "create", "dana", "--role", "operator", "--password-stdin", "-j",
               input="dana-password-9\n")
    assert made.exit_code == 0, made.output
    admin_key = os.environ["ATTUNE_API_KEY"]
    monkeypatch.delenv("ATTUNE_API_KEY")
    bad = cli("auth", "login", "-u", "dana", "--password-stdin", input="wrong\n")
    assert bad.exit_code == 1 and "invalid username or password" in bad.stderr
    login = cli("auth", "login", "-u", "dana", "--password-stdin", input="dana-password-9\n")
    assert login.exit_code == 0, login.output
    whoami = cli("auth", "whoami", "-j")
    assert json.loads(whoami.stdout)["username"] == "dana"

    stored = cli("key", "set", "db_password", "live-canary-31", "-e", "--scope", "pack:e2e", "-j")
    assert stored.exit_code == 0, stored.output
    assert "live-canary-31" not in stored.stdout
    hidden = cli("key", "get", "db_password", "--scope", "pack:e2e", "-j")
    assert json.loads(hidden.stdout)["value"] is None
    shown = cli("key", "get", "db_password", "--scope", "pack:e2e", "-d", "-k", "value")
    assert shown.exit_code == 0 and shown.stdout.strip() == "live-canary-31"

    token = cli("api-key", "create", "laptop", "-k", "token")
    assert token.exit_code == 0 and token.stdout.strip().startswith("atk_")
    listed = cli("api-key", "list", "-j")
    assert [k["name"] for k in json.loads(listed.stdout)] == ["laptop"]

    assert cli("auth", "logout").exit_code == 0
    after = cli("auth", "whoami")
    assert after.exit_code == 1 and "attune auth login" in after.stderr
    monkeypatch.setenv("ATTUNE_API_KEY", admin_key)


def pack_upload_rules_and_uninstall(cli, monkeypatch):
    """A pack directory is uploaded (packed on the fly), its action runs, a rule made
    from a YAML file fires it, and the pack is uninstalled with its content."""
    root = Path(tempfile.mkdtemp()) / "greeter"
    (root / "actions").mkdir(parents=True)
    (root / "pack.yaml").write_text("ref: greeter\nversion: 1.0.0\n")
    (root / "actions" / "hello.yaml").write_text(textwrap.dedent("""
        name: hello
        runner_type: shell
        entry_point: hello.sh
        parameters:
          who: {type: string, default: world}
    """))
    (root / "actions" / "hello.sh").write_text('#!/bin/sh\necho "hello $(cat | python3 -c \'import json,sys; print(json.load(sys.stdin)["who"])\')"\n')
    uploaded = cli("pack", "upload", str(root))
    assert uploaded.exit_code == 0, uploaded.output
    ran = cli("run", "greeter.hello", "who=cli", "-k", "stdout")
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.strip() == "hello cli"

    rule_file = root.parent / "rule.yaml"
    rule_file.write_text(textwrap.dedent("""
        ref: greeter.on_hook
        trigger: {type: core.webhook, parameters: {url: greet}}
        action: {ref: greeter.hello, parameters: {who: "{{ event.payload.body.name }}"}}
    """))
    made = cli("rule", "create", str(rule_file), "-k", "ref")
    assert made.exit_code == 0 and made.stdout.strip() == "greeter.on_hook", made.output
    assert cli("rule", "delete", "greeter.on_hook", "--yes").exit_code == 0
    assert cli("rule", "show", "greeter.on_hook").exit_code == 1

    removed = cli("pack", "uninstall", "greeter", "--yes")
    assert removed.exit_code == 0, removed.output
    gone = cli("action", "show", "greeter.hello")
    assert gone.exit_code == 1 and "not found" in gone.stderr


def errors_are_messages_and_exit_codes(cli, monkeypatch):
    """404, 401 and an unreachable server print a message (JSON with -o json) and exit 1."""
    missing = cli("action", "show", "core.nope")
    assert missing.exit_code == 1 and "action core.nope not found" in missing.stderr

    missing_json = cli("execution", "show", "999999", "-o", "json")
    assert json.loads(missing_json.stdout) == {"error": "execution 999999 not found", "status": 404}

    monkeypatch.setenv("ATTUNE_API_KEY", "atk_not_a_real_key")
    refused = cli("action", "list")
    assert refused.exit_code == 1 and "attune auth login" in refused.stderr

    monkeypatch.setenv("ATTUNE_API_URL", "http://127.0.0.1:9")
    down = cli("pack", "list", "-o", "json")
    assert down.exit_code == 1
    assert "cannot connect to the API at http://127.0.0.1:9" in json.loads(down.stdout)["error"]
