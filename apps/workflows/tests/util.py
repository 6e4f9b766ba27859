"""Helpers for the workflow tests: graphs from YAML text, simulations in one call."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

from apps.workflows.simulate import simulate
from apps.workflows.spec import WorkflowSpec, parse_workflow


def wf(text: str, **kwargs: Any) -> WorkflowSpec:
    """A spec from YAML text (dedented)."""
    return parse_workflow(yaml.safe_load(textwrap.dedent(text)), file="test.yaml", **kwargs)


def run(text: str, parameters: dict[str, Any] | None = None, outcomes: dict[str, Any] | None = None,
        **kwargs: Any) -> dict[str, Any]:
    """Simulate a YAML graph; also check that keeping the conductor in memory gives
    the same answer as serialising it between every step."""
    spec = wf(text)
    result = simulate(spec, parameters or {}, outcomes, **kwargs)
    assert simulate(spec, parameters or {}, outcomes, roundtrip=False, **kwargs) == result
    return result


def names(result: dict[str, Any]) -> list[str]:
    """The task sequence of a simulation."""
    return [task["name"] for task in result["tasks"]]


def failed(message: str = "boom") -> dict[str, Any]:
    return {"status": "failed", "result": {"error": message}}
