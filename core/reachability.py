"""Whether the product can text a client, and if not, why: the one rule the fill, staff
offers, Slack, the console and the REST API all read."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.model import Client


class Unreachable(StrEnum):
    OPTED_OUT = "opted_out"  # the client said STOP (or the carrier reported it)
    INVALID_PHONE = "invalid_phone"  # the number bounced, or its holder said "wrong number"


WORDS = {
    Unreachable.OPTED_OUT: "opted out of texts",
    Unreachable.INVALID_PHONE: "phone number is invalid",
}


def unreachable_reason(client: Client) -> Unreachable | None:
    """None when texts can reach the client."""
    if client.sms_opt_out:
        return Unreachable.OPTED_OUT
    if client.phone_invalid:
        return Unreachable.INVALID_PHONE
    return None


def unreachable_words(client: Client) -> str | None:
    """`opted out of texts`, `phone number is invalid`, or None when reachable."""
    reason = unreachable_reason(client)
    return WORDS[reason] if reason else None
