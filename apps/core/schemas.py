"""Flat parameter schemas (`{name: {type, required, secret, default, enum, …}}`), their
JSON Schema form, validation with defaults, and secret masking.

A full JSON Schema (`type: object, properties: …`) is accepted wherever a flat one is."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import InvalidInput

MASK = "********"
TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}
# Keys of a flat entry that are ours, not JSON Schema's.
_FLAT_ONLY = {"required", "secret", "position", "immutable", "label"}


def is_full_schema(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "object" and isinstance(schema.get("properties"), Mapping)


def to_json_schema(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON Schema of a flat (or already full) parameter schema."""
    if not schema:
        return {"type": "object", "properties": {}, "additionalProperties": False}
    if is_full_schema(schema):
        return dict(schema)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, spec in schema.items():
        spec = spec or {}
        properties[name] = {k: v for k, v in spec.items() if k not in _FLAT_ONLY}
        if spec.get("required"):
            required.append(name)
    result: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        result["required"] = required
    return result


def properties_of(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    if not schema:
        return {}
    if is_full_schema(schema):
        return dict(schema["properties"])
    return {name: (spec or {}) for name, spec in schema.items()}


def check_schema(schema: Any, *, field: str) -> None:
    """Refuse a malformed schema, naming the offending entry (used by the pack loader)."""
    if schema is None:
        return
    if not isinstance(schema, Mapping):
        raise InvalidInput(field, "must be a mapping of parameter name to its definition")
    if not is_full_schema(schema):
        for name, spec in schema.items():
            where = f"{field}.{name}"
            if not isinstance(spec, Mapping):
                raise InvalidInput(where, "must be a mapping such as {type: string}")
            kind = spec.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if kind is not None and not all(k in TYPES for k in kinds):
                raise InvalidInput(f"{where}.type", f"{kind!r} is not one of {', '.join(sorted(TYPES))}")
    try:
        Draft202012Validator.check_schema(to_json_schema(schema))
    except SchemaError as exc:
        path = ".".join(str(p) for p in exc.path if p != "properties")
        raise InvalidInput(f"{field}.{path}" if path else field, exc.message) from None


@lru_cache(maxsize=1024)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def validator_for(schema: Mapping[str, Any] | None) -> Draft202012Validator:
    return _validator(json.dumps(to_json_schema(schema), sort_keys=True, default=str))


def apply_defaults(schema: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(values)
    for name, spec in properties_of(schema).items():
        if name not in result and isinstance(spec, Mapping) and "default" in spec:
            result[name] = copy.deepcopy(spec["default"])
    return result


def validate(schema: Mapping[str, Any] | None, values: Any, *, field: str = "parameters") -> dict[str, Any]:
    """Values with defaults applied, or InvalidInput naming the first bad field."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise InvalidInput(field, "must be an object")
    result = apply_defaults(schema, values)
    errors = sorted(validator_for(schema).iter_errors(result), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        path = list(err.path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            raise InvalidInput(f"{field}.{missing}" if missing else field, "is required")
        if err.validator == "additionalProperties":
            extra = sorted(set(result) - set(properties_of(schema)))
            name = extra[0] if extra else ""
            raise InvalidInput(f"{field}.{name}" if name else field, "is not a parameter of this action")
        where = ".".join([field, *[str(p) for p in path]])
        raise InvalidInput(where, err.message)
    return result


def secret_names(schema: Mapping[str, Any] | None) -> frozenset[str]:
    return frozenset(
        name for name, spec in properties_of(schema).items() if isinstance(spec, Mapping) and spec.get("secret")
    )


def split_secrets(values: Mapping[str, Any], secrets: frozenset[str]) -> tuple[dict, dict]:
    """(plain values, secret values): secrets are stored apart, encrypted."""
    plain = {k: v for k, v in values.items() if k not in secrets}
    hidden = {k: v for k, v in values.items() if k in secrets}
    return plain, hidden


def mask(values: Mapping[str, Any], secrets: frozenset[str] | set[str]) -> dict[str, Any]:
    return {k: (MASK if k in secrets and v is not None else v) for k, v in values.items()}


def mask_text(text: str, secrets: list[str]) -> str:
    """`text` with every occurrence of a secret value replaced by MASK."""
    for value in secrets:
        if value and value in text:
            text = text.replace(value, MASK)
    return text


def mask_values(value: Any, secrets: list[str]) -> Any:
    """mask_text applied to every string inside a JSON value."""
    if not secrets:
        return value
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, list):
        return [mask_values(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: mask_values(v, secrets) for k, v in value.items()}
    return value
