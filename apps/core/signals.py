"""In-process domain events. A lower app announces what happened; a higher app
subscribes in its AppConfig.ready() (the lower app never imports the higher one).
Subscribers run synchronously in the announcing transaction; anything that leaves the
process must itself wait for commit."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(name: str, receiver: Callable[..., Any]) -> None:
    if receiver not in _subscribers[name]:
        _subscribers[name].append(receiver)


def emit(name: str, **payload: Any) -> None:
    for receiver in _subscribers.get(name, ()):
        receiver(**payload)


def has_subscribers(name: str) -> bool:
    return bool(_subscribers.get(name))
