"""Smoke test of the README's first command, observed from outside: `make up` in a
fresh ATTUNE_HOME prints an API token, hello-world executions appear through the API,
the README's workflow example (examples.rollout) succeeds and its success arrives over
the WebSocket, the dashboard answers at /, and Ctrl-C (SIGINT) stops
everything cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(home: str) -> list[int]:
    """PIDs of processes started with this ATTUNE_HOME in their environment."""
    found = []
    marker = f"ATTUNE_HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def api(port: int, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/{path}", headers={"Authorization": f"Bearer {token}",
                                                          "Content-Type": "application/json"},
        data=json.dumps(body).encode() if body is not None else None,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def run_rollout(port: int, token: str) -> str:
    """The README's workflow example: examples.rollout succeeds with its output; ""
    when it did, else what went wrong."""
    execution = api(port, token, "executions/", {"action": "examples.rollout", "parameters": {"version": "1.4.2"}})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = api(port, token, f"executions/{execution['id']}/")
        if detail["finished_at"]:
            break
        time.sleep(0.5)
    else:
        return "the rollout workflow did not finish within 60 s"
    if detail["status"] != "succeeded" or detail["result"].get("deployed") != 3:
        return f"the rollout workflow ended {detail['status']}: {detail['error']} {detail['result']}"
    print(f"rollout workflow {detail['id']} succeeded with {len(detail['children'])} tasks: {detail['result']}")
    return ""


def open_live(port: int, token: str):
    """A WebSocket client subscribed to every execution's status (the embedded Redis
    carries the notifications from the workers to the ASGI server)."""
    from websockets.sync.client import connect

    socket = connect(f"ws://127.0.0.1:{port}/ws/notifications/", open_timeout=10,
                     additional_headers={"Authorization": f"Bearer {token}"}).__enter__()
    assert json.loads(socket.recv(timeout=10))["type"] == "welcome"
    socket.send(json.dumps({"type": "subscribe", "filter": "entity_type:execution"}))
    assert json.loads(socket.recv(timeout=10))["type"] == "subscribed"
    return socket


def live_saw_success(socket, execution_id: int) -> bool:
    """Whether the socket delivered `execution_id`'s `succeeded` (reading what came)."""
    while True:
        try:
            message = json.loads(socket.recv(timeout=5))
        except TimeoutError:
            return False
        if message.get("entity_id") == execution_id and message["payload"].get("status") == "succeeded":
            return True


def dashboard_answers(port: int) -> bool:
    """The dashboard at / sends a visitor to its sign-in page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return "/login/" in response.url and b"Sign in" in response.read()


def main() -> int:
    home = tempfile.mkdtemp(prefix="attune-smoke-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"ATTUNE_HOME": home, "ATTUNE_PORT": str(port)})
    started = time.monotonic()
    process = subprocess.Popen(["make", "up"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    lines: list[str] = []
    token: list[str] = []

    def pump() -> None:
        for line in process.stdout:
            lines.append(line)
            sys.stdout.write("  | " + line)
            match = re.search(r"API token:\s+(\S+)", line)
            if match:
                token.append(match.group(1))

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        found = None
        up_at = None
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(1)
            if not token:
                continue
            if up_at is None and any("Attune is up" in line for line in lines):
                up_at = time.monotonic()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/executions/?action=core.echo&status=succeeded",
                headers={"Authorization": f"Bearer {token[0]}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    listing = json.load(response)
            except OSError:
                continue
            for item in listing["results"]:
                with urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/executions/{item['id']}/",
                    headers={"Authorization": f"Bearer {token[0]}"}), timeout=5) as response:
                    detail = json.load(response)
                if detail["stdout"] == "hello, world" and detail["rule"] == "examples.hello_world":
                    found = detail
                    break
            if found:
                break
        if not found:
            print("FAIL: no hello-world execution appeared", file=sys.stderr)
            return 1
        after_up = time.monotonic() - (up_at or started)
        print(f"hello-world execution {found['id']} succeeded {after_up:.1f} s after the platform was up")
        live = open_live(port, token[0])
        problem = run_rollout(port, token[0])
        if problem:
            print(f"FAIL: {problem}", file=sys.stderr)
            return 1
        rollout_id = api(port, token[0], "executions/?action=examples.rollout")["results"][0]["id"]
        if not live_saw_success(live, rollout_id):
            print("FAIL: no live notification of the rollout's success over /ws/notifications/", file=sys.stderr)
            return 1
        live.close()
        print("the rollout's success arrived over /ws/notifications/")
        if not dashboard_answers(port):
            print("FAIL: the dashboard at / did not show its sign-in page", file=sys.stderr)
            return 1
        print("the dashboard at / answers with its sign-in page")
        os.killpg(process.pid, signal.SIGINT)
        try:
            code = process.wait(60)
        except subprocess.TimeoutExpired:
            print("FAIL: make up did not stop within 60 s of Ctrl-C", file=sys.stderr)
            return 1
        time.sleep(0.5)
        leftovers = processes_of(home)
        # make itself reports an interrupted recipe with code 2 ("Interrupt"); what
        # matters is that `manage.py up` said it stopped and nothing is left running.
        stopped = any("Attune stopped." in line for line in lines)
        if not stopped or leftovers:
            print(f"FAIL: exit code {code}, stopped message: {stopped}, processes left: {leftovers}", file=sys.stderr)
            return 1
        print("4 passed, 0 failed: make up ran hello-world and the rollout workflow, delivered live updates, "
              "served the dashboard, and stopped cleanly")
        return 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
