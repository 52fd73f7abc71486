"""Random negotiations: any sequence of verbs, with valid and invalid arguments, keeps the deal consistent, and the
deal read back from the store (snapshots and events) or folded from its events is exactly the deal that was served.

DEALS_PROPERTY_EXAMPLES / DEALS_PROPERTY_STEPS make the run longer (the defaults keep it to seconds)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import hypothesis.strategies as st
import orjson
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import Deal, DomainError, IllegalTransition
from domain.events import DealEvent
from domain.rules import STATE_CHANGING, TERMINAL, TRANSITIONS
from domain.values import (
    Authority,
    ConditionKind,
    ConditionStatus,
    DealStatus,
    Party,
    PartyKind,
    Representative,
    Role,
    Source,
    Speaker,
    Stance,
)
from service.api.schemas import EventOut
from service.application import DealsApplication
from service.replay.feed import FeedReader
from service.settings import Settings
from service.wire.documents import event_out
from tests.domain.deals import perform, state_of

OPENED_AT = datetime(2025, 2, 12, 9, tzinfo=timezone(timedelta(hours=2)))
ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-4)), timezone(timedelta(hours=5, minutes=30))]


@dataclass(frozen=True)
class Moment:
    """A time relative to the deal's last state change (negative: before it), in a zone, or naive (zone None)."""

    hours: int
    zone: timezone | None

    def on(self, deal: Deal) -> datetime:
        when = deal.last_state_change_at + timedelta(hours=self.hours)
        return when.astimezone(self.zone) if self.zone is not None else when.replace(tzinfo=None)


@dataclass(frozen=True)
class Call:
    """One verb with its arguments; moments become times when the call is made."""

    verb: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self, deal: Deal) -> None:
        def resolve(value: Any) -> Any:
            return value.on(deal) if isinstance(value, Moment) else value

        args = [resolve(a) for a in self.args]
        getattr(deal, self.verb)(*args, **{k: resolve(v) for k, v in self.kwargs.items()})

    def __repr__(self) -> str:
        shown = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.verb}({', '.join(shown)})"


def call(verb: str, *args: st.SearchStrategy[Any], **kwargs: st.SearchStrategy[Any]) -> st.SearchStrategy[Call]:
    return st.builds(lambda a, k: Call(verb, tuple(a), k), st.tuples(*args), st.fixed_dictionaries(kwargs))


# Mostly well-formed, sometimes not: unknown parties and proposals, naive or backdated times, blank texts.
parties = st.sampled_from(["US", "UA", "US", "UA", "EU", "TR", "XX"])
maybe_parties = st.none() | parties
proposals = st.sampled_from(["v1", "v2", "v3", "v4"])
maybe_proposals = st.none() | proposals
moments = st.builds(Moment, st.sampled_from([1, 2, 30, 0, 1, 2, -3]), st.sampled_from([*ZONES, *ZONES, None]))
maybe_moments = st.none() | moments
people = st.sampled_from(["Volodymyr Zelenskyy", "Scott Bessent", "Yulia Svyrydenko", "JD Vance"])
texts = st.sampled_from(["minerals access", "security guarantees", "", "  "])
versions = st.integers(0, 45)
some_sources = st.lists(st.builds(Source, st.just("https://apnews.com/a"), st.none() | st.just("AP")), max_size=2)
role_sets = st.lists(st.sampled_from(list(Role)), max_size=4).map(tuple)
corrections = st.dictionaries(
    st.sampled_from(["quote", "stance", "text", "blocking", "kind", "speaker", "occurred_at", "by_party"]),
    st.sampled_from(["oppose", "angry", "other", "", "2025-03-01T10:00:00+01:00", "2025-03-01T10:00:00", True, 3,
                     {"title": "spokesman"}, {"name": "X", "anonymous": True}, None]),
    max_size=2,
)

