"""The remote CLI against a scripted API (httpx.MockTransport): the requests it sends
and what it prints, for the endpoints of the contract (auth, keys, users, roles, API
keys, pack upload/register/uninstall, rule create/delete, sensors) and for profiles,
token refresh, pagination and errors."""

from __future__ import annotations

import io
import json
import stat
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from attune.cli import client
from attune.cli.main import app

URL = "http://attune.test"
Handler = Callable[[httpx.Request], httpx.Response | dict | list | tuple | None]


class FakeApi:
    """Answers requests by (method, path); records every request it saw."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Handler]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Any) -> None:
        """Queue answers for `method path`: a dict/list (200 JSON), a (status, body)
        tuple, or a callable of the request; the last one repeats."""
        self.routes[(method, path)] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path))
        if not answers:
            return httpx.Response(404, json={"detail": "Not found."})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]


@pytest.fixture
def api(monkeypatch, tmp_path):
    fake = FakeApi()
    monkeypatch.setattr(client, "TRANSPORT", httpx.MockTransport(fake))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("ATTUNE_CONFIG", "ATTUNE_API_KEY", "ATTUNE_TOKEN", "ATTUNE_API_TOKEN", "ATTUNE_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ATTUNE_API_URL", URL)
    return fake


@pytest.fixture
def config_file(tmp_path) -> Path:
    return tmp_path / "config" / "attune" / "config.toml"


def attune(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def use_key(monkeypatch, token: str = "atk_test") -> None:
    monkeypatch.setenv("ATTUNE_API_KEY", token)


# --- profiles and authentication ----------------------------------------------------

LOGIN = {"access": "acc-1", "refresh": "ref-1", "access_expires_at": "2030-01-01T00:00:00Z",
         "refresh_expires_at": "2030-01-07T00:00:00Z", "user": {"id": 1, "username": "alice"}}


def test_login_stores_tokens_in_a_private_profile_file(api, config_file):
    """`auth login` posts the credentials and keeps both tokens in the profile, mode 0600."""
    api.on("POST", "/api/v1/auth/login", LOGIN)
    result = attune("auth", "login", "--username", "alice", "--password-stdin", input="s3cret pass\n")
    assert result.exit_code == 0, result.output
    assert body(api.sent("POST", "/api/v1/auth/login")[0]) == {"username": "alice", "password": "s3cret pass"}
    assert "Authorization" not in api.sent("POST", "/api/v1/auth/login")[0].headers
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    profile = tomllib.loads(config_file.read_text())["profiles"]["default"]
    assert profile["access"] == "acc-1" and profile["refresh"] == "ref-1" and profile["username"] == "alice"
    assert "logged in as alice" in result.stderr


def test_login_prompts_for_username_and_password(api):
    """Without options, login asks for both (the password hidden)."""
    api.on("POST", "/api/v1/auth/login", LOGIN)
    result = attune("auth", "login", input="alice\npw\n")
    assert result.exit_code == 0, result.output
    assert body(api.sent("POST", "/api/v1/auth/login")[0]) == {"username": "alice", "password": "pw"}


def test_bad_credentials_say_so(api):
    """A refused login prints the API's reason and exits 1."""
    api.on("POST", "/api/v1/auth/login", (401, {"detail": "invalid username or password"}))
    result = attune("auth", "login", "-u", "alice", "--password-stdin", input="nope\n")
    assert result.exit_code == 1
    assert "invalid username or password" in result.stderr


