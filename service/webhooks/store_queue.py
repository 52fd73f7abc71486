"""The delivery queue: the outbox's hand-off, claiming with leases, recording attempts, and the order per deal.

Deliveries of one deal to one endpoint (a group) go out one at a time in position order: only the group's head is
`ready`, and the writers that change which delivery is the head (hand-off, a finished attempt) hold the group's
lock, so a head is never missed. Claiming then only looks at ready deliveries, however long the queue behind them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from service.webhooks import filters
from service.webhooks.records import Claimed, Message, Outcome
from service.webhooks.sql import Group, as_uuid
from service.webhooks.store_endpoints import EndpointRows

DUE = """
    FROM {deliveries} d JOIN {endpoints} e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.ready AND d.next_attempt_at <= :now
      AND (d.lease_until IS NULL OR d.lease_until <= :now) AND e.enabled AND e.deleted_at IS NULL {skipping}
    ORDER BY d.next_attempt_at, d.id
    LIMIT :limit
"""
# Make the first pending delivery of each group (of the endpoint; of one deal if given) ready, unless one is.
PROMOTE = """
    UPDATE {deliveries} AS d SET ready = :on
    WHERE d.status = 'pending' AND NOT d.ready AND d.endpoint_id = :endpoint_id {of_deal}
      AND NOT EXISTS (
        SELECT 1 FROM {deliveries} p
        WHERE p.endpoint_id = d.endpoint_id AND p.deal_id = d.deal_id AND p.status = 'pending'
          AND (p.ready OR p.position < d.position OR (p.position = d.position AND p.id < d.id)))
