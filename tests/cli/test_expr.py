"""`attune expr`: evaluate an expression or render a template offline."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from attune.cli.main import app

runner = CliRunner()


def attune(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def value_of(result) -> object:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2", 3),
        ("10 / 5", 2),
        ("10 / 4", 2.5),
        ("[1, 2] + [3]", [1, 2, 3]),
        ('{"a": 1}', {"a": 1}),
        ('upper("ab")', "AB"),
        ("3 == 3.0", True),
        ('"3" == 3', False),
        ("null", None),
        ('type_of([])', "array"),
    ],
)
def test_prints_the_value_as_json_with_its_type(expression, expected):
    value = value_of(attune("expr", expression))
    assert value == expected
    assert type(value) is type(expected)


def test_names_come_from_context_json():
    result = attune("expr", 'order.total > 1000 or "vip" in order.tags', "--context-json",
                    '{"order": {"total": 10, "tags": ["vip"]}}')
    assert value_of(result) is True


def test_names_come_from_a_yaml_context_file(tmp_path):
    context = tmp_path / "ctx.yaml"
    context.write_text("order:\n  items: [1, 2, 3]\n  placed: 2024-01-02\n")
    assert value_of(attune("expr", "sum(order.items)", "--context", str(context))) == 6
    # YAML dates are data as JSON would carry them: strings
    assert value_of(attune("expr", "type_of(order.placed)", "-c", str(context))) == "string"


def test_names_come_from_a_json_context_file(tmp_path):
    context = tmp_path / "ctx.json"
    context.write_text('{"hosts": ["a", "b"]}')
    assert value_of(attune("expr", 'join(hosts, ",")', "--context", str(context))) == "a,b"


def test_context_from_stdin():
    assert value_of(attune("expr", "x * 2", "--context", "-", input="x: 21\n")) == 42


def test_a_missing_name_exits_1_naming_the_expression_and_the_name():
    result = attune("expr", "missing + 1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "'missing' is undefined" in result.stderr
    assert 'expression "missing + 1"' in result.stderr


def test_no_implicit_coercion_is_an_error():
    result = attune("expr", '"a" + 1')
    assert result.exit_code == 1
    assert "in expression" in result.stderr and "\"a\" + 1" in result.stderr


def test_a_syntax_error_exits_1():
    result = attune("expr", "1 +")
    assert result.exit_code == 1
    assert "syntax error" in result.stderr


def test_a_single_expression_template_keeps_its_type():
    assert value_of(attune("expr", "--template", "{{ n * 2 }}", "--context-json", '{"n": 21}')) == 42
    assert value_of(attune("expr", "--template", "{{ items }}", "--context-json", '{"items": [1, "a"]}')) == [1, "a"]


def test_a_mixed_template_renders_a_string():
    assert value_of(attune("expr", "--template", "id-{{ n }}", "--context-json", '{"n": 21}')) == "id-21"
    assert value_of(attune("expr", "-t", "no braces")) == "no braces"


def test_a_failing_template_exits_1():
    result = attune("expr", "--template", "hello {{ who.name }}", "--context-json", '{"who": null}')
    assert result.exit_code == 1
    assert "who.name" in result.stderr


def test_an_expression_in_braces_is_rendered():
    assert value_of(attune("expr", "{{ [x] }}", "--context-json", '{"x": 1}')) == [1]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("a: [1,\n", "ctx.yaml", "invalid YAML at line"),
        ("{nope", "ctx.json", "invalid JSON at line 1"),
        ("- 1\n- 2\n", "ctx.yaml", "must hold a mapping"),
    ],
)
def test_a_bad_context_file_exits_2(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content)
    result = attune("expr", "1", "--context", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert str(path) in result.stderr


def test_a_missing_context_file_exits_2(tmp_path):
    result = attune("expr", "1", "--context", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_bad_context_json_exits_2():
    result = attune("expr", "1", "--context-json", "[1]")
    assert result.exit_code == 2
    assert "must be a JSON object" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["expr"],
        ["expr", "1", "--template", "{{ 1 }}"],
        ["expr", "1", "--context", "x.yaml", "--context-json", "{}"],
    ],
)
def test_conflicting_or_missing_arguments_exit_2(args):
    result = attune(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: give")


def test_version_and_help():
    version = attune("--version")
    assert version.exit_code == 0 and version.stdout.startswith("attune ")
    help_text = attune("--help")
    assert help_text.exit_code == 0
    for command in ("expr", "rule", "workflow"):
        assert command in help_text.stdout
