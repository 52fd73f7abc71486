"""Does the stored log still hold what the Merkle tree and its signed checkpoints say it held?

Every check re-reads the events table (never the feed table or a cache), decodes each event as configured
(decrypting it), and re-hashes it as its leaf (leaves.py). Against the tree's leaves that names the deal and
version of each event edited (other content at its position), deleted (a leaf without its event), inserted (an
event at a position the tree has passed without it) or moved (a deal's version at another position than its
leaf's). Against a signed checkpoint, the re-hashed log's root must be the checkpoint's: that also catches a
rewrite of the ledger's own tables, and, for a checkpoint a counterparty saved, a log rolled back or truncated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from service.ledger.leaves import event_leaf_hash, log_page
from service.ledger.merkle import RootBuilder, inclusion_ranges, keys_of, range_hash, verify_inclusion
from service.ledger.note import Checkpoint
from service.ledger.store import LedgerStore, StoredCheckpoint

if TYPE_CHECKING:
    from service.application import DealsApplication


@dataclass(frozen=True, order=True)
class Problem:
    deal_id: UUID
    version: int
    reason: str


@dataclass
class DealReport:
    deal_id: UUID
    version: int  # the last version stored
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _stored_events(app: DealsApplication, deal_id: UUID) -> dict[int, tuple[int, bytes]]:
    """version -> (position, leaf hash) of the deal's stored events."""
    found: dict[int, tuple[int, bytes]] = {}
    after = 0
    while True:
        page = app.recorder.select_history(deal_id, after=(0, after), limit=1000)
        for notification, _ in page:
            found[notification.originator_version] = (notification.id,
                                                      event_leaf_hash(app, notification, notification.id, False))
        if len(page) < 1000:
            return found
        after = page[-1][0].originator_version


def verify_deal(app: DealsApplication, store: LedgerStore, deal_id: UUID,
                checkpoint: StoredCheckpoint | None = None) -> DealReport | None:
    """None when the deal has neither stored events nor leaves.

    The leaves and the tree's size are read first, in one snapshot, and the stored events after them: every
    leaf's event was committed before the leaf, so an untouched deal has them all, and events past the last
    leaf (written since) are not yet the tree's business. Read the other way round, a deal written meanwhile
    would look tampered with."""
    leaves, (_, last_position) = store.deal_leaves(deal_id)
    stored = _stored_events(app, deal_id)
    if not stored and not leaves:
        return None
    report = DealReport(deal_id, max(stored, default=0))
    seen: set[int] = set()
    for _, position, _, version, leaf in leaves:
        seen.add(version)
        event = stored.get(version)
        if event is None:
            report.problems.append(Problem(deal_id, version, f"deleted: the log holds it at position {position}, "
                                                             "the store no longer does"))
        elif event[0] != position:
            report.problems.append(Problem(deal_id, version, f"moved: the log holds it at position {position}, "
                                                             f"the store at {event[0]}"))
        elif event[1] != leaf:
            report.problems.append(Problem(deal_id, version, f"edited: the stored event at position {position} is "
                                                             "not the one the log holds"))
    for version, (position, _) in stored.items():
        if version not in seen and position <= last_position:
            report.problems.append(Problem(deal_id, version, f"inserted: stored at position {position}, which the "
                                                             "log passed without it"))
    if checkpoint is not None:
        report.problems += _against_checkpoint(store, deal_id, leaves, checkpoint)
    report.problems.sort()
    return report


def _against_checkpoint(store: LedgerStore, deal_id: UUID, leaves: list, checkpoint: StoredCheckpoint
                        ) -> list[Problem]:
    """Each of the deal's leaves must be in the signed tree (else the ledger's own tables were rewritten)."""
    size = checkpoint.tree_size
    mine = [leaf for leaf in leaves if leaf[0] < size]
    proofs = {leaf[0]: inclusion_ranges(leaf[0], 0, size) for leaf in mine}
    nodes = store.read_nodes(keys_of(r for ranges in proofs.values() for r in ranges))
    problems = []
    for index, position, _, version, leaf in mine:
        path = [range_hash(a, b, nodes) for a, b in proofs[index]]
        if not verify_inclusion(index, size, leaf, path, checkpoint.root):
            problems.append(Problem(deal_id, version, f"the log's leaf at position {position} is not in the signed "
                                                      f"checkpoint of {size} events"))
    return problems


