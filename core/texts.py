"""SMS wording. Minimum PHI: clinic name, first name, day and time; never a surname or a service."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Templates:
    offer: str = (
        "{clinic}: Hi {first}, a spot opened {when}. Reply YES to book or NO to pass. "
        "Expires {expires}."
    )
    booked: str = "{clinic}: You're booked for {when}. See you then! Reply HELP for help."
    taken: str = "{clinic}: Sorry {first}, that spot was just taken. You're still on our waitlist."
    withdrawn: str = (
        "{clinic}: Sorry {first}, the {when} spot has been filled. You're still on our waitlist."
    )
    declined: str = "{clinic}: No problem, {first}. You're still on our waitlist."
    lapsed: str = "{clinic}: The {when} spot has expired. You're still on our waitlist, {first}."
    expired: str = "{clinic}: Sorry {first}, that offer has expired. You're still on our waitlist."
    no_offer: str = (
        "{clinic}: Hi {first}, you have no open offer right now. We'll text you when a spot opens."
    )
    help: str = (
        "{clinic} waitlist: we text you when a spot opens. Reply YES to book an offer, NO to "
        "pass, STOP to opt out.{contact}"
    )
    unknown: str = (
        "{clinic}: Sorry, we didn't understand. Reply YES to book, NO to pass, HELP for help. "
        "Our staff will see your message."
    )
    opted_out: str = (
        "{clinic}: You're unsubscribed and will get no more texts from us. Reply START to "
        "resubscribe."
    )
    opted_in: str = "{clinic}: You're resubscribed to waitlist texts. Reply STOP to opt out."
    still_opted_out: str = (
        "{clinic}: You're unsubscribed from our texts. Reply START to resubscribe."
    )


DEFAULT_TEMPLATES = Templates()


def local_when(moment: datetime, timezone: str) -> str:
    """`Tue Feb 17 9:00 AM` in the recipient's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    hour = local.hour % 12 or 12
    return f"{local:%a %b} {local.day} {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def local_clock(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.hour % 12 or 12}:{local:%M}"


# GSM 03.38: the characters one SMS segment carries 160 of; the extension ones cost two.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€\f"
SEGMENT = 160
_NAME_STEPS = ((None, None), (12, None), (12, 20), (8, 12))


def render(
    template: str,
    *,
    clinic: str,
    first: str = "",
    when: str = "",
    expires: str = "",
    contact: str = "",
) -> str:
    """Fill a template, keeping it to one GSM-7 segment: names are made GSM-safe, and long
    ones shortened (first name, then clinic name) until the text fits."""
    first, clinic = gsm_safe(first) or "there", gsm_safe(clinic)
    text = ""
    for first_max, clinic_max in _NAME_STEPS:
        text = template.format(
            clinic=clinic[:clinic_max].rstrip(" -.,'"),
            first=first[:first_max].rstrip(" -.,'"),
            when=when,
            expires=expires,
            contact=contact if first_max is None else "",
        )
        if gsm_length(text) <= SEGMENT:
            break
    return text


def gsm_safe(text: str) -> str:
    """Accents outside the GSM alphabet dropped (Zoë becomes Zoe, Łukasz Lukasz); other
    characters replaced, so that a name never turns a text into a 70-character UCS-2 one."""
    out = []
    for char in text:
        if char in GSM_BASIC or char in GSM_EXTENDED:
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char)[:1]
        out.append(plain if plain in GSM_BASIC else {"Ł": "L", "ł": "l"}.get(char, "?"))
    return "".join(out)


def gsm_length(text: str) -> int:
    """Septets: extension characters take two."""
    return sum(2 if char in GSM_EXTENDED else 1 for char in text)
