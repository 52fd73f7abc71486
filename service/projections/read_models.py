"""The API's access to the read models: the deal list view on its own connections, and read-your-writes waits."""

from __future__ import annotations

import threading
import time

from domain.errors import DomainError, InvalidValue
from service.application import DealsApplication
from service.projections.deal_list import NAME, close_view, open_view
from service.projections.deal_list_view import DealListView
from service.settings import Settings


class ProjectionBehind(DomainError):
    """Raised when a read asks for a position the read model has not reached within the bounded wait."""

    code = "projection_behind"

    def __init__(self, projection: str, wanted: int, reached: int, waited: float) -> None:
        super().__init__(
            f"the {projection} read model is at position {reached}, not yet at {wanted}, after waiting {waited:g} s;"
            " try again shortly",
            projection=projection,
            min_position=wanted,
            position=reached,
        )
        self.headers = {"Retry-After": "1"}


class ReadModels:
    """Opened on first use (a process that never lists deals opens no connections for it); closed with the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._deal_list: DealListView | None = None

    @property
    def deal_list(self) -> DealListView:
        with self._lock:
            if self._deal_list is None:
                self._deal_list = open_view(self.settings)
            return self._deal_list

    def position(self, app: DealsApplication) -> int:
        return self.deal_list.max_tracking_id(app.name) or 0

    def wait_for(self, app: DealsApplication, min_position: int | None) -> int:
        """Block until the deal list has processed `min_position` (bounded); the position it is at."""
        reached = self.position(app)
        if min_position is None or reached >= min_position:
            return reached
        head = app.recorder.max_notification_id() or 0
        if min_position > head:
            raise InvalidValue("min_position", f"is beyond the last position written ({head})")
        timeout = self.settings.read_wait_timeout
        deadline = time.monotonic() + timeout
        pause = 0.005
        while reached < min_position:
            if time.monotonic() >= deadline:
                raise ProjectionBehind(NAME, min_position, reached, timeout)
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
            reached = self.position(app)
        return reached

    def close(self) -> None:
        with self._lock:
            if self._deal_list is not None:
                close_view(self._deal_list)
                self._deal_list = None
