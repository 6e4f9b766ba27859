"""Roles, users and the audit log through the API; the authoriser's decisions."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.identity import authz
from apps.identity.models import AuditEvent, Role
from apps.identity.services import admin_ensure

pytestmark = pytest.mark.django_db


def test_the_built_in_roles_exist_and_cannot_be_deleted_or_changed(admin, client_for):
    """admin, operator and viewer are there from the start; deleting or changing one is 409."""
    root = client_for(admin)
    roles = {r["name"]: r for r in root.get("/api/v1/roles/").json()["results"]}
    assert {"admin", "operator", "viewer"} <= set(roles) and all(roles[n]["builtin"] for n in ("admin", "viewer"))
    answer = root.delete(f"/api/v1/roles/{roles['viewer']['id']}/")
    assert answer.status_code == 409 and "built-in" in answer.json()["detail"]
    assert root.patch(f"/api/v1/roles/{roles['viewer']['id']}/", {"grants": [["*", "*"]]},
                      format="json").status_code == 409
    assert Role.objects.get(name="viewer").grants != [["*", "*"]]


def test_custom_roles_are_validated_created_and_deleted(admin, client_for):
    """A custom role takes grants in any of three spellings; unknown verbs are 400
    naming the entry; a duplicate name is 409."""
    root = client_for(admin)
    made = root.post("/api/v1/roles/", {"name": "runner", "grants": [["read", "actions"], "execute:actions",
                                                                     {"verb": "read", "resource": "executions"}],
                                        "packs": ["examples"]}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["grants"] == [["read", "actions"], ["execute", "actions"], ["read", "executions"]]
    bad = root.post("/api/v1/roles/", {"name": "bad", "grants": [["fly", "actions"]]}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "grants.0"
    assert root.post("/api/v1/roles/", {"name": "runner"}, format="json").status_code == 409
    assert root.delete(f"/api/v1/roles/{made.json()['id']}/").status_code == 204


def test_admins_manage_users_and_their_roles(admin, client_for):
    """An admin creates a user with a password (never shown) and roles; the user signs in."""
    root = client_for(admin)
    made = root.post("/api/v1/users/", {"username": "ann", "password": "a-long-password", "roles": ["viewer"]},
                     format="json")
    assert made.status_code == 201, made.content
    assert made.json()["roles"] == ["viewer"] and "password" not in made.json()
    ann = get_user_model().objects.get(username="ann")
    assert ann.check_password("a-long-password") and not ann.password.startswith("a-long")
    assert client_for(ann, password="a-long-password").get("/api/v1/auth/whoami").json()["roles"] == ["viewer"]
    changed = root.patch(f"/api/v1/users/{ann.pk}/", {"roles": ["operator"]}, format="json")
    assert changed.json()["roles"] == ["operator"]
    assert root.post("/api/v1/users/", {"username": "ann"}, format="json").status_code == 409
    short = root.post("/api/v1/users/", {"username": "bo", "password": "x"}, format="json")
    assert short.status_code == 400 and short.json()["errors"][0]["field"] == "password"


def test_operators_and_viewers_cannot_touch_users_roles_or_audit(make_user, client_for):
    """Only admins see users, roles and the audit log."""
    for role in ("operator", "viewer"):
        api = client_for(make_user(f"{role}-user", role))
        for url in ("/api/v1/users/", "/api/v1/roles/", "/api/v1/audit-events/"):
            assert api.get(url).status_code == 403, (role, url)
        assert api.post("/api/v1/users/", {"username": "x"}, format="json").status_code == 403


def test_roles_through_a_group_count(make_user):
    """A role given to a Django group applies to its members."""
    user = make_user("ann")
    group = Group.objects.create(name="ops")
    group.user_set.add(user)
    Role.objects.get(name="operator").groups.add(group)
    assert authz.can(user, "execute", "actions", pack="core")
    assert not authz.can(user, "read", "users")


def test_pack_limited_grants(make_user):
    """A pack-limited role acts in its packs only, and never on resources outside packs."""
    role = Role.objects.create(name="a-ops", grants=[["read", "*"], ["execute", "actions"]], packs=["a"])
    user = make_user("ann")
    user.attune_roles.add(role)
    assert authz.can(user, "execute", "actions", pack="a")
    assert not authz.can(user, "execute", "actions", pack="b")
    assert authz.can(user, "execute", "actions")  # in at least one pack
    assert not authz.can(user, "read", "workers") and not authz.can(user, "read", "users")
    with pytest.raises(Exception) as denied:
        authz.require(user, "execute", "actions", pack="b")
    assert denied.value.status_code == 403


def test_grants_are_read_once_per_user_object(make_user):
    """Many checks on one request's user cost one query."""
    user = get_user_model().objects.get(pk=make_user("ann", "operator", "viewer").pk)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            authz.can(user, "read", "actions", pack="x")
            authz.can(user, "delete", "rules")
    assert len(queries) == 1


