"""The deal list projection: every deal's status, ball, parties and counts, kept current from the event log.

`DealListProjection` handles one event at a time for the library's ProjectionRunner and hands each row over to be
written with its position (projections/hand_off.py: what accumulates while a transaction commits goes in the
next). `DealListWorker` is the background component: under the projection's exclusive lock it first catches up in
bulk (deal_list_batch), then follows the log with the runner; if the runner fails, or falls far behind the writers,
it is restarted, which catches up in bulk again. An event that fails every time is reported to
service/projections/faults.py; the deals an operator chose to leave out (rebuild --skip-position) are passed over.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment

from domain import DealEvent
from domain.events import DealOpened, PartyJoined, RoleAssigned, RoleRevoked
from service.application import DealsApplication
from service.projections.deal_list_batch import catch_up
from service.projections.deal_list_postgres import PostgresDealListView
from service.projections.deal_list_sqlite import SQLiteDealListView
from service.projections.deal_list_view import DealListView
from service.projections.deal_state import DealRow, followed
from service.projections.exclusive import Exclusive, lock_for
from service.projections.faults import FAULTS, PoisonedEvent
from service.projections.hand_off import HandOff
from service.projections.runner import projection_env, start_projection
from service.settings import Settings
from service.write.deal_states import Following

log = logging.getLogger(__name__)
NAME = "deal_list"


class DealListProjection(Projection[DealListView]):
    name = NAME

    def __init__(self, view: DealListView) -> None:
        super().__init__(view)
        self.deals = Following()  # given the runner's application once it has one (`follow`)
        self.skipped: set[UUID] = set()
        # Each event's row is handed over; what accumulates while a transaction commits goes in the next one.
        self.hand_off: HandOff[tuple[DealRow, bool]] = HandOff(self._write, NAME)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Not a deal's event (another aggregate sharing the log): only the position moves on."""
        self.hand_off.add(tracking, None)

    @process_event.register
    def _opened(self, event: DealOpened, tracking: Tracking) -> None:
        self._project(event, tracking, parties_changed=True)

    @process_event.register
    def _membership(self, event: PartyJoined | RoleAssigned | RoleRevoked, tracking: Tracking) -> None:
        self._project(event, tracking, parties_changed=True)

    @process_event.register
    def _deal_event(self, event: DealEvent, tracking: Tracking) -> None:
        """Any other event of a deal: its status, ball, counts, version and time may all move."""
        self._project(event, tracking, parties_changed=False)

    def _project(self, event: DealEvent, tracking: Tracking, parties_changed: bool) -> None:
        if event.originator_id in self.skipped:
            self.hand_off.add(tracking, None)
            return
        position = tracking.notification_id
        self.hand_off.add(tracking, (followed(self.deals.after(event), event, position).row(position), parties_changed))

    def _write(self, tracking: Tracking, handed: list[tuple[DealRow, bool]]) -> None:
        """The rows handed over, each deal's last (with its opening, if an earlier one had it), and the position."""
        rows: dict[UUID, DealRow] = {}
        parties_of: set[UUID] = set()
        for row, parties_changed in handed:
            before = rows.get(row.deal_id)
            if before is not None and before.opened_at is not None:
                row = replace(row, opened_at=before.opened_at, opened_position=before.opened_position)
            rows[row.deal_id] = row
            if parties_changed:
                parties_of.add(row.deal_id)
        self.view.write(tracking, list(rows.values()), parties_of)

    def follow(self, app: DealsApplication) -> None:
        self.deals.attach(app)


def view_class(settings: Settings) -> type[DealListView]:
    return PostgresDealListView if settings.is_postgres else SQLiteDealListView


def open_view(settings: Settings) -> DealListView:
    """The view on its own connections, for queries, catch-up and rebuilds outside the runner."""
    env = Environment(NAME, projection_env(settings, NAME))
    return InfrastructureFactory.construct(env).tracking_recorder(view_class(settings))  # type: ignore[return-value]  # the factory returns an instance of the class it is given


def close_view(view: DealListView) -> None:
    view.datastore.close()  # type: ignore[attr-defined]  # the backend's recorder has a datastore; the library's base type does not


class RunningProjection:
    """A started ProjectionRunner, as the work `Exclusive` watches.

    The runner writes a transaction per event. When writers outpace it by more than FAR_BEHIND events, it asks to
    be restarted, and the restart catches up in bulk (a page per transaction) before following the log again."""

    FAR_BEHIND = 2_000

    def __init__(self, runner: ProjectionRunner[DealsApplication, DealListView]) -> None:
        self.runner = runner
        self.projection = cast(DealListProjection, runner.projection)  # the library types it as its base class

    def failed(self) -> bool:
        return self.runner.is_interrupted.is_set() or self.projection.hand_off.error is not None

    def wants_restart(self) -> bool:
        """Far behind the log: a restart catches up in bulk (the designed path, not a failure)."""
        app = self.runner.app
        behind = (app.recorder.max_notification_id() or 0) - (self.runner.view.max_tracking_id(app.name) or 0)
        if behind > self.FAR_BEHIND:
            log.info("the deal list is %s events behind the log: catching up in bulk", behind)
            return True
        return False

    def stop(self) -> None:
        try:
            self.runner.__exit__(None, None, None)  # closes the runner's application, not its view
        finally:
            try:
                self.projection.hand_off.close()  # what was handed over is written first
            finally:
                close_view(self.runner.view)


class DealListWorker:
    """Keeps the deal list current in exactly one process (see exclusive.py)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.exclusive = Exclusive(lock_for(settings, NAME), self._start, NAME)

    def _start(self) -> RunningProjection:
        app = DealsApplication(settings=self.settings)
        view = open_view(self.settings)
        try:
            position = catch_up(app, view, Following().attach(app), stop=self.exclusive.stopping)
            log.info("deal list caught up to position %s", position)
            skipped = view.skipped_deals()
        except PoisonedEvent as poisoned:
            FAULTS.failed(poisoned)
            raise
        finally:
            close_view(view)
            app.close()
        FAULTS.cleared(NAME, position)
        runner = start_projection(self.settings, DealListProjection, view_class(self.settings))
        runner.__enter__()
        projection = cast(DealListProjection, runner.projection)  # the library types it as its base class
        projection.skipped = skipped
        projection.follow(runner.app)
        return RunningProjection(runner)

    def start(self) -> None:
        self.exclusive.start()

    def stop(self) -> None:
        self.exclusive.stop()
