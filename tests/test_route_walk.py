"""The route walk: every URL pattern under /api/ of the URL configuration, called with
real objects' lookups, proves that

(a) nobody anonymous gets past 401 except on the routes open by design (OPEN below);
(b) a viewer gets 403 or 405 on every write method of every route and changes nothing;
(c) an operator limited to one pack sees, reads and runs only that pack's content;
(d) nobody lists or reads another user's API keys.

It knows no route by name: routes added later are walked the same way. A route that
declares itself open (`rbac_public` or AllowAny) must be listed in OPEN, and documented
in docs/security.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.test import APIClient

from apps.automation.choices import EnforcementStatus
from apps.automation.models import Enforcement
from apps.automation.services.events import event_create
from apps.executions.choices import Status
from apps.executions.models import Action, Execution, Worker
from apps.identity import authz
from apps.identity.models import AuditEvent, Role
from apps.identity.permissions import is_public
from apps.identity.services import api_key_create, user_create
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

# The routes open by design: the credential is in the body (a password, a refresh token).
OPEN = {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"}
WRITES = ("post", "put", "patch", "delete")
ALLOWED_PACK = "examples"
PASSWORD = "correct-horse-1"
# Rows that calls may legitimately add or touch while nothing is changed: the audit of
# the calls themselves, sign-in bookkeeping.
VOLATILE_MODELS = {"identity.AuditEvent", "token_blacklist.OutstandingToken", "token_blacklist.BlacklistedToken",
                   "sessions.Session"}
VOLATILE_FIELDS = {"last_login", "last_used_at"}


@dataclass
class Route:
    pattern: list[Any]  # the pattern of each level, outermost first
    callback: Any

    @property
    def view(self) -> Any:
        return getattr(self.callback, "cls", None)

    @property
    def kwargs(self) -> list[str]:
        names: list[str] = []
        for pattern in self.pattern:
            if isinstance(pattern, RoutePattern):
                names.extend(pattern.converters)
            elif isinstance(pattern, RegexPattern):
                names.extend(pattern.regex.groupindex)
        return names

    @property
    def actions(self) -> dict[str, str]:
        return dict(getattr(self.callback, "actions", None) or {})

    def methods(self) -> list[str]:
        """The methods the route serves."""
        if self.actions:
            return list(self.actions)
        return [m for m in ("get", "post", "put", "patch", "delete") if self.view and hasattr(self.view, m)]

    def url(self, values: dict[str, str]) -> str:
        return "/" + "".join(_fill(pattern, values) for pattern in self.pattern)

    @property
    def model(self) -> Any:
        queryset = getattr(self.view, "queryset", None)
        return queryset.model if queryset is not None else None

    @property
    def lookup(self) -> str:
        return getattr(self.view, "lookup_field", "pk") or "pk"


def _fill(pattern: Any, values: dict[str, str]) -> str:
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], str(pattern))
    regex = pattern.regex.pattern
    out, i = "", 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            depth, j = 0, i
            while True:  # skip to the group's closing parenthesis
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
                if depth == 0:
                    break
            out += values[name]
            i = j
        elif regex[i] in "^$":
            i += 1
        elif regex[i] == "\\":
            out += regex[i + 1]
            i += 2
        else:
            out += regex[i]
            i += 1
    return out


def api_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, parents):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, [*parents, entry.pattern])
            elif isinstance(entry, URLPattern):
                routes.append(Route([*parents, entry.pattern], entry.callback))

    walk(get_resolver().url_patterns, [])
    return [r for r in routes if str(r.pattern[0]).lstrip("^").startswith("api/")]


# --- the data: two packs, content in each, users in each role --------------------------------
@pytest.fixture
def world():
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    pack_register(path=settings.BASE_DIR / "packs" / "examples")
    pack_register(path=settings.BASE_DIR / "tests" / "e2e" / "packs" / "e2e")
    for ref in ("examples.summarize", "e2e.deploy", "core.local"):
        action = Action.objects.get(ref=ref)
        parent = Execution.objects.create(action=action, action_ref=ref, status=Status.SUCCEEDED)
        Execution.objects.create(action=action, action_ref=ref, status=Status.RUNNING, parent=parent)
    for trigger, rule in (("examples.order", "examples.big_orders"), ("e2e.order", "e2e.big_orders")):
        event = event_create(trigger=trigger, payload={"id": 1, "total": 5000}, source="test")
        Enforcement.objects.create(event=event, rule_ref=rule, status=EnforcementStatus.FAILED, error="test")
    Worker.objects.create(name="actions@walk", role="action", queues=["runtime.shell"])
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    viewer = user_create(username="vic", password=PASSWORD, roles=[Role.objects.get(name="viewer")])
    operator = Role.objects.get(name="operator")
    scoped = Role.objects.create(name="examples-ops", grants=operator.grants, packs=[ALLOWED_PACK])
    pack_operator = user_create(username="ops", password=PASSWORD, roles=[scoped])
    for user in (admin, viewer, pack_operator):
        api_key_create(user=user, name=f"{user.username}'s key")
    Role.objects.create(name="spare", grants=[["read", "packs"]])
    AuditEvent.objects.create(actor=admin, actor_name="root", verb="create", object_type="packs", outcome="success")
    return {"admin": admin, "viewer": viewer, "operator": pack_operator}


def client(user) -> APIClient:
    api = APIClient()
    answer = api.post("/api/v1/auth/login", {"username": user.username, "password": PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['access']}")
    return api


def rows_of(route: Route, user=None, allowed: bool | None = None):
    """Rows behind a route; with `allowed`, only those the user may (not) read."""
    if route.model is None:
        return None
    queryset = route.view.queryset.all()
    if user is None:
        return queryset
    visible = authz.restrict(queryset, user, "read")
    return visible if allowed else queryset.exclude(pk__in=visible.values("pk"))


def lookup_value(route: Route, obj) -> str:
    field = "pk" if route.lookup == "pk" else route.lookup
    if isinstance(obj, dict):  # a viewset whose queryset reads values
        return str(obj.get(field, obj.get("id")))
    for part in field.split("__"):  # a lookup through a relation (action__ref)
        obj = getattr(obj, part)
    return str(obj)


def values_for(route: Route, obj=None) -> dict[str, str]:
    """URL kwargs: the object's lookup for the viewset's lookup kwarg, a placeholder
    for other kwargs (a webhook's name) and when the model has no rows."""
    lookup_kwarg = getattr(route.view, "lookup_url_kwarg", None) or route.lookup
    values = {}
    for name in route.kwargs:
        values[name] = lookup_value(route, obj) if obj is not None and name == lookup_kwarg else "no-such-thing"
    return values


def real_values(route: Route) -> dict[str, str]:
    rows = rows_of(route)
    return values_for(route, rows.first() if rows is not None else None)


def snapshot() -> dict[str, list]:
    """Every row of every model but the volatile ones, to prove nothing changed."""
    state = {}
    for model in apps.get_models():
        if model._meta.label in VOLATILE_MODELS:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_FIELDS]
        state[model._meta.label] = list(model.objects.order_by("pk").values_list(*fields))
    return state


