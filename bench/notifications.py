"""Notification latency (issue 5): execution status committed → WebSocket client
receives it.

Starts the platform (executor, 2 action workers, scheduler; bench/platform.py) plus
the ASGI server, connects one WebSocket client (an admin's API key, subscribed to
`entity_type:execution`), then requests --runs executions of `core.local cmd=true`
one after another and waits for each one's `succeeded` notification. Every
notification's latency is its receive time minus the `timestamp` the producer put in
it when the status changed (inside the transaction, so the figure includes the
commit and is slightly pessimistic). Same host, same clock.

    python bench/notifications.py [--runs 500] [--warmup 20]
"""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

from bench import common  # noqa: E402
from bench import platform as bp  # noqa: E402

TARGET_P99_MS = 100.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the ASGI server did not listen on {port}")


async def measure(url: str, token: str, runs: int, warmup: int, timeout: float) -> dict:
    import websockets
    from asgiref.sync import sync_to_async

    from apps.executions.services.requests import execution_request

    request = sync_to_async(lambda: execution_request(action="core.local", parameters={"cmd": "true"}).pk)
    every: list[float] = []
    terminal: list[float] = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        assert json.loads(await ws.recv())["type"] == "welcome"
        await ws.send(json.dumps({"type": "subscribe", "filter": "entity_type:execution"}))
        assert json.loads(await ws.recv())["type"] == "subscribed"
        for i in range(warmup + runs):
            pk = await request()
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout)
                received = time.time()
                message = json.loads(raw)
                if message.get("type") != "notification" or message["entity_id"] != pk:
                    continue
                if i >= warmup:
                    every.append(received - message["timestamp"])
                if message["payload"]["status"] in ("succeeded", "failed", "timeout", "canceled", "abandoned"):
                    if i >= warmup:
                        terminal.append(received - message["timestamp"])
                    break
    return {"runs": runs, "all": common.summary_ms(every), "terminal": common.summary_ms(terminal)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--no-machine", action="store_true")
    args = ap.parse_args(argv)

    if not args.no_machine:
        common.print_machine(common.machine_info())
    plat = bp.BenchPlatform(action_workers=2)
    port = _free_port()
    try:
        plat.start_clean()
        plat._start("web", [plat.python, "-m", "uvicorn", "attune.asgi:application", "--host", "127.0.0.1",
                            "--port", str(port), "--no-access-log", "--lifespan", "off"])
        _wait_port(port)
        from django.contrib.auth import get_user_model

        from apps.identity.services import api_key_create

        user, _ = get_user_model().objects.get_or_create(username="bench-ws", defaults={"is_superuser": True})
        _, token = api_key_create(user=user, name="bench")
        figures = asyncio.run(measure(f"ws://127.0.0.1:{port}/ws/notifications/", token, args.runs, args.warmup,
                                      args.timeout))
    finally:
        plat.stop()
    print(common.fmt_summary("status change → WebSocket client, every notification", figures["all"]))
    print(common.fmt_summary("status change → WebSocket client, terminal status", figures["terminal"],
                             f"p99 ≤ {TARGET_P99_MS:.0f} ms"))
    print(f"  p99 {common.verdict(figures['all']['p99'], TARGET_P99_MS)}")
    common.write_json(args.json, figures)
    return figures


if __name__ == "__main__":
    main()
