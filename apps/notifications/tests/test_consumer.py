"""/ws/notifications/ end to end inside the ASGI application: authentication, the
subscribe protocol, authorisation of subscriptions and deliveries, expiry, output."""

from __future__ import annotations

import textwrap

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from apps.executions.services.requests import execution_request
from apps.identity.models import ApiKey
from apps.identity.services import api_key_create
from apps.packs.services import pack_register
from attune.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("broker_url")]

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture
def packs(tmp_path):
    for ref in ("alpha", "beta"):
        root = tmp_path / ref
        (root / "actions").mkdir(parents=True)
        (root / "pack.yaml").write_text(f"ref: {ref}\nversion: 1.0.0\n")
        (root / "actions" / "hello.yaml").write_text(textwrap.dedent("""
            name: hello
            runner_type: shell
            entry_point: hello.sh
        """))
        (root / "actions" / "hello.sh").write_text("#!/bin/sh\necho hi\n")
        pack_register(path=root)


def _user(name: str, *, superuser: bool = False, grants=None, packs=None):
    model = get_user_model()
    user = (model.objects.create_superuser if superuser else model.objects.create_user)(name, password="pw")
    if grants is not None:
        from apps.identity.models import Role, RoleAssignment

        role = Role.objects.create(name=f"{name}-role", grants=grants, packs=packs or [])
        RoleAssignment.objects.create(user=user, role=role)
    return user


def _token(user) -> str:
    return api_key_create(user=user, name="ws")[1]


def _socket(*headers) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, "/ws/notifications/", headers=[ORIGIN, *headers])


def _bearer(token: str):
    return (b"authorization", f"Bearer {token}".encode())


async def _open(communicator, expect="welcome"):
    connected, _ = await communicator.connect()
    assert connected
    greeting = await communicator.receive_json_from(timeout=5)
    assert greeting["type"] == expect, greeting
    return greeting


async def _subscribe(communicator, text, expect="subscribed"):
    await communicator.send_json_to({"type": "subscribe", "filter": text})
    answer = await communicator.receive_json_from(timeout=5)
    assert answer["type"] == expect, answer
    return answer


_run = database_sync_to_async(lambda ref: execution_request(action=ref, parameters={}).pk)


def test_an_unauthenticated_client_must_authenticate_and_a_bad_token_is_closed(packs):
    """Nothing but authenticate is accepted before authentication; a bad token closes."""

    async def scenario():
        ws = _socket()
        connected, _ = await ws.connect()
        assert connected
        await ws.send_json_to({"type": "subscribe", "filter": "all"})
        assert "authenticate first" in (await ws.receive_json_from(timeout=5))["message"]
        await ws.send_json_to({"type": "authenticate", "token": "atk_nope_nope"})
        assert (await ws.receive_json_from(timeout=5))["message"] == "invalid, expired or revoked token"
        closed = await ws.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


def test_a_status_change_reaches_a_subscriber_after_commit(packs):
    """A bearer-token client subscribed to executions sees a new one, with its action."""
    token = _token(_user("root", superuser=True))

    async def scenario():
        ws = _socket(_bearer(token))
        await _open(ws)
        await _subscribe(ws, "entity_type:execution")
        pk = await _run("alpha.hello")
        message = await ws.receive_json_from(timeout=5)
        assert message["type"] == "notification"
        assert (message["notification_type"], message["entity_type"], message["entity_id"]) == (
            "execution.status_changed", "execution", pk)
        assert message["payload"]["status"] in ("requested", "scheduled")
        assert message["payload"]["action_ref"] == "alpha.hello"
        assert "pack" not in message and "timestamp" in message
        await ws.disconnect()

    async_to_sync(scenario)()


def test_the_first_message_may_carry_the_token_and_sessions_work_too(packs):
    """Browsers authenticate by session cookie or by a first `authenticate` message."""
    user = _user("root", superuser=True)
    token = _token(user)
    browser = Client()
    browser.force_login(user)
    cookie = (b"cookie", f"sessionid={browser.cookies['sessionid'].value}".encode())

    async def scenario():
        ws = _socket()
        connected, _ = await ws.connect()
        assert connected
        await ws.send_json_to({"type": "authenticate", "token": token})
        assert (await ws.receive_json_from(timeout=5))["user"]["username"] == "root"
        await ws.disconnect()
        session = _socket(cookie)
        assert (await _open(session))["user"]["username"] == "root"
        await session.disconnect()

    async_to_sync(scenario)()


