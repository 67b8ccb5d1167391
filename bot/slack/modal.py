"""The Add form (`/waitlist add` with no text) and its submission, checked field by field so
mistakes show next to the field they concern (`response_action: errors`)."""

from __future__ import annotations

import json
from datetime import date, time
from typing import Any

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.entry_view import entry_view
from core.directory import find_or_add_client, normalize_phone
from core.entries import add_to_waitlist
from core.errors import Conflict, NotFound, WaitlistError
from core.model import Client, Provider, Service
from core.ports import UnitOfWork

CALLBACK_ID = "waitlist_add"
CLIENT_SEARCH = "client_search"  # the action_id whose options come from `client_options`
DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
FIELDS = (
    "client",
    "first_name",
    "last_name",
    "phone",
    "service",
    "provider",
    "date_start",
    "date_end",
    "time_start",
    "time_end",
    "days",
    "priority",
    "notes",
)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = True) -> Any:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": "value", **element},
    }


def client_options(uow: UnitOfWork, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """The clients matching what was typed in the search, as select options (masked phones)."""
    return [
        _option(f"{c.first_name} {c.last_name} · {blocks.masked(c.phone)}", str(c.id))
        for c in uow.clients.search(text, limit)
    ]


def add_view(
    services: list[Service], providers: list[Provider], channel_id: str = "", clinic_id: int = 0
) -> dict[str, Any]:
    text = {"type": "plain_text_input"}
    hours = [
        _option(f"{h % 12 or 12}:00 {'AM' if h < 12 else 'PM'}", f"{h:02d}:00")
        for h in range(7, 22)
    ]
    search = {
        "type": "external_select",
        "action_id": CLIENT_SEARCH,
        "min_query_length": 2,
        "placeholder": _plain("Search by name or phone"),
    }
    fields = [
        {
            **_input("client", "Existing client", search),
            "hint": _plain("Or leave empty and type a new client's name and phone below."),
        },
        _input("first_name", "First name (new client)", text),
        _input("last_name", "Last name (new client)", text),
        _input(
            "phone", "Mobile phone (new client)", {**text, "placeholder": _plain("+1 555 123 4567")}
        ),
    ]
    if services:
        options = [_option(s.name, str(s.id)) for s in services]
        fields.append(_input("service", "Service", {"type": "static_select", "options": options}))
    if providers:
        options = [_option(p.name, str(p.id)) for p in providers]
        fields.append(
            _input(
                "provider",
                "Preferred provider",
                {"type": "multi_static_select", "options": options},
            )
        )
    fields += [
        _input("date_start", "Earliest date", {"type": "datepicker"}),
        _input("date_end", "Latest date", {"type": "datepicker"}),
        _input("time_start", "Earliest time", {"type": "static_select", "options": hours}),
        _input("time_end", "Latest time", {"type": "static_select", "options": hours}),
        _input(
            "days",
            "Days",
            {"type": "checkboxes", "options": [_option(d, str(i)) for i, d in enumerate(DAYS)]},
        ),
        _input(
            "priority",
            "Priority",
            {
                "type": "static_select",
                "options": [
                    _option(f"{n}{' (most urgent)' if n == 1 else ''}", str(n)) for n in range(1, 6)
                ],
                "initial_option": _option("3", "3"),
            },
        ),
        _input("notes", "Notes", {**text, "multiline": True}),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"channel": channel_id, "clinic": clinic_id}),
        "title": _plain("Add to waitlist"),
        "submit": _plain("Add"),
        "close": _plain("Cancel"),
        "blocks": fields,
    }


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def read_values(state: dict[str, Any]) -> dict[str, Any]:
    """The submitted state as {field: plain value} (None when left empty)."""
    out: dict[str, Any] = {}
    for block_id in FIELDS:
        element: dict[str, Any] = next(iter(state.get(block_id, {}).values()), {})
        if "selected_options" in element:
            out[block_id] = [o["value"] for o in element["selected_options"] or []]
        elif "selected_option" in element:
            option = element["selected_option"]
            out[block_id] = option["value"] if option else None
        elif "selected_date" in element:
            out[block_id] = element["selected_date"]
        else:
            out[block_id] = (element.get("value") or "").strip() or None
    return out


def submit_add(ctx: Context, state: dict[str, Any]) -> Reply | dict[str, str]:
    """Add the entry, or return {block_id: message} for the form to show."""
    values = read_values(state)
    errors: dict[str, str] = {}
    picked = int(values["client"]) if (values["client"] or "").isdigit() else None
    phone = ""
    if values["client"] and picked is None:
        errors["client"] = "Pick the client from the search results."
    elif picked is None:
        if not (values["first_name"] or values["last_name"] or values["phone"]):
            errors["client"] = "Pick a client, or type a new client's first name and phone."
        else:
            if not values["first_name"]:
                errors["first_name"] = "A first name is needed for a new client."
            try:
                phone = normalize_phone(values["phone"] or "")
            except WaitlistError as exc:
                errors["phone"] = exc.message
    preferences: dict[str, Any] = {
        "priority": int(values["priority"] or 3),
        "preferred_days": tuple(int(d) for d in values["days"] or []),
        "provider_ids": tuple(int(p) for p in values["provider"] or []),
    }
    if values["service"]:
        preferences["service_id"] = int(values["service"])
    if values["notes"]:
        preferences["notes"] = values["notes"]
    for name, kind in (
        ("date_start", date),
        ("date_end", date),
        ("time_start", time),
        ("time_end", time),
    ):
        if values[name]:
            key = f"preferred_{name}"
            preferences[key] = kind.fromisoformat(values[name])
    start, end = preferences.get("preferred_date_start"), preferences.get("preferred_date_end")
    if start and end and end < start:
        errors["date_end"] = "The latest date is before the earliest."
    t_start, t_end = preferences.get("preferred_time_start"), preferences.get("preferred_time_end")
    if t_start and t_end and t_end <= t_start:
        errors["time_end"] = "The latest time must be after the earliest."
    if errors:
        return errors
    now = ctx.now()
    try:
        with ctx.uow() as uow:
            if picked is not None:
                client = _picked(uow, picked)
            else:
                try:
                    client, _ = find_or_add_client(
                        uow=uow,
                        first_name=values["first_name"],
                        last_name=values["last_name"] or "",
                        phone=phone,
                        now=now,
                        actor=ctx.actor,
                    )
                except Conflict as exc:  # the phone is another client's
                    return {"phone": exc.message}
            entry = add_to_waitlist(
                uow=uow,
                client_id=client.id or 0,
                clinic_id=ctx.clinic.clinic_id,
                actor=ctx.actor,
                now=now,
                **preferences,
            )
            view = entry_view(uow, entry)
            uow.commit()
    except WaitlistError as exc:
        field = getattr(exc, "field", None) or "client"
        block = {"preferred_date_end": "date_end", "preferred_time_end": "time_end"}.get(
            field, field
        )
        return {block if block in FIELDS else "notes": exc.message}
    message = f"Added {entry.ref} for {client.first_name} {client.last_name}."
    return Reply(message, blocks.confirmation(message, *blocks.entry_card(view)))


def _picked(uow: UnitOfWork, client_id: int) -> Client:
    client = uow.clients.get(client_id)
    if client is None:
        raise NotFound("That client no longer exists; search again.")
    return client