"""


FAILING = "webhook.endpoint_failing"
CLAIMED_COLUMNS = (
    "d.id, d.endpoint_id, d.deal_id, d.attempts, d.message_id, d.next_attempt_at, m.body, e.url, e.secret, "
    "e.previous_secret, e.previous_secret_expires_at"
)
INSERT_DELIVERY = (
    "INSERT INTO {deliveries} (endpoint_id, message_id, position, deal_id, origin, status, ready, attempts, "
    "next_attempt_at, created_at) VALUES (:endpoint_id, :message_id, :position, :deal_id, :origin, 'pending', "
    ":ready, 0, :now, :now)"
)


class DeliveryQueue(EndpointRows):
    def enqueue(self, tracking: Tracking, messages: Sequence[Message]) -> int:
        """Record the messages and one delivery per endpoint that wants each, with the tracking position, atomically;
        the number of deliveries queued."""
        with self._transaction(commit=True) as cur:
            self._insert_tracking(cur, tracking)  # type: ignore[attr-defined]  # the backend's TrackingRecorder's
            if not messages:
                return 0
            self._many(cur, "INSERT INTO {messages} (id, position, deal_id, version, type, recorded_at, body) "
                            "VALUES (:id, :position, :deal_id, :version, :type, :recorded_at, :body)",
                       [{"id": m.id, "position": m.position, "deal_id": m.deal_id, "version": m.version,
                         "type": m.type, "recorded_at": m.recorded_at, "body": self.sealer.seal(m.body)}
                        for m in messages])
            endpoints = [
                (as_uuid(e["id"]), e["after_position"], json.loads(e["event_types"]),
                 None if e["deal_ids"] is None else json.loads(e["deal_ids"]))
                for e in self._query(cur, "SELECT id, after_position, event_types, deal_ids FROM {endpoints} "
                                          "WHERE deleted_at IS NULL")
            ]
            rows, groups = [], set()
            for m in messages:
                assert m.position is not None and m.deal_id is not None
                for endpoint_id, after, types, deal_ids in endpoints:
                    if after < m.position and filters.matches(types, deal_ids, m.type, str(m.deal_id)):
                        rows.append(delivery_row(endpoint_id, m, "event", ready=False))
                        groups.add((endpoint_id, m.deal_id))
            if rows:
                self._lock_groups(cur, sorted(groups))
                self._many(cur, INSERT_DELIVERY, rows)
                self._promote(cur, sorted(groups))
                self._notify(cur)
            return len(rows)

    def _insert_message(self, cur: Any, message: Message) -> None:
        self._exec(cur, "INSERT INTO {messages} (id, position, deal_id, version, type, recorded_at, body) "
                        "VALUES (:id, :position, :deal_id, :version, :type, :recorded_at, :body)",
                   id=message.id, position=message.position, deal_id=message.deal_id, version=message.version,
                   type=message.type, recorded_at=message.recorded_at, body=self.sealer.seal(message.body))

    def _promote(self, cur: Any, groups: Sequence[Group]) -> None:
        self._many(cur, PROMOTE.replace("{of_deal}", "AND d.deal_id = :deal_id"),
                   [{"on": True, "endpoint_id": e, "deal_id": d} for e, d in sorted(set(groups))])

    def _due(self, skip: Sequence[UUID]) -> tuple[str, dict[str, Any]]:
        """The due deliveries' FROM … LIMIT clause, leaving out the endpoints in `skip`."""
        if not skip:
            return DUE.replace("{skipping}", ""), {}
        placeholders, params = self._in("skip", list(skip))
        return DUE.replace("{skipping}", f"AND d.endpoint_id NOT IN {placeholders}"), params

    def claim(self, now: datetime, lease: float, limit: int, skip: Sequence[UUID] = ()) -> list[Claimed]:
        """Lease up to `limit` due deliveries (not to the endpoints in `skip`) to the caller; nobody else takes them
        before the lease runs out."""
        lease_until = now + timedelta(seconds=lease)
        with self._transaction(commit=True) as cur:
            rows = self._claim_rows(cur, now, lease_until, limit, skip)
        claimed, opened = [], self.sealer.open
        for r in sorted(rows, key=lambda r: (r["next_attempt_at"], r["id"])):
            secrets = [opened(r["secret"])]
            if r["previous_secret"] and r["previous_secret_expires_at"] and r["previous_secret_expires_at"] > now:
                secrets.append(opened(r["previous_secret"]))
            claimed.append(Claimed(
                r["id"], as_uuid(r["endpoint_id"]), None if r["deal_id"] is None else as_uuid(r["deal_id"]), r["url"],
                secrets, as_uuid(r["message_id"]), opened(r["body"]), r["attempts"], lease_until,  # type: ignore[arg-type]  # psycopg rows are typed loosely; the columns are as the table declares
            ))
        return claimed

    def _claimed(self, cur: Any, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        placeholders, params = self._in("d", ids)
        return self._query(cur, f"SELECT {CLAIMED_COLUMNS} FROM {{deliveries}} d JOIN {{messages}} m ON "
                                f"m.id = d.message_id JOIN {{endpoints}} e ON e.id = d.endpoint_id "
                                f"WHERE d.id IN {placeholders}", **params)

    def release(self, claimed: Sequence[Claimed]) -> None:
        """Give back the leases of deliveries that were not attempted (the sender stopped), so they go out at once."""
        with self._transaction(commit=True) as cur:
            self._many(cur, "UPDATE {deliveries} SET lease_until = NULL WHERE id = :id AND lease_until = :lease_until",
                       [{"id": c.delivery_id, "lease_until": c.lease_until} for c in claimed])
            self._notify(cur)

    def record(self, outcomes: Sequence[Outcome], now: datetime, disable_after: float) -> None:
        """Store what the attempts gave: delivery states, the attempt log, the next of each group, endpoint health."""
        finished = [(o.endpoint_id, o.deal_id) for o in outcomes
                    if o.deal_id is not None and (o.succeeded or o.next_attempt_at is None)]
        with self._transaction(commit=True) as cur:
            self._lock_groups(cur, finished)
            self._many(cur, "UPDATE {deliveries} SET status = :status, attempts = attempts + 1, "
                            "next_attempt_at = :next_attempt_at, lease_until = NULL, finished_at = :finished_at "
                            "WHERE id = :id AND lease_until = :lease_until",
                       [_delivery_update(o) for o in sorted(outcomes, key=lambda o: o.delivery_id)])
            self._many(cur, "INSERT INTO {attempts} (delivery_id, attempted_at, status_code, latency_ms, "
                            "response_body, error) VALUES (:delivery_id, :attempted_at, :status_code, :latency_ms, "
                            ":response_body, :error)",
                       [{"delivery_id": o.delivery_id, "attempted_at": o.attempted_at, "status_code": o.status_code,
                         "latency_ms": o.latency_ms, "response_body": o.response_body, "error": o.error}
                        for o in outcomes])
            self._promote(cur, finished)
            by_endpoint: dict[UUID, list[Outcome]] = {}
            for o in sorted(outcomes, key=lambda o: o.attempted_at):
                by_endpoint.setdefault(o.endpoint_id, []).append(o)
            for endpoint_id, results in sorted(by_endpoint.items()):
                self._update_health(cur, endpoint_id, results, now, disable_after)
            if finished or any(o.succeeded or o.next_attempt_at is None for o in outcomes):
                self._notify(cur)

    def _update_health(self, cur: Any, endpoint_id: UUID, results: list[Outcome], now: datetime,
                       disable_after: float) -> None:
        """Any success ends a failing streak; 410 disables at once, a streak as long as `disable_after` too."""
        last_success = max((i for i, o in enumerate(results) if o.succeeded), default=None)
        failures = [o for o in results[(last_success + 1 if last_success is not None else 0):] if not o.succeeded]
        if last_success is not None and failures:
            self._exec(cur, "UPDATE {endpoints} SET failing_since = :t WHERE id = :id", id=endpoint_id,
                       t=failures[0].attempted_at)
        elif last_success is not None:
            self._exec(cur, "UPDATE {endpoints} SET failing_since = NULL WHERE id = :id AND failing_since IS NOT NULL",
                       id=endpoint_id)
        elif failures:
            self._exec(cur, "UPDATE {endpoints} SET failing_since = :t WHERE id = :id AND failing_since IS NULL",
                       id=endpoint_id, t=failures[0].attempted_at)
        if any(o.gone for o in failures):
            self._disable(cur, endpoint_id, now, "the endpoint answered 410 Gone")
        elif failures:
            row = self._query(cur, "SELECT failing_since FROM {endpoints} WHERE id = :id", id=endpoint_id)
            since = row[0]["failing_since"] if row else None
            failing_for = (now - since).total_seconds() if since is not None else 0.0
            if since is not None and failing_for >= disable_after:
                self._disable(cur, endpoint_id, now, f"every attempt has failed since {since.isoformat()}")
            elif since is not None and failing_for >= disable_after / 2:
                self._warn(cur, endpoint_id, now, since, since + timedelta(seconds=disable_after))

    def _warn(self, cur: Any, endpoint_id: UUID, now: datetime, since: datetime, disable_at: datetime) -> None:
        """Half way to being disabled: one `webhook.endpoint_failing` notice per failing streak."""
        warned = self._query(cur, "SELECT 1 FROM {notices} WHERE endpoint_id = :id AND type = :type "
                                  "AND created_at >= :since", id=endpoint_id, type=FAILING, since=since)
        if not warned:
            self._exec(cur, "INSERT INTO {notices} (endpoint_id, type, created_at, reason) "
                            "VALUES (:id, :type, :now, :reason)", id=endpoint_id, type=FAILING, now=now,
                       reason=f"every attempt has failed since {since.isoformat()}; the endpoint will be disabled "
                              f"at {disable_at.isoformat()} unless one succeeds")


def _delivery_update(o: Outcome) -> dict[str, Any]:
    if o.succeeded:
        status, finished = "succeeded", o.attempted_at
    elif o.next_attempt_at is None:
        status, finished = "failed", o.attempted_at
    else:
        status, finished = "pending", None
    return {"id": o.delivery_id, "status": status, "next_attempt_at": o.next_attempt_at, "finished_at": finished,
            "lease_until": o.lease_until}


def delivery_row(endpoint_id: UUID, message: Message, origin: str, ready: bool) -> dict[str, Any]:
    return {"endpoint_id": endpoint_id, "message_id": message.id, "position": message.position,
            "deal_id": message.deal_id, "origin": origin, "ready": ready, "now": message.recorded_at}
