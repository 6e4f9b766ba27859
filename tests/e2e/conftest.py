from __future__ import annotations

from pathlib import Path

import pytest

from apps.packs.services import pack_register

from .harness import Platform


@pytest.fixture
def packs(transactional_db):
    """The core pack and the test pack, registered and committed."""
    from django.conf import settings

    pack_register(path=settings.BASE_DIR / "packs" / "core")
    pack_register(path=Path(__file__).parent / "packs" / "e2e")


@pytest.fixture
def platform(packs, broker_url, tmp_path, request):
    """Real processes on the test database; logs shown when a test fails."""
    from apps.executions.services import workers

    workers.reset_local_worker()
    started = Platform(broker_url, tmp_path)
    yield started
    started.stop()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(started.logs())


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