def test_expired_access_token_is_refreshed_once_and_saved(api, config_file):
    """A 401 with a stored refresh token: the CLI refreshes, retries, and keeps the new tokens."""
    api.on("POST", "/api/v1/auth/login", LOGIN)
    attune("auth", "login", "-u", "alice", "--password-stdin", input="pw\n")
    api.on("GET", "/api/v1/packs/", (401, {"detail": "token expired"}), {"results": [{"ref": "core"}]})
    api.on("POST", "/api/v1/auth/refresh", {"access": "acc-2", "refresh": "ref-2"})
    result = attune("pack", "list", "-k", "ref")
    assert result.exit_code == 0, result.output
    assert result.stdout == "core\n"
    first, retry = api.sent("GET", "/api/v1/packs/")
    assert first.headers["Authorization"] == "Bearer acc-1" and retry.headers["Authorization"] == "Bearer acc-2"
    assert body(api.sent("POST", "/api/v1/auth/refresh")[0]) == {"refresh": "ref-1"}
    profile = tomllib.loads(config_file.read_text())["profiles"]["default"]
    assert profile["access"] == "acc-2" and profile["refresh"] == "ref-2"


def test_a_refused_refresh_asks_to_log_in(api):
    """When the refresh token is refused too, the message says to run `attune auth login`."""
    api.on("POST", "/api/v1/auth/login", LOGIN)
    attune("auth", "login", "-u", "alice", "--password-stdin", input="pw\n")
    api.on("GET", "/api/v1/packs/", (401, {"detail": "token expired"}))
    api.on("POST", "/api/v1/auth/refresh", (401, {"detail": "token revoked"}))
    result = attune("pack", "list", "-o", "json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert error["status"] == 401 and "attune auth login" in error["error"]


def test_without_credentials_the_message_says_to_log_in(api):
    """A 401 with no credential configured says so and names the command; the API's reason follows."""
    api.on("GET", "/api/v1/rules/", (401, {"detail": "Authentication credentials were not provided."}))
    result = attune("rule", "list")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: not logged in (no credentials): run attune auth login (or store an API key: attune auth login "
        "--api-key)", "  Authentication credentials were not provided."]
    assert "Authorization" not in api.requests[0].headers


def test_logout_revokes_the_refresh_token_and_forgets_tokens(api, config_file):
    """`auth logout` posts the refresh token to /auth/logout and removes both tokens."""
    api.on("POST", "/api/v1/auth/login", LOGIN)
    attune("auth", "login", "-u", "alice", "--password-stdin", input="pw\n")
    api.on("POST", "/api/v1/auth/logout", (204, None))
    result = attune("auth", "logout")
    assert result.exit_code == 0, result.output
    assert body(api.sent("POST", "/api/v1/auth/logout")[0]) == {"refresh": "ref-1"}
    profile = tomllib.loads(config_file.read_text())["profiles"]["default"]
    assert "access" not in profile and "refresh" not in profile


def test_whoami_shows_the_user_and_roles(api, monkeypatch):
    """`auth whoami` asks /auth/whoami with the credential; --field picks one value."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/auth/whoami", {"id": 1, "username": "alice", "email": "a@x", "is_superuser": False,
                                          "roles": ["operator"]})
    result = attune("auth", "whoami")
    assert result.exit_code == 0 and "alice" in result.stdout and "operator" in result.stdout
    assert api.requests[0].headers["Authorization"] == "Bearer atk_test"
    assert attune("auth", "whoami", "-k", "roles.0").stdout == "operator\n"


def test_login_with_an_api_key_stores_the_key(api, config_file):
    """`auth login --api-key` reads the key from stdin, checks it with whoami, stores it."""
    api.on("GET", "/api/v1/auth/whoami", {"id": 2, "username": "robot", "roles": []})
    result = attune("auth", "login", "--api-key", input="atk_abc\n")
    assert result.exit_code == 0, result.output
    assert api.sent("GET", "/api/v1/auth/whoami")[0].headers["Authorization"] == "Bearer atk_abc"
    profile = tomllib.loads(config_file.read_text())["profiles"]["default"]
    assert profile["api_key"] == "atk_abc" and profile["username"] == "robot"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_profiles_and_environment_overrides(api, monkeypatch, config_file):
    """`config set` writes a profile; --profile picks it; ATTUNE_API_URL and ATTUNE_API_KEY win."""
    monkeypatch.delenv("ATTUNE_API_URL")
    assert attune("--profile", "prod", "config", "set", "api_url", "http://prod.test/").exit_code == 0
    assert attune("--profile", "prod", "config", "set", "api_key", "atk_prod").exit_code == 0
    api.on("GET", "/api/v1/packs/", {"results": []})
    assert attune("--profile", "prod", "pack", "list").exit_code == 0
    request = api.requests[-1]
    assert str(request.url).startswith("http://prod.test/api/v1/packs/")
    assert request.headers["Authorization"] == "Bearer atk_prod"

    monkeypatch.setenv("ATTUNE_API_URL", "http://other.test")
    monkeypatch.setenv("ATTUNE_API_KEY", "atk_env")
    attune("--profile", "prod", "pack", "list")
    assert str(api.requests[-1].url).startswith("http://other.test/")
    assert api.requests[-1].headers["Authorization"] == "Bearer atk_env"

    shown = attune("config", "show", "-o", "json")
    data = json.loads(shown.stdout)
    assert data["profiles"][0]["profile"] == "prod" and "atk_prod" not in shown.stdout
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_an_unknown_profile_is_refused(api, monkeypatch):
    """--profile NAME with no such profile says how to create it (exit 2)."""
    monkeypatch.delenv("ATTUNE_API_URL")
    result = attune("--profile", "nope", "pack", "list")
    assert result.exit_code == 2 and "no profile 'nope'" in result.stderr


# --- resources of the other branches ------------------------------------------------


def test_pack_upload_packs_a_directory_on_the_fly(api, monkeypatch, tmp_path):
    """`pack upload DIR` sends a tar.gz (multipart `file`) with the pack under one top directory."""
    use_key(monkeypatch)
    pack = tmp_path / "hello"
    (pack / "actions").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: hello\n")
    (pack / "actions" / "hi.yaml").write_text("ref: hello.hi\n")
    (pack / ".git").mkdir()
    (pack / ".git" / "HEAD").write_text("x")
    api.on("POST", "/api/v1/packs/upload/", (201, {"ref": "hello", "version": "1.0.0"}))
    result = attune("pack", "upload", str(pack))
    assert result.exit_code == 0, result.output
    assert "pack hello 1.0.0 installed" in result.stdout
    request = api.sent("POST", "/api/v1/packs/upload/")[0]
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    content = request.content
    start = content.index(b"\x1f\x8b")  # the gzip stream inside the multipart body
    with tarfile.open(fileobj=io.BytesIO(content[start:]), mode="r:gz") as tar:
        names = sorted(tar.getnames())
    assert names == ["hello/actions", "hello/actions/hi.yaml", "hello/pack.yaml"]


def test_pack_upload_refusal_lists_the_problems(api, monkeypatch, tmp_path):
    """A 400 from upload prints the detail and each file/field problem."""
    use_key(monkeypatch)
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(b"not really")
    api.on("POST", "/api/v1/packs/upload/", (400, {
        "detail": "pack hello does not load", "errors": [
            {"file": "actions/hi.yaml", "field": "runner_type", "reason": "is required"}]}))
    result = attune("pack", "upload", str(archive))
    assert result.exit_code == 1
    assert "Error: pack hello does not load" in result.stderr
    assert "file actions/hi.yaml, field runner_type: is required" in result.stderr


def test_pack_register_and_uninstall(api, monkeypatch):
    """`pack register REF` posts the ref; `pack uninstall -y` sends DELETE."""
    use_key(monkeypatch)
    api.on("POST", "/api/v1/packs/register/", {"registered": [{"ref": "hello", "path": "/p/hello"}], "errors": []})
    result = attune("pack", "register", "hello")
    assert result.exit_code == 0 and "registered hello" in result.stdout
    assert body(api.sent("POST", "/api/v1/packs/register/")[0]) == {"ref": "hello"}
    api.on("DELETE", "/api/v1/packs/hello/", (204, None))
    assert attune("pack", "uninstall", "hello", "-y").exit_code == 0
    assert api.sent("DELETE", "/api/v1/packs/hello/")
    api.on("DELETE", "/api/v1/packs/nope/", (404, {"detail": "Not found."}))
    missing = attune("pack", "uninstall", "nope", "-y")
    assert missing.exit_code == 1 and "pack nope not found" in missing.stderr


def test_rule_create_from_yaml_and_delete(api, monkeypatch, tmp_path):
    """`rule create FILE` turns the pack format (StackStorm spellings too) into the API's
    fields; a 409 prints the API's reason."""
    use_key(monkeypatch)
    rule_file = tmp_path / "rule.yaml"
    rule_file.write_text("ref: ops.big\ntrigger: {type: core.webhook, parameters: {url: big}}\n"
                         "criteria:\n  trigger.body.n: {gt: 3}\naction:\n  ref: core.echo\n  parameters: {message: hi}\n")
    api.on("POST", "/api/v1/rules/", (201, {"ref": "ops.big", "enabled": True}),
           (409, {"detail": "rule ops.big already exists", "errors": []}))
    created = attune("rule", "create", str(rule_file))
    assert created.exit_code == 0 and "rule ops.big created" in created.stdout
    assert body(api.sent("POST", "/api/v1/rules/")[0]) == {
        "ref": "ops.big", "trigger": "core.webhook", "trigger_params": {"url": "big"}, "action": "core.echo",
        "action_params": {"message": "hi"}, "criteria": {"trigger.body.n": {"gt": 3}}}
    again = attune("rule", "create", str(rule_file), "-o", "json")
    assert again.exit_code == 1 and json.loads(again.stdout) == {"error": "rule ops.big already exists",
                                                                 "status": 409}
    api.on("DELETE", "/api/v1/rules/ops.big/", (204, None))
    assert attune("rule", "delete", "ops.big", "--yes").exit_code == 0


def test_key_set_encrypted_with_scope_and_ttl(api, monkeypatch):
    """`key set -e --scope --ttl` creates the key with those fields; the value's JSON type is kept."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/keys/", {"results": []})
    api.on("POST", "/api/v1/keys/", (201, {"id": 5, "name": "db_password", "scope": "pack:ops",
                                           "value": None, "encrypted": True}))
    result = attune("key", "set", "db_password", "hunter2", "-e", "--scope", "pack:ops", "--ttl", "3600")
    assert result.exit_code == 0, result.output
    assert body(api.sent("POST", "/api/v1/keys/")[0]) == {"name": "db_password", "value": "hunter2",
                                                          "encrypted": True, "ttl": 3600, "scope": "pack:ops"}
    assert "hunter2" not in result.stdout and "encrypted" in result.stdout
    attune("key", "set", "retries", "3")
    assert body(api.sent("POST", "/api/v1/keys/")[-1])["value"] == 3


def test_key_set_updates_an_existing_key(api, monkeypatch):
    """Setting a key that exists in that scope PATCHes the value, keeping what was not given."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/keys/", {"results": [{"id": 9, "name": "region", "scope": "system"}]})
    api.on("PATCH", "/api/v1/keys/9/", {"id": 9, "name": "region", "scope": "system", "value": "eu"})
    result = attune("key", "set", "region", "eu")
    assert result.exit_code == 0 and "updated" in result.stdout
    assert body(api.sent("PATCH", "/api/v1/keys/9/")[0]) == {"value": "eu"}  # encryption and TTL kept
    attune("key", "set", "region", "us", "--no-encrypt", "--ttl", "60")
    assert body(api.sent("PATCH", "/api/v1/keys/9/")[1]) == {"value": "us", "encrypted": False, "ttl": 60}


