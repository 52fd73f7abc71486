"""The deals of one database in memory, folded once per process and shared by whoever needs them.

The writer puts each deal it commits; the followers (the deal list, the webhook outbox) ask for the deal right after
the event they are at and mostly find it there, so an event is folded once in a process, not once per reader. A
state is never changed once put: the writer decides on a copy (`Deal.copy`), a follower folds an event onto a copy.
The two newest versions of each deal are kept, so a follower a little behind the writer still finds the one it needs.

What is kept is a committed state, but perhaps an old one (another process wrote since): the writer's saves are
guarded by the store's (deal id, version) key, and a follower folds the events it reads onto what it finds.
A process holds one instance per database (`acquire`/`release`), the applications on it share it; a worker process
has its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Protocol
from uuid import UUID

from domain import Deal, DealEvent

Loader = Callable[[UUID, int], Deal]  # the deal at a version, from the store


class DealSource(Protocol):
    """The application a follower reads (service/application.py)."""

    @property
    def deal_states(self) -> DealStates: ...

    def get_deal(self, deal_id: UUID, version: int | None = None) -> Deal: ...


def loader(app: DealSource) -> Loader:
    return lambda deal_id, version: app.get_deal(deal_id, version=version)
# The newest state and the one before it: a follower at the writer's heels finds the deal after its event, or the
# state to fold it onto; one further behind folds onto the state it saw last (`Following`).
VERSIONS_KEPT = 2


class DealStates:
    """An LRU of deals at committed versions, a few versions per deal; safe to use from several threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._deals: OrderedDict[UUID, dict[int, Deal]] = OrderedDict()
        self._lock = threading.Lock()
        self.folds = 0  # events folded here (by the followers); the writer's decisions are not counted
        self.loads = 0  # deals read from the store on a miss

    def __len__(self) -> int:
        return len(self._deals)

    def latest(self, deal_id: UUID) -> Deal | None:
        """The newest state kept of the deal (not to be changed: see `Deal.copy`)."""
        with self._lock:
            versions = self._deals.get(deal_id)
            return versions[max(versions)] if versions else None

    def at(self, deal_id: UUID, version: int) -> Deal | None:
        with self._lock:
            versions = self._deals.get(deal_id)
            return versions.get(version) if versions else None

    def versions(self, deal_ids: Iterable[UUID]) -> dict[UUID, int]:
        """The newest version kept of each of these deals that is kept at all."""
        with self._lock:
            return {d: max(self._deals[d]) for d in deal_ids if d in self._deals}

    def put(self, deal: Deal) -> None:
        """Keep a committed state of a deal; it must not change afterwards."""
        if self.capacity <= 0:
            return
        with self._lock:
            versions = self._deals.pop(deal.id, None) or {}
            versions[deal.version] = deal
            if len(versions) > VERSIONS_KEPT:  # the oldest goes, unless it is this one: a follower behind needs it
                del versions[min(v for v in versions if v != deal.version)]
            self._deals[deal.id] = versions
            if len(self._deals) > self.capacity:
                self._deals.popitem(last=False)

    def forget(self, deal_id: UUID) -> None:
        with self._lock:
            self._deals.pop(deal_id, None)

    def clear(self) -> None:
        with self._lock:
            self._deals.clear()

    def after(self, event: DealEvent, load: Loader, seen: Deal | None = None) -> Deal:
        """The deal right after `event`, a committed event: kept, or folded onto the state before it (kept, or the
        one the follower `seen` last), or read."""
        deal_id, version = event.originator_id, event.originator_version
        found = self.at(deal_id, version)
        if found is not None:
            return found
        before = seen if seen is not None and seen.version == version - 1 else self.at(deal_id, version - 1)
        if version == 1:
            deal = event.mutate(None)
            self.folds += 1
        elif before is not None:
            deal = event.mutate(before.copy())
            self.folds += 1
        else:
            deal = load(deal_id, version)
            self.loads += 1
        assert isinstance(deal, Deal)
        self.put(deal)
        return deal


_SHARED: dict[Hashable, tuple[DealStates, int]] = {}
_SHARED_LOCK = threading.Lock()


def acquire(database: Hashable, capacity: int) -> DealStates:
    """The process's deal states of this database, shared with every other holder until the last releases it."""
    with _SHARED_LOCK:
        states, holders = _SHARED.get(database, (None, 0))
        if states is None:
            states = DealStates(capacity)
        _SHARED[database] = (states, holders + 1)
        return states


def release(database: Hashable) -> None:
    with _SHARED_LOCK:
        states, holders = _SHARED.get(database, (None, 0))
        if states is None:
            return
        if holders <= 1:
            del _SHARED[database]
        else:
            _SHARED[database] = (states, holders - 1)


class Following:
    """A follower's way to the deal right after each event, once it is given the application it follows (a
    projection is built before its runner's application): the process's deal states of that database."""

    def __init__(self, remembered: int = 1_000) -> None:
        self._ready = threading.Event()
        self.states: DealStates | None = None
        self._load: Loader | None = None
        # The deal each event last gave this follower (references to kept states, never changed): a follower further
        # behind the writer than the versions kept folds onto its own last one rather than read the deal again.
        self._seen: OrderedDict[UUID, Deal] = OrderedDict()
        self._remembered = remembered

    def attach(self, app: DealSource, states: DealStates | None = None) -> Following:
        """Follow the application's deals: in its process's deal states, or in `states` of one's own."""
        self.states, self._load = app.deal_states if states is None else states, loader(app)
        self._ready.set()
        return self

    def after(self, event: DealEvent) -> Deal:
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the follower was never given the application it follows")
        assert self.states is not None and self._load is not None
        deal_id = event.originator_id
        deal = self.states.after(event, self._load, self._seen.pop(deal_id, None))
        self._seen[deal_id] = deal
        if len(self._seen) > self._remembered:
            self._seen.popitem(last=False)
        return deal
