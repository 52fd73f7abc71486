"""The deals application: opens deals and records what happens to them, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording

from domain import Deal, DealEvent, DomainError
from domain.values import Party, Source
from service.settings import Settings, get_settings
from service.transcodings import register_domain_transcodings

Command = Callable[[Deal], None]


class DealNotFound(DomainError):
    """Raised when no deal has the given id."""

    code = "deal_not_found"

    def __init__(self, deal_id: UUID) -> None:
        super().__init__(f"no deal has the id {deal_id}", deal_id=str(deal_id))


class StaleVersion(DomainError):
    """Raised when a writer's If-Match names a version that is no longer the deal's current one."""

    code = "stale_version"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"the deal is at version {current}, not {expected}; re-read it and decide again",
            expected_version=expected,
            current_version=current,
        )
        self.current = current


class WriteConflict(DomainError):
    """Raised when a write kept losing the race against concurrent writers to the same deal."""

    code = "write_conflict"


class DealExists(DomainError):
    """Raised when a deal is opened with an id that is already taken."""

    code = "deal_exists"


@dataclass(frozen=True)
class Recorded:
    """What a write stored: the deal's new version and the events with their global positions."""

    deal_id: UUID
    version: int
    recordings: Sequence[Recording[UUID]]

    @property
    def position(self) -> int | None:
        return self.recordings[-1].notification.id if self.recordings else None


class DealsApplication(Application[UUID]):
    name = "Deals"
    snapshotting_intervals = {Deal: 100}  # noqa: RUF012 - the library reads this class attribute

    def __init__(self, env: Mapping[str, str] | None = None, settings: Settings | None = None) -> None:
        # `env` first and positional: projection runners construct the application as `DealsApplication(env)`.
        self.settings = settings or get_settings()
        super().__init__(env={**self.settings.eventsourcing_env(), **(env or {})})
        self.snapshotting_intervals = {Deal: self.settings.snapshot_interval}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ---- commands --------------------------------------------------------------------------------

    def open_deal(
        self,
        deal_id: UUID,
        title: str,
        occurred_at: datetime,
        parties: Sequence[Party] = (),
        follow_up: Sequence[Command] = (),
        **details: Any,
    ) -> Recorded:
        """Open a deal with its parties (and any events that go with the opening) in one transaction."""
        deal = Deal.open(deal_id, title, occurred_at, **details)
        sources: tuple[Source, ...] = details.get("sources", ())
        for party in parties:
            deal.join(party, occurred_at, sources)
        for command in follow_up:
            command(deal)
        try:
            return Recorded(deal.id, deal.version, self.save(deal))
        except IntegrityError:
            raise DealExists(f"a deal with the id {deal_id} already exists", deal_id=str(deal_id)) from None

    def record(self, deal_id: UUID, commands: Sequence[Command], expected_version: int | None = None) -> Recorded:
        """Apply the commands to the deal and store their events atomically: all of them or none.

        With an expected version (If-Match) a concurrent change is reported; without one, the commands are
        decided again on the fresh state, so no accepted write is ever lost.
        """
        attempts = 1 if expected_version is not None else self.settings.write_retries
        for attempt in range(1, attempts + 1):
            deal = self.get_deal(deal_id)
            if expected_version is not None and deal.version != expected_version:
                raise StaleVersion(expected_version, deal.version)
            for command in commands:
                command(deal)
            try:
                return Recorded(deal.id, deal.version, self.save(deal))
            except IntegrityError:
                if expected_version is not None:
                    raise StaleVersion(expected_version, self.get_deal(deal_id).version) from None
                if attempt == attempts:
                    break
        raise WriteConflict(
            f"the deal kept changing under this write ({attempts} attempts); try again", deal_id=str(deal_id)
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
        return events  # type: ignore[return-value]