def test_the_walk_reaches_every_api_route_with_real_objects(world):
    """Every route resolves back to itself with the filled URL, the detail routes of
    the known resources get real objects' lookups, and an admin reads them all."""
    routes = api_routes()
    assert len(routes) > 20
    admin = client(world["admin"])
    filled = 0
    for route in routes:
        values = real_values(route)
        url = route.url(values)
        assert resolve(url).func is route.callback, url
        real = bool(values) and "no-such-thing" not in values.values()
        filled += real
        if "get" in route.methods():
            # An admin reads every route; a real object is found.
            answer = admin.get(url)
            assert answer.status_code == 200 if real or not values else answer.status_code < 500, (url, answer)
    assert filled >= 15


def test_a_anonymous_callers_get_401_everywhere_but_the_open_routes(world):
    """No route answers an anonymous call with anything but 401, except login,
    refresh and logout, which take their credential in the body (400 when missing)."""
    anonymous = APIClient()
    open_seen = set()
    for route in api_routes():
        url = route.url(real_values(route))
        declared_open = route.view is not None and is_public(route.view)
        if url.rstrip("/") in OPEN:
            assert declared_open, url
            open_seen.add(url.rstrip("/"))
            answer = anonymous.post(url, {}, format="json")
            assert answer.status_code == 400, (url, answer.status_code)
            continue
        assert not declared_open, f"{url} is open: list it in OPEN and in docs/security.md, or close it"
        for method in ("get", *WRITES):
            answer = getattr(anonymous, method)(url, {}, format="json")
            assert answer.status_code == 401, (method, url, answer.status_code)
    assert open_seen == OPEN


