"""`waitlist sms …`: play the patient, and see what was texted, without Twilio."""

from __future__ import annotations

import argparse
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from core.audit import mask_phone
from core.directory import normalize_phone
from core.errors import NotFound
from core.model import Message
from core.ports import UnitOfWork


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sms = commands.add_parser("sms", help="texts: reply as a patient, read the outbox")
    sms.set_defaults(run=run)
    actions = sms.add_subparsers(required=True, metavar="action")
    reply = actions.add_parser(
        "reply", help="feed a text from a patient through the inbound path (local, unsigned)"
    )
    reply.add_argument("phone")
    reply.add_argument("text", nargs="+")
    reply.add_argument("--to", help="the clinic number it is sent to (with several clinics)")
    reply.set_defaults(sms_action=_reply)
    outbox = actions.add_parser("outbox", help="texts sent and waiting, newest first")
    outbox.add_argument("--limit", type=int, default=20)
    outbox.set_defaults(sms_action=_outbox)
    history = actions.add_parser("history", help="a client's consent and messages, for staff")
    history.add_argument("phone")
    history.add_argument("--limit", type=int, default=50)
    history.set_defaults(sms_action=_history)


def _reply(runtime: Runtime, args: argparse.Namespace) -> list[str]:
    from bot.sms.inbound import handle_sms

    answer = handle_sms(runtime, args.phone, " ".join(args.text), to=args.to)
    runtime.dispatch_now()
    lines = [f"Reply: {answer}"] if answer else ["(no reply text; see the outbox)"]
    return lines


def _outbox(runtime: Runtime, args: argparse.Namespace) -> list[str]:
    with runtime.make_uow() as uow:
        messages = [m for m in uow.messages.recent(args.limit * 3) if m.direction == "outbound"]
        zones = _zones(runtime, uow)
    return [_line(m, zones) for m in messages[: args.limit]] or ["The outbox is empty."]


def _history(runtime: Runtime, args: argparse.Namespace) -> list[str]:
    phone = normalize_phone(args.phone)
    with runtime.make_uow() as uow:
        client = uow.clients.get_by_phone(phone)
        if client is None or client.id is None:
            raise NotFound(f"No client has the phone {mask_phone(phone)}.")
        messages = uow.messages.for_client(client.id, limit=args.limit)
        zones = _zones(runtime, uow)
    tz = zones[None]
    if client.sms_opt_out:
        when = client.opted_out_at.astimezone(tz) if client.opted_out_at else None
        consent = f"opted out {when:%Y-%m-%d %H:%M} saying {client.opt_out_text!r}"
    elif client.phone_invalid:
        consent = "phone cannot receive texts"
    else:
        consent = "may be texted"
    lines = [f"{client.first_name} {client.last_name} ({mask_phone(client.phone)}): {consent}"]
    return lines + [_line(m, zones) for m in messages]


def _zones(runtime: Runtime, uow: UnitOfWork) -> dict[int | None, ZoneInfo]:
    """Each clinic's zone by id; None: the first clinic's, for texts of no clinic."""
    zones: dict[int | None, ZoneInfo] = {
        c.id: runtime.clinic_config(c).zone for c in uow.clinics.list()
    }
    zones[None] = next(iter(zones.values()), ZoneInfo("UTC"))
    return zones


def _line(message: Message, zones: dict[int | None, ZoneInfo]) -> str:
    tz = zones.get(message.clinic_id, zones[None])
    at = message.created_at.astimezone(tz) if message.created_at else None
    arrow = "<-" if message.direction == "inbound" else "->"
    stamp = f"{at:%m-%d %H:%M}" if at else "?"
    return (
        f"{stamp} {arrow} {mask_phone(message.phone)} [{message.kind}, {message.status}] "
        f"{message.body}"
    )


def run(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from bot.settings import Settings
    from storage.db import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    try:
        for line in args.sms_action(runtime, args):
            print(line)
    finally:
        runtime.close()
    return 0