def test_superusers_are_admins(admin):
    """A superuser holds every verb on every resource."""
    assert all(authz.can(admin, verb, resource) for verb in authz.VERBS for resource in authz.RESOURCES)


def test_the_first_admin_gets_the_admin_role():
    """`make up`'s admin holds the admin role, visible in whoami."""
    user, password, token = admin_ensure()
    assert password and token
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/auth/whoami").json()["roles"] == ["admin"]


def test_every_mutating_call_is_audited_even_when_refused(make_user, client_for, admin):
    """A refused write and a successful one both leave an event with actor, verb,
    object, source and status, and no request body."""
    viewer = client_for(make_user("vic", "viewer"))
    assert viewer.post("/api/v1/roles/", {"name": "sneaky", "description": "s3cret"}, format="json").status_code == 403
    root = client_for(admin)
    made = root.post("/api/v1/roles/", {"name": "custom", "description": "s3cret"}, format="json").json()
    root.delete(f"/api/v1/roles/{made['id']}/")
    events = list(AuditEvent.objects.filter(object_type="roles").order_by("id"))
    assert [(e.actor_name, e.verb, e.status_code, e.outcome) for e in events] == [
        ("vic", "create", 403, "denied"), ("root", "create", 201, "success"), ("root", "delete", 204, "success"),
    ]
    assert events[1].object_id == str(made["id"]) and events[2].object_id == str(made["id"])
    assert events[0].source == "127.0.0.1"
    assert not any("s3cret" in str(vars(e)) for e in AuditEvent.objects.all())
    listed = root.get("/api/v1/audit-events/?actor=vic&verb=create").json()
    assert [(e["actor"], e["outcome"]) for e in listed["results"]] == [("vic", "denied")]
    newest = root.get("/api/v1/audit-events/?limit=2").json()
    assert newest["results"][0]["id"] > newest["results"][1]["id"] and newest["next"]


def test_audit_record_is_the_service_other_apps_call(admin):
    """Other apps (the keys app on decrypt) record through `audit_record`."""
    from apps.identity.services import audit_record

    event = audit_record(actor=admin, verb="decrypt", object_type="keys", object_id="system/db_password",
                         source="10.0.0.1")
    assert (event.actor_id, event.verb, event.outcome) == (admin.pk, "decrypt", "success")


def test_the_admin_shows_the_audit_log_read_only(admin, client):
    """The admin lists audit events and offers no way to change them."""
    AuditEvent.objects.create(actor=admin, actor_name="root", verb="delete", object_type="rules", outcome="success")
    client.force_login(admin)
    page = client.get("/admin/identity/auditevent/")
    assert page.status_code == 200 and b"rules" in page.content
    assert client.get("/admin/identity/auditevent/add/").status_code == 403


def test_an_act_a_view_records_itself_is_not_recorded_twice(admin, rf):
    """A view that records its own act (the keys app's decrypt) leaves one event, not two."""
    from django.http import HttpResponse
    from django.urls import ResolverMatch

    from apps.identity.middleware import AuditMiddleware
    from apps.identity.services import audit_record
    from apps.identity.tests.views import DecryptingView

    view = DecryptingView.as_view({"post": "decrypt"})

    def respond(request):
        request.resolver_match = ResolverMatch(view, (), {"pk": "7"})
        audit_record(actor=admin, verb="decrypt", object_type="roles", object_id="7")
        return HttpResponse(status=200)

    request = rf.post("/api/v1/roles/7/decrypt/")
    request.user = admin
    AuditMiddleware(respond)(request)
    assert AuditEvent.objects.filter(verb="decrypt").count() == 1


def test_the_admin_role_without_superuser_manages_everything(make_user, client_for):
    """A user holding the admin role (not a superuser) manages users, roles, everyone's
    API keys and reads the audit log."""
    boss = client_for(make_user("boss", "admin"))
    assert boss.post("/api/v1/users/", {"username": "new", "roles": ["viewer"]}, format="json").status_code == 201
    assert boss.post("/api/v1/roles/", {"name": "x", "grants": ["read:packs"]}, format="json").status_code == 201
    assert boss.get("/api/v1/audit-events/").status_code == 200
    other = client_for(make_user("ann", "operator"))
    other.post("/api/v1/api-keys/", {"name": "ann's"}, format="json")
    assert "ann's" in {k["name"] for k in boss.get("/api/v1/api-keys/").json()["results"]}
    assert authz.is_admin(get_user_model().objects.get(username="boss"))
    assert not authz.is_admin(get_user_model().objects.get(username="ann"))
