"""Every Block Kit payload the bot sends, built from plain data, and their text rendering.

Buttons carry the `/waitlist` line they stand for as their value, so a click runs exactly
what typing would (and the console can show them as lines to type).
"""

from __future__ import annotations

import re
import zlib
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.entry_view import EntryView
from bot.slack.grammar import describe
from bot.slack.grammar.weekdays import monday_first
from core.audit import mask_phone
from core.model import Client, WaitlistEntry
from core.reachability import unreachable_words
from core.wording import DAY_ABBR, clock

Block = dict[str, Any]
ACTION_PREFIX = "waitlist_"
DAY_NAMES = DAY_ABBR


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def divider() -> Block:
    return {"type": "divider"}


def button(label: str, line: str, *, style: str | None = None, confirm: str = "") -> Block:
    """A button that runs `/waitlist <line>` when clicked."""
    action = line.split()[0]
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        # Unique within a message (Slack requires it) and stable across processes.
        "action_id": f"{ACTION_PREFIX}{action}_{zlib.crc32(line.encode()):08x}",
        "value": line,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": "Are you sure?"},
            "text": {"type": "mrkdwn", "text": confirm},
            "confirm": {"type": "plain_text", "text": "Yes"},
            "deny": {"type": "plain_text", "text": "No"},
        }
    return element


def actions(*buttons: Block) -> Block:
    return {"type": "actions", "elements": list(buttons)}


def describe_entry(view: EntryView, *, full_name: bool = True) -> str:
    """One line: `*W-3* Jane Doe · Botox with Dr. Johnson · waiting · priority 2`."""
    entry, client = view.entry, view.client
    name = f"{client.first_name} {client.last_name}" if full_name else client.first_name
    what = view.service.name if view.service else "any service"
    if view.providers:
        what += " with " + " or ".join(p.name for p in view.providers)
    line = f"*{entry.ref}* {name} · {what} · {entry.status} · priority {entry.priority}"
    return line + unreachable_note(view.client) if entry.is_active else line


def unreachable_note(client: Client) -> str:
    """` · :no_bell: cannot be texted: opted out of texts`, or nothing when texts reach them."""
    words = unreachable_words(client)
    return f" · :no_bell: cannot be texted: {words}" if words else ""


def preferences(entry: WaitlistEntry) -> str:
    """The when-part of an entry, in words."""
    parts = []
    start, end = entry.preferred_date_start, entry.preferred_date_end
    if start and end:
        parts.append(f"{_day(start)} to {_day(end)}")
    elif start:
        parts.append(f"from {_day(start)}")
    elif end:
        parts.append(f"until {_day(end)}")
    if entry.preferred_days:
        parts.append(" ".join(DAY_NAMES[d] for d in monday_first(entry.preferred_days)))
    if entry.preferred_time_start or entry.preferred_time_end:
        parts.append(describe.times(entry.preferred_time_start, entry.preferred_time_end))
    if entry.preferred_time_slots:
        parts.append(" ".join(slot.lower() + "s" for slot in entry.preferred_time_slots))
    if entry.expires_at:
        parts.append(f"expires {_day(entry.expires_at.date())}")
    return " · ".join(parts) or "any time"


def entry_card(view: EntryView, *, with_phone: bool = False) -> list[Block]:
    entry = view.entry
    lines = [describe_entry(view), preferences(entry)]
    if entry.notes:
        lines.append(f"_“{entry.notes}”_")
    if with_phone:
        lines.append(f"Phone {view.client.phone}")
    blocks = [section("\n".join(lines))]
    if entry.is_active:
        blocks.append(
            actions(
                button("Offer", f"offer {entry.ref}", style="primary"),
                button("Match", f"match {entry.ref}"),
                button(
                    "Remove",
                    f"remove {entry.ref}",
                    style="danger",
                    confirm=f"Take {entry.ref} off the waitlist?",
                ),
            )
        )
    return blocks


def entry_list(
    views: list[EntryView], *, title: str, page: int, pages: int, total: int, line: str
) -> list[Block]:
    blocks = [section(f"*{title}* — {total} entr{'y' if total == 1 else 'ies'}")]
    for view in views:
        blocks.extend(entry_card(view))
    if pages > 1:
        blocks.append(context(f"Page {page} of {pages}"))
        buttons = []
        if page > 1:
            buttons.append(button("‹ Previous", f"{line} page {page - 1}"))
        if page < pages:
            buttons.append(button("Next ›", f"{line} page {page + 1}"))
        blocks.append(actions(*buttons))
    return blocks


def slot_list(ref: str, groups: list[dict[str, Any]], timezone: str) -> list[Block]:
    """find_matching_slots' groups, one Offer button per slot."""
    if not groups:
        return [section(f"No free slots fit {ref} in that range.")]
    blocks = [section(f"*Free slots for {ref}*")]
    zone = ZoneInfo(timezone)
    shown_day = None
    for group in groups:
        day = date.fromisoformat(group["date"])
        if day != shown_day:  # groups come by time, so one day's providers interleave
            blocks.append(context(f"*{_day(day)}*"))
            shown_day = day
        for slot in group["slots"]:
            start = datetime.fromisoformat(slot["start"].replace("Z", "+00:00"))
            token = f"P{group['provider_id']}@{start:%Y-%m-%dT%H:%MZ}"
            label = f"{clock(start.astimezone(zone))} with {group['provider_name']}"
            if slot.get("opening_id"):  # already being filled: offer that opening
                token = f"O-{slot['opening_id']}"
                label += f" ({token}, being filled)"
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": label},
                    "accessory": button("Offer", f"offer {ref} {token}", style="primary"),
                }
            )
    return blocks


def confirmation(text: str, *extra: Block) -> list[Block]:
    return [section(f":white_check_mark: {text}"), *extra]


def problem(text: str) -> list[Block]:
    return [section(f":warning: {text}")]


def client_line(first_name: str, ref: str) -> str:
    """How the channel names a patient: first name and reference only."""
    return f"{first_name} ({ref})"


def masked(phone: str) -> str:
    return mask_phone(phone)


def when(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{_day(local.date())} {clock(local)}"


def _day(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def to_text(blocks: list[Block]) -> str:
    """Block Kit as plain text, for the console and tests: mrkdwn marks dropped, buttons
    shown as the line they would run."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header") and "text" in block:
            lines.append(_plain(block["text"]["text"]))
        for field in block.get("fields", []):
            lines.append(_plain(field["text"]))
        if kind == "context":
            lines.extend(_plain(e.get("text", "")) for e in block["elements"])
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            lines[-1] += f"   [{accessory['text']['text']}: {accessory['value']}]"
        if kind == "actions":
            lines.append(
                "   ".join(
                    f"[{e['text']['text']}: {e['value']}]"
                    for e in block["elements"]
                    if e.get("type") == "button"
                )
            )
        if kind == "input":
            lines.append(f"{block['label']['text']}: …")
    return "\n".join(lines)


def _plain(text: str) -> str:
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"\1", text)
    return text.replace(":white_check_mark: ", "✓ ").replace(":warning: ", "! ")
