"""`attune rule test`: StackStorm's rule tester, offline."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attune.cli.main import app

runner = CliRunner()

RULE = """\
name: notify_big_orders
trigger: shop.order_created
criteria:
  event.payload.total:   {type: greaterthan, pattern: 1000}
  trigger.country:       {type: inside, pattern: [DE, FR]}
conditions:
  expression: 'event.payload.total > 1000 or "vip" in event.payload.tags'
action: core.http_request
action_params:
  url: "{{ pack.config.hook_url }}"
  json_body: {order: "{{ event.payload.id }}", total: "{{ event.payload.total }}", note: "order {{ event.payload.id }}"}
"""

BIG = {"id": 7, "total": 1500, "country": "DE", "tags": []}
SMALL = {"id": 8, "total": 15, "country": "DE", "tags": []}


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture
def files(tmp_path):
    """A rule inside a pack (shop/rules/big.yaml), two payloads and a context file."""

    class Files:
        rule = write(tmp_path / "shop" / "rules" / "big.yaml", RULE)
        big = write(tmp_path / "big.json", json.dumps(BIG))
        small = write(tmp_path / "small.yaml", "id: 8\ntotal: 15\ncountry: DE\ntags: []\n")
        context = write(tmp_path / "ctx.yaml", "pack_config:\n  hook_url: https://hooks.example/x\n")
        root = tmp_path

    return Files


def attune(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def as_json(result) -> dict:
    data = json.loads(result.stdout)
    assert set(data) == {"match", "action_params", "errors", "reason"}
    return data


def test_match_renders_action_params_with_types(files):
    result = attune("rule", "test", files.rule, "--event", files.big, "--context", files.context, "--json")
    assert result.exit_code == 0, result.stdout
    data = as_json(result)
    assert data["match"] is True
    assert data["errors"] == []
    assert data["action_params"] == {
        "url": "https://hooks.example/x",
        "json_body": {"order": 7, "total": 1500, "note": "order 7"},
    }


def test_match_readable_summary(files):
    result = attune("rule", "test", files.rule, "--event", files.big, "--context", files.context)
    assert result.exit_code == 0
    out = result.stdout
    assert "Rule shop.notify_big_orders on trigger shop.order_created" in out  # pack from the directory
    assert "✓ event.payload.total greaterthan 1000" in out
    assert "✓ condition:" in out
    assert "MATCH: would run core.http_request with" in out
    assert '"url": "https://hooks.example/x"' in out


def test_no_match_says_which_criterion_failed(files):
    result = attune("rule", "test", files.rule, "--event", files.small, "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is False and data["action_params"] is None and data["errors"] == []
    assert data["reason"] == "criterion event.payload.total greaterthan 1000 does not hold (value: 15)"

    readable = attune("rule", "test", files.rule, "--event", files.small)
    assert readable.exit_code == 1
    assert "✗ event.payload.total greaterthan 1000  (value: 15)" in readable.stdout
    assert "NO MATCH: criterion event.payload.total" in readable.stdout


def test_a_false_condition_is_no_match(files, tmp_path):
    rule = write(tmp_path / "cond.yaml", """\
        ref: shop.vip
        trigger_ref: shop.order_created
        conditions: '"vip" in event.payload.tags'
        action_ref: core.noop
    """)
    result = attune("rule", "test", rule, "--event", files.big, "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is False
    assert data["reason"] == 'the condition is false: "vip" in event.payload.tags'


def test_offline_pack_config_is_null(files):
    """Without --context, pack.config is null: the rule matches, its parameters do not render."""
    result = attune("rule", "test", files.rule, "--event", files.big, "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is True
    assert data["action_params"] is None
    [error] = data["errors"]
    assert error.startswith("action_params.url: ")
    assert "hook_url" in error and "pack.config is null offline: pass --context FILE with pack_config" in error

    readable = attune("rule", "test", files.rule, "--event", files.big)
    assert readable.exit_code == 1
    assert "MATCH, but no execution: action_params do not render" in readable.stdout


def test_offline_context_values_are_null(files, tmp_path):
    rule = write(tmp_path / "probe.yaml", """\
        ref: shop.probe
        trigger: shop.order_created
        action: core.noop
        action_params:
          config: "{{ pack.config }}"
          keystore: "{{ keystore }}"
          rule: "{{ rule }}"
          event: "{{ [event.id, event.trigger, event.payload.id, type_of(event.created)] }}"
          payload_alias: "{{ trigger.total }}"
          system_rule: "{{ system.rule }}"
    """)
    result = attune("rule", "test", rule, "--event", files.big, "--json")
    assert result.exit_code == 0, result.stdout
    params = as_json(result)["action_params"]
    assert params["config"] is None and params["keystore"] is None
    assert params["rule"] == {"ref": "shop.probe", "name": "probe", "pack": "shop"}
    assert params["event"] == [None, "shop.order_created", 7, "string"]
    assert params["payload_alias"] == 1500
    assert params["system_rule"] == "shop.probe"


def test_context_file_supplies_config_and_keystore(files, tmp_path):
    rule = write(tmp_path / "keys.yaml", """\
        ref: shop.keys
        trigger: shop.order_created
        criteria:
          event.payload.total: {type: gt, pattern: "{{ pack.config.threshold }}"}
        action: {ref: core.http_request, parameters: {token: "{{ keystore.api_token }}"}}
    """)
    context = write(tmp_path / "ctx.json", '{"config": {"threshold": 1000}, "keystore": {"api_token": "s3cret"}}')
    result = attune("rule", "test", rule, "--event", files.big, "--context", context, "--json")
    assert result.exit_code == 0, result.stdout
    assert as_json(result)["action_params"] == {"token": "s3cret"}
    # the templated pattern renders to a number: 15 is not greater
    small = attune("rule", "test", rule, "--event", files.small, "--context", context, "--json")
    assert small.exit_code == 1 and as_json(small)["match"] is False


def test_templated_pattern_without_context_is_an_error(files, tmp_path):
    rule = write(tmp_path / "tpl.yaml", """\
        ref: shop.tpl
        trigger: shop.order_created
        criteria:
          event.payload.total: {type: gt, pattern: "{{ pack.config.threshold }}"}
        action: core.noop
    """)
    result = attune("rule", "test", rule, "--event", files.big, "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is False
    [error] = data["errors"]
    assert "criterion 'event.payload.total' (gt)" in error and "pack.config is null offline" in error


def test_trigger_mismatch_never_matches(files):
    result = attune("rule", "test", files.rule, "--event", files.big, "--context", files.context,
                    "--trigger", "shop.order_paid", "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is False and data["errors"] == []
    assert data["reason"] == "the rule listens to trigger shop.order_created, the event is of trigger shop.order_paid"

    same = attune("rule", "test", files.rule, "--event", files.big, "--context", files.context,
                  "--trigger", "shop.order_created", "--json")
    assert same.exit_code == 0 and as_json(same)["match"] is True


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ("event.payload.total: {type: bogus, pattern: 1}", "criterion 'event.payload.total' (bogus): unknown operator"),
        ("event.payload.country: {type: regex, pattern: '('}", "invalid regular expression"),
        ("event.payload.total: 5", "must be a mapping with a 'type'"),
    ],
)
def test_criteria_errors_mean_no_match_with_the_error(files, tmp_path, criteria, expected):
    rule = write(tmp_path / "err.yaml", f"ref: shop.err\ntrigger: shop.order_created\naction: core.noop\n"
                                        f"criteria:\n  {criteria}\n")
    result = attune("rule", "test", rule, "--event", files.big, "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is False and data["action_params"] is None
    assert len(data["errors"]) == 1 and expected in data["errors"][0]


def test_condition_error_means_no_match(files, tmp_path):
    rule = write(tmp_path / "cerr.yaml", """\
        ref: shop.cerr
        trigger: shop.order_created
        conditions: {expression: "event.payload.missing.deeper > 1"}
        action: core.noop
    """)
    result = attune("rule", "test", rule, "--event", files.big, "--json")
    assert result.exit_code == 1
    data = as_json(result)
    assert data["match"] is False
    assert data["errors"][0].startswith("conditions.expression: ")
    assert 'expression "event.payload.missing.deeper > 1"' in data["errors"][0]

    readable = attune("rule", "test", rule, "--event", files.big)
    assert "error: conditions.expression" in readable.stdout and "NO MATCH" in readable.stdout


def test_stackstorm_spellings_and_no_criteria(files, tmp_path):
    rule = write(tmp_path / "st2.yaml", """\
        name: any_order
        pack: shop
        trigger: {type: shop.order_created, parameters: {}}
        action: {ref: core.echo, parameters: {message: "total {{ trigger.total }}"}}
    """)
    result = attune("rule", "test", rule, "--event", files.big, "--json")
    assert result.exit_code == 0
    assert as_json(result)["action_params"] == {"message": "total 1500"}
    readable = attune("rule", "test", rule, "--event", files.big)
    assert "no criteria and no condition" in readable.stdout
    assert "Rule shop.any_order on trigger shop.order_created" in readable.stdout


def test_payload_from_stdin(files):
    result = attune("rule", "test", files.rule, "--event", "-", "-c", files.context, "-j", input=json.dumps(BIG))
    assert result.exit_code == 0 and as_json(result)["match"] is True


def test_search_operator(files, tmp_path):
    rule = write(tmp_path / "search.yaml", """\
        ref: shop.search
        trigger: shop.order_created
        criteria:
          event.payload.lines:
            type: search
            condition: any
            pattern:
              item.sku: {type: equals, pattern: A1}
              item.qty: {type: gt, pattern: 2}
        action: core.noop
    """)
    hit = write(tmp_path / "hit.json", '{"lines": [{"sku": "B", "qty": 9}, {"sku": "A1", "qty": 3}]}')
    miss = write(tmp_path / "miss.json", '{"lines": [{"sku": "B", "qty": 9}, {"sku": "A1", "qty": 1}]}')
    assert attune("rule", "test", rule, "--event", hit).exit_code == 0
    assert attune("rule", "test", rule, "--event", miss).exit_code == 1


# --- bad input: exit 2 -------------------------------------------------------------------


def test_missing_files_exit_2(files):
    result = attune("rule", "test", str(files.root / "absent.yaml"), "--event", files.big)
    assert result.exit_code == 2
    assert "Error: rule" in result.stderr and "no such file" in result.stderr

    result = attune("rule", "test", files.rule, "--event", str(files.root / "absent.json"))
    assert result.exit_code == 2 and "--event" in result.stderr


def test_bad_input_is_json_with_json_output(files):
    result = attune("rule", "test", files.rule, "--event", str(files.root / "absent.json"), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"error": f"--event {files.root / 'absent.json'}: no such file"}


@pytest.mark.parametrize(
    ("rule_text", "message"),
    [
        ("ref: a.b\naction: core.noop\n", "trigger is required"),
        ("ref: a.b\ntrigger: x.y\naction_params: [1]\n", "action_params must be a mapping"),
        ("ref: a.b\ntrigger: x.y\nconditions: [1]\n", "conditions must be an expression"),
        ("- 1\n", "must hold a mapping of rule fields"),
        ("ref: [unclosed\n", "invalid YAML"),
    ],
)
def test_bad_rule_files_exit_2(files, tmp_path, rule_text, message):
    rule = write(tmp_path / "bad.yaml", rule_text)
    result = attune("rule", "test", rule, "--event", files.big)
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_event_and_context_files_exit_2(files, tmp_path):
    listing = write(tmp_path / "list.json", "[1, 2]")
    result = attune("rule", "test", files.rule, "--event", listing)
    assert result.exit_code == 2 and "must hold a mapping" in result.stderr

    typo = write(tmp_path / "typo.yaml", "packconfig: {}\n")
    result = attune("rule", "test", files.rule, "--event", files.big, "--context", typo)
    assert result.exit_code == 2 and "unknown key(s) packconfig" in result.stderr


def test_event_option_is_required(files):
    result = attune("rule", "test", files.rule)
    assert result.exit_code == 2
    assert "--event" in result.stderr
