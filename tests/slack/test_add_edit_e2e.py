"""`/waitlist add` and `edit` in natural language, through the real parser, over HTTP."""

from __future__ import annotations

from tests.slack.conftest import SlackHttp


def _active(slack: SlackHttp) -> int:
    with slack.runtime.make_uow() as uow:
        return uow.entries.counts_by_status().get("waiting", 0)


def test_add_creates_the_client_and_the_entry_from_one_line(slack: SlackHttp) -> None:
    slack.command(
        'add Jane Doe (617) 555-0101 botox with dr lee weekdays mornings priority 2 "no Fridays"'
    )

    text = slack.reply_text()
    assert text.splitlines()[0] == "✓ Added W-1 for Jane Doe."
    assert "W-1 Jane Doe · Botox with Dr. Lee · waiting · priority 2" in text
    assert text.splitlines()[-1].startswith(
        "Understood: Botox · with Dr. Lee · weekdays · mornings"
    )
    with slack.runtime.make_uow() as uow:
        assert uow.clients.get_by_phone("+16175550101").first_name == "Jane"


def test_add_with_a_half_understood_line_creates_nothing(slack: SlackHttp) -> None:
    slack.command("add Jane Doe 617 555 0101 botx blah")

    assert slack.reply_text() == "! I didn't understand 'blah'."
    assert _active(slack) == 0
    with slack.runtime.make_uow() as uow:
        assert uow.clients.get_by_phone("+16175550101") is None


def test_edit_changes_the_entry(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    slack.command(f"edit {entry.ref} afternoons priority 1")

    assert slack.reply_text().splitlines()[0] == "✓ Updated W-1: afternoons · priority 1."
    with slack.runtime.make_uow() as uow:
        assert uow.entries.get(entry.id).priority == 1


def test_edit_without_changes_says_what_to_write(slack: SlackHttp) -> None:
    slack.command("edit W-1")

    assert slack.reply_text() == ("! Say what changes for W-1, e.g. `/waitlist edit W-1 mornings`.")
