"""The dashboard in a real browser (Debian's Chromium, headless, through Playwright)
against the platform's real processes: the ASGI server (pages and /ws/notifications/),
the executor and an action worker, on the test database.

One platform and one browser serve the whole module; each test has its own browser
context (its own cookies). Screenshots of every page visited are kept in
tests/artifacts/screenshots/ (not in git)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import playwright.sync_api as playwright_sync
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections

from apps.executions.models import Execution
from apps.executions.services.cancel import execution_cancel
from apps.executions.services.requests import execution_request
from apps.identity.models import Role, RoleAssignment
from apps.packs.services import pack_register

from .harness import Platform, wait_for

expect = playwright_sync.expect

pytestmark = [pytest.mark.e2e]

CHROMIUM = os.environ.get("ATTUNE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PASSWORD = "dash-pw-123"
LIVE = 30_000  # ms: how long a live change may take to show
expect.set_options(timeout=LIVE)


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker, broker_url, tmp_path_factory):
    """The packs and two users committed to the test database, the platform's
    processes, and a headless Chromium. Emptied again afterwards, like a
    transactional test."""
    if not Path(CHROMIUM).exists():
        # Chromium is a system package: a fresh machine with only Python has none, and
        # `make test` must still pass there. CI installs it and requires these tests.
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium): the browser tests cannot run"
        if os.environ.get("ATTUNE_BROWSER_TESTS") == "required":
            pytest.fail(missing)
        pytest.skip(missing)
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of these
    # tests are synchronous and safe. Only for this module.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    with django_db_blocker.unblock():
        from apps.executions.services import workers

        pack_register(path=settings.BASE_DIR / "packs" / "core")
        pack_register(path=Path(__file__).parent / "packs" / "e2e")
        users = get_user_model().objects
        users.create_superuser("admin", password=PASSWORD)
        viewer = users.create_user("viewer", password=PASSWORD)
        RoleAssignment.objects.create(user=viewer, role=Role.objects.get(name="viewer"))
        workers.reset_local_worker()
        platform = Platform(broker_url, tmp_path_factory.mktemp("dashboard"))
        playwright = None
        try:
            platform.web()
            platform.executor()
            platform.actions(concurrency=4)
            playwright = playwright_sync.sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield platform, browser
            browser.close()
        except BaseException:
            print(platform.logs())
            raise
        finally:
            if playwright is not None:
                playwright.stop()
            platform.stop()
            call_command("flush", interactive=False, verbosity=0)
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def database(django_db_blocker):
    """The tests read what the platform wrote (committed: no test transaction)."""
    with django_db_blocker.unblock():
        yield
        connections.close_all()


@pytest.mark.django_db
def test_pages_use_only_assets_the_platform_serves(client):
    """No external requests: every script and stylesheet is a vendored static file.
    (Also the one test of the module marked for the database, which makes pytest-django
    create the test database when this module runs alone.)"""
    get_user_model().objects.create_user("reader", password=PASSWORD)
    pages = [client.get("/login/").content.decode()]
    client.login(username="reader", password=PASSWORD)
    pages += [client.get(url).content.decode() for url in ("/", "/executions/", "/actions/")]
    for html in pages:
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and not [s for s in sources if re.match(r"(https?:)?//", s)], sources
    for name in ("htmx.min.js", "hx-ws.min.js", "chart.umd.min.js", "cytoscape.min.js", "cytoscape-dagre.min.js"):
        answer = client.get(f"/static/vendor/{name}")
        assert answer.status_code == 200, name
        assert b"sourceMappingURL" not in b"".join(answer.streaming_content)


@pytest.fixture
def browse(live, request):
    """A function that opens a signed-in page for a user (own context, 1366×768)."""
    platform, browser = live
    contexts = []
    errors: list[str] = []
    console: list[str] = []

    def open_as(username: str, color_scheme: str = "light"):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=platform.url,
                                      color_scheme=color_scheme)
        context.set_default_timeout(LIVE)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: console.append(f"{username} {msg.type}: {msg.text}"))
        page.goto("/executions/")
        expect(page).to_have_url(re.compile(r"/login/\?next=/executions/"))
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.get_by_test_id("sign-in").click()
        expect(page).to_have_url(re.compile(r"/executions/$"))
        expect(page.get_by_test_id("user")).to_have_text(username)
        return page

    yield open_as
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{index}-{number}.png"),
                                full_page=True)
        print(platform.logs())
        print("\n".join(console))
    for context in contexts:
        context.close()
    assert errors == [], errors


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def ws_open(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-subscribed", "true")


def test_run_an_action_from_its_form_and_watch_it_live(browse):
    """The list shows the new execution and its status change; the execution page
    turns succeeded and fills its output without a reload."""
    admin = browse("admin")
    ws_open(admin)
    shot(admin, "executions-list")

    runner = admin.context.new_page()
    runner.goto("/actions/?q=ticker")
    shot(runner, "actions")
    runner.get_by_role("link", name="e2e.ticker").click()
    expect(runner.get_by_test_id("run-form")).to_be_visible()
    shot(runner, "action-run-form")
    runner.get_by_test_id("param-count").fill("1.5")
    runner.get_by_test_id("run").click()
    expect(runner.get_by_test_id("error-count")).to_contain_text("must be a whole number")
    runner.get_by_test_id("param-count").fill("12")
    runner.get_by_test_id("run").click()
    expect(runner).to_have_url(re.compile(r"/executions/\d+/$"))
    execution_id = int(runner.url.rstrip("/").rsplit("/", 1)[1])
    runner.evaluate("window.__samePage = true")
    ws_open(runner)
    # Output arrives while it runs, then the status turns without a reload.
    expect(runner.get_by_test_id("log")).to_contain_text("tick 3")
    status_while_ticking = runner.get_by_test_id("status").inner_text()
    expect(runner.get_by_test_id("status")).to_have_text("succeeded")
    expect(runner.get_by_test_id("log")).to_contain_text("tick 12")
    assert status_while_ticking != "succeeded"
    assert runner.evaluate("window.__samePage") is True
    log = runner.get_by_test_id("log").inner_text()
    assert [line for line in log.splitlines() if line.startswith("tick")] == [f"tick {i}" for i in range(1, 13)]
    expect(runner.get_by_test_id("duration")).to_contain_text(" s")
    shot(runner, "execution-succeeded")

    row = admin.locator(f"#execution-{execution_id}")
    expect(row.get_by_test_id("row-status")).to_have_text("succeeded")
    assert Execution.objects.get(pk=execution_id).status == "succeeded"
    shot(admin, "executions-list-live")

    admin.goto("/")
    expect(admin.locator("body")).to_have_attribute("data-overview", "loaded")
    expect(admin.get_by_test_id("busiest")).to_contain_text("e2e.ticker")
    expect(admin.get_by_test_id("workers")).to_contain_text("runtime.shell")
    shot(admin, "overview")
    admin.get_by_test_id("theme-toggle").click()
    theme = admin.evaluate("document.documentElement.dataset.theme")
    admin.reload()
    assert admin.evaluate("document.documentElement.dataset.theme") == theme  # remembered
    shot(admin, f"overview-{theme}")
    for name, url in (("rules", "/rules/"), ("triggers", "/triggers/"), ("enforcements", "/enforcements/"),
                      ("packs", "/packs/"), ("pack", "/packs/e2e/")):
        admin.goto(url)
        shot(admin, name)


def test_a_workflow_graph_colours_its_tasks_as_they_finish(browse):
    admin = browse("admin")
    admin.goto("/actions/e2e.slow_flow/")
    admin.get_by_test_id("param-seconds").fill("3")
    admin.get_by_test_id("run").click()
    expect(admin).to_have_url(re.compile(r"/executions/\d+/$"))
    expect(admin.get_by_test_id("graph")).to_have_attribute("data-ready", "true")
    ws_open(admin)
    assert admin.evaluate("cy.nodes().map(n => n.id()).sort()") == ["after", "wait"]
    assert admin.evaluate("cy.edges().map(e => e.id())") == ["wait->after"]
    admin.wait_for_function("cy.getElementById('wait').data('status') === 'running'", timeout=LIVE)
    assert admin.evaluate("cy.getElementById('after').data('status')") == "not started"
    shot(admin, "workflow-running")
    admin.wait_for_function("cy.getElementById('wait').data('status') === 'succeeded'", timeout=LIVE)
    admin.wait_for_function("cy.getElementById('after').data('status') === 'succeeded'", timeout=LIVE)
    expect(admin.get_by_test_id("status")).to_have_text("succeeded")
    expect(admin.get_by_test_id("timeline")).to_contain_text("after")
    expect(admin.get_by_test_id("children")).to_contain_text("core.echo")
    colour = admin.evaluate("cy.getElementById('after').style('background-color')")
    assert colour == "rgb(46,157,87)"
    shot(admin, "workflow-succeeded")


def test_cancel_a_running_execution(browse):
    admin = browse("admin")
    admin.goto("/actions/e2e.sleeper/")
    admin.get_by_test_id("param-seconds").fill("120")
    admin.get_by_test_id("run").click()
    expect(admin).to_have_url(re.compile(r"/executions/\d+/$"))
    execution_id = int(admin.url.rstrip("/").rsplit("/", 1)[1])
    ws_open(admin)
    expect(admin.get_by_test_id("status")).to_have_text("running")
    expect(admin.get_by_test_id("log")).to_contain_text("main")
    shot(admin, "sleeper-running")
    admin.get_by_test_id("cancel").click()
    expect(admin.get_by_test_id("status")).to_have_text("canceled")
    expect(admin.get_by_test_id("cancel")).to_have_count(0)
    shot(admin, "sleeper-canceled")
    done = wait_for(lambda: Execution.objects.filter(pk=execution_id, finished_at__isnull=False).first(),
                    timeout=10, what="the canceled execution to finish")
    assert done.status == "canceled"


def test_a_viewer_sees_no_run_or_cancel_button(browse):
    execution = execution_request(action="e2e.sleeper", parameters={"seconds": 30})
    viewer = browse("viewer", color_scheme="dark")
    # The system's dark preference applies until a theme is chosen.
    assert viewer.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 24, 29)"
    viewer.goto("/actions/e2e.ticker/")
    expect(viewer.get_by_role("heading", name="e2e.ticker")).to_be_visible()
    expect(viewer.get_by_test_id("run")).to_have_count(0)
    expect(viewer.get_by_test_id("run-form")).to_have_count(0)
    shot(viewer, "viewer-action")
    viewer.goto(f"/executions/{execution.pk}/")
    expect(viewer.get_by_test_id("status")).to_be_visible()
    expect(viewer.get_by_test_id("log")).to_contain_text("main")  # reading is allowed
    for button in ("cancel", "rerun", "pause", "resume"):
        expect(viewer.get_by_test_id(button)).to_have_count(0)
    shot(viewer, "viewer-execution")
    # Posting anyway is refused.
    answer = viewer.request.post(f"/executions/{execution.pk}/cancel/", headers={"X-CSRFToken": csrf_token(viewer)})
    assert answer.status == 403
    assert Execution.objects.get(pk=execution.pk).status != "canceled"
    execution_cancel(execution_id=execution.pk)


def csrf_token(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
