"""The deals application: opens deals and records what happens to them, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from uuid import UUID

import anyio
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from domain import Deal, DealEvent, DomainError
from domain.commands import Command, OpenDeal
from service.idempotency.context import with_claim
from service.observability.metrics import count_appended
from service.security.encryption import check_stored_events_readable
from service.settings import Settings, get_settings
from service.storage.environment import eventsourcing_env
from service.storage.transcodings import register_domain_transcodings
from service.write.errors import DealExists, StaleVersion, WriteConflict
from service.write.jobs import AlsoSave, Job, OpenJob, RecordJob
from service.write.results import Recorded
from service.write.writer import Writer


class DealNotFound(DomainError):
    """Raised when no deal has the given id."""

    code = "deal_not_found"

    def __init__(self, deal_id: UUID) -> None:
        super().__init__(f"no deal has the id {deal_id}", deal_id=str(deal_id))


class DealsApplication(Application[UUID]):
    name = "Deals"
    snapshotting_intervals = {Deal: 100}  # noqa: RUF012 - the library reads this class attribute

    def __init__(self, env: Mapping[str, str] | None = None, settings: Settings | None = None) -> None:
        # `env` first and positional: projection runners construct the application as `DealsApplication(env)`.
        self.settings = settings or get_settings()
        super().__init__(env={**eventsourcing_env(self.settings), **(env or {})})
        self.snapshotting_intervals = {Deal: self.settings.snapshot_interval}  # type: ignore[misc]  # per settings
        check_stored_events_readable(self)  # a wrong DEALS_CIPHER_KEY fails here, clearly, not on every read

    @cached_property
    def writer(self) -> Writer:
        """The group-commit writer thread, started on the first write (projection runners never start one)."""
        s = self.settings
        return Writer(self, s.write_cache_size, s.write_batch_max, s.write_retries, s.write_queue_timeout)

    @property
    def group_commit(self) -> bool:
        return self.settings.write_mode == "group"

    def close(self) -> None:
        if "writer" in self.__dict__:
            self.__dict__.pop("writer").stop()
        super().close()

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        super()._notify(recordings)
        count_appended(recordings)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ---- commands --------------------------------------------------------------------------------

    def open_deal(
        self, opening: OpenDeal, commands: Sequence[Command] = (), also_save: AlsoSave = ()
    ) -> Recorded:
        """Open a deal, with the commands that go with the opening (its parties joining), in one transaction.

        `also_save` aggregates (or a function of the opened deal returning them) are saved in the same transaction.
        """
        job = self._open_job(opening, commands, also_save)
        return self.writer.submit(job) if self.group_commit else self._save_alone(job)

    async def open_deal_async(
        self, opening: OpenDeal, commands: Sequence[Command] = (), also_save: AlsoSave = ()
    ) -> Recorded:
        return await self._submit(self._open_job(opening, commands, also_save))

    def record(
        self,
        deal_id: UUID,
        commands: Sequence[Command],
        expected_version: int | None = None,
        also_save: AlsoSave = (),
    ) -> Recorded:
        """Apply the commands to the deal and store their events atomically: all of them or none.

        With an expected version (If-Match) a concurrent change is reported; without one, the commands are
        decided again on the fresh state, so no accepted write is ever lost. `also_save` aggregates (or a function
        of the decided deal returning them) are saved in the same transaction as the deal's events.
        """
        job = RecordJob(deal_id, with_claim(also_save), commands=commands, expected_version=expected_version)
        return self.writer.submit(job) if self.group_commit else self._save_alone(job)

    async def record_async(
        self,
        deal_id: UUID,
        commands: Sequence[Command],
        expected_version: int | None = None,
        also_save: AlsoSave = (),
    ) -> Recorded:
        job = RecordJob(deal_id, with_claim(also_save), commands=commands, expected_version=expected_version)
        return await self._submit(job)

    async def _submit(self, job: Job) -> Recorded:
        if self.group_commit:
            return await self.writer.submit_async(job)
        return await anyio.to_thread.run_sync(self._save_alone, job)

    @staticmethod
    def _open_job(opening: OpenDeal, commands: Sequence[Command], also_save: AlsoSave) -> OpenJob:
        # with the request's Idempotency-Key, if any
        return OpenJob(opening.deal_id, with_claim(also_save), opening=opening, commands=commands)

    def _save_alone(self, job: Job) -> Recorded:
        """The naive write path (DEALS_WRITE_MODE=naive): read the deal, decide, save; one transaction per command."""
        expected = job.expected_version if isinstance(job, RecordJob) else None
        attempts = 1 if expected is not None or isinstance(job, OpenJob) else self.settings.write_retries
        for _ in range(attempts):
            deal = job.opened() if isinstance(job, OpenJob) else self.get_deal(job.deal_id)
            if expected is not None and deal.version != expected:
                raise StaleVersion(expected, deal.version)
            if isinstance(job, RecordJob):
                for command in job.commands:
                    deal.handle(command)
            try:
                recordings = self.save(deal, *job.extras(deal))
            except IntegrityError:
                if isinstance(job, OpenJob):
                    if job.deal_id in self.repository:
                        raise DealExists(f"a deal with the id {job.deal_id} already exists",
                                         deal_id=str(job.deal_id)) from None
                    raise
                if expected is not None:
                    raise StaleVersion(expected, self.get_deal(job.deal_id).version) from None
                continue
            mine = [r for r in recordings if r.domain_event.originator_id == deal.id]
            return Recorded(deal.id, deal.version, mine, deal if isinstance(job, OpenJob) else None)
        raise WriteConflict(
            f"the deal kept changing under this write ({attempts} attempts); try again", deal_id=str(job.deal_id)
        )

    # ---- queries ---------------------------------------------------------------------------------

    def get_deal(self, deal_id: UUID, version: int | None = None) -> Deal:
        try:
            return self.repository.get(deal_id, version=version)
        except AggregateNotFoundError:
            raise DealNotFound(deal_id) from None

    def deal_events(self, deal_id: UUID, after_version: int = 0, limit: int | None = None) -> list[DealEvent]:
        events = list(self.events.get(deal_id, gt=after_version or None, limit=limit))
        if not events and after_version == 0:
            raise DealNotFound(deal_id)
        return events  # type: ignore[return-value]  # the log's events are DealEvents; the library types them as a protocol