# What `act` does: mostly steps forward (first, as Hypothesis prefers the first choice), then any verb.
KINDS = ["forward"] * 6 + ["any"] * 5 + ["ending"]
# Verbs that may end the deal, drawn less often than the others so that runs get deep.
ENDINGS = st.one_of(
    call("reject_proposal", parties, moments, proposal_id=maybe_proposals),
    call("withdraw_proposal", parties, moments, proposal_id=maybe_proposals),
    call("refuse_ratification", parties, moments),
    call("terminate", moments, by_party=maybe_parties),
    call("withdraw", parties, moments),
    call("declare_intent_not_to_be_bound", parties, moments),
    call("pass_deadline", moments),
)
CALLS = st.one_of(
    call("join", st.builds(Party, parties, st.just("a party"), st.sampled_from(list(PartyKind)), role_sets), moments),
    call("assign_role", parties, st.sampled_from(list(Role)), moments),
    call("revoke_role", parties, st.sampled_from(list(Role)), moments),
    call("designate_representative",
         st.builds(Representative, parties, people, st.none(), st.lists(st.sampled_from(list(Authority))).map(tuple)),
         moments),
    call("tender_proposal", proposals, parties, st.lists(parties, max_size=2).map(tuple), st.just(("terms",)),
         moments, counter_to=maybe_proposals, respond_by=maybe_moments, sources=some_sources.map(tuple)),
    call("open_negotiation", moments, proposal_id=maybe_proposals),
    call("accept_proposal", parties, moments, proposal_id=maybe_proposals),
    call("announce_counter_proposal", parties, moments, counter_to=maybe_proposals, expected_by=maybe_moments),
    call("abandon_counter_proposal", parties, moments),
    call("withhold_signing", parties, moments, authorizer=st.none() | people, proposal_id=maybe_proposals),
    call("authorize_signing", parties, moments, authorizer=st.none() | people, proposal_id=maybe_proposals),
    call("add_signature", parties, moments, signatory=st.none() | people),
    call("void_signature_process", parties, moments),
    call("submit_for_ratification", parties, moments),
    call("ratify", parties, moments, votes_for=st.none() | st.just(338)),
    call("enter_into_force", moments, by_party=maybe_parties),
    call("set_deadline", moments, moments),
    call("raise_condition", st.sampled_from(["c1", "c2", "c3"]), parties, st.sampled_from(list(ConditionKind)),
         texts, moments, blocking=st.booleans(), proposal_id=maybe_proposals),
    call("resolve_condition", st.sampled_from(list(ConditionStatus)), st.sampled_from(["c1", "c2", "c3"]), parties,
         moments),
    call("hold_meeting", st.lists(people, max_size=2).map(tuple), moments, proposal_id=maybe_proposals),
    call("record_statement", st.sampled_from(["s1", "s2", "s3"]),
         st.builds(Speaker, st.just("senior official"), st.none() | people, maybe_parties)
         | st.builds(Speaker, st.just("former official"), st.none(), maybe_parties, st.just(True)),
         texts, st.sampled_from(list(Stance)), moments,
         about_version=st.none() | versions, sources=some_sources.map(tuple)),
    call("attach_source", versions, st.just(Source("https://kyivindependent.com/x")), moments),
    call("correct_event", versions, corrections, st.just("misreported"), moments),
    call("retract_event", versions, st.just("misreported"), moments),
)


