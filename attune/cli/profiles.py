"""Profiles: where the CLI finds the API and its credentials.

The file is ``$ATTUNE_CONFIG``, else ``$XDG_CONFIG_HOME/attune/config.toml``, else
``~/.config/attune/config.toml``; it holds tokens, so it is written with mode 0600::

    current = "default"
    [profiles.default]
    api_url = "https://attune.example.com"
    api_key = "atk_…"            # or, after `attune auth login`:
    access = "…"; refresh = "…"; username = "alice"

What a command uses, first match wins: ``--profile`` / ``ATTUNE_PROFILE`` / the file's
``current`` / ``default`` chooses the profile; ``ATTUNE_API_URL`` overrides its URL;
``ATTUNE_API_KEY``, ``ATTUNE_TOKEN`` or ``ATTUNE_API_TOKEN`` (the token an action
is given, so actions can call ``attune``) overrides its credentials (those are never
refreshed or written back).
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .output import EXIT_USAGE, CliError

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_PROFILE = "default"
# The keys `attune config set` accepts; the token keys are written by `auth login`.
SETTABLE = {"api_url", "api_key", "timeout", "verify"}
ENV_TOKENS = ("ATTUNE_API_KEY", "ATTUNE_TOKEN", "ATTUNE_API_TOKEN")
TOKEN_KEYS = ("access", "refresh", "access_expires_at", "refresh_expires_at", "username")


def config_path() -> Path:
    explicit = os.environ.get("ATTUNE_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "attune" / "config.toml"


def load_file(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CliError(f"config file {path}: cannot be read ({exc.strerror or exc})", code=EXIT_USAGE) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"config file {path}: invalid TOML: {exc}", code=EXIT_USAGE) from None
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dump_toml(data: dict[str, Any]) -> str:
    """The config's TOML: top-level scalars, then one ``[profiles.NAME]`` table each."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)]
    for name, profile in (data.get("profiles") or {}).items():
        lines.append("")
        lines.append(f"[profiles.{json.dumps(name)}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in profile.items() if value is not None)
    return "\n".join(lines).lstrip("\n") + "\n"


def save_file(data: dict[str, Any], path: Path | None = None) -> Path:
    """Write the config atomically, readable by its owner only (it holds tokens)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".config-", dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dump_toml(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass
class Profile:
    """The settings one command runs with."""

    name: str
    api_url: str = DEFAULT_URL
    api_key: str | None = None
    access: str | None = None
    refresh: str | None = None
    username: str | None = None
    timeout: float = 30.0
    verify: bool = True
    # A credential from the environment: used as is, never refreshed nor saved.
    env_token: str | None = None
    stored: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        return self.env_token or self.api_key or self.access

    @property
    def can_refresh(self) -> bool:
        return not self.env_token and not self.api_key and bool(self.refresh)

    def save(self, **changes: Any) -> Path:
        """Store ``changes`` in this profile of the file (``None`` removes a key)."""
        data = load_file()
        profiles = data.setdefault("profiles", {})
        entry = profiles.setdefault(self.name, {})
        for key, value in changes.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
            if hasattr(self, key):
                setattr(self, key, value)
        self.stored = entry
        return save_file(data)


def profile_name(selected: str | None = None, data: dict[str, Any] | None = None) -> str:
    if selected:
        return selected
    if os.environ.get("ATTUNE_PROFILE"):
        return os.environ["ATTUNE_PROFILE"]
    data = load_file() if data is None else data
    current = data.get("current")
    return current if isinstance(current, str) and current else DEFAULT_PROFILE


def resolve(selected: str | None = None, *, must_exist: bool = True) -> Profile:
    """The profile a command uses, with the environment's overrides applied."""
    data = load_file()
    name = profile_name(selected, data)
    stored = dict((data.get("profiles") or {}).get(name) or {})
    if must_exist and selected and not stored and not os.environ.get("ATTUNE_API_URL"):
        known = ", ".join(sorted(data.get("profiles") or {})) or "none"
        raise CliError(f"no profile {name!r} in {config_path()} (profiles: {known}); "
                       f"create it with: attune --profile {name} config set api_url URL", code=EXIT_USAGE)
    profile = Profile(name=name, stored=stored)
    for key in ("api_url", "api_key", "access", "refresh", "username"):
        if isinstance(stored.get(key), str) and stored[key]:
            setattr(profile, key, stored[key])
    if "timeout" in stored:
        try:
            profile.timeout = float(stored["timeout"])
        except (TypeError, ValueError):
            raise CliError(f"profile {name}: timeout must be a number of seconds", code=EXIT_USAGE) from None
    if "verify" in stored:
        profile.verify = stored["verify"] not in (False, "false", "no", "0")
    if os.environ.get("ATTUNE_API_URL"):
        profile.api_url = os.environ["ATTUNE_API_URL"]
    profile.env_token = next((os.environ[var] for var in ENV_TOKENS if os.environ.get(var)), None)
    profile.api_url = profile.api_url.rstrip("/")
    return profile