def test_key_get_decrypts_only_when_asked(api, monkeypatch):
    """`key get` shows an encrypted value as null; `-d` asks /decrypt/ and prints the value."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/keys/", {"results": [{"id": 5, "name": "db_password", "scope": "system",
                                                  "value": None, "encrypted": True}]})
    api.on("POST", "/api/v1/keys/5/decrypt/", {"value": "hunter2"})
    plain = attune("key", "get", "db_password", "-o", "json")
    assert json.loads(plain.stdout)["value"] is None and not api.sent("POST", "/api/v1/keys/5/decrypt/")
    clear = attune("key", "get", "db_password", "-d", "-k", "value")
    assert clear.exit_code == 0 and clear.stdout == "hunter2\n"
    assert api.sent("GET", "/api/v1/keys/")[0].url.params["name"] == "db_password"

    api.on("POST", "/api/v1/keys/5/decrypt/", (403, {"detail": "You may not decrypt this key."}))
    denied = attune("key", "get", "db_password", "-d")
    assert denied.exit_code == 1 and "permission denied: You may not decrypt this key." in denied.stderr


def test_key_list_and_delete(api, monkeypatch):
    """`key list --scope` filters by scope; `key delete` finds the key and DELETEs it by id."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/keys/", {"results": [{"id": 7, "name": "region", "scope": "user:alice",
                                                  "value": "eu", "encrypted": False}]})
    listed = attune("key", "list", "--scope", "user:alice")
    assert "region" in listed.stdout and api.requests[-1].url.params["scope"] == "user:alice"
    api.on("DELETE", "/api/v1/keys/7/", (204, None))
    assert attune("key", "delete", "region", "--scope", "user:alice").exit_code == 0
    assert api.sent("DELETE", "/api/v1/keys/7/")


