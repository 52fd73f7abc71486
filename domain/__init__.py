"""The negotiation domain: deals, their parties, proposals, conditions and statements.

Pure Python on top of `eventsourcing.domain`; nothing here knows about HTTP or SQL.
"""

from domain.catalogue import CATALOGUE, EVENT_CLASSES
from domain.deal import Deal
from domain.errors import (
    AlreadyDone,
    BlockingConditionsOpen,
    ConflictOfInterest,
    DomainError,
    IllegalTransition,
    InvalidValue,
    NoSigningAuthority,
    NotAuthorized,
    OutOfOrder,
    RolesFixed,
    UnknownReference,
)
from domain.events import DealEvent

__all__ = [
    "CATALOGUE",
    "EVENT_CLASSES",
    "AlreadyDone",
    "BlockingConditionsOpen",
    "ConflictOfInterest",
    "Deal",
    "DealEvent",
    "DomainError",
    "IllegalTransition",
    "InvalidValue",
    "NoSigningAuthority",
    "NotAuthorized",
    "OutOfOrder",
    "RolesFixed",
    "UnknownReference",
]
