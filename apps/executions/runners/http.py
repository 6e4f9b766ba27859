"""The `http` runner: an HTTP request made by the worker itself (no process)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from .base import Job, RunOutcome

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _auth(params: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    kind = str(params.get("auth_type") or "").lower()
    auth = params.get("auth")
    if isinstance(auth, dict):
        if auth.get("token"):
            kind, params = "bearer", {**params, "auth_token": auth["token"]}
        elif auth.get("username") is not None:
            kind = "basic"
            params = {**params, "auth_username": auth["username"], "auth_password": auth.get("password", "")}
    if kind == "basic":
        return (str(params.get("auth_username") or ""), str(params.get("auth_password") or "")), {}
    if kind == "bearer":
        return None, {"Authorization": f"Bearer {params.get('auth_token') or ''}"}
    return None, {}


class HttpRunner:
    name = "http"
    queue = "runtime.http"

    def run(self, job: Job) -> RunOutcome:
        p = job.parameters
        method = str(p.get("method") or "GET").upper()
        if method not in METHODS:
            return RunOutcome(status="failed", error=f"method {method!r} is not one of {sorted(METHODS)}")
        auth, auth_headers = _auth(p)
        headers = {str(k): str(v) for k, v in (p.get("headers") or {}).items()}
        headers.update(auth_headers)
        json_body = p.get("json_body", p.get("json"))
        body = p.get("body")
        timeout = float(p.get("timeout") or job.timeout or 30)
        started = time.monotonic()
        try:
            with httpx.Client(
                verify=bool(p.get("verify_ssl", True)),
                follow_redirects=bool(p.get("follow_redirects", True)),
                max_redirects=int(p.get("max_redirects", 10)),
                timeout=timeout,
            ) as client:
                response = client.request(
                    method, str(p["url"]), headers=headers, params=p.get("query_params") or p.get("params") or None,
                    json=json_body if json_body is not None else None,
                    content=(body if isinstance(body, (str, bytes)) else None) if json_body is None else None,
                    auth=auth,
                )
        except (httpx.HTTPError, ValueError) as exc:
            result = {"status_code": 0, "success": False, "error": f"{type(exc).__name__}: {exc}", "url": str(p.get("url"))}
            return RunOutcome(status="failed", result=result, error=result["error"])
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        result = {
            "status_code": response.status_code,
            "headers": dict(response.headers),
            "body": response.text[: job.max_output],
            "json": parsed,
            "elapsed_ms": elapsed_ms,
            "url": str(response.url),
            "success": response.is_success,
        }
        # A response is a completed request whatever its status; `success` says
        # whether it was 2xx, so rules and workflows can branch on it.
        return RunOutcome(status="succeeded", result=result, exit_code=0)
