"""What the timeline page shows, computed from a deal's events: state and ball bands over time (by occurred_at),
conditions from raised to resolved, and every event with what it says, in the order things happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from domain import Deal, DealEvent
from domain.cuts import Cut, occurred_overrides
from domain.events import StatementRecorded
from domain.values import Source
from service.timeline_page.describe import describe, humanize


@dataclass(frozen=True)
class Band:
    label: str
    start: datetime
    end: datetime
    kind: str  # a status for state bands; "ball" or "nobody" for the ball


@dataclass(frozen=True)
class Link:
    url: str | None  # None when not an http(s) address: shown as text, never as a link
    text: str


@dataclass(frozen=True)
class StatementView:
    speaker: str
    anonymous: bool
    stance: str
    quote: str
    paraphrase: str | None
    retracted: bool
    corrected: bool


@dataclass(frozen=True)
class EventView:
    version: int
    type: str
    title: str
    occurred_at: datetime
    recorded_at: datetime
    description: str
    moved: bool  # occurred_at was corrected
    statement: StatementView | None
    sources: list[Link]


@dataclass(frozen=True)
class ConditionView:
    condition_id: str
    text: str
    raised_by: str
    kind: str
    blocking: bool
    status: str
    raised_at: datetime
    resolved_at: datetime | None


@dataclass
class Timeline:
    deal: Deal
    party_names: dict[str, str]
    start: datetime
    end: datetime
    states: list[Band] = field(default_factory=list)
    balls: list[Band] = field(default_factory=list)
    conditions: list[ConditionView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    changed: dict[int, str] = field(default_factory=dict)  # version -> the status it moved the deal to
    total_events: int = 0


def link(source: Source) -> Link:
    parsed = urlparse(source.url)
    safe = parsed.scheme in ("http", "https") and bool(parsed.netloc)
    return Link(source.url if safe else None, source.publisher or parsed.netloc or source.url)


def speaker_label(statement: object) -> tuple[str, bool]:
    speaker = statement.speaker  # type: ignore[attr-defined]  # a Statement or a StatementRecorded, both of which have a speaker
    if speaker.anonymous:
        return f"Anonymous {speaker.title or 'source'}", True
    name = ", ".join(part for part in (speaker.name, speaker.title) if part)
    return name, False


def build(events: list[DealEvent], deal: Deal, listed: int | None = None) -> Timeline:
    """`events` in version order, `deal` the deal after all of them; `listed`: only that many latest events are
    shown one by one (bands and conditions always cover the whole history)."""
    names = {p.party_id: p.name for p in deal.parties.values()}
    moved = occurred_overrides(events, Cut())
    when = {e.originator_version: moved.get(e.originator_version, e.occurred_at) for e in events}
    start = min(when.values())
    end = max(when.values())
    end = end + max((end - start) * 0.06, timedelta(hours=6))
    timeline = Timeline(deal, names, start, end)
    _bands(timeline, events, when)
    timeline.conditions = [
        ConditionView(c.condition_id, c.text, names.get(c.raised_by, c.raised_by), c.kind.value, c.blocking,
                      c.status.value, c.raised_at, c.resolved_at)
        for c in deal.conditions.values()
    ]
    shown = events if listed is None else events[-listed:]
    timeline.events = sorted((_event_view(e, deal, names, when, moved) for e in shown),
                             key=lambda v: (v.occurred_at.astimezone(UTC), v.version))
    timeline.total_events = len(events)
    return timeline


def _bands(timeline: Timeline, events: list[DealEvent], when: dict[int, datetime]) -> None:
    """Fold the events with the deal's own appliers and note where status and ball change."""
    names = timeline.party_names
    deal: Deal | None = None
    states: list[tuple[str, datetime]] = []
    balls: list[tuple[str, str, datetime]] = []
    for event in events:
        deal = event.mutate(deal)
        assert deal is not None  # every event leaves a deal (the first opens it)
        at = when[event.originator_version]
        if not states or states[-1][0] != deal.status.value:
            states.append((deal.status.value, at))
            if len(states) > 1:
                timeline.changed[event.originator_version] = deal.status.value
        holders = ", ".join(names.get(p, p) for p in deal.ball.party_ids) or "nobody"
        label = f"{holders}: {deal.ball.reason}" if deal.ball.party_ids else "nobody holds the ball"
        if not balls or balls[-1][0] != label:
            balls.append((label, "ball" if deal.ball.party_ids else "nobody", at))
    timeline.states = _close([(s, s, t) for s, t in states], timeline.end)
    timeline.balls = _close(balls, timeline.end)


def _close(starts: list[tuple[str, str, datetime]], end: datetime) -> list[Band]:
    """Bands from each change to the next; a change dated before the one it follows starts where that one does."""
    bands: list[Band] = []
    for n, (label, kind, start) in enumerate(starts):
        start = max(start, bands[-1].start) if bands else start
        stop = starts[n + 1][2] if n + 1 < len(starts) else end
        bands.append(Band(label, start, max(stop, start), kind))
    return bands


def _event_view(event: DealEvent, deal: Deal, names: dict[str, str], when: dict[int, datetime],
                moved: dict[int, datetime]) -> EventView:
    statement = None
    if isinstance(event, StatementRecorded):
        current = deal.statements.get(event.statement_id)
        if current is not None:
            speaker, anonymous = speaker_label(current)
            statement = StatementView(speaker, anonymous, current.stance.value, current.quote, current.paraphrase,
                                      current.retracted, str(event.originator_version) in deal.corrections)
            sources = [link(s) for s in current.sources]
        else:
            sources = [link(s) for s in event.sources]
    else:
        sources = [link(s) for s in getattr(event, "sources", ())]
        attached = getattr(event, "source", None)
        if isinstance(attached, Source):
            sources.append(link(attached))
    return EventView(
        version=event.originator_version,
        type=event.type_name,
        title=humanize(event.type_name),
        occurred_at=when[event.originator_version],
        recorded_at=event.timestamp,
        description=describe(event, names),
        moved=event.originator_version in moved,
        statement=statement,
        sources=sources,
    )
