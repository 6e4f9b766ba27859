"""Parameter formats and output parsing (no Django)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import types

import pytest
import yaml


def _load(name: str) -> types.ModuleType:
    """The module loaded from its file: importing it as apps.executions.runners.<name>
    runs the package's __init__, which registers the Django-backed runners and so
    needs configured settings. These tests run without Django."""
    path = os.path.join(os.path.dirname(__file__), os.pardir, "runners", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_attune_runners_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


io = _load("io")
format_parameters, parse_output = io.format_parameters, io.parse_output

NASTY = [
    "it's",
    "'",
    "''",
    "a'\\''b",
    "$HOME `id` $(id) ${x:-y} \\n \\",
    'double "quotes" and \\"escapes\\"',
    "line1\nline2\n\n",
    "\n",
    "tab\tcr\r",
    "; rm -rf / #",
    "-n",
    "ünïcödé ✓ 𝄞",
    "*",
    "!!",
    "",
]


def _shell_value(dotenv: bytes, name: str, shell: str = "bash") -> str:
    script = f'eval "$(cat)"; printf %s "${name}"'
    done = subprocess.run([shell, "-c", script], input=dotenv, capture_output=True, check=True)
    return done.stdout.decode()


def test_json_is_one_compact_line() -> None:
    """json is compact UTF-8 on one line with a trailing newline."""
    data = format_parameters({"b": [1, 2], "a": "é\nx"}, "json")
    assert data == '{"b":[1,2],"a":"é\\nx"}\n'.encode()
    assert json.loads(data) == {"b": [1, 2], "a": "é\nx"}


def test_json_with_a_lone_surrogate_stays_valid_utf8() -> None:
    """A lone surrogate (valid in JSON input, not in UTF-8) is escaped instead of failing."""
    data = format_parameters({"a": "\ud800"}, "json")
    assert json.loads(data.decode()) == {"a": "\ud800"}


def test_yaml_round_trips() -> None:
    """yaml is a safe_dump document that loads back to the parameters."""
    params = {"name": "x", "n": 3, "flag": True, "items": [1, {"k": None}], "text": "a: b\n- c"}
    assert yaml.safe_load(format_parameters(params, "yaml")) == params


def test_unknown_parameter_format() -> None:
    """An unknown parameter format is a ValueError naming it."""
    with pytest.raises(ValueError, match="toml"):
        format_parameters({}, "toml")


@pytest.mark.parametrize("value", NASTY)
def test_dotenv_value_round_trips_through_bash_eval(value: str) -> None:
    """Any string value comes back unchanged from eval in bash: quotes, $, backticks, newlines."""
    assert _shell_value(format_parameters({"KEY": value}, "dotenv"), "KEY") == value


def test_dotenv_round_trips_through_posix_sh_and_read() -> None:
    """The whole file evals in a POSIX sh, and via bash's read -r -d ''."""
    params = {f"k{i}": v for i, v in enumerate(NASTY)}
    dotenv = format_parameters(params, "dotenv")
    for name, value in params.items():
        assert _shell_value(dotenv, name, shell="sh") == value
    script = "read -r -d '' p; eval \"$p\"; printf %s \"$k6\""
    done = subprocess.run(["bash", "-c", script], input=dotenv, capture_output=True, check=True)
    assert done.stdout.decode() == params["k6"]


def test_dotenv_lines_sorted_and_quoted() -> None:
    """One KEY='value' line per key, sorted, with JSON text for lists and scalars spelled as JSON."""
    params = {"b": [1, "x"], "a": None, "c": True, "d": False, "e": 1.5, "f": 7, "g": {}, "h": "it's"}
    assert format_parameters(params, "dotenv").decode().splitlines() == [
        "a=''", "b='[1,\"x\"]'", "c='true'", "d='false'", "e='1.5'", "f='7'", "g='{}'", "h='it'\\''s'",
    ]


