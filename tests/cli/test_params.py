"""Action parameters from the command line, coerced by the action's schema."""

from __future__ import annotations

import pytest

from attune.cli.output import CliError
from attune.cli.params import parse

FLAT = {
    "count": {"type": "integer"},
    "ratio": {"type": "number"},
    "dry": {"type": "boolean"},
    "hosts": {"type": "array", "items": {"type": "integer"}},
    "env": {"type": "object"},
    "name": {"type": "string"},
    "maybe": {"type": ["integer", "null"]},
    "anything": {"description": "untyped"},
}


def test_strings_become_the_declared_types():
    """k=v values are converted to integer, number, boolean, array (JSON or commas) and object."""
    assert parse(["count=3", "ratio=2.5", "dry=false", "hosts=1,2", "env={\"a\": [1]}", "name=007"], FLAT) == {
        "count": 3, "ratio": 2.5, "dry": False, "hosts": [1, 2], "env": {"a": [1]}, "name": "007"}
    assert parse(["hosts=[3, 4]", "maybe=null", "anything=[1]", "count=4.0"], FLAT) == {
        "hosts": [3, 4], "maybe": None, "anything": [1], "count": 4}


def test_full_json_schema_is_read_too():
    """A full JSON Schema (type: object, properties) drives the coercion the same way."""
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert parse(["n=5"], schema) == {"n": 5}


def test_json_objects_and_files_keep_their_types(tmp_path):
    """A JSON object argument and @file values are used as they are; later arguments win."""
    params = tmp_path / "p.yaml"
    params.write_text("count: '5'\nhosts: [1]\n")
    assert parse([f"@{params}", '{"name": 1}', "count=6"], FLAT) == {"count": 6, "hosts": [1], "name": 1}


@pytest.mark.parametrize(("item", "message"), [
    ("count=three", "parameter count: 'three' is not an integer"),
    ("ratio=fast", "parameter ratio: 'fast' is not a number"),
    ("dry=perhaps", "parameter dry: 'perhaps' is not a boolean"),
    ("env=[1]", "parameter env: '[1]' is not an object"),
    ("hosts=1,x", "parameter hosts[1]: 'x' is not an integer"),
    ("count", "parameter 'count': expected NAME=VALUE, a JSON object or @FILE"),
    ("{bad json}", "parameters '{bad json}': invalid JSON"),
])
def test_bad_values_name_the_parameter(item, message):
    """A value that is not of the declared type is refused with the parameter's name (exit 2)."""
    with pytest.raises(CliError) as caught:
        parse([item], FLAT)
    assert caught.value.message.startswith(message)
    assert caught.value.code == 2
