"""A client who cancels is not texted their own slot back, over the real Slack stack and a
patient's NO; staff can still offer it by hand and are told whose slot it is."""

from __future__ import annotations

from bot.slack.blocks import to_text
from bot.sms.inbound import handle_sms
from core.model import EntryStatus
from tests.scenario import local
from tests.slack.conftest import SlackHttp


def _reply(slack: SlackHttp, number: int) -> str:
    """The text of the `number`th reply (from 1), waiting for it if needed."""
    posted = slack.replies(number)[number - 1]
    return to_text(posted["blocks"]) if posted.get("blocks") else str(posted["text"])


def test_cancel_never_texts_the_client_their_own_slot_back(slack: SlackHttp) -> None:
    world = slack.world
    maria = world.client("Maria", 1)
    own = world.entry(maria, priority=1)  # top of the list for any Botox slot
    tom = world.client("Tom", 2)
    world.entry(tom)
    world.appointment(maria, local(18, 10))

    slack.command("cancel maria tester")
    offered = _reply(slack, 1)
    assert offered == "✓ O-1 opened for Wed Feb 18 10:00 AM. Offers texted to Tom (W-2)."
    handle_sms(slack.runtime, tom.phone, "NO")  # the fill moves on: no one is left but Maria

    with slack.runtime.make_uow() as uow:
        assert uow.entries.get(own.id).status is EntryStatus.WAITING
        assert uow.messages.for_client(maria.id) == []
        assert uow.openings.get(1).origin_client_id == maria.id

    slack.command(f"match {own.ref} feb 18")
    matched = _reply(slack, 2)
    assert "10:00 AM with Dr. Lee" in matched  # others' time that day is shown
    assert "10:00 AM with Dr. Johnson" not in matched  # the slot Maria gave up is not


def test_staff_may_offer_a_client_their_own_cancelled_slot_and_are_told(
    slack: SlackHttp,
) -> None:
    world = slack.world
    maria = world.client("Maria", 1)
    own = world.entry(maria)
    world.appointment(maria, local(18, 10))
    slack.command("cancel maria tester")
    assert _reply(slack, 1).endswith("No one on the waitlist fits it yet.")  # only Maria waits

    slack.command(f"offer {own.ref}")
    assert "O-1 · Wed Feb 18 10:00 AM · Dr. Johnson · their own cancelled slot" in (
        _reply(slack, 2)
    )
    slack.click(f"offer {own.ref} O-1")

    assert slack.replies(3)[2]["text"] == (
        "Offer sent to Maria (W-1) for Wed Feb 18 10:00 AM (O-1); it holds until 10:15 AM. "
        "It is the slot Maria cancelled."
    )
    with slack.runtime.make_uow() as uow:
        assert uow.entries.get(own.id).status is EntryStatus.OFFERED
        assert [m.kind for m in uow.messages.for_client(maria.id)] == ["offer"]
