"""SMS wording. Minimum PHI: clinic name, first name, day and time; never a surname or a service."""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass, fields

from core.wording import local_clock, local_when

__all__ = [
    "DEFAULT_TEMPLATES",
    "Templates",
    "check_template",
    "local_clock",
    "local_when",
    "render",
]


@dataclass(frozen=True)
class Templates:
    offer: str = (
        "{clinic}: Hi {first}, a spot opened {when}. Reply YES to book or NO to pass. "
        "Expires {expires}."
    )
    booked: str = "{clinic}: You're booked for {when}. See you then! Reply HELP for help."
    already_booked: str = "{clinic}: Hi {first}, you're booked for {when}. See you then!{contact}"
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
    no_offer_question: str = (
        "{clinic}: Hi {first}, you have no open offer right now; we'll text you when a spot "
        "opens. Our staff will see your message."
    )
    offer_details: str = (
        "{clinic}: The spot is {when} with {provider}. Reply YES to book or NO to pass by "
        "{expires}. Our staff will see your question."
    )
    conditional: str = (
        "{clinic}: Thanks {first}, our staff will see your message. Nothing is booked yet: "
        "reply YES to take the {when} spot as offered, or NO to pass."
    )
    for_staff: str = "{clinic}: Thanks {first}, our staff will read your message and reply."
    left_waitlist: str = (
        "{clinic}: Done, {first}: you're off our waitlist and won't get offers. "
        "Reply STOP to stop all texts from us."
    )
    not_on_waitlist: str = (
        "{clinic}: Hi {first}, you're not on our waitlist, so no offers will come. "
        "Reply STOP to stop all texts from us."
    )
    wrong_number: str = (
        "{clinic}: Sorry for the mix-up. We've noted this is the wrong number and won't text "
        "it again."
    )
    who_is_this: str = (
        "This is {clinic}: you're on our waitlist and we text when an appointment spot opens. "
        "Reply STOP to opt out.{contact}"
    )
    help: str = (
        "{clinic} waitlist: we text you when a spot opens. Reply YES to book an offer, NO to "
        "pass, STOP to opt out.{contact}"
    )
    unknown: str = (
        "{clinic}: Sorry, we didn't understand. Our staff will see your message. "
        "Reply HELP for help or STOP to opt out."
    )
    unknown_offer: str = (
        "{clinic}: Sorry, we didn't understand. Reply YES to book the {when} spot or NO to "
        "pass. Our staff will see your message."
    )
    unknown_booked: str = (
        "{clinic}: Thanks {first}, our staff will see your message. You're booked for {when}."
    )
    unknown_number: str = (
        "{clinic}: Sorry, we couldn't find this number on our waitlist. Our staff will see "
        "your message."
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


# GSM 03.38: the characters one SMS segment carries 160 of; the extension ones cost two.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€\f"
SEGMENT = 160
# Shortening steps, longest first: (first name, clinic name, provider name) at most.
_NAME_STEPS = ((None, None, None), (12, None, 24), (12, 20, 16), (8, 12, 12))


def render(
    template: str,
    *,
    clinic: str,
    first: str = "",
    when: str = "",
    expires: str = "",
    contact: str = "",
    provider: str = "",
) -> str:
    """Fill a template, keeping it to one GSM-7 segment: names are made GSM-safe, and long
    ones shortened (first name, then clinic and provider names) until the text fits."""
    first, clinic = gsm_safe(first) or "there", gsm_safe(clinic)
    provider = gsm_safe(provider) or "our team"
    text = ""
    for first_max, clinic_max, provider_max in _NAME_STEPS:
        text = template.format(
            clinic=clinic[:clinic_max].rstrip(" -.,'"),
            first=first[:first_max].rstrip(" -.,'"),
            provider=provider[:provider_max].rstrip(" -.,'"),
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


# What a template may and must use: what its default uses; the offer must also say when it
# expires. {clinic} is in every default, so every text names who sends it.
_LONG = {
    "clinic": "Northside Physiotherapy and Sports Medicine Group",
    "first": "Maximiliana-Alexandra",
    "provider": "Dr. Bartholomew Fitzgerald-Worthington",
    "when": "Wed Dec 30 10:30 AM",
    "expires": "10:45 PM",
    "contact": " Questions? Call +1 555 123 4567.",
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_template(name: str, text: str) -> str | None:
    """Why `text` cannot be the `name` template, or None if it can: it must be a known
    template, in the GSM-7 alphabet, use the placeholders it needs and no others, and still
    fit one segment when filled with long names."""
    default = getattr(DEFAULT_TEMPLATES, name, None)
    if not isinstance(default, str) or name.startswith("_"):
        known = ", ".join(f.name for f in fields(Templates))
        return f"there is no template called '{name}' (known: {known})."
    try:
        used = placeholders(text)
    except ValueError as exc:
        return f"it is not a valid template ({exc}); write placeholders as {{name}}."
    allowed = placeholders(default) | {"clinic", "first"}
    unknown = sorted(used - allowed)
    if unknown or any(not n.isidentifier() for n in used):
        return (
            f"unknown placeholder {{{(unknown or sorted(used))[0]}}}; it may use "
            + ", ".join(f"{{{n}}}" for n in sorted(allowed))
            + "."
        )
    required = placeholders(default) & ({"clinic", "when", "expires"})
    missing = sorted(required - used)
    if missing:
        return f"it must include {{{missing[0]}}}."
    if gsm_safe(text) != text:
        odd = next(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED)
        return f"'{odd}' is not in the SMS (GSM-7) alphabet."
    filled = render(text, **_LONG)
    if gsm_length(filled) > SEGMENT:
        return (
            f"with long names it is {gsm_length(filled)} characters, more than one SMS "
            f"({SEGMENT}); shorten it."
        )
    return None
