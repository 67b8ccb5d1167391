"""`waitlist console`: type `/waitlist …` lines and `sms <phone> <text>` to play a patient,
and read the replies as text. Same commands, parser and services as Slack; no Slack needed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from bot.runtime import Runtime
from bot.slack.blocks import to_text
from bot.slack.commands import error_reply, run_line
from bot.slack.commands.base import Context, Reply
from core.directory import normalize_phone
from core.errors import InvalidInput

PROMPT = "waitlist> "
INTRO = (
    "Type /waitlist lines (e.g. `help`, `list`, `add Jane Doe 617 555 0101 botox`), "
    "`sms <phone> <text>` to text as a patient, or `quit`."
)


def render(reply: Reply) -> str:
    return to_text(reply.blocks) if reply.blocks else reply.text


def run_console(
    runtime: Runtime,
    lines: Iterable[str],
    write: Callable[[str], None] = print,
    *,
    echo: bool = True,
) -> None:
    ctx = Context(runtime, user_id="console")
    typed = iter(lines)
    for raw in typed:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("quit", "exit"):
            break
        if echo:  # a transcript shows what was typed
            write(f"{PROMPT}{line}")
        text, confirm = _answer(ctx, runtime, line)
        if text:
            write(text)
        if confirm is not None:  # nothing is sent before the operator says yes
            if not echo:
                write(CONFIRM.strip())
            answer = next(typed, "").strip()
            if echo:
                write(f"{CONFIRM}{answer}")
            if answer.lower() in ("y", "yes"):
                write(_answer(ctx, runtime, confirm)[0])
            else:
                write("Nothing was sent.")
        runtime.dispatch_now()


CONFIRM = "Go ahead? [y/N] "


def _answer(ctx: Context, runtime: Runtime, line: str) -> tuple[str, str | None]:
    if line.lower().startswith("sms "):
        split = _phone_and_text(line.split()[1:])
        if split is None:
            return "Usage: sms <phone> <text>, e.g. sms 617-555-0101 yes", None
        from bot.sms.inbound import handle_sms

        phone, text = split
        reply = handle_sms(runtime, phone, text)
        # No reply of its own: the answer (a booking's confirmation) goes out as a text.
        return (f"  reply to {phone}: {reply}" if reply else ""), None
    try:
        done = run_line(ctx, line, trusted=True)
        return render(done), done.confirm
    except Exception as exc:  # noqa: BLE001 (the console shows what Slack would)
        reply = error_reply(exc)
        if reply is None:
            raise
        return render(reply), None


def _phone_and_text(words: list[str]) -> tuple[str, str] | None:
    """`617 555 0101 yes please` -> the phone as typed and the text: the most leading words
    that make a phone number (a phone may be written with spaces)."""
    digits = [not any(c.isalpha() for c in word) for word in words]
    for n in range(min(len(words) - 1, 5), 0, -1):
        if not all(digits[:n]):
            continue
        try:
            normalize_phone(" ".join(words[:n]))
        except InvalidInput:
            continue
        return " ".join(words[:n]), " ".join(words[n:])
    return None


def interactive_lines() -> Iterable[str]:
    """Prompted lines on a terminal; plain stdin lines when piped (scripts, tests, docs)."""
    if not sys.stdin.isatty():
        yield from sys.stdin
        return
    print(INTRO)
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            return