def test_users_roles_and_api_keys(api, monkeypatch, tmp_path):
    """user show by name, user create, role create from a file, api-key create prints the token once, revoke."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/users/", {"results": [{"id": 3, "username": "bob", "roles": ["viewer"]}]})
    shown = attune("user", "show", "bob", "-k", "id")
    assert shown.stdout == "3\n" and api.requests[-1].url.params["username"] == "bob"

    api.on("POST", "/api/v1/users/", (201, {"id": 4, "username": "carol"}))
    created = attune("user", "create", "carol", "--role", "operator", "--password-stdin", input="pw-1\n")
    assert created.exit_code == 0, created.output
    assert body(api.sent("POST", "/api/v1/users/")[0]) == {"username": "carol", "password": "pw-1",
                                                          "is_superuser": False, "roles": ["operator"]}

    role_file = tmp_path / "role.yaml"
    role_file.write_text("name: deployer\ngrants:\n  - {verbs: [execute], resource: actions, packs: [ops]}\n")
    api.on("POST", "/api/v1/roles/", (201, {"id": 8, "name": "deployer"}))
    assert attune("role", "create", str(role_file)).exit_code == 0
    assert body(api.sent("POST", "/api/v1/roles/")[0])["grants"][0]["packs"] == ["ops"]

    api.on("POST", "/api/v1/api-keys/", (201, {"id": 11, "name": "ci", "token": "atk_once"}))
    key = attune("api-key", "create", "ci")
    assert key.stdout == "atk_once\n" and "shown only once" in key.stderr
    api.on("DELETE", "/api/v1/api-keys/11/", (204, None))
    assert attune("api-key", "revoke", "11", "-y").exit_code == 0


def test_sensor_list_filters_by_pack(api, monkeypatch):
    """`sensor list --pack` asks ?pack= and prints a table."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/sensors/", {"results": [{"ref": "core.timer", "enabled": True, "description": "t"}]})
    result = attune("sensor", "list", "--pack", "core")
    assert "core.timer" in result.stdout and api.requests[-1].url.params["pack"] == "core"


