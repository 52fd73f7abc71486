"""The feed never skips nor repeats a committed event while many writers race on the same deals.

Writers in several threads and several application instances (so several connection pools) append to a few
shared deals: they lose races (IntegrityError, re-decided) and stale If-Match writes roll back, which leaves gaps
in the positions. A reader pages through the feed all along with small pages. At the end, what it read must be
exactly every committed event, in position order.
"""

from __future__ import annotations

import contextlib
import random
import threading
from datetime import UTC, datetime
from uuid import UUID, uuid4

import orjson

from domain import DomainError
from domain.commands import RecordStatement
from domain.values import Party, PartyKind, Role, Source, Speaker, Stance
from service.application import DealsApplication
from service.replay.feed import FeedReader
from service.settings import Settings
from tests.commands import opening

WRITERS = 8
WRITES_EACH = 30
DEALS = 3


def _statement(tag: str) -> RecordStatement:
    return RecordStatement(statement_id=uuid4().hex[:12], speaker=Speaker(title="observer"), quote=f"remark {tag}",
                           stance=Stance.NEUTRAL, occurred_at=datetime.now(UTC),
                           sources=(Source("https://example.org/report"),))


def _writer(app: DealsApplication, deal_ids: list[UUID], seed: int, failures: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for i in range(WRITES_EACH):
            deal_id = rng.choice(deal_ids)
            commands = [_statement(f"{seed}.{i}.{n}") for n in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                # A stale If-Match: refused without writing, or refused after losing the race (rolled back).
                version = app.get_deal(deal_id).version - rng.randint(0, 1)
                with contextlib.suppress(DomainError):
                    app.record(deal_id, commands, expected_version=version)
            else:
                with contextlib.suppress(DomainError):  # kept losing the race (write_conflict): nothing written
                    app.record(deal_id, commands)
    except BaseException as error:  # reported by the test
        failures.append(error)


def _reader(reader: FeedReader, done: threading.Event, seen: list[tuple[int, str, int]]) -> None:
    after = 0
    while True:
        finished = done.is_set()  # read on at least once after the writers have finished
        page = reader.page(after, 7)
        events = [orjson.loads(item) for item in page.items]
        seen += [(e["position"], e["deal_id"], e["version"]) for e in events]
        after = page.next_after
        if finished and not page.has_more:
            return


def test_a_reader_paging_during_racing_writes_sees_every_committed_event_once(settings: Settings) -> None:
    settings = settings.model_copy(update={"write_mode": "naive", "write_retries": 50})
    apps = [DealsApplication(settings=settings) for _ in range(3)]
    try:
        deal_ids = [uuid4() for _ in range(DEALS)]
        for deal_id in deal_ids:
            apps[0].open_deal(*opening(deal_id, "contested", datetime.now(UTC),
                                       parties=[Party("US", "United States", PartyKind.STATE, (Role.PROPOSER,))]))
        seen: list[tuple[int, str, int]] = []
        failures: list[BaseException] = []
        done = threading.Event()
        reader = threading.Thread(target=_reader, args=(FeedReader(apps[0]), done, seen))
        writers = [threading.Thread(target=_writer, args=(apps[i % len(apps)], deal_ids, i, failures))
                   for i in range(WRITERS)]
        reader.start()
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        done.set()
        reader.join()

        committed = apps[0].recorder.select_notifications(0, 1_000_000)
        expected = [(n.id, str(n.originator_id), n.originator_version) for n in committed]
    finally:
        for app in apps:
            app.close()

    assert failures == []
    assert len(expected) > DEALS * 2 + WRITERS * WRITES_EACH  # most writes landed, each with 1-3 events
    assert seen == expected
