"""The delivery log (deliveries with their attempts) and what a client asks of it: retry, recover, test."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError

from service.webhooks.records import Attempt, Delivery, Message, Recovered
from service.webhooks.sql import as_uuid
from service.webhooks.store_queue import INSERT_DELIVERY, PROMOTE, DeliveryQueue, delivery_row

DELIVERY_COLUMNS = (
    "d.id, d.endpoint_id, d.message_id, m.type, m.deal_id, m.version, d.position, d.origin, d.status, d.attempts, "
    "d.next_attempt_at, d.created_at, d.finished_at"
)
DELIVERY_FROM = "{deliveries} d JOIN {messages} m ON m.id = d.message_id"
RECOVER_TRIES = 3


class DeliveryLog(DeliveryQueue):
    def deliveries(self, endpoint_id: UUID, limit: int, before_id: int | None = None,
                   status: str | None = None) -> list[Delivery]:
        conditions = "d.endpoint_id = :eid" + (" AND d.id < :before" if before_id else "") + (
            " AND d.status = :status" if status else "")
        params = {"eid": endpoint_id, "limit": limit, "before": before_id, "status": status}
        with self._transaction(commit=False) as cur:
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
        """Send the delivery again now (unless an attempt is in flight), whatever its state and its deal's queue."""
        with self._transaction(commit=True) as cur:
            self._exec(cur, "UPDATE {deliveries} SET status = 'pending', ready = :on, next_attempt_at = :now, "
                            "finished_at = NULL WHERE id = :id AND endpoint_id = :eid "
                            "AND (lease_until IS NULL OR lease_until <= :now)",
                       on=True, now=now, id=delivery_id, eid=endpoint_id)
            self._notify(cur)
        return self.delivery(endpoint_id, delivery_id)

    def send_test(self, endpoint_id: UUID, message: Message) -> int:
        with self._transaction(commit=True) as cur:
            self._insert_message(cur, message)
            self._exec(cur, INSERT_DELIVERY, **delivery_row(endpoint_id, message, "test", ready=True))
            self._notify(cur)
            rows = self._query(cur, "SELECT id FROM {deliveries} WHERE message_id = :m", m=message.id)
        return rows[0]["id"]

    def recover(self, endpoint_id: UUID, from_position: int, until_position: int | None,
                types: list[str] | None, deal_ids: list[str] | None, now: datetime) -> Recovered:
        """Queue every recorded deal event from the position on (up to `until_position`) that the filters select;
        each deal's re-sent events go out in order (after any delivery of that deal already in flight)."""
        conditions, params = "m.position >= :start", {"start": from_position}
        if until_position is not None:
            conditions += " AND m.position <= :until"
            params["until"] = until_position
        for column, values in (("type", types), ("deal_id", deal_ids)):
            if values is not None:
                placeholders, extra = self._in(column, [UUID(v) if column == "deal_id" else v for v in values])
                conditions += f" AND m.{column} IN {placeholders}"
                params.update(extra)
        for attempt in range(1, RECOVER_TRIES + 1):
            try:
                return self._recover(endpoint_id, conditions, params, now)
            except OperationalError:
                # Re-deciding many deals' heads at once can deadlock with a sender doing the same for one of them;
                # the database then aborts one of the two, and this one tries again.
                if attempt == RECOVER_TRIES:
                    raise
        raise AssertionError("unreachable")

    def _recover(self, endpoint_id: UUID, conditions: str, params: dict[str, Any], now: datetime) -> Recovered:
        with self._transaction(commit=True) as cur:
            cur.execute(self._sql(
                "INSERT INTO {deliveries} (endpoint_id, message_id, position, deal_id, origin, status, ready, "
                "attempts, next_attempt_at, created_at) SELECT :eid, m.id, m.position, m.deal_id, 'recover', "
                f"'pending', :off, 0, :now, :now FROM {{messages}} m WHERE {conditions} ORDER BY m.position"),
                {k: self._param(v) for k, v in {**params, "eid": endpoint_id, "now": now, "off": False}.items()})
            queued = self._rowcount(cur)
            self._exec(cur, PROMOTE.replace("{of_deal}", ""), on=True, endpoint_id=endpoint_id)
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


def _delivery(row: dict[str, Any], attempts: list[Attempt]) -> Delivery:
    return Delivery(
        id=row["id"], endpoint_id=as_uuid(row["endpoint_id"]), message_id=as_uuid(row["message_id"]),
        type=row["type"], deal_id=None if row["deal_id"] is None else as_uuid(row["deal_id"]), version=row["version"],
        position=row["position"], origin=row["origin"], status=row["status"], attempts_made=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        created_at=row["created_at"], finished_at=row["finished_at"], attempts=attempts,
    )