def test_workflow_show_reads_the_workflows_api(api, monkeypatch):
    """`workflow show` prints a workflow from /workflows/<ref>/ with a table of its tasks."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/workflows/", {"results": []})
    api.on("GET", "/api/v1/workflows/ops.deploy/", {
        "ref": "ops.deploy", "file": "workflows/deploy.yaml", "definition": {"tasks": [
            {"name": "check", "action": "core.noop"}, {"name": "ship", "action": "core.local"}]}})
    result = attune("workflow", "show", "ops.deploy")
    assert result.exit_code == 0, result.output
    assert "workflows/deploy.yaml" in result.stdout and "ship" in result.stdout and "core.local" in result.stdout


# --- lists, output and errors -------------------------------------------------------


def test_lists_follow_next_up_to_the_limit(api, monkeypatch):
    """A list follows `next` across pages and stops at --limit."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/executions/",
           {"results": [{"id": 5}, {"id": 4}], "next": f"{URL}/api/v1/executions/?cursor=abc"},
           {"results": [{"id": 3}, {"id": 2}], "next": f"{URL}/api/v1/executions/?cursor=def"})
    result = attune("execution", "list", "-n", "3", "--status", "failed", "--status", "timeout", "-k", "id")
    assert result.stdout.split() == ["5", "4", "3"]
    first, second = api.sent("GET", "/api/v1/executions/")
    assert first.url.params.get_list("status") == ["failed", "timeout"] and first.url.params["limit"] == "3"
    assert second.url.params["cursor"] == "abc"


