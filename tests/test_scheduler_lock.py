"""One active scheduler: the singleton lock admits one holder at a time."""

from __future__ import annotations

import pytest

from apps.core.locks import SingletonLock

pytestmark = pytest.mark.django_db(transaction=True)


def test_only_one_holder_at_a_time():
    """A second scheduler stands by until the first releases the lock."""
    first, second = SingletonLock("test-scheduler"), SingletonLock("test-scheduler")
    try:
        assert first.acquire()
        assert first.acquire(), "the holder keeps it"
        assert not second.acquire()
        first.release()
        assert second.acquire()
    finally:
        first.release()
        second.release()


def test_different_names_do_not_block_each_other():
    """Locks are per name."""
    a, b = SingletonLock("test-a"), SingletonLock("test-b")
    try:
        assert a.acquire() and b.acquire()
    finally:
        a.release()
        b.release()
