"""What the writer needs of the deals application, and no more: the application is above the writer, which is handed
one (service/application.py's DealsApplication) and sees it through this protocol."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import EventStore, Mapper, Recording

from domain import Deal, DealEvent
from service.settings import Settings
from service.write.deal_states import DealStates


class DealStore(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def recorder(self) -> Any: ...  # the backend's application recorder (storage/environment.py)

    @property
    def mapper(self) -> Mapper[UUID]: ...

    @property
    def deal_states(self) -> DealStates: ...  # the process's deals of this database, shared with the followers

    @property
    def snapshots(self) -> EventStore[UUID] | None: ...

    @property
    def snapshotting_intervals(self) -> Any: ...

    @property
    def snapshot_class(self) -> Any: ...

    def get_deal(self, deal_id: UUID, version: int | None = None) -> Deal: ...

    def domain_event(self, stored: Any) -> DealEvent: ...

    def save(self, *objs: MutableOrImmutableAggregate[UUID] | Any, **kwargs: Any) -> list[Recording[UUID]]: ...
