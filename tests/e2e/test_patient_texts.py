"""Patients text the way people text, through the signed Twilio webhook of the real app: each
kind of text does what it says, answers sensibly, and staff hear what they need to."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from core.model import Client, EntryStatus, Event, OfferStatus, WaitlistEntry
from core.policy import Policy
from tests.fakes.twilio_api import FakeTwilioApi, fake_twilio  # noqa: F401 (fixture)
from tests.scenario import local
from tests.sms.server import SmsServer, serve, wait_for

POLICY = Policy(batch_size=2, cap_per_day=0, cap_per_week=0)


@dataclass
class Fill:
    sms: SmsServer
    ana: Client
    ben: Client
    cal: Client
    entries: list[WaitlistEntry]

    def say(self, client: Client, body: str) -> str:
        """The reply the webhook gives to `body` from `client`."""
        return said(self.sms.text(client.phone, body))

    def entry(self, n: int) -> WaitlistEntry:
        with self.sms.runtime.make_uow() as uow:
            entry = uow.entries.get(self.entries[n].id or 0)
        assert entry is not None
        return entry

    def client(self, client: Client) -> Client:
        with self.sms.runtime.make_uow() as uow:
            found = uow.clients.get(client.id or 0)
        assert found is not None
        return found

    def offer_status(self, client: Client) -> OfferStatus:
        with self.sms.runtime.make_uow() as uow:
            offer = uow.offers.latest_for_client(client.id or 0)
        assert offer is not None
        return offer.status

    def told(self, kind: str) -> list[Event]:
        return [e for e in self.sms.notifier.events if e.kind == kind]


def said(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    message = ET.fromstring(response.text).find("Message")
    return (message.text or "") if message is not None else ""


@pytest.fixture
def filling(database_url: str, fake_twilio: FakeTwilioApi) -> Iterator[Fill]:  # noqa: F811
    """Ana and Ben hold offers of Tue Feb 17 10:00 AM with Dr. Johnson; Cal waits next."""
    with serve(database_url, fake_twilio, policy=POLICY) as sms:
        world = sms.world
        holder = world.client("Holder", 9000)
        ana, ben, cal = (world.client(n, 100 + i) for i, n in enumerate(["Ana", "Ben", "Cal"]))
        entries = [
            world.entry(c, at=sms.clock.now.replace(minute=i))
            for i, c in enumerate([ana, ben, cal])
        ]
        sms.cancel(world.appointment(holder, local(17, 10)).id)
        assert wait_for(lambda: len(sms.twilio.messages) == 2)
        yield Fill(sms, ana, ben, cal, entries)


def test_leaving_the_waitlist_cancels_the_entry_and_the_fill_moves_on(filling: Fill) -> None:
    reply = filling.say(filling.ana, "Found another clinic, take me off the waitlist")

    assert reply == (
        "Glow Clinic: Done, Ana: you're off our waitlist and won't get offers. "
        "Reply STOP to stop all texts from us."
    )
    assert filling.entry(0).status is EntryStatus.CANCELLED
    assert filling.offer_status(filling.ana) is OfferStatus.WITHDRAWN
    assert not filling.client(filling.ana).sms_opt_out  # texts stay on
    assert wait_for(lambda: filling.sms.twilio.bodies_to(filling.cal.phone))  # next in line
    [told] = filling.told("ClientLeftWaitlist")
    assert told.data["entries"] == [filling.entries[0].ref]


def test_no_thanks_take_me_off_the_list_leaves_the_waitlist(filling: Fill) -> None:
    reply = filling.say(filling.ana, "no thanks, take me off the list")

    assert "off our waitlist" in reply
    assert filling.entry(0).status is EntryStatus.CANCELLED
    assert filling.told("ClientLeftWaitlist")


def test_leaving_twice_says_there_is_nothing_left(filling: Fill) -> None:
    filling.say(filling.cal, "please remove me from the waitlist")
    again = filling.say(filling.cal, "remove me from the waitlist")

    assert filling.entry(2).status is EntryStatus.CANCELLED
    assert "you're not on our waitlist" in again


def test_a_wrong_number_marks_the_phone_and_the_fill_moves_on(filling: Fill) -> None:
    reply = filling.say(filling.ana, "Wrong number, I'm not a patient there")

    assert reply.startswith("Glow Clinic: Sorry for the mix-up.") and "Ana" not in reply
    client = filling.client(filling.ana)
    assert client.phone_invalid and not client.sms_opt_out
    assert filling.offer_status(filling.ana) is OfferStatus.WITHDRAWN
    assert filling.entry(0).status is EntryStatus.WAITING  # staff fix the number
    assert wait_for(lambda: filling.sms.twilio.bodies_to(filling.cal.phone))
    [told] = filling.told("WrongNumber")
    assert told.data["entries"] == [filling.entries[0].ref] and "100" not in told.data["phone"]
    assert len(filling.sms.twilio.bodies_to(filling.ana.phone)) == 1  # only the offer


def test_who_is_this_names_the_clinic_and_how_to_stop(filling: Fill) -> None:
    reply = filling.say(filling.ana, "who is this??")

    assert reply.startswith("This is Glow Clinic:") and "STOP" in reply
    assert filling.offer_status(filling.ana) is OfferStatus.PENDING


@pytest.mark.parametrize("question", ["what time?", "where?", "with who?", "Which doctor"])
def test_a_question_restates_the_offer_and_tells_staff(filling: Fill, question: str) -> None:
    reply = filling.say(filling.ana, question)

    assert reply == (
        "Glow Clinic: The spot is Tue Feb 17 10:00 AM with Dr. Johnson. Reply YES to book or "
        "NO to pass by 10:15 AM. Our staff will see your question."
    )
    assert filling.offer_status(filling.ana) is OfferStatus.PENDING
    [told] = filling.told("SmsForStaff")
    assert (told.data["reason"], told.data["text"]) == ("question", question)
    assert told.opening_id is not None


def test_a_yes_after_booking_says_when_the_booking_is(filling: Fill) -> None:
    assert filling.say(filling.ana, "yesss \U0001f44d") == ""  # the confirmation is texted
    assert filling.entry(0).status is EntryStatus.BOOKED

    again = filling.say(filling.ana, "YES")
    third = filling.say(filling.ana, "Yes!")

    assert again == "Glow Clinic: Hi Ana, you're booked for Tue Feb 17 10:00 AM. See you then!"
    assert third == again
    assert filling.entry(0).status is EntryStatus.BOOKED


def test_a_conditional_yes_books_nothing_and_goes_to_staff(filling: Fill) -> None:
    reply = filling.say(filling.ana, "yes but can it be 11")

    assert reply == (
        "Glow Clinic: Thanks Ana, our staff will see your message. Nothing is booked yet: "
        "reply YES to take the Tue Feb 17 10:00 AM spot as offered, or NO to pass."
    )
    assert filling.entry(0).status is EntryStatus.OFFERED
    assert filling.offer_status(filling.ana) is OfferStatus.PENDING
    [told] = filling.told("SmsForStaff")
    assert told.data["reason"] == "conditional"


def test_an_opt_out_keeps_the_entry_visible_to_staff(filling: Fill) -> None:
    reply = filling.say(filling.ana, "STOP")

    assert "unsubscribed" in reply
    assert filling.entry(0).status is EntryStatus.WAITING
    [told] = filling.told("ClientOptedOut")
    assert told.data["entries"] == [filling.entries[0].ref]


def test_an_unknown_text_during_an_offer_says_how_to_answer_it(filling: Fill) -> None:
    reply = filling.say(filling.ana, "my dog ate my homework")

    assert reply == (
        "Glow Clinic: Sorry, we didn't understand. Reply YES to book the Tue Feb 17 10:00 AM "
        "spot or NO to pass. Our staff will see your message."
    )
    assert filling.told("SmsNotUnderstood")


def test_a_number_we_do_not_know_is_told_so(filling: Fill) -> None:
    reply = said(filling.sms.text("+16175559999", "YES"))

    assert reply.startswith("Glow Clinic: Sorry, we couldn't find this number")
    assert filling.told("SmsNotUnderstood")