def test_a_page_on_another_site_cannot_open_a_socket(packs):
    """A foreign Origin is refused before the session cookie is looked at."""

    async def scenario():
        ws = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", b"http://evil.example")])
        connected, _ = await ws.connect()
        assert not connected

    async_to_sync(scenario)()


def test_a_pack_scoped_viewer_receives_only_its_packs(packs):
    """`all` for a viewer of pack alpha delivers alpha's notifications, never beta's."""
    token = _token(_user("viewer", grants=[["read", "*"]], packs=["alpha"]))

    async def scenario():
        ws = _socket(_bearer(token))
        await _open(ws)
        await _subscribe(ws, "all")
        await _run("beta.hello")
        pk = await _run("alpha.hello")
        message = await ws.receive_json_from(timeout=5)
        assert message["entity_id"] == pk and message["payload"]["previous"] == ""
        while not await ws.receive_nothing(timeout=0.5):
            assert (await ws.receive_json_from())["entity_id"] == pk
        await ws.disconnect()

    async_to_sync(scenario)()


def test_forbidden_and_unknown_subscriptions_are_answered_with_errors(packs):
    """Another pack's execution, another user, a resource without read, bad syntax."""
    other = _user("other")
    token = _token(_user("viewer", grants=[["read", "executions"]], packs=["alpha"]))
    beta = execution_request(action="beta.hello", parameters={}).pk

    async def scenario():
        ws = _socket(_bearer(token))
        await _open(ws)
        for text in (f"entity:execution:{beta}", f"user:{other.pk}", "entity_type:event"):
            answer = await _subscribe(ws, text, expect="error")
            assert answer["message"].startswith("forbidden: ") and answer["filter"] == text
        answer = await _subscribe(ws, "entity_type:rocket", expect="error")
        assert "unknown entity type" in answer["message"]
        await ws.send_json_to({"type": "dance"})
        assert "unknown message type" in (await ws.receive_json_from(timeout=5))["message"]
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_revoked_token_closes_the_connection(packs, settings):
    """The token is checked again while the socket stays open."""
    settings.ATTUNE_WS_REAUTH_INTERVAL = 0.2
    user = _user("root", superuser=True)
    token = _token(user)

    async def scenario():
        ws = _socket(_bearer(token))
        await _open(ws)
        await database_sync_to_async(ApiKey.objects.filter(user=user).update)(revoked_at=timezone.now())
        assert (await ws.receive_json_from(timeout=5))["message"] == "token expired or revoked"
        assert (await ws.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


def test_output_is_streamed_as_numbered_chunks_to_its_followers(packs):
    """Chunks come in order with their sequence numbers, to an entity subscription."""
    from apps.executions.services.running import _OutputSink

    token = _token(_user("root", superuser=True))
    pk = execution_request(action="alpha.hello", parameters={}).pk

    def write():
        sink = _OutputSink(pk, flush_interval=0, secrets=[])
        sink.write("stdout", b"one\n")
        sink.write("stderr", b"two\n")

    async def scenario():
        ws = _socket(_bearer(token))
        await _open(ws)
        await _subscribe(ws, f"entity:execution:{pk}")
        await database_sync_to_async(write)()
        chunks = [await ws.receive_json_from(timeout=5) for _ in range(2)]
        assert [(c["notification_type"], c["payload"]["seq"], c["payload"]["stream"], c["payload"]["data"])
                for c in chunks] == [("execution.output", 1, "stdout", "one\n"), ("execution.output", 2, "stderr", "two\n")]
        await ws.disconnect()

    async_to_sync(scenario)()



def test_a_jwt_is_accepted_and_the_connection_closes_when_it_expires(packs):
    """A JWT access token authenticates the socket; at its expiry the socket closes,
    without waiting for the next periodic check."""
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(_user("root", superuser=True))
    token.set_exp(lifetime=timedelta(seconds=1))

    async def scenario():
        ws = _socket()
        connected, _ = await ws.connect()
        assert connected
        await ws.send_json_to({"type": "authenticate", "token": str(token)})
        assert (await ws.receive_json_from(timeout=5))["type"] == "welcome"
        assert (await ws.receive_json_from(timeout=5))["message"] == "token expired or revoked"
        assert (await ws.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()