def test_dotenv_flattens_objects_and_sanitizes_keys() -> None:
    """Nested objects flatten with __; bad key characters become _; a leading digit gets a _ prefix."""
    params = {"headers": {"Content-Type": "json", "x.y": {"z": [1]}}, "1st": "a", "ünï": "b", "": "c"}
    dotenv = format_parameters(params, "dotenv")
    assert dotenv.decode().splitlines() == [
        "_='c'", "_1st='a'", "_n_='b'", "headers__Content_Type='json'", "headers__x_y__z='[1]'",
    ]
    assert _shell_value(dotenv, "headers__x_y__z") == "[1]"


def test_dotenv_refuses_colliding_names_and_nul() -> None:
    """Keys that sanitize to the same name, and NUL bytes a shell cannot hold, are ValueErrors."""
    with pytest.raises(ValueError, match="a_b"):
        format_parameters({"a-b": 1, "a_b": 2}, "dotenv")
    with pytest.raises(ValueError, match="NUL"):
        format_parameters({"a": "x\0y"}, "dotenv")


def test_dotenv_empty_parameters() -> None:
    """No parameters give an empty document, which evals to nothing."""
    assert format_parameters({}, "dotenv") == b""


def test_parse_text_keeps_nothing() -> None:
    """text output parses to no value: the caller keeps stdout."""
    assert parse_output("hello", "text") == (None, None)


def test_parse_json_whole_and_last_line() -> None:
    """json parses all of stdout, else its last non-empty line."""
    assert parse_output('{"a": [1,\n 2]}\n', "json") == ({"a": [1, 2]}, None)
    assert parse_output('starting…\nwarning: x\n{"ok": true}\n\n', "json") == ({"ok": True}, None)
    assert parse_output('"\u2028"', "json") == ("\u2028", None)


def test_parse_json_error_and_empty() -> None:
    """Unparseable json is reported with the reason; empty stdout is no value, no error."""
    value, error = parse_output("not json\nstill not\n", "json")
    assert value is None and error and error.startswith("invalid JSON output:")
    assert parse_output("  \n", "json") == (None, None)
    assert parse_output("", "json") == (None, None)


def test_parse_json_rejects_nan() -> None:
    """NaN and Infinity are not JSON, and no JSON column could store them."""
    value, error = parse_output('{"x": NaN}', "json")
    assert value is None and error and "NaN" in error


def test_parse_yaml() -> None:
    """yaml parses stdout; its timestamps and odd keys become JSON-compatible."""
    assert parse_output("a: 1\nb: [x, y]\n", "yaml") == ({"a": 1, "b": ["x", "y"]}, None)
    assert parse_output("when: 2024-01-02\n1: one\n", "yaml") == ({"when": "2024-01-02", "1": "one"}, None)
    assert parse_output("", "yaml") == (None, None)


def test_parse_yaml_errors() -> None:
    """Invalid YAML, non-finite numbers and alias bombs are reported, not stored."""
    assert parse_output("a: [1,\n", "yaml")[1].startswith("invalid YAML output:")
    assert parse_output("x: .nan\n", "yaml")[0] is None
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    value, error = parse_output(bomb, "yaml")
    assert value is None and error and "too many values" in error


def test_parse_jsonl_keeps_valid_lines_and_names_first_bad_one() -> None:
    """jsonl gives one value per non-empty line and names the first bad line number."""
    assert parse_output('{"a":1}\n\n[2]\n"s"\n', "jsonl") == ([{"a": 1}, [2], "s"], None)
    values, error = parse_output('1\nbad\n3\n{oops\n', "jsonl")
    assert values == [1, 3] and error and error.startswith("invalid JSON on line 2:")
    assert parse_output("", "jsonl") == ([], None)


def test_unknown_output_format() -> None:
    """An unknown output format is a ValueError naming it."""
    with pytest.raises(ValueError, match="xml"):
        parse_output("<a/>", "xml")
