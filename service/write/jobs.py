"""What the writer works on: a job (open a deal, or run commands on one) and, once decided, the events to save."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import Deal, DomainError
from domain.commands import Command, OpenDeal
from service.idempotency.context import PendingClaim
from service.write.deal_cache import DealCache
from service.write.errors import StaleVersion

if TYPE_CHECKING:
    import asyncio

    from service.write.results import Recorded

# Aggregates saved in the same transaction as a job's deal events (e.g. an idempotency record); a callable gets
# the decided deal, so what it records can depend on the outcome (its new version).
AlsoSave = Sequence[Aggregate] | Callable[[Deal], Sequence[Aggregate]]


@dataclass(eq=False)
class Job(ABC):
    deal_id: UUID
    also_save: AlsoSave = ()
    # The request's Idempotency-Key claim: its record is saved with the job's events.
    claim: PendingClaim | None = None
    # A caller blocks on `future`; an async caller awaits `waiter`, settled on its own event loop.
    future: Future[Recorded] | None = None
    waiter: asyncio.Future[Recorded] | None = None
    # Set under the writer's lock: a job the writer has not taken yet may be withdrawn by a caller that stops waiting.
    taken: bool = False
    withdrawn: bool = False

    @abstractmethod
    def decide(self, cache: DealCache, fresh: bool) -> Deal:
        """The deal with this job's events pending, decided on the cached (or, when `fresh`, stored) state."""

    def extras(self, deal: Deal) -> Sequence[Aggregate]:
        return self.also_save(deal) if callable(self.also_save) else self.also_save

    def keys(self, deal: Deal) -> list[Aggregate]:
        """The record of the request's Idempotency-Key claim: stored in the keys table, in the same transaction."""
        return [] if self.claim is None else self.claim.aggregates(deal)


@dataclass(eq=False)
class OpenJob(Job):
    opening: OpenDeal | None = None
    commands: Sequence[Command] = ()  # decided with the opening, in the same transaction (its parties joining)

    def decide(self, cache: DealCache, fresh: bool) -> Deal:
        return self.opened()

    def opened(self) -> Deal:
        assert self.opening is not None
        deal = Deal.opened_by(self.opening)
        for command in self.commands:
            deal.handle(command)
        return deal


@dataclass(eq=False)
class RecordJob(Job):
    commands: Sequence[Command] = ()
    expected_version: int | None = None

    def decide(self, cache: DealCache, fresh: bool) -> Deal:

        deal, fresh = cache.take(self.deal_id, fresh)
        if self.expected_version is not None and deal.version != self.expected_version:
            if not fresh:
                return self.decide(cache, True)
            raise StaleVersion(self.expected_version, deal.version)
        try:
            for command in self.commands:
                deal.handle(command)
        except DomainError:
            if not fresh:
                return self.decide(cache, True)
            raise
        return deal


@dataclass(eq=False)
class Decided:
    job: Job
    deal: Deal
    aggregates: list[Aggregate]  # the deal first, then what is saved with it, then its idempotency key's record
    events: list[Any]  # for the events table: the deal's, and those of `also_save`
    key_events: list[Any]  # for the keys table

    @classmethod
    def of(cls, job: Job, cache: DealCache, fresh: bool) -> Decided:
        deal = job.decide(cache, fresh)
        saved, keys = [deal, *job.extras(deal)], job.keys(deal)
        return cls(job, deal, [*saved, *keys], [e for a in saved for e in a.collect_events()],
                   [e for a in keys for e in a.collect_events()])
