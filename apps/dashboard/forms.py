"""A run form generated from an action's parameter schema.

The browser form only turns text into typed values; what is valid is decided by the
platform's own validation (apps.core.schemas, the same JSON Schema check the API's
execution request runs), and its errors are shown next to their fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms

from apps.core import schemas
from apps.core.errors import InvalidInput

UNSET = ""
_BOOL_CHOICES = [(UNSET, "—"), ("true", "true"), ("false", "false")]


def _kind(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return kind


def _as_text(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("array", "object"):
        return json.dumps(value, indent=2)
    if kind == "boolean":
        return "true" if value else "false"
    return value


class RunForm(forms.Form):
    """One field per parameter. Empty fields are left out, so defaults apply."""

    def __init__(self, schema: Mapping[str, Any] | None, *args: Any, values: Mapping[str, Any] | None = None,
                 keep_secrets: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema or {}
        self.properties = schemas.properties_of(self.schema)
        self.kinds: dict[str, str] = {}
        required_names = set(schemas.to_json_schema(self.schema).get("required", []))
        secrets = schemas.secret_names(self.schema)
        for name, spec in self.properties.items():
            spec = spec if isinstance(spec, Mapping) else {}
            kind = _kind(spec)
            self.kinds[name] = kind
            has_default = "default" in spec
            required = name in required_names and not has_default
            help_text = spec.get("description", "")
            label = spec.get("label") or name
            initial = _as_text((values or {}).get(name, spec.get("default")), kind)
            if name in secrets:
                hint = "leave empty to keep the stored value" if keep_secrets else help_text
                field = forms.CharField(required=required and not keep_secrets, help_text=hint, strip=False,
                                        widget=forms.PasswordInput(render_value=False))
                initial = None
            elif spec.get("enum"):
                choices = [(json.dumps(v) if kind != "string" else v, str(v)) for v in spec["enum"]]
                if not required:
                    choices = [(UNSET, "—"), *choices]
                if kind != "string" and initial is not None and not isinstance(initial, str):
                    initial = json.dumps(initial)
                field = forms.ChoiceField(choices=choices, required=required, help_text=help_text)
            elif kind == "boolean":
                field = forms.ChoiceField(choices=_BOOL_CHOICES, required=required, help_text=help_text)
            elif kind in ("array", "object"):
                field = forms.CharField(required=required, help_text=help_text or f"JSON {kind}",
                                        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}))
            elif kind in ("integer", "number"):
                field = forms.CharField(required=required, help_text=help_text,
                                        widget=forms.NumberInput(attrs={"step": "1" if kind == "integer" else "any"}))
            else:
                field = forms.CharField(required=required, help_text=help_text, strip=False)
            field.label = label
            field.initial = initial
            field.widget.attrs.setdefault("data-testid", f"param-{name}")
            self.fields[name] = field

    def _typed(self, name: str, text: Any) -> Any:
        kind = self.kinds[name]
        spec = self.properties.get(name) or {}
        if spec.get("enum") and kind != "string":
            return json.loads(text)
        if kind == "integer":
            try:
                return int(text)
            except ValueError:
                raise forms.ValidationError("must be a whole number") from None
        if kind == "number":
            try:
                return float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:
                raise forms.ValidationError("must be a number") from None
        if kind == "boolean":
            return text == "true"
        if kind in ("array", "object"):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise forms.ValidationError(f"is not valid JSON: {exc.msg}") from None
        return text

    def typed_values(self) -> dict[str, Any] | None:
        """The typed values (empty fields left out, so defaults or stored secrets
        apply), or None with conversion errors added to their fields."""
        self.is_valid()  # every field is converted, so all errors show at once
        values: dict[str, Any] = {}
        for name in self.fields:
            if name not in self.cleaned_data:
                continue
            text = self.cleaned_data[name]
            if text in (None, UNSET):
                continue
            try:
                values[name] = self._typed(name, text)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        return None if self.errors else values

    def parameters(self) -> dict[str, Any] | None:
        """The typed parameters, or None with errors added to their fields: conversion
        errors, then every error of the schema validation."""
        values = self.typed_values()
        if values is None:
            return None
        self._schema_errors(schemas.apply_defaults(self.schema, values))
        return None if self.errors else values

    def _schema_errors(self, values: dict[str, Any]) -> None:
        for error in schemas.validator_for(self.schema).iter_errors(values):
            path = [str(p) for p in error.path]
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else ""
                self.add_error(missing if missing in self.fields else None, "is required")
            elif path and path[0] in self.fields:
                self.add_error(path[0], error.message)
            else:
                self.add_error(None, error.message)

    def add_invalid_input(self, exc: InvalidInput) -> None:
        """An InvalidInput from a service (`parameters.<name>`), shown on its field."""
        parts = exc.field.split(".") if exc.field else []
        name = parts[1] if len(parts) > 1 and parts[0] == "parameters" else None
        self.add_error(name if name in self.fields else None, exc.reason)