class NegotiationMachine(RuleBasedStateMachine):
    """Issues random verbs against one deal; checks what must always hold, and what the store gives back."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="deals-sm-")
        self.app = DealsApplication(settings=Settings(database_url=f"sqlite:///{self.tmp}/d.db", snapshot_interval=7))
        self.deal: Deal
        self.saved: list[DealEvent] = []
        self.shared: list[tuple[Deal, dict[str, Any]]] = []  # committed states, each with what it was when copied

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @initialize(
        requires_ratification=st.booleans(),
        us_roles=st.sampled_from([(Role.PROPOSER, Role.SIGNATORY), (Role.PROPOSER,), (Role.PROPOSER, Role.RATIFIER)]),
        ua_roles=st.sampled_from([
            (Role.COUNTERPARTY, Role.AUTHORIZER, Role.SIGNATORY, Role.RATIFIER),
            (Role.COUNTERPARTY, Role.AUTHORIZER),
            (Role.COUNTERPARTY,),
        ]),
        with_mediator=st.booleans(),
    )
    def open_deal(self, requires_ratification: bool, us_roles: tuple[Role, ...], ua_roles: tuple[Role, ...],
                  with_mediator: bool) -> None:
        self.deal = Deal.open(uuid.uuid4(), "US–Ukraine minerals agreement", OPENED_AT,
                              requires_ratification=requires_ratification, tags=("minerals", "security"))
        self.deal.join(Party("US", "United States", PartyKind.STATE, us_roles), OPENED_AT)
        self.deal.join(Party("UA", "Ukraine", PartyKind.STATE, ua_roles), OPENED_AT)
        if with_mediator:
            self.deal.join(Party("TR", "Türkiye", PartyKind.STATE, (Role.MEDIATOR,)), OPENED_AT)

    # ---- commands --------------------------------------------------------------------------------------------

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """Either a step forward — one of the state changes the deal allows now, with arguments that fit the deal —
        or any verb with any arguments."""
        kind = data.draw(st.sampled_from(KINDS), label="kind")
        if kind != "forward":
            self.attempt(data.draw(ENDINGS if kind == "ending" else CALLS, label="command"))
            return
        status = self.deal.status
        changes = sorted((e for e in self.deal.allowed_events if e in STATE_CHANGING),
                         key=lambda e: -weight(status, TRANSITIONS[status][e]))
        moves = [e for e in changes for _ in range(weight(status, TRANSITIONS[status][e]))]
        moment = data.draw(moments, label="moment")
        if moves:
            event_type = data.draw(st.sampled_from(moves), label="event_type")
            self.attempt(lambda d: perform(d, event_type, moment.on(d)))

    def attempt(self, command: Any) -> None:
        deal = self.deal
        before, status, version, allowed = state_of(deal), deal.status, deal.version, deal.allowed_events
        required_signatories = list(deal.required_signatories)
        try:
            command(deal)
        except DomainError as refused:
            assert state_of(deal) == before, f"{type(refused).__name__} left the deal changed"
            if isinstance(refused, IllegalTransition):
                assert refused.details["current_status"] == status.value
                assert refused.details["allowed_events"] == allowed
                assert refused.details["attempted_event"] not in allowed
            return
        assert deal.version == version + 1
        event = deal.pending_events[-1]
        assert event.type_name in allowed
        if status in TERMINAL:
            assert deal.status is status
        if event.changes_state:
            target = TRANSITIONS[status][event.type_name]
            completed = {DealStatus.SIGNATURE_PENDING: DealStatus.SIGNED,
                         DealStatus.RATIFICATION_PENDING: DealStatus.RATIFIED}
            assert deal.status in (target, completed.get(target))
            assert deal.last_state_change_at == event.occurred_at
        else:
            assert deal.status is status, f"{event.type_name} changed the status"
        if event.type_name == "signature_added":
            assert event.party_id in required_signatories  # type: ignore[attr-defined]
        if deal.status is DealStatus.SIGNED and status is not DealStatus.SIGNED:
            assert set(deal.required_signatories) <= set(deal.signatures)
        if deal.status is DealStatus.RATIFIED and status is not DealStatus.RATIFIED:
            assert set(deal.required_ratifiers) <= set(deal.ratifications)

    # ---- the store -------------------------------------------------------------------------------------------

    @precondition(lambda self: bool(self.deal.pending_events))
    @rule(data=st.data())
    def save_and_read_back(self, data: st.DataObject) -> None:
        self.saved.extend(self.deal.pending_events)
        self.app.save(self.deal)
        served = state_of(self.deal)

        assert state_of(self.app.repository.get(self.deal.id)) == served  # from the latest snapshot and events
        stored = list(self.app.events.get(self.deal.id))
        assert state_of(fold(stored)) == served  # every event from version 1

        version = data.draw(st.integers(1, self.deal.version), label="version")
        assert state_of(self.app.repository.get(self.deal.id, version=version)) == state_of(fold(stored[:version]))

        # The committed state is shared from now on (service/write/deal_states.py): the deal goes on as a copy.
        self.shared = [*self.shared[-3:], (self.deal, served)]
        self.deal = self.deal.copy()
        assert state_of(self.deal) == served

        # The feed's JSON, stored with each event, is what the API's schema makes of the event.
        page = FeedReader(self.app).page(0, 10_000, deal_id=self.deal.id)
        assert [orjson.loads(item) for item in page.items] == [
            EventOut.model_validate(event_out(e, p)).model_dump(mode="json")
            for e, p in zip(stored, page.positions, strict=True)
        ]

    # ---- what always holds -----------------------------------------------------------------------------------

    @invariant()
    def shared_states_never_change(self) -> None:
        """What later commands do to a copy leaves the committed state it was copied from as it was."""
        for committed, when_copied in self.shared:
            assert state_of(committed) == when_copied

    @invariant()
    def status_is_a_status(self) -> None:
        assert isinstance(self.deal.status, DealStatus)

    @invariant()
    def versions_are_contiguous(self) -> None:
        versions = [e.originator_version for e in [*self.saved, *self.deal.pending_events]]
        assert versions == list(range(1, self.deal.version + 1))

    @invariant()
    def the_ball_is_with_parties_of_the_deal(self) -> None:
        assert set(self.deal.ball.party_ids) <= set(self.deal.parties)
        assert self.deal.ball.since.utcoffset() is not None

    @invariant()
    def facts_name_parties_and_proposals_of_the_deal(self) -> None:
        deal = self.deal
        assert set(deal.signatures) | set(deal.ratifications) <= set(deal.parties)
        for proposal in deal.proposals.values():
            assert {proposal.tendered_by, *proposal.tendered_to} <= set(deal.parties)
        assert deal.proposal_on_table is None or deal.proposal_on_table in deal.proposals
        assert deal.accepted_proposal_id is None or deal.accepted_proposal_id in deal.proposals

    @invariant()
    def open_conditions_are_the_open_ones(self) -> None:
        assert all(c.status is ConditionStatus.OPEN for c in self.deal.open_conditions)


# Steps forward are weighted up (and come first: Hypothesis prefers first choices), endings down, so that most
# runs get deep into the table.
FORWARD = [DealStatus.DRAFT, DealStatus.UNDER_NEGOTIATION, DealStatus.SIGNING_WITHHELD,
           DealStatus.COUNTER_PROPOSAL_PENDING, DealStatus.PROPOSED, DealStatus.SIGNATURE_PENDING, DealStatus.SIGNED,
           DealStatus.RATIFICATION_PENDING, DealStatus.RATIFIED, DealStatus.IN_FORCE]


def weight(status: DealStatus, target: DealStatus) -> int:
    if target in TERMINAL:
        return 1
    return 20 if FORWARD.index(target) > FORWARD.index(status) else 5


def fold(events: list[DealEvent]) -> Deal:
    deal = None
    for event in events:
        deal = event.mutate(deal)
    assert deal is not None
    return deal


NegotiationMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("DEALS_PROPERTY_EXAMPLES", 40)),
    stateful_step_count=int(os.environ.get("DEALS_PROPERTY_STEPS", 50)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestNegotiation = NegotiationMachine.TestCase
