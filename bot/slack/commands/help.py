"""`/waitlist help`: what each subcommand does. Read-only, for everyone."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply

NAME = "help"
USAGE = "help"
SUMMARY = "this list"
CHANGES = False


def run(ctx: Context, args: str) -> Reply:
    from bot.slack.commands import COMMANDS

    lines = [f"`/waitlist {c.USAGE}` — {c.SUMMARY}" for c in COMMANDS.values()]
    text = "*/waitlist* commands:\n" + "\n".join(lines)
    example = (
        "Example: `/waitlist add Jane Doe +1 555 123 4567 botox with Dr. Johnson weekdays "
        '9am-2pm Feb 15 to Feb 28 priority 2 "no weekends"`. '
        "An entry can be named by its client too: `/waitlist remove Jane Doe`."
    )
    notes = [blocks.section(text), blocks.context(example)]
    clinics = [c.name for c in ctx.group.clinics]
    if len(clinics) > 1:
        notes.append(
            blocks.context(
                "A command acts on the clinic of the channel it is typed in; elsewhere add "
                f"`at <clinic>` ({', '.join(clinics)}), e.g. `/waitlist list at {clinics[0]}`."
            )
        )
    return Reply(text, notes)