# ---- the whole log ----------------------------------------------------------------------------------------------

@dataclass
class LogReport:
    events: int = 0  # stored events re-hashed
    tree_size: int = 0
    problems: list[Problem] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # about the log as a whole (checkpoints)

    @property
    def intact(self) -> bool:
        return not self.problems and not self.failures


def _events(app: DealsApplication, page: int) -> Iterator[tuple[int, bytes, int, bytes]]:
    after: int | None = None
    while True:
        rows = log_page(app, after, page, strict=False)
        yield from ((position, deal.bytes, version, digest) for position, deal, version, digest in rows)
        if len(rows) < page:
            return
        after = rows[-1][0]


def _leaves(store: LedgerStore, page: int, size: int) -> Iterator[tuple[int, int, bytes, int, bytes]]:
    """The first `size` leaves: those the follower adds while the log is re-hashed are left for the next time."""
    after = -1
    while after + 1 < size:
        rows = [row for row in store.leaves_page(after, page, raw=True) if row[0] < size]
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def verify_log(app: DealsApplication, store: LedgerStore, checkpoints: list[tuple[str, Checkpoint]],
               progress: Callable[[int], None] = lambda position: None, page: int = 5000,
               events: Iterable[tuple[int, bytes, int, bytes]] | None = None) -> LogReport:
    """Re-hash the whole stored log against the tree's leaves, and its roots against each (name, checkpoint).
    `events`: the stored events re-hashed elsewhere (rehash.py, on every core), in position order, each deal id
    as its 16 bytes (as the leaves are read here: a UUID object per event is a tenth of the time)."""
    report = LogReport()
    report.tree_size, last_leaf_position = store.size()
    wanted = {cp.tree_size: (name, cp) for name, cp in checkpoints}
    roots: dict[int, bytes] = {}
    builder = RootBuilder()
    gone: dict[tuple[bytes, int], int] = {}  # leaves without their event: (deal, version) -> position
    extra: dict[tuple[bytes, int], int] = {}  # events at positions the tree passed without them
    edited: list[Problem] = []
    leaves = _leaves(store, page, report.tree_size)
    leaf = next(leaves, None)
    for position, deal_id, version, digest in (_events(app, page) if events is None else events):
        report.events += 1
        builder.add(digest)
        if builder.size in wanted:
            roots[builder.size] = builder.root()
        while leaf is not None and leaf[1] < position:
            gone[(leaf[2], leaf[3])] = leaf[1]
            leaf = next(leaves, None)
        if leaf is not None and leaf[1] == position:
            if (leaf[2], leaf[3]) != (deal_id, version):
                gone[(leaf[2], leaf[3])] = leaf[1]
                extra[(deal_id, version)] = position
            elif leaf[4] != digest:
                edited.append(Problem(UUID(bytes=deal_id), version, f"edited: the stored event at position "
                                                                    f"{position} is not the one the log holds"))
            leaf = next(leaves, None)
        elif position <= last_leaf_position:
            extra[(deal_id, version)] = position
        if not report.events % 1000:
            progress(position)
    while leaf is not None:
        gone[(leaf[2], leaf[3])] = leaf[1]
        leaf = next(leaves, None)
    if report.events:
        progress(position)  # the last one (the loop says every thousandth)
    for key, position in gone.items():
        deal = UUID(bytes=key[0])
        if key in extra:
            report.problems.append(Problem(deal, key[1], f"moved: the log holds it at position {position}, the "
                                                         f"store at {extra.pop(key)}"))
        else:
            report.problems.append(Problem(deal, key[1], f"deleted: the log holds it at position {position}, the "
                                                         "store no longer does"))
    report.problems += [Problem(UUID(bytes=key[0]), key[1],
                                f"inserted: stored at position {position}, which the log passed without it")
                        for key, position in extra.items()]
    report.problems += edited
    report.problems.sort()
    for size, (name, cp) in sorted(wanted.items()):
        if size > builder.size:
            report.failures.append(f"{name}: it covers {size} events, the store holds {builder.size}: the log was "
                                   "rolled back or truncated")
        elif roots.get(size, builder.root() if size == 0 else None) != cp.root:
            report.failures.append(f"{name}: the first {size} stored events do not hash to its root")
    return report
