"""The live-server tests of the remote CLI use the end-to-end harness's fixtures."""

from tests.e2e.conftest import packs, platform, pytest_runtest_makereport  # noqa: F401
