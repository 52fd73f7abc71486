"""Webhook endpoints and their notices: plain rows (not events), never removed (a delete marks them)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from service.webhooks.records import Endpoint, Notice
from service.webhooks.sql import SqlStore, as_uuid

ENDPOINT_COLUMNS = (
    "id, url, description, event_types, deal_ids, secret, previous_secret, previous_secret_expires_at, enabled, "
    "disabled_reason, disabled_at, failing_since, after_position, created_at, updated_at"
)
UPDATABLE = frozenset(ENDPOINT_COLUMNS.replace(" ", "").split(",")) - {"id", "created_at", "after_position"} | {
    "deleted_at"}


class EndpointRows(SqlStore):
    def add_endpoint(self, endpoint: Endpoint) -> None:
        with self._transaction(commit=True) as cur:
            self._exec(cur, f"INSERT INTO {{endpoints}} ({ENDPOINT_COLUMNS}) VALUES "
                            f"({', '.join(':' + c.strip() for c in ENDPOINT_COLUMNS.split(','))})",
                       **{**vars(endpoint), "event_types": json.dumps(endpoint.event_types),
                          "deal_ids": None if endpoint.deal_ids is None else json.dumps(endpoint.deal_ids),
                          "secret": self.sealer.seal(endpoint.secret),
                          "previous_secret": self.sealer.seal(endpoint.previous_secret)})

    def endpoint(self, endpoint_id: UUID) -> Endpoint | None:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, f"SELECT {ENDPOINT_COLUMNS} FROM {{endpoints}} "
                                    "WHERE id = :id AND deleted_at IS NULL", id=endpoint_id)
        return self._endpoint_of(rows[0]) if rows else None

    def endpoints(self) -> list[Endpoint]:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, f"SELECT {ENDPOINT_COLUMNS} FROM {{endpoints}} WHERE deleted_at IS NULL "
                                    "ORDER BY created_at, id")
        return [self._endpoint_of(r) for r in rows]

    def update_endpoint(self, endpoint_id: UUID, now: datetime, **changes: Any) -> Endpoint | None:
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        for key in ("event_types", "deal_ids"):
            if key in changes and changes[key] is not None:
                changes[key] = json.dumps(changes[key])
        for key in ("secret", "previous_secret"):
            if key in changes:
                changes[key] = self.sealer.seal(changes[key])
        sets = ", ".join(f"{k} = :{k}" for k in [*changes, "updated_at"])
        with self._transaction(commit=True) as cur:
            self._exec(cur, f"UPDATE {{endpoints}} SET {sets} WHERE id = :id AND deleted_at IS NULL",
                       id=endpoint_id, **changes, updated_at=now)
            if changes.get("enabled"):
                self._notify(cur)
        return None if "deleted_at" in changes else self.endpoint(endpoint_id)

    def seal_plain_secrets(self) -> int:
        """With a cipher: seal the secrets stored before it was set (each row changed only if still as read, so
        processes starting together do it once); the number of endpoints sealed."""
        if self.sealer.cipher is None:
            return 0
        sealed = 0
        with self._transaction(commit=True) as cur:
            rows = self._query(cur, "SELECT id, secret, previous_secret FROM {endpoints}")
            for row in rows:
                plain = [c for c in ("secret", "previous_secret") if row[c] is not None and not self.sealer.is_sealed(
                    row[c])]
                if not plain:
                    continue
                sets = ", ".join(f"{c} = :new_{c}" for c in plain)
                same = " AND ".join(f"{c} = :old_{c}" for c in plain)
                self._exec(cur, f"UPDATE {{endpoints}} SET {sets} WHERE id = :id AND {same}", id=row["id"],
                           **{f"new_{c}": self.sealer.seal(row[c]) for c in plain},
                           **{f"old_{c}": row[c] for c in plain})
                sealed += 1
        return sealed

    def _endpoint_of(self, row: dict[str, Any]) -> Endpoint:
        opened = self.sealer.open
        return endpoint_of({**row, "secret": opened(row["secret"]), "previous_secret": opened(row["previous_secret"])})

    def notices(self, endpoint_id: UUID, limit: int = 20) -> list[Notice]:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, "SELECT type, created_at, reason FROM {notices} WHERE endpoint_id = :id "
                                    "ORDER BY id DESC LIMIT :limit", id=endpoint_id, limit=limit)
        return [Notice(**r) for r in rows]

    def _disable(self, cur: Any, endpoint_id: UUID, now: datetime, reason: str) -> None:
        """Disable the endpoint (if enabled) and leave a `webhook.endpoint_disabled` notice saying why."""
        changed = self._query(cur, "UPDATE {endpoints} SET enabled = :off, disabled_reason = :reason, "
                                   "disabled_at = :now, updated_at = :now WHERE id = :id AND enabled RETURNING id",
                              off=False, reason=reason, now=now, id=endpoint_id)
        if changed:
            self._exec(cur, "INSERT INTO {notices} (endpoint_id, type, created_at, reason) "
                            "VALUES (:id, 'webhook.endpoint_disabled', :now, :reason)",
                       id=endpoint_id, now=now, reason=reason)


def endpoint_of(row: dict[str, Any]) -> Endpoint:
    deal_ids = row["deal_ids"]
    return Endpoint(**{**row, "id": as_uuid(row["id"]), "event_types": json.loads(row["event_types"]),
                       "deal_ids": None if deal_ids is None else json.loads(deal_ids), "enabled": bool(row["enabled"])})
