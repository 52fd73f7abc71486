"""In-process wake-ups: a write that makes deliveries due wakes this process's senders at once instead of at their
next poll. Other processes learn of it through PostgreSQL NOTIFY (store_postgres.py) or their poll (SQLite)."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_listeners: dict[str, set[threading.Event]] = {}


def subscribe(key: str) -> threading.Event:
    event = threading.Event()
    with _lock:
        _listeners.setdefault(key, set()).add(event)
    return event


def unsubscribe(key: str, event: threading.Event) -> None:
    with _lock:
        _listeners.get(key, set()).discard(event)


def wake(key: str) -> None:
    with _lock:
        events = list(_listeners.get(key, ()))
    for event in events:
        event.set()
