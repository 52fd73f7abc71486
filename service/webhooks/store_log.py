"""The delivery log (deliveries with their attempts) and what a client asks of it: retry, recover, test."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError

from service.webhooks.errors import RecoverNeedsConfirm
from service.webhooks.records import Attempt, Delivery, Message, Recovered
from service.webhooks.sql import as_uuid
from service.webhooks.store_queue import INSERT_DELIVERY, PROMOTE, DeliveryQueue, delivery_row

DELIVERY_COLUMNS = (
    "d.id, d.endpoint_id, d.message_id, m.type, m.deal_id, m.version, d.position, d.origin, d.status, d.attempts, "
    "d.next_attempt_at, d.created_at, d.finished_at"
)
DELIVERY_FROM = "{deliveries} d JOIN {messages} m ON m.id = d.message_id"
# The endpoint has this event queued already (waiting, or in flight): a recover or retry adds no second delivery.
QUEUED = ("EXISTS (SELECT 1 FROM {deliveries} q WHERE q.endpoint_id = :eid AND q.message_id = m.id "
          "AND q.status = 'pending')")
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
        """Send the delivery again, whatever its state, in its turn in its deal's queue: at once if nothing of the
        deal is queued before it (by position), else after those. Nothing changes while an attempt of it is in
        flight, or when the endpoint has its event queued in another delivery already (a recover)."""
        with self._transaction(commit=True) as cur:
            self._lock_endpoint(cur, endpoint_id)  # no sender moves the deal's head meanwhile
            rows = self._query(cur, "SELECT deal_id, status, ready FROM {deliveries} WHERE id = :id AND "
                                    "endpoint_id = :eid", id=delivery_id, eid=endpoint_id)
            if not rows:
                return None
            deal_id = None if rows[0]["deal_id"] is None else as_uuid(rows[0]["deal_id"])
            # The head of its deal's queue stays the head; any other waits its turn; a test event is in no queue.
            ready = deal_id is None or (rows[0]["status"] == "pending" and bool(rows[0]["ready"]))
            self._exec(cur, "UPDATE {deliveries} AS d SET status = 'pending', ready = :ready, next_attempt_at = :now, "
                            "finished_at = NULL WHERE d.id = :id AND d.endpoint_id = :eid "
                            "AND (d.lease_until IS NULL OR d.lease_until <= :now) AND NOT EXISTS (SELECT 1 FROM "
                            "{deliveries} q WHERE q.endpoint_id = :eid AND q.message_id = d.message_id "
                            "AND q.status = 'pending' AND q.id <> :id)",
                       ready=ready, now=now, id=delivery_id, eid=endpoint_id)
            if deal_id is not None:
                self._promote(cur, [(endpoint_id, deal_id)])
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
                types: list[str] | None, deal_ids: list[str] | None, now: datetime,
                confirm_above: int | None = None) -> Recovered:
        """Queue every recorded deal event from the position on (up to `until_position`) that the filters select and
        the endpoint has not queued already (so a recover repeated queues nothing twice); each deal's queue stays in
        position order (after any delivery of that deal already in flight). More than `confirm_above` to queue is
        refused (RecoverNeedsConfirm) and queues nothing."""
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
                return self._recover(endpoint_id, conditions, params, now, confirm_above)
            except OperationalError:
                # Re-deciding many deals' heads at once can deadlock with a sender doing the same for one of them;
                # the database then aborts one of the two, and this one tries again.
                if attempt == RECOVER_TRIES:
                    raise
        raise AssertionError("unreachable")

    def _recover(self, endpoint_id: UUID, conditions: str, params: dict[str, Any], now: datetime,
                 confirm_above: int | None) -> Recovered:
        with self._transaction(commit=True) as cur:
            # Alone on the endpoint: no sender moves one of its queues' heads, no other recover queues meanwhile.
            self._lock_endpoint(cur, endpoint_id)
            counts = self._query(cur, "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN " + QUEUED + " THEN 1 ELSE 0 "
                                      f"END), 0) AS queued FROM {{messages}} m WHERE {conditions}",
                                 eid=endpoint_id, **params)[0]
            to_queue, already = int(counts["n"]) - int(counts["queued"]), int(counts["queued"])
            if confirm_above is not None and to_queue > confirm_above:
                raise RecoverNeedsConfirm(to_queue, confirm_above)
            cur.execute(self._sql(
                "INSERT INTO {deliveries} (endpoint_id, message_id, position, deal_id, origin, status, ready, "
                "attempts, next_attempt_at, created_at) SELECT :eid, m.id, m.position, m.deal_id, 'recover', "
                f"'pending', :off, 0, :now, :now FROM {{messages}} m WHERE {conditions} AND NOT {QUEUED} "
                "ORDER BY m.position"),
                {k: self._param(v) for k, v in {**params, "eid": endpoint_id, "now": now, "off": False}.items()})
            queued = self._rowcount(cur)
            self._exec(cur, PROMOTE.replace("{of_deal}", ""), on=True, endpoint_id=endpoint_id)
            span = self._query(cur, f"SELECT MIN(m.position) AS first, MAX(m.position) AS last FROM {{messages}} m "
                                    f"WHERE {conditions}", **params)
            self._notify(cur)
        return Recovered(queued, span[0]["first"], span[0]["last"], already)

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
