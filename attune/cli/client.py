"""The CLI's HTTP client: one profile's URL and credentials, the API's errors turned
into :class:`CliError` messages a user can act on, the access token refreshed once
on a 401 when the profile holds a refresh token, and lists followed across pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .output import EXIT_FAILURE, CliError
from .profiles import Profile, resolve

API = "/api/v1"
LOGIN_HINT = "not logged in or token expired: run attune auth login (or store an API key: attune auth login --api-key)"
MAX_PAGE = 500

# Tests install an httpx.MockTransport here; None means real network.
TRANSPORT: httpx.BaseTransport | None = None


@dataclass
class Options:
    """What the root command's options chose (``--profile``)."""

    profile: str | None = None


OPTIONS = Options()


def api_error(message: str, *, status: int | None = None, errors: list[Any] | None = None) -> CliError:
    return CliError(message, code=EXIT_FAILURE, errors=errors, status=status)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Api:
    """Requests to one profile's API; ``with Api() as api: api.get("/packs/")``."""

    def __init__(self, profile: Profile | None = None) -> None:
        self.profile = profile or resolve(OPTIONS.profile)
        self.http = httpx.Client(
            base_url=self.profile.api_url, timeout=self.profile.timeout, verify=self.profile.verify,
            transport=TRANSPORT, headers={"Accept": "application/json", "User-Agent": "attune-cli"},
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    # --- requests -------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{API}{path}"

    def send(self, method: str, path: str, *, what: str | None = None, authenticate: bool = True,
             **kwargs: Any) -> httpx.Response:
        """One request; an HTTP error becomes a CliError naming ``what`` (for 404s)."""
        response = self._send(method, path, authenticate=authenticate, **kwargs)
        if response.status_code == 401 and authenticate and self.profile.can_refresh and self.refresh_tokens():
            response = self._send(method, path, authenticate=True, **kwargs)
        if response.is_error:
            raise self.error(response, what=what, authenticated=authenticate)
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """``send`` and return the JSON body (None for an empty answer)."""
        response = self.send(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        body = _body(response)
        if body is None:
            raise api_error(f"the API at {self.profile.api_url} answered {method} {self.url(path)} with "
                            f"something that is not JSON (is ATTUNE_API_URL right?)", status=response.status_code)
        return body

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)

    def collect(self, path: str, params: dict[str, Any] | None = None, *, limit: int = 50) -> list[Any]:
        """Up to ``limit`` rows of a list, following ``next`` across pages."""
        rows: list[Any] = []
        query: dict[str, Any] | None = {**(params or {}), "limit": min(max(limit, 1), MAX_PAGE)}
        url: str | None = path
        while url and len(rows) < limit:
            page = self.get(url, params=query)
            if isinstance(page, list):
                rows.extend(page)
                break
            rows.extend(page.get("results") or [])
            url, query = page.get("next"), None  # `next` carries the query on
        return rows[:limit]

    def _send(self, method: str, path: str, *, authenticate: bool, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if authenticate and self.profile.token:
            headers["Authorization"] = f"Bearer {self.profile.token}"
        url = self.url(path)
        try:
            return self.http.request(method, url, headers=headers, **kwargs)
        except httpx.ConnectError as exc:
            raise api_error(f"cannot connect to the API at {self.profile.api_url}: {_reason(exc)} "
                            "(is the server running? set the URL with ATTUNE_API_URL or "
                            "`attune config set api_url URL`)") from None
        except httpx.TimeoutException:
            raise api_error(f"the API at {self.profile.api_url} did not answer {method} {url} within "
                            f"{self.profile.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise api_error(f"request to {self.profile.api_url}{url} failed: {exc}") from None

    # --- tokens ---------------------------------------------------------------------

    def refresh_tokens(self) -> bool:
        """Trade the refresh token for a new access token (stored in the profile)."""
        response = self._send("POST", "/auth/refresh", authenticate=False, json={"refresh": self.profile.refresh})
        if response.status_code != 200:
            return False
        body = _body(response) or {}
        if not body.get("access"):
            return False
        self.profile.save(access=body["access"], refresh=body.get("refresh") or self.profile.refresh,
                          access_expires_at=body.get("access_expires_at"),
                          refresh_expires_at=body.get("refresh_expires_at") or
                          self.profile.stored.get("refresh_expires_at"))
        return True

    # --- errors ---------------------------------------------------------------------

    def error(self, response: httpx.Response, *, what: str | None, authenticated: bool) -> CliError:
        """The CliError of an HTTP error answer; ``authenticated``: the request needed credentials."""
        status = response.status_code
        body = _body(response)
        detail = None
        errors: list[Any] = []
        if isinstance(body, dict):
            detail = body.get("detail") or body.get("error") or body.get("message")
            errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
            if detail is None and not errors:  # a plain DRF {"field": ["reason"]} body
                errors = [{"field": k, "reason": "; ".join(map(str, v)) if isinstance(v, list) else str(v)}
                          for k, v in body.items()]
        detail = str(detail) if detail is not None else None
        if status == 400:
            if not detail and errors:
                first = errors[0]
                detail = f"{first.get('field')}: {first.get('reason')}" if first.get("field") else first.get("reason")
            shown = [e for e in errors if not detail or f"{e.get('field')}: {e.get('reason')}" != detail]
            return api_error(detail or "the API refused the request (HTTP 400)", status=status, errors=shown)
        if status == 401:
            if not authenticated:  # login, refresh, logout: the API's reason is the message
                return api_error(detail or "authentication failed", status=status)
            hint = LOGIN_HINT if self.profile.token else LOGIN_HINT.replace("or token expired", "(no credentials)")
            return api_error(hint, status=status, errors=[detail] if detail else None)
        if status == 403:
            return api_error(f"permission denied{': ' + detail if detail else ''}", status=status)
        if status == 404:
            return api_error(f"{what} not found" if what else f"not found: {response.request.url.path}",
                             status=status)
        if status == 405:
            return api_error(f"the API at {self.profile.api_url} does not support {response.request.method} "
                             f"{response.request.url.path} (an older server?)", status=status)
        if status >= 500:
            return api_error(f"the API failed (HTTP {status}) on {response.request.method} "
                             f"{response.request.url.path}{': ' + detail if detail else ''}", status=status)
        return api_error(detail or f"HTTP {status} from {response.request.url.path}", status=status, errors=errors)


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "refused" in text.lower() or "Errno 111" in text:
        return "connection refused"
    return text or type(exc).__name__
