"""G6: `GET /api/v1/executions/?limit=50` with 100,000 stored executions: the first
page and a deep page, unfiltered and filtered, server time p50/p99 (target ≤ 8 / 20 ms
on any page).

    .venv/bin/python bench/api_list.py                    # 100,000 rows, 300 requests per case (~1–2 min)
    .venv/bin/python bench/api_list.py --count 10000 --requests 50   # a quick check
    .venv/bin/python bench/api_list.py --explain          # also print each case's query plan

Runs against the `attune_bench` PostgreSQL database (migrated here; its execution and
event tables are emptied, then filled by bulk insert). Requests go through the whole
Django stack in this process (Django's test client: URL routing, middleware,
authentication with a real API key, the viewset, filters, cursor pagination, JSON
rendering), so the time is the server's time without the network. A deep page is a
cursor pointing at the middle of the table (as following `next` 1000 times would)."""

from __future__ import annotations

import os
import sys

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH]
sys.path.insert(0, os.path.dirname(_BENCH))

import argparse  # noqa: E402
import base64  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench import common  # noqa: E402
from bench import platform as bp  # noqa: E402

TARGET_P50_MS = 8.0
TARGET_P99_MS = 20.0
# Rows by action and status, roughly what a busy installation keeps.
ACTIONS = [("core.echo", 0.5), ("core.local", 0.3), ("core.noop", 0.15), ("core.http_request", 0.05)]
STATUSES = [("succeeded", 0.9), ("failed", 0.05), ("timeout", 0.02), ("canceled", 0.02), ("running", 0.01)]
BATCH = 5000


def _pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def fill(count: int) -> None:
    """Empty the history tables and bulk-insert `count` finished executions."""
    from django.db import connection
    from django.utils import timezone

    from apps.executions.models import Execution

    bp.reset_history()
    rng = random.Random(6)
    start = timezone.now() - timedelta(days=30)
    step = timedelta(days=30) / count
    made = 0
    while made < count:
        rows = []
        for i in range(made, min(made + BATCH, count)):
            created = start + step * i
            action, status = _pick(rng, ACTIONS), _pick(rng, STATUSES)
            rows.append(Execution(
                action_ref=action, status=status, runner_type="shell", queue="runtime.shell",
                parameters={"message": f"run {i}"}, result={"stdout": f"run {i}", "exit_code": 0},
                stdout=f"run {i}", exit_code=0 if status == "succeeded" else 1,
                rule_ref="bench.on_tick" if i % 3 == 0 else "", trigger_ref="core.intervaltimer" if i % 3 == 0 else "",
                started_at=created, spawned_at=created, finished_at=created + timedelta(milliseconds=40),
            ))
        Execution.objects.bulk_create(rows, batch_size=BATCH)
        made += len(rows)
    # bulk_create leaves created_at to auto_now_add (now): spread it like real history.
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {Execution._meta.db_table} SET created_at = started_at")
        cur.execute(f"VACUUM ANALYZE {Execution._meta.db_table}")


def cursor_at(position: int) -> str:
    """DRF CursorPagination's cursor for 'rows after id <position>' (newest first)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def deep_position(filters: dict[str, str]) -> int:
    """The id half-way down the filtered list: a page as deep as rows go."""
    from apps.executions.models import Execution

    queryset = Execution.objects.all()
    if "status" in filters:
        queryset = queryset.filter(status=filters["status"])
    if "action" in filters:
        queryset = queryset.filter(action_ref=filters["action"])
    ids = queryset.order_by("-id").values_list("id", flat=True)
    return ids[max(0, queryset.count() // 2)]


def client_for_bench():
    """A test client that authenticates like a real caller: an API key in the header
    (verified on every request). Falls back to a forced user if the key service has
    another shape."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.filter(username="bench-api").first() or \
        get_user_model().objects.create_superuser("bench-api", password=None)
    client = APIClient()
    try:
        from apps.identity.services import api_key_create

        _key, token = api_key_create(user=user, name="bench api_list")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client, "API key"
    except (ImportError, TypeError):
        client.force_authenticate(user)
        return client, "forced user (no API key service of the expected shape)"


def explain(client, url: str) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    main = [q["sql"] for q in queries.captured_queries if "executions_execution" in q["sql"]
            and q["sql"].lstrip().upper().startswith("SELECT")]
    if not main:
        return "(no execution query captured)"
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + main[-1])
        return "\n".join(row[0] for row in cur.fetchall())


def measure(client, url: str, requests: int) -> list[float]:
    for _ in range(min(20, requests)):
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 50, f"{url}: {len(body['results'])} rows"
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="executions stored (default 100,000)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per case (default 300)")
    parser.add_argument("--explain", action="store_true", help="print each case's query plan")
    parser.add_argument("--json", default=None, help="write the figures here")
    parser.add_argument("--database", default=common.PG_DB,
                        help=f"PostgreSQL database to fill (default {common.PG_DB}; created if missing)")
    args = parser.parse_args()
    if args.database != common.PG_DB:
        common.PG_DB = args.database
        common.PG_DSN = f"host={common.PG_HOST} port={common.PG_PORT} user={common.PG_USER} dbname={args.database}"
        common.DATABASE_URL = f"postgres://{common.PG_USER}@{common.PG_HOST}:{common.PG_PORT}/{args.database}"

    home = tempfile.mkdtemp(prefix="attune-bench-api-")
    env = bp.bench_env(home)
    common.ensure_database()
    for argv in (["migrate", "--no-input", "-v", "0"], ["pack_register", str(bp.CORE_PACK)]):
        subprocess.run([sys.executable, "manage.py", *argv], cwd=common.ROOT, env=env, check=True,
                       capture_output=True)
    bp.django_setup(env)
    info = common.machine_info()
    common.print_machine(info)

    started = time.time()
    fill(args.count)
    print(f"stored {args.count:,} executions in {time.time() - started:.1f} s")
    client, auth = client_for_bench()
    print(f"authentication: {auth}; {args.requests} timed requests per case after 20 warm-up ones\n")

    cases = [
        ("first page, unfiltered", {}, False),
        ("deep page, unfiltered", {}, True),
        ("first page, status=failed", {"status": "failed"}, False),
        ("deep page, status=failed", {"status": "failed"}, True),
        ("first page, action=core.local", {"action": "core.local"}, False),
        ("deep page, action=core.local", {"action": "core.local"}, True),
    ]
    figures = {}
    worst_p50 = worst_p99 = 0.0
    for name, filters, deep in cases:
        query = {**filters, "limit": "50"}
        if deep:
            query["cursor"] = cursor_at(deep_position(filters))
        url = f"/api/v1/executions/?{urlencode(query)}"
        summary = common.summary_ms(measure(client, url, args.requests))
        figures[name] = summary
        worst_p50, worst_p99 = max(worst_p50, summary["p50"]), max(worst_p99, summary["p99"])
        print(common.fmt_summary(name, summary, f"≤ {TARGET_P50_MS:g} / {TARGET_P99_MS:g} ms"))
        if args.explain:
            print("    " + explain(client, url).replace("\n", "\n    "))
    print()
    print(f"G6 worst case p50 {worst_p50:.2f} ms {common.verdict(worst_p50, TARGET_P50_MS)}, "
          f"p99 {worst_p99:.2f} ms {common.verdict(worst_p99, TARGET_P99_MS)} "
          f"(target ≤ {TARGET_P50_MS:g} / {TARGET_P99_MS:g} ms on any page)")
    common.write_json(args.json, {"machine": info, "count": args.count, "requests": args.requests,
                                  "auth": auth, "cases": figures})


if __name__ == "__main__":
    main()
