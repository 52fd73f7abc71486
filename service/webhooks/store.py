"""The webhook tables (endpoints, messages, deliveries, attempts, notices) behind one interface, written in SQL
both SQLite and PostgreSQL run; store_sqlite.py and store_postgres.py add the tables, the claim and the wake-up.

The store is also the outbox projection's view: `enqueue` writes a message, one delivery per matching endpoint and
the tracking position in one transaction, so an event is handed over exactly once whatever crashes.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder

from service.webhooks import filters, wakeups
from service.webhooks.records import (
    Attempt,
    Claimed,
    Delivery,
    Endpoint,
    Message,
    Notice,
    Outcome,
    Recovered,
)

TABLES = ("endpoints", "messages", "deliveries", "attempts", "notices")
ENDPOINT_COLUMNS = (
    "id, url, description, event_types, deal_ids, secret, previous_secret, previous_secret_expires_at, enabled, "
    "disabled_reason, disabled_at, failing_since, after_position, created_at, updated_at"
)
UPDATABLE = frozenset(ENDPOINT_COLUMNS.replace(" ", "").split(",")) - {"id", "created_at", "after_position"} | {
    "deleted_at"}
# Pending and not held back by an earlier pending delivery of the same deal to the same endpoint.
DUE = """
    FROM {deliveries} d JOIN {endpoints} e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= :now
      AND (d.lease_until IS NULL OR d.lease_until <= :now)
      AND e.enabled AND e.deleted_at IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM {deliveries} p
        WHERE p.endpoint_id = d.endpoint_id AND p.deal_id = d.deal_id AND p.status = 'pending'
          AND (p.position < d.position OR (p.position = d.position AND p.id < d.id)))
    ORDER BY d.next_attempt_at, d.id
    LIMIT :limit
