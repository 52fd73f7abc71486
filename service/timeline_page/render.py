"""The timeline page as HTML: a Jinja template (autoescaped: every piece of user text is escaped) with an inline
SVG chart whose geometry is computed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.timeline_page.model import ConditionView, Timeline

WIDTH, LEFT, RIGHT = 1000, 120, 16
STATE_COLOURS = {
    "draft": "#9aa5b1", "proposed": "#3b82f6", "under_negotiation": "#6366f1", "signing_withheld": "#f97316",
    "counter_proposal_pending": "#eab308", "signature_pending": "#14b8a6", "signed": "#22c55e",
    "ratification_pending": "#84cc16", "ratified": "#16a34a", "in_force": "#047857", "rejected": "#dc2626",
    "withdrawn": "#6b7280", "expired": "#a16207", "terminated": "#991b1b",
}
CONDITION_COLOURS = {"open": "#f59e0b", "satisfied": "#22c55e", "waived": "#9ca3af", "withdrawn": "#9ca3af",
                     "rejected": "#dc2626"}
BALL_COLOURS = ["#fde68a", "#bfdbfe", "#fbcfe8", "#bbf7d0", "#ddd6fe", "#fed7aa"]
STANCE_COLOURS = {"support": "#16a34a", "oppose": "#dc2626", "criticize": "#ea580c", "neutral": "#6b7280"}
STEPS = [timedelta(hours=h) for h in (1, 3, 6, 12)] + [timedelta(days=d) for d in (1, 2, 7, 14, 30, 91, 182, 365,
                                                                                   730, 1826)]
_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


class Scale:
    """Time (by occurred_at) to x in the chart's coordinates."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.span = start, max((end - start).total_seconds(), 1.0)

    def x(self, at: datetime) -> float:
        return round(LEFT + (at - self.start).total_seconds() / self.span * (WIDTH - LEFT - RIGHT), 1)

    def width(self, start: datetime, end: datetime) -> float:
        return round(max(self.x(end) - self.x(start), 1.5), 1)

    def ticks(self, end: datetime) -> list[Tick]:
        step = next((s for s in STEPS if self.span / s.total_seconds() <= 8), STEPS[-1])
        first = self.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours = int(step.total_seconds() // 3600)
        first = first.replace(hour=0) if hours >= 24 else first.replace(hour=first.hour - first.hour % hours)
        fmt = "%d %b %H:%M" if step < timedelta(days=1) else "%d %b %Y" if step < timedelta(days=60) else "%b %Y"
        ticks, at = [], first
        while at <= end:
            if at >= self.start and self.x(at) < WIDTH - 70:  # a label needs room before the edge
                ticks.append(Tick(self.x(at), at.strftime(fmt)))
            at += step
        return ticks


@dataclass(frozen=True)
class ConditionLane:
    condition: ConditionView
    lane: int
    labelled: bool


def pack(conditions: list[ConditionView], scale: Scale, end: datetime, max_lanes: int = 12) -> list[ConditionLane]:
    """Conditions in as few lanes as they fit (a lane is free again once a bar and its label end); beyond
    `max_lanes`, bars share the lanes unlabelled (their details are in the table and in each bar's tooltip)."""
    lanes: list[float] = []  # where each lane is free from
    placed: list[ConditionLane] = []
    half = (WIDTH + LEFT) / 2
    for condition in sorted(conditions, key=lambda c: c.raised_at):
        x, bar_end = scale.x(condition.raised_at), scale.x(condition.resolved_at or end)
        label = 6.2 * (len(condition.condition_id) + min(len(condition.text), 63) + 14) + 8
        # The label sits right of the bar's start in the chart's left half, left of it in the right half.
        start, stop = (x - label, bar_end) if x > half else (x, max(bar_end, x + label))
        lane = next((n for n, free in enumerate(lanes) if free <= start), None)
        if lane is None and len(lanes) < max_lanes:
            lanes.append(0.0)
            lane = len(lanes) - 1
        labelled = lane is not None
        if lane is None:
            lane = min(range(len(lanes)), key=lambda n: lanes[n])
            stop = bar_end
        lanes[lane] = max(lanes[lane], stop + 4)
        placed.append(ConditionLane(condition, lane, labelled))
    return placed


def when(at: datetime | None) -> str:
    """A time as it happened where it happened, with its offset."""
    if at is None:
        return ""
    offset = at.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{at.day} {at.strftime('%b %Y, %H:%M')} {zone}"


def render(timeline: Timeline) -> str:
    scale = Scale(timeline.start, timeline.end)
    holders = list(dict.fromkeys(band.label.split(":")[0] for band in timeline.balls if band.kind == "ball"))
    ball_colours = {holder: BALL_COLOURS[n % len(BALL_COLOURS)] for n, holder in enumerate(holders)}
    lanes = {"axis": 26, "states": 36, "ball": 80, "events": 118, "conditions": 164}
    packed = pack(timeline.conditions, scale, timeline.end)
    height = lanes["conditions"] + (max((p.lane for p in packed), default=0) + 1) * 24 + 12
    context: dict[str, Any] = {
        "t": timeline, "deal": timeline.deal, "scale": scale, "ticks": scale.ticks(timeline.end), "lanes": lanes,
        "width": WIDTH, "left": LEFT, "height": height, "when": when, "states": STATE_COLOURS,
        "condition_colours": CONDITION_COLOURS, "stances": STANCE_COLOURS, "names": timeline.party_names,
        "used_states": list(dict.fromkeys(band.kind for band in timeline.states)), "ball_colours": ball_colours,
        "half": (WIDTH + LEFT) / 2, "packed": packed,
    }
    return _env.get_template("timeline.html").render(**context)