def test_b_a_viewer_changes_nothing(world):
    """A viewer's every write on every route is 403 (or 405 where the route has no
    such method), and the database is exactly as before."""
    viewer = client(world["viewer"])
    before = snapshot()
    for route in api_routes():
        url = route.url(real_values(route))
        for method in WRITES:
            answer = getattr(viewer, method)(url, {}, format="json")
            if url.rstrip("/") in OPEN:
                assert answer.status_code >= 400, (method, url)
            else:
                assert answer.status_code in (403, 405), (method, url, answer.status_code)
    assert snapshot() == before
    # …while reading works where a viewer may read.
    assert viewer.get("/api/v1/actions/").status_code == 200


def item_key(route: Route, item: dict) -> str:
    """How a list item names its object: the lookup field (its last part for a lookup
    through a relation, `action__ref` → `ref`), else its id."""
    for key in (route.lookup, route.lookup.split("__")[-1], "id"):
        if key in item:
            return str(item[key])
    raise AssertionError(f"{route.url({})}: cannot tell which object {item} is")


def _items(answer) -> list[dict]:
    data = answer.json()
    return data["results"] if isinstance(data, dict) and "results" in data else data


def test_c_a_pack_scoped_operator_sees_and_runs_only_their_pack(world):
    """Lists show only the allowed pack's rows, another pack's objects are 404 (to
    read and to change), resources outside packs are refused, and running another
    pack's action is 403."""
    user = world["operator"]
    operator = client(user)
    before = snapshot()
    checked_lists, checked_details = 0, 0
    for route in api_routes():
        resource = authz.resource_for_model(route.model) if route.model is not None else None
        if resource is None or resource in authz.OWN_RESOURCES:  # own API keys: test (d)
            continue
        in_packs = authz.pack_path_for_model(route.model) is not None
        allowed, forbidden = rows_of(route, user, True), rows_of(route, user, False)
        if not route.kwargs and "get" in route.methods() and route.actions.get("get") == "list":
            answer = operator.get(route.url({}))
            if not in_packs:
                assert answer.status_code == 403, route.url({})
                continue
            assert answer.status_code == 200, route.url({})
            listed = {item_key(route, item) for item in _items(answer)}
            assert listed.isdisjoint({lookup_value(route, o) for o in forbidden}), route.url({})
            if allowed.exists():
                assert listed & {lookup_value(route, o) for o in allowed}, route.url({})
            checked_lists += 1
        elif route.kwargs and in_packs and forbidden.exists():
            url = route.url(values_for(route, forbidden.first()))
            for method in route.methods():
                answer = getattr(operator, method)(url, {}, format="json")
                # Unseen, so not found; a verb the operator holds nowhere is refused first.
                expected = (404,) if method in ("get", "head") else (403, 404, 405)
                assert answer.status_code in expected, (method, url, answer.status_code)
            if allowed.exists() and route.actions.get("get") == "retrieve":
                assert operator.get(route.url(values_for(route, allowed.first()))).status_code == 200
            checked_details += 1
    assert checked_lists >= 6 and checked_details >= 6
    assert snapshot() == before
    denied = operator.post("/api/v1/executions/", {"action": "e2e.deploy", "parameters": {}}, format="json")
    assert denied.status_code == 403
    assert not Execution.objects.filter(action_ref="e2e.deploy", user=user).exists()
    allowed = operator.post("/api/v1/executions/", {"action": "examples.summarize", "parameters": {}}, format="json")
    assert allowed.status_code != 403, allowed.content


def test_d_nobody_reads_another_users_api_keys(world):
    """Each user lists only their own keys; another's key is 404 to read and to revoke."""
    for name in ("viewer", "operator"):
        user = world[name]
        api = client(user)
        listed = _items(api.get("/api/v1/api-keys/"))
        assert listed and {k["user"] for k in listed} == {user.username}
        for other in get_user_model().objects.exclude(pk=user.pk):
            for key in other.api_keys.all():
                assert api.get(f"/api/v1/api-keys/{key.pk}/").status_code == 404
                assert api.delete(f"/api/v1/api-keys/{key.pk}/").status_code in (403, 404)
                key.refresh_from_db()
                assert key.revoked_at is None