"""
DELIVERY_COLUMNS = (
    "d.id, d.endpoint_id, d.message_id, m.type, m.deal_id, m.version, d.position, d.origin, d.status, d.attempts, "
    "d.next_attempt_at, d.created_at, d.finished_at"
)
DELIVERY_FROM = "{deliveries} d JOIN {messages} m ON m.id = d.message_id"


class WebhookStore(TrackingRecorder, ABC):
    """Webhook endpoints and their deliveries, with the outbox's tracking position."""

    time_columns = frozenset({
        "previous_secret_expires_at", "disabled_at", "failing_since", "created_at", "updated_at", "deleted_at",
        "recorded_at", "next_attempt_at", "lease_until", "finished_at", "attempted_at",
    })

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_wake = threading.local()

    def subscribe(self) -> threading.Event:
        """An event set whenever this process queues or finishes deliveries on this database."""
        return wakeups.subscribe(self.wake_key())

    def unsubscribe(self, event: threading.Event) -> None:
        wakeups.unsubscribe(self.wake_key(), event)

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[Any]:
        self._pending_wake.value = False
        with self.datastore.transaction(commit=commit) as cur:  # type: ignore[attr-defined]
            yield cur
        if self._pending_wake.value:
            wakeups.wake(self.wake_key())

    def _notify(self, cur: Any) -> None:
        self._pending_wake.value = True
        self._notify_processes(cur)

    # ---- what each database does its own way --------------------------------------------------------

    @abstractmethod
    def table(self, name: str) -> str: ...

    @abstractmethod
    def wake_key(self) -> str:
        """Names the database, so that senders in this process on the same one are woken by its writes."""

    @abstractmethod
    def _claim_ids(self, cur: Any, now: datetime, lease_until: datetime, limit: int) -> list[int]: ...

    @abstractmethod
    def _notify_processes(self, cur: Any) -> None:
        """Wake the senders of other processes once the transaction commits."""

    @abstractmethod
    def _param(self, value: Any) -> Any: ...

    @abstractmethod
    def _value(self, column: str, value: Any) -> Any: ...

    @abstractmethod
    def _rowcount(self, cur: Any) -> int: ...

    @abstractmethod
    def _placeholders(self, sql: str) -> str: ...

    # ---- SQL helpers ------------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return self._placeholders(sql.format(**{t: self.table(t) for t in TABLES}))

    def _exec(self, cur: Any, sql: str, **params: Any) -> None:
        cur.execute(self._sql(sql), {k: self._param(v) for k, v in params.items()})

    def _query(self, cur: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
        self._exec(cur, sql, **params)
        return [{k: self._value(k, row[k]) for k in row.keys()} for row in cur.fetchall()]  # noqa: SIM118

    def _many(self, cur: Any, sql: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            cur.executemany(self._sql(sql), [{k: self._param(v) for k, v in r.items()} for r in rows])

    @staticmethod
    def _in(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
        params = {f"{name}{i}": v for i, v in enumerate(values)}
        return "(" + ", ".join(f":{k}" for k in params) + ")", params

    # ---- the outbox ---------------------------------------------------------------------------------------

    def enqueue(self, tracking: Tracking, message: Message) -> int:
        """Record the message and one delivery per endpoint that wants it, with the tracking position, atomically."""
        with self._transaction(commit=True) as cur:
            self._insert_tracking(cur, tracking)
            self._insert_message(cur, message)
            endpoints = self._query(cur, "SELECT id, event_types, deal_ids FROM {endpoints} "
                                         "WHERE deleted_at IS NULL AND after_position < :position",
                                    position=message.position)
            targets = [
                e["id"] for e in endpoints
                if filters.matches(json.loads(e["event_types"]), _json_or_none(e["deal_ids"]), message.type,
                                   str(message.deal_id))
            ]
            self._insert_deliveries(cur, targets, message, "event", message.recorded_at)
            if targets:
                self._notify(cur)
            return len(targets)

    def _insert_message(self, cur: Any, message: Message) -> None:
        self._exec(cur, "INSERT INTO {messages} (id, position, deal_id, version, type, recorded_at, body) "
                       "VALUES (:id, :position, :deal_id, :version, :type, :recorded_at, :body)",
                  id=message.id, position=message.position, deal_id=message.deal_id, version=message.version,
                  type=message.type, recorded_at=message.recorded_at, body=message.body)

    def _insert_deliveries(self, cur: Any, endpoint_ids: Sequence[UUID], message: Message, origin: str,
                           now: datetime) -> None:
        self._many(cur, "INSERT INTO {deliveries} (endpoint_id, message_id, position, deal_id, origin, status, "
                        "attempts, next_attempt_at, created_at) VALUES (:endpoint_id, :message_id, :position, "
                        ":deal_id, :origin, 'pending', 0, :now, :now)",
                   [{"endpoint_id": e, "message_id": message.id, "position": message.position,
                     "deal_id": message.deal_id, "origin": origin, "now": now} for e in endpoint_ids])

    # ---- endpoints --------------------------------------------------------------------------------------

    def add_endpoint(self, endpoint: Endpoint) -> None:
        with self._transaction(commit=True) as cur:
            self._exec(cur, f"INSERT INTO {{endpoints}} ({ENDPOINT_COLUMNS}) VALUES "
                           f"({', '.join(':' + c.strip() for c in ENDPOINT_COLUMNS.split(','))})",
                      **{**vars(endpoint), "event_types": json.dumps(endpoint.event_types),
                         "deal_ids": None if endpoint.deal_ids is None else json.dumps(endpoint.deal_ids)})

    def endpoint(self, endpoint_id: UUID) -> Endpoint | None:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, f"SELECT {ENDPOINT_COLUMNS} FROM {{endpoints}} "
                                    "WHERE id = :id AND deleted_at IS NULL", id=endpoint_id)
        return _endpoint(rows[0]) if rows else None

    def endpoints(self) -> list[Endpoint]:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, f"SELECT {ENDPOINT_COLUMNS} FROM {{endpoints}} WHERE deleted_at IS NULL "
                                  "ORDER BY created_at, id")
        return [_endpoint(r) for r in rows]

    def update_endpoint(self, endpoint_id: UUID, now: datetime, **changes: Any) -> Endpoint | None:
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        for key in ("event_types", "deal_ids"):
            if key in changes and changes[key] is not None:
                changes[key] = json.dumps(changes[key])
        sets = ", ".join(f"{k} = :{k}" for k in [*changes, "updated_at"])
        with self._transaction(commit=True) as cur:
            self._exec(cur, f"UPDATE {{endpoints}} SET {sets} WHERE id = :id AND deleted_at IS NULL",
                      id=endpoint_id, **changes, updated_at=now)
            if changes.get("enabled"):
                self._notify(cur)
        return None if "deleted_at" in changes else self.endpoint(endpoint_id)

    def notices(self, endpoint_id: UUID, limit: int = 20) -> list[Notice]:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, "SELECT type, created_at, reason FROM {notices} WHERE endpoint_id = :id "
                                  "ORDER BY id DESC LIMIT :limit", id=endpoint_id, limit=limit)
        return [Notice(**r) for r in rows]

    # ---- sending ----------------------------------------------------------------------------------------

    def claim(self, now: datetime, lease: float, limit: int) -> list[Claimed]:
        """Lease up to `limit` due deliveries to the caller; nobody else takes them before the lease runs out."""
        lease_until = now + timedelta(seconds=lease)
        with self._transaction(commit=True) as cur:
            ids = self._claim_ids(cur, now, lease_until, limit)
            if not ids:
                return []
            placeholders, params = self._in("d", ids)
            rows = self._query(cur, "SELECT d.id, d.endpoint_id, d.attempts, d.message_id, m.body, e.url, e.secret, "
                                  "e.previous_secret, e.previous_secret_expires_at FROM {deliveries} d "
                                  "JOIN {messages} m ON m.id = d.message_id JOIN {endpoints} e ON e.id = d.endpoint_id "
                                  f"WHERE d.id IN {placeholders} ORDER BY d.next_attempt_at, d.id", **params)
        claimed = []
        for r in rows:
            secrets = [r["secret"]]
            if r["previous_secret"] and r["previous_secret_expires_at"] and r["previous_secret_expires_at"] > now:
                secrets.append(r["previous_secret"])
            claimed.append(Claimed(r["id"], _uuid(r["endpoint_id"]), r["url"], secrets, _uuid(r["message_id"]),
                                   r["body"], r["attempts"], lease_until))
        return claimed

    def release(self, claimed: Sequence[Claimed]) -> None:
        """Give back the leases of deliveries that were not attempted (the sender stopped), so they go out at once."""
        with self._transaction(commit=True) as cur:
            self._many(cur, "UPDATE {deliveries} SET lease_until = NULL WHERE id = :id AND lease_until = :lease_until",
                       [{"id": c.delivery_id, "lease_until": c.lease_until} for c in claimed])
            self._notify(cur)

    def record(self, outcomes: Sequence[Outcome], now: datetime, disable_after: float) -> None:
        """Store what the attempts gave: delivery states, the attempt log, and each endpoint's health."""
        with self._transaction(commit=True) as cur:
            self._many(cur, "UPDATE {deliveries} SET status = :status, attempts = attempts + 1, "
                            "next_attempt_at = :next_attempt_at, lease_until = NULL, finished_at = :finished_at "
                            "WHERE id = :id AND lease_until = :lease_until",
                       [_delivery_update(o) for o in outcomes])
            self._many(cur, "INSERT INTO {attempts} (delivery_id, attempted_at, status_code, latency_ms, "
                            "response_body, error) VALUES (:delivery_id, :attempted_at, :status_code, :latency_ms, "
                            ":response_body, :error)",
                       [{"delivery_id": o.delivery_id, "attempted_at": o.attempted_at, "status_code": o.status_code,
                         "latency_ms": o.latency_ms, "response_body": o.response_body, "error": o.error}
                        for o in outcomes])
            by_endpoint: dict[UUID, list[Outcome]] = {}
            for o in sorted(outcomes, key=lambda o: o.attempted_at):
                by_endpoint.setdefault(o.endpoint_id, []).append(o)
            for endpoint_id, results in by_endpoint.items():
                self._update_health(cur, endpoint_id, results, now, disable_after)
            if any(o.succeeded or o.next_attempt_at is None for o in outcomes):
                self._notify(cur)

    def _update_health(self, cur: Any, endpoint_id: UUID, results: list[Outcome], now: datetime,
                       disable_after: float) -> None:
        last_success = max((i for i, o in enumerate(results) if o.succeeded), default=None)
        failures = [o for o in results[(last_success + 1 if last_success is not None else 0):] if not o.succeeded]
        if last_success is not None:
            first_failure = failures[0].attempted_at if failures else None
            self._exec(cur, "UPDATE {endpoints} SET failing_since = :t WHERE id = :id", id=endpoint_id, t=first_failure)
        elif failures:
            self._exec(cur, "UPDATE {endpoints} SET failing_since = :t WHERE id = :id AND failing_since IS NULL",
                      id=endpoint_id, t=failures[0].attempted_at)
        if any(o.gone for o in failures):
            self._disable(cur, endpoint_id, now, "the endpoint answered 410 Gone")
        elif failures:
            row = self._query(cur, "SELECT failing_since FROM {endpoints} WHERE id = :id", id=endpoint_id)
            since = row[0]["failing_since"] if row else None
            if since is not None and (now - since).total_seconds() >= disable_after:
                self._disable(cur, endpoint_id, now, f"every attempt has failed since {since.isoformat()}")

    def _disable(self, cur: Any, endpoint_id: UUID, now: datetime, reason: str) -> None:
        changed = self._query(cur, "UPDATE {endpoints} SET enabled = :off, disabled_reason = :reason, "
                                   "disabled_at = :now, updated_at = :now WHERE id = :id AND enabled RETURNING id",
                              off=False, reason=reason, now=now, id=endpoint_id)
        if changed:
            self._exec(cur, "INSERT INTO {notices} (endpoint_id, type, created_at, reason) "
                           "VALUES (:id, 'webhook.endpoint_disabled', :now, :reason)",
                      id=endpoint_id, now=now, reason=reason)

    # ---- the delivery log and recovery ------------------------------------------------------------------

    def deliveries(self, endpoint_id: UUID, limit: int, before_id: int | None = None,
                   status: str | None = None) -> list[Delivery]:
        conditions = "d.endpoint_id = :eid" + (" AND d.id < :before" if before_id else "") + (
            " AND d.status = :status" if status else "")
        with self._transaction(commit=False) as cur:
            params = {"eid": endpoint_id, "limit": limit, "before": before_id, "status": status}
            rows = self._query(cur, f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} WHERE {conditions} "
                                    "ORDER BY d.id DESC LIMIT :limit",
                               **{k: v for k, v in params.items() if v is not None})
            return self._with_attempts(cur, rows)

    def delivery(self, endpoint_id: UUID, delivery_id: int) -> Delivery | None:
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, f"SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_FROM} "
                                  "WHERE d.id = :id AND d.endpoint_id = :eid", id=delivery_id, eid=endpoint_id)
            found = self._with_attempts(cur, rows)
        return found[0] if found else None

    def _with_attempts(self, cur: Any, rows: list[dict[str, Any]]) -> list[Delivery]:
        if not rows:
            return []
        placeholders, params = self._in("d", [r["id"] for r in rows])
        attempts: dict[int, list[Attempt]] = {}
        for a in self._query(cur, "SELECT delivery_id, attempted_at, status_code, latency_ms, response_body, error "
                                f"FROM {{attempts}} WHERE delivery_id IN {placeholders} ORDER BY id", **params):
            attempts.setdefault(a.pop("delivery_id"), []).append(Attempt(**a))
        return [_delivery(r, attempts.get(r["id"], [])) for r in rows]

    def retry(self, endpoint_id: UUID, delivery_id: int, now: datetime) -> Delivery | None:
        """Send the delivery again now (unless an attempt is in flight), whatever state it was in."""
        with self._transaction(commit=True) as cur:
            self._exec(cur, "UPDATE {deliveries} SET status = 'pending', next_attempt_at = :now, finished_at = NULL "
                           "WHERE id = :id AND endpoint_id = :eid AND (lease_until IS NULL OR lease_until <= :now)",
                      now=now, id=delivery_id, eid=endpoint_id)
            self._notify(cur)
        return self.delivery(endpoint_id, delivery_id)

    def send_test(self, endpoint_id: UUID, message: Message) -> int:
        with self._transaction(commit=True) as cur:
            self._insert_message(cur, message)
            self._insert_deliveries(cur, [endpoint_id], message, "test", message.recorded_at)
            self._notify(cur)
            rows = self._query(cur, "SELECT id FROM {deliveries} WHERE message_id = :m", m=message.id)
        return rows[0]["id"]

    def recover(self, endpoint_id: UUID, from_position: int, until_position: int | None,
                types: list[str] | None, deal_ids: list[str] | None, now: datetime) -> Recovered:
        """Queue every recorded deal event from the position on (up to `until_position`) that the filters select."""
        conditions, params = "m.position >= :start", {"start": from_position}
        if until_position is not None:
            conditions += " AND m.position <= :until"
            params["until"] = until_position
        for column, values in (("type", types), ("deal_id", deal_ids)):
            if values is not None:
                placeholders, extra = self._in(column, [UUID(v) if column == "deal_id" else v for v in values])
                conditions += f" AND m.{column} IN {placeholders}"
                params.update(extra)
        with self._transaction(commit=True) as cur:
            cur.execute(self._sql(
                "INSERT INTO {deliveries} (endpoint_id, message_id, position, deal_id, origin, status, attempts, "
                "next_attempt_at, created_at) SELECT :eid, m.id, m.position, m.deal_id, 'recover', 'pending', 0, :now, "
                f":now FROM {{messages}} m WHERE {conditions}"),
                {k: self._param(v) for k, v in {**params, "eid": endpoint_id, "now": now}.items()})
            queued = self._rowcount(cur)
            span = self._query(cur, f"SELECT MIN(m.position) AS first, MAX(m.position) AS last FROM {{messages}} m "
                                  f"WHERE {conditions}", **params)
            self._notify(cur)
        return Recovered(queued, span[0]["first"], span[0]["last"])

    def position_since(self, since: datetime) -> int | None:
        """The position of the first event recorded at or after the time."""
        with self._transaction(commit=False) as cur:
            rows = self._query(cur, "SELECT MIN(position) AS p FROM {messages} WHERE recorded_at >= :t "
                                  "AND position IS NOT NULL", t=since)
        return rows[0]["p"] if rows else None


def _json_or_none(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _endpoint(row: dict[str, Any]) -> Endpoint:
    return Endpoint(**{**row, "id": _uuid(row["id"]), "event_types": json.loads(row["event_types"]),
                       "deal_ids": _json_or_none(row["deal_ids"]), "enabled": bool(row["enabled"])})


def _delivery(row: dict[str, Any], attempts: list[Attempt]) -> Delivery:
    return Delivery(
        id=row["id"], endpoint_id=_uuid(row["endpoint_id"]), message_id=_uuid(row["message_id"]), type=row["type"],
        deal_id=None if row["deal_id"] is None else _uuid(row["deal_id"]), version=row["version"],
        position=row["position"], origin=row["origin"], status=row["status"], attempts_made=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        created_at=row["created_at"], finished_at=row["finished_at"], attempts=attempts,
    )


def _delivery_update(o: Outcome) -> dict[str, Any]:
    if o.succeeded:
        status, finished = "succeeded", o.attempted_at
    elif o.next_attempt_at is None:
        status, finished = "failed", o.attempted_at
    else:
        status, finished = "pending", None
    return {"id": o.delivery_id, "status": status, "next_attempt_at": o.next_attempt_at, "finished_at": finished,
            "lease_until": o.lease_until}
