"""The deals application: opens deals and records what happens to them, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, Recording, StoredEvent

from domain import Deal, DealEvent, DomainError
from domain.commands import Command, OpenDeal
from service.idempotency.context import PendingClaim
from service.observability.metrics import count_appended
from service.security.encryption import check_stored_events_readable
from service.settings import Settings, get_settings
from service.storage.environment import DealsRecorder, database_identity, eventsourcing_env
from service.storage.transcodings import register_domain_transcodings
from service.write import deal_states as shared_states
from service.write.deal_states import DealStates
from service.write.jobs import AlsoSave, OpenJob, RecordJob
from service.write.results import Recorded
from service.write.writer import Writer

DEFAULT_STATES = 1_000  # deals kept for the followers when the writer keeps none (DEALS_WRITE_CACHE_SIZE=0)


class DealNotFound(DomainError):
    """Raised when no deal has the given id."""

    code = "deal_not_found"

    def __init__(self, deal_id: UUID) -> None:
        super().__init__(f"no deal has the id {deal_id}", deal_id=str(deal_id))


class DealsApplication(Application[UUID]):
    name = "Deals"
    recorder: DealsRecorder  # the backend's own recorder, as storage/environment.py picks it
    snapshotting_intervals = {Deal: 100}  # noqa: RUF012 - the library reads this class attribute

    def __init__(
        self, env: Mapping[str, str] | None = None, settings: Settings | None = None,
        deal_states: DealStates | None = None,
    ) -> None:
        """`deal_states`: the application's own, instead of those its process shares for the database (a test that
        plays two processes in one gives one to the second)."""
        # `env` first and positional: projection runners construct the application as `DealsApplication(env)`.
        self.settings = settings or get_settings()
        super().__init__(env={**eventsourcing_env(self.settings), **(env or {})})
        self.snapshotting_intervals = {Deal: self.settings.snapshot_interval}  # type: ignore[misc]  # per settings
        check_stored_events_readable(self)  # a wrong DEALS_CIPHER_KEY fails here, clearly, not on every read
        # The deals folded in this process, shared by the writer and the followers of the same database.
        capacity = self.settings.write_cache_size or DEFAULT_STATES
        self._database = database_identity(self.env) if deal_states is None else None
        if self._database is not None:
            deal_states = shared_states.acquire(self._database, capacity)
        self.deal_states = deal_states if deal_states is not None else DealStates(capacity)

    @cached_property
    def writer(self) -> Writer:
        """The writer thread, started on the first write (projection runners never start one). Every write goes
        through it; DEALS_WRITE_MODE=naive (the benchmarks' baseline) makes it decide each command alone, on the
        stored deal: a batch of one and no cache."""
        s = self.settings
        if s.write_mode == "naive":
            return Writer(self, False, 1, s.write_retries, s.write_queue_timeout)
        return Writer(self, s.write_cache_size > 0, s.write_batch_max, s.write_retries, s.write_queue_timeout)

    def close(self) -> None:
        if "writer" in self.__dict__:
            self.__dict__.pop("writer").stop()
        database = self.__dict__.pop("_database", None)  # once, even when close() is called again
        if database is not None:
            shared_states.release(database)
        super().close()

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        count_appended(recordings)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ---- commands --------------------------------------------------------------------------------

    def open_deal(self, opening: OpenDeal, commands: Sequence[Command] = (), also_save: AlsoSave = (),
                  claim: PendingClaim | None = None) -> Recorded:
        """Open a deal, with the commands that go with the opening (its parties joining), in one transaction.

        `also_save` aggregates (or a function of the opened deal returning them) are saved in the same transaction,
        and so is the record of the request's Idempotency-Key `claim`, if any.
        """
        return self.writer.submit(OpenJob(opening.deal_id, also_save, claim, opening=opening, commands=commands))

    async def open_deal_async(self, opening: OpenDeal, commands: Sequence[Command] = (), also_save: AlsoSave = (),
                              claim: PendingClaim | None = None) -> Recorded:
        job = OpenJob(opening.deal_id, also_save, claim, opening=opening, commands=commands)
        return await self.writer.submit_async(job)

    def record(self, deal_id: UUID, commands: Sequence[Command], expected_version: int | None = None,
               also_save: AlsoSave = (), claim: PendingClaim | None = None) -> Recorded:
        """Apply the commands to the deal and store their events atomically: all of them or none.

        With an expected version (If-Match) a concurrent change is reported; without one, the commands are
        decided again on the fresh state, so no accepted write is ever lost. `also_save` aggregates (or a function
        of the decided deal returning them), and the record of the request's Idempotency-Key `claim`, are saved in
        the same transaction as the deal's events.
        """
        return self.writer.submit(RecordJob(deal_id, also_save, claim, commands=commands,
                                            expected_version=expected_version))

    async def record_async(self, deal_id: UUID, commands: Sequence[Command], expected_version: int | None = None,
                           also_save: AlsoSave = (), claim: PendingClaim | None = None) -> Recorded:
        return await self.writer.submit_async(RecordJob(deal_id, also_save, claim, commands=commands,
                                                        expected_version=expected_version))

    # ---- queries ---------------------------------------------------------------------------------

    def get_deal(self, deal_id: UUID, version: int | None = None) -> Deal:
        try:
            return self.repository.get(deal_id, version=version)
        except AggregateNotFoundError:
            raise DealNotFound(deal_id) from None

    def deal_events(self, deal_id: UUID, after_version: int = 0, limit: int | None = None) -> list[DealEvent]:
        events = [self._deal_event(e) for e in self.events.get(deal_id, gt=after_version or None, limit=limit)]
        if not events and after_version == 0:
            raise DealNotFound(deal_id)
        return events

    def domain_event(self, stored: StoredEvent) -> DealEvent:
        """A stored event of a deal, decoded."""
        return self._deal_event(self.mapper.to_domain_event(stored))

    @staticmethod
    def _deal_event(event: object) -> DealEvent:
        return cast(DealEvent, event)  # the library types what its mapper and event store give as its event protocol
