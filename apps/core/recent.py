"""A bounded, thread-safe set of recently seen ids: what a process remembers having
done (committed), so that a later message about the same id can be answered without
the database. It relies on ids never coming back: PostgreSQL sequences and SQLite's
AUTOINCREMENT guarantee that for committed rows (a `TRUNCATE … RESTART IDENTITY` under
running executors would not: restart them after one)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable


class RecentIds:
    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, pk: object) -> bool:
        return pk in self._ids

    def add(self, ids: Iterable[int]) -> None:
        with self._lock:
            for pk in ids:
                self._ids[pk] = None
            while len(self._ids) > self.size:
                self._ids.popitem(last=False)
