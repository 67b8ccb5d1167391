"""Typed errors of the domain. Each carries a message fit to show a user as it is."""

from __future__ import annotations


class WaitlistError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(WaitlistError):
    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(WaitlistError):
    code = "not_found"


class Conflict(WaitlistError):
    """The request is valid but the current state forbids it."""

    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class SlotTaken(Conflict):
    """Someone else was booked into the slot first."""

    code = "slot_taken"


class OfferExpired(Conflict):
    code = "offer_expired"


class NoPendingOffer(Conflict):
    code = "no_pending_offer"


class SlotConflict(Conflict):
    """The provider already has a booked appointment overlapping that time."""

    code = "slot_conflict"


class DuplicateMessage(Conflict):
    """An inbound text with this provider id was already received (a webhook redelivery)."""

    code = "duplicate_message"
