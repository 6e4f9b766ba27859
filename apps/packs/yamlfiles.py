from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from apps.core.errors import InvalidInput


def read_mapping(path: Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping, or InvalidInput saying why not."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput("", f"invalid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("", f"cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("", "must contain a YAML mapping at the top level")
    return data
