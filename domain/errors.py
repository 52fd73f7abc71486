"""Why the deal refused what it was asked to record. Each error has a stable code."""

from __future__ import annotations


class DomainError(Exception):
    """Raised when a command breaks a rule of the negotiation."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidValue(DomainError):
    """Raised when a value given to the deal is malformed."""

    code = "invalid_value"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}", field=field, reason=reason)
        self.field = field
        self.reason = reason


class IllegalTransition(DomainError):
    """Raised when an event is not allowed in the deal's current state."""

    code = "illegal_transition"

    def __init__(self, status: str, event: str, allowed: list[str], why: str | None = None) -> None:
        allowed_text = ", ".join(allowed) if allowed else "nothing that changes its state"
        because = f" ({why})" if why else ""
        super().__init__(
            f"a deal that is {status} cannot take {event}{because}; allowed now: {allowed_text}",
            current_status=status,
            attempted_event=event,
            allowed_events=allowed,
        )


class NotAuthorized(DomainError):
    """Raised when a party or person acts without the role or authority the act needs."""

    code = "not_authorized"


class NoSigningAuthority(NotAuthorized):
    """Raised when a person signs for a party without authority to sign for it: neither designated for it with
    signing powers (full powers) nor its head of state, head of government or foreign minister."""

    code = "no_signing_authority"

    def __init__(self, person: str, party_id: str, why: str) -> None:
        super().__init__(f"{person} has no authority to sign for {party_id}: {why}", person=person, party_id=party_id)


class BlockingConditionsOpen(DomainError):
    """Raised when the deal would be accepted, signed or ratified while a blocking condition is still open."""

    code = "blocking_conditions_open"

    def __init__(self, status: str, event: str, conditions: list[dict[str, str]]) -> None:
        named = ", ".join(f"{c['condition_id']} (raised by {c['raised_by']})" for c in conditions)
        super().__init__(
            f"a deal that is {status} cannot take {event} while blocking conditions are open: {named}; "
            "each must be satisfied, waived or withdrawn first",
            current_status=status,
            attempted_event=event,
            blocking_conditions=conditions,
        )


class ConflictOfInterest(DomainError):
    """Raised when a party answers its own proposal (accepts, withholds on, or counters it)."""

    code = "own_proposal"


class AlreadyDone(DomainError):
    """Raised when something that happens once is recorded twice (a signature, a condition's resolution)."""

    code = "already_done"


class UnknownReference(DomainError):
    """Raised when an event names a party, proposal, condition or event the deal does not know."""

    code = "unknown_reference"


class OutOfOrder(DomainError):
    """Raised when a state change is dated before the deal's last state change."""

    code = "out_of_order"


class RolesFixed(DomainError):
    """Raised when a change of roles would change who must sign or ratify while that is being collected."""

    code = "roles_fixed"
