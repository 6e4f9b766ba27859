"""Flat parameter schemas: validation errors name the field; secrets are kept apart."""

from __future__ import annotations

import pytest

from apps.core import schemas
from apps.core.errors import InvalidInput

SCHEMA = {
    "url": {"type": "string", "required": True},
    "method": {"type": "string", "default": "GET", "enum": ["GET", "POST"]},
    "retries": {"type": "integer", "default": 3, "minimum": 0},
    "token": {"type": "string", "secret": True},
}


def test_defaults_are_applied():
    """Missing parameters with a default get it."""
    assert schemas.validate(SCHEMA, {"url": "u"}) == {"url": "u", "method": "GET", "retries": 3}


@pytest.mark.parametrize(
    "values, field",
    [
        ({}, "parameters.url"),
        ({"url": 1}, "parameters.url"),
        ({"url": "u", "method": "PUT"}, "parameters.method"),
        ({"url": "u", "retries": -1}, "parameters.retries"),
        ({"url": "u", "colour": "red"}, "parameters.colour"),
    ],
)
def test_errors_name_the_field(values, field):
    """Each kind of bad value is reported with the parameter's path."""
    with pytest.raises(InvalidInput) as error:
        schemas.validate(SCHEMA, values)
    assert error.value.field == field


def test_full_json_schema_is_accepted():
    """A full JSON Schema works like the flat form."""
    full = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert schemas.validate(full, {"n": 1}) == {"n": 1}
    with pytest.raises(InvalidInput):
        schemas.validate(full, {})


def test_secrets_split_and_mask():
    """Secret values are separated from plain ones and masked for display."""
    names = schemas.secret_names(SCHEMA)
    plain, hidden = schemas.split_secrets({"url": "u", "token": "s3cret"}, names)
    assert plain == {"url": "u"} and hidden == {"token": "s3cret"}
    assert schemas.mask({"token": "s3cret", "url": "u"}, names) == {"token": "********", "url": "u"}


def test_malformed_schema_names_the_entry():
    """A schema with an unknown type is refused naming the parameter."""
    with pytest.raises(InvalidInput) as error:
        schemas.check_schema({"count": {"type": "integr"}}, field="parameters")
    assert error.value.field == "parameters.count.type"