def test_field_errors_and_yaml(api, monkeypatch):
    """A missing --field is a usage error; -o yaml prints YAML; a 500 is reported, not a traceback."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/packs/core/", {"ref": "core", "tags": ["a"]})
    assert attune("pack", "show", "core", "-o", "yaml").stdout == "ref: core\ntags:\n- a\n"
    missing = attune("pack", "show", "core", "--field", "nope")
    assert missing.exit_code == 2 and "no 'nope'" in missing.stderr
    api.on("GET", "/api/v1/packs/boom/", httpx.Response(500, text="<html>"))
    boom = attune("pack", "show", "boom")
    assert boom.exit_code == 1 and "the API failed (HTTP 500)" in boom.stderr


def test_a_400_names_the_field(api, monkeypatch):
    """A refused request prints the API's `field: reason` message."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/actions/core.echo/", {"ref": "core.echo", "parameters": {"message": {"type": "string"}}})
    api.on("POST", "/api/v1/executions/", (400, {"detail": "parameters.colour: Additional properties are not "
                                                            "allowed", "errors": [{"field": "parameters.colour",
                                                            "reason": "Additional properties are not allowed"}]}))
    result = attune("run", "core.echo", "colour=red")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: parameters.colour: Additional properties are not allowed"


def test_run_async_prints_only_the_id(api, monkeypatch):
    """`run --async` prints the new execution's id on stdout and sends the coerced parameters."""
    use_key(monkeypatch)
    api.on("GET", "/api/v1/actions/ops.deploy/", {"ref": "ops.deploy", "parameters": {
        "type": "object", "properties": {"count": {"type": "integer"}, "dry": {"type": "boolean"},
                                         "hosts": {"type": "array", "items": {"type": "string"}},
                                         "ratio": {"type": "number"}, "env": {"type": "object"}}}})
    api.on("POST", "/api/v1/executions/", (201, {"id": 42, "action": "ops.deploy", "status": "requested"}))
    result = attune("run", "ops.deploy", "count=3", "dry=yes", "hosts=a, b", "ratio=0.5", 'env={"A": "1"}',
                    "--async")
    assert result.exit_code == 0 and result.stdout == "42\n"
    assert body(api.sent("POST", "/api/v1/executions/")[0]) == {"action": "ops.deploy", "parameters": {
        "count": 3, "dry": True, "hosts": ["a", "b"], "ratio": 0.5, "env": {"A": "1"}}}


def test_sensor_disable_posts_to_its_command(api, monkeypatch):
    """`sensor disable REF` calls the API's disable command and says what happened."""
    use_key(monkeypatch)
    api.on("POST", "/api/v1/sensors/shop.watch/disable/", {"ref": "shop.watch", "enabled": False})
    result = attune("sensor", "disable", "shop.watch")
    assert result.exit_code == 0, result.output
    assert "sensor shop.watch disabled" in result.stdout
