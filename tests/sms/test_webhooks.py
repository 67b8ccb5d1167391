"""Signed Twilio webhooks to the real app over HTTP, with texts going out through the real
twilio library to a local fake Messages API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.model import Client, EntryStatus, MessageStatus, OfferStatus, WaitlistEntry
from core.policy import Policy
from tests.fakes.twilio_api import FakeTwilioApi, fake_twilio  # noqa: F401 (fixture)
from tests.scenario import NOW, local
from tests.sms.server import SmsServer, serve, wait_for

POLICY = Policy(batch_size=2, cap_per_day=0, cap_per_week=0)


@dataclass
class Fill:
    server: SmsServer
    clients: list[Client]
    entries: list[WaitlistEntry]


@pytest.fixture
def sms(database_url: str, fake_twilio: FakeTwilioApi) -> Iterator[SmsServer]:  # noqa: F811
    with serve(database_url, fake_twilio, policy=POLICY) as server:
        yield server


@pytest.fixture
def filling(sms: SmsServer) -> Fill:
    """Three waiting clients; an appointment is cancelled; the first two hold offers."""
    world = sms.world
    holder = world.client("Holder", 9000)
    clients = [world.client(name, 100 + i) for i, name in enumerate(["Ana", "Ben", "Cal"])]
    entries = [world.entry(c, at=NOW.replace(minute=i)) for i, c in enumerate(clients)]
    appointment = world.appointment(holder, local(17, 10))
    sms.cancel(appointment.id)
    assert wait_for(lambda: len(sms.twilio.messages) == 2)
    return Fill(sms, clients, entries)


def _entry(sms: SmsServer, entry_id: int | None) -> WaitlistEntry:
    with sms.runtime.make_uow() as uow:
        entry = uow.entries.get(entry_id or 0)
    assert entry is not None
    return entry


def _client(sms: SmsServer, client_id: int | None) -> Client:
    with sms.runtime.make_uow() as uow:
        client = uow.clients.get(client_id or 0)
    assert client is not None
    return client


def _state(sms: SmsServer) -> tuple[int, int, int]:
    with sms.runtime.make_uow() as uow:
        messages = len(uow.messages.recent(10_000))
        events = len(uow.events.list(limit=10_000))
        offers = [o.status for o in uow.offers.for_opening(1)]
    return messages, events, hash(tuple(offers))


def test_offers_go_out_through_twilio_with_minimal_text(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    [offer] = sms.twilio.bodies_to(ana.phone)
    assert offer.startswith("Glow Clinic: Hi Ana, a spot opened Tue Feb 17 10:00 AM.")
    assert "Tester" not in offer and "Botox" not in offer
    assert sms.twilio.messages[0]["StatusCallback"].startswith(f"{sms.url}/sms/status?m=")


def test_yes_books_confirms_once_and_tells_the_other_holder(filling: Fill) -> None:
    sms, (ana, ben, _) = filling.server, filling.clients
    reply = sms.text(ana.phone, "Yes please!")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/xml")
    assert "<Message>" not in reply.text  # the confirmation travels through the outbox
    assert _entry(sms, filling.entries[0].id).status is EntryStatus.BOOKED
    assert wait_for(lambda: len(sms.twilio.bodies_to(ana.phone)) == 2)
    assert sms.twilio.bodies_to(ana.phone)[1].startswith(
        "Glow Clinic: You're booked for Tue Feb 17"
    )
    assert len(sms.twilio.bodies_to(ben.phone)) == 1  # "filled" waits out its grace
    sms.clock.advance(1)
    sms.runtime.dispatch_now()
    assert wait_for(lambda: len(sms.twilio.bodies_to(ben.phone)) == 2)
    assert "has been filled" in sms.twilio.bodies_to(ben.phone)[1]


def test_no_passes_and_the_next_candidate_gets_the_offer(filling: Fill) -> None:
    sms, (ana, _, cal) = filling.server, filling.clients
    reply = sms.text(ana.phone, "no thanks")
    assert reply.status_code == 200
    assert _entry(sms, filling.entries[0].id).status is EntryStatus.WAITING
    assert wait_for(lambda: sms.twilio.bodies_to(cal.phone))
    assert "a spot opened" in sms.twilio.bodies_to(cal.phone)[0]
    assert wait_for(lambda: len(sms.twilio.bodies_to(ana.phone)) == 2)
    assert "No problem, Ana" in sms.twilio.bodies_to(ana.phone)[1]


def test_stop_while_an_offer_is_pending_opts_out_and_moves_the_fill_on(filling: Fill) -> None:
    sms, (ana, ben, cal) = filling.server, filling.clients
    reply = sms.text(ana.phone, "please stop texting me")
    assert "unsubscribed" in reply.text and "START" in reply.text
    client = _client(sms, ana.id)
    assert client.sms_opt_out and client.opted_out_at == NOW
    assert client.opt_out_text == "please stop texting me"
    with sms.runtime.make_uow() as uow:
        offer = uow.offers.latest_for_client(ana.id or 0)
    assert offer is not None and offer.status is OfferStatus.WITHDRAWN
    assert wait_for(lambda: sms.twilio.bodies_to(cal.phone))
    # Whatever the fill does next, nothing more reaches the client who said STOP.
    sms.text(ben.phone, "YES")
    sms.clock.advance(30)
    sms.runtime.dispatch_now()
    assert len(sms.twilio.bodies_to(ana.phone)) == 1  # the offer, before STOP


def test_start_opts_back_in(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    sms.text(ana.phone, "STOP")
    reply = sms.text(ana.phone, "start")
    assert "resubscribed" in reply.text
    client = _client(sms, ana.id)
    assert not client.sms_opt_out and client.opted_out_at is None


def test_help_names_the_clinic_and_how_to_stop(sms: SmsServer) -> None:
    client = sms.world.client("Dee", 300)
    reply = sms.text(client.phone, "HELP")
    assert "Glow Clinic waitlist" in reply.text and "STOP to opt out" in reply.text


def test_help_gives_the_clinic_phone_when_configured(
    database_url: str,
    fake_twilio: FakeTwilioApi,  # noqa: F811
) -> None:
    with serve(database_url, fake_twilio, clinic_phone="(617) 555-0100") as sms:
        client = sms.world.client("Hal", 304)
        reply = sms.text(client.phone, "info")
        assert "Questions? Call (617) 555-0100." in reply.text


def test_an_unknown_text_gets_a_short_reply_and_is_forwarded_to_staff(sms: SmsServer) -> None:
    client = sms.world.client("Eve", 301)
    reply = sms.text(client.phone, "Is there parking nearby?")
    assert "didn't understand" in reply.text
    [forwarded] = [e for e in sms.notifier.events if e.kind == "SmsNotUnderstood"]
    assert forwarded.data["text"] == "Is there parking nearby?"
    assert forwarded.client_id == client.id
    assert forwarded.data["phone"].endswith("01") and "617" not in forwarded.data["phone"]


def test_yes_without_an_offer_gets_a_clear_reply_and_changes_nothing(sms: SmsServer) -> None:
    client = sms.world.client("Fay", 302)
    entry = sms.world.entry(client)
    reply = sms.text(client.phone, "YES")
    assert "no open offer" in reply.text
    assert _entry(sms, entry.id).status is EntryStatus.WAITING


def test_a_redelivered_message_is_processed_once_and_answered_the_same(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    first = sms.text(ana.phone, "What time again?", sid="SM" + "7" * 32)
    again = sms.text(ana.phone, "What time again?", sid="SM" + "7" * 32)
    assert first.text == again.text and "The spot is Tue Feb 17 10:00 AM" in first.text
    assert sms.notifier.kinds().count("SmsForStaff") == 1


def test_a_redelivered_no_does_not_decline_twice(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    sid = "SM" + "8" * 32
    assert sms.text(ana.phone, "NO", sid=sid).status_code == 200
    assert sms.text(ana.phone, "NO", sid=sid).status_code == 200
    assert sms.notifier.kinds().count("OfferDeclined") == 1


@pytest.mark.parametrize(
    "attack", ["forged", "other_url", "missing", "tampered", "query_added", "host_header"]
)
def test_requests_not_signed_for_this_url_and_body_are_refused(filling: Fill, attack: str) -> None:
    sms, ana = filling.server, filling.clients[0]
    form = {"From": ana.phone, "To": "+16175550000", "Body": "YES", "MessageSid": "SM" + "9" * 32}
    before = _state(sms)
    if attack == "forged":
        response = sms.post("/sms/inbound", form, signature="bm90IGEgc2lnbmF0dXJl")
    elif attack == "other_url":
        sig = sms.sign("/sms/inbound", form, url="https://evil.example/sms/inbound")
        response = sms.post("/sms/inbound", form, signature=sig)
    elif attack == "missing":
        response = sms.post("/sms/inbound", form, signature="")
    elif attack == "tampered":
        sig = sms.sign("/sms/inbound", form)
        response = sms.post("/sms/inbound", {**form, "Body": "STOP"}, signature=sig)
    elif attack == "query_added":
        sig = sms.sign("/sms/inbound", form)
        response = sms.post("/sms/inbound?x=1", form, signature=sig)
    else:  # a signature made for the Host the request claims is still checked against ours
        sig = sms.sign("/sms/inbound", form, url="http://attacker:80/sms/inbound")
        response = sms.http.post(
            sms.url + "/sms/inbound",
            data=form,
            headers={"X-Twilio-Signature": sig, "Host": "attacker:80", "X-Forwarded-Host": "x"},
        )
    assert response.status_code == 403
    assert _state(sms) == before
    assert _entry(sms, filling.entries[0].id).status is EntryStatus.OFFERED


def test_without_an_auth_token_every_webhook_is_refused(
    database_url: str,
    fake_twilio: FakeTwilioApi,  # noqa: F811
) -> None:
    with serve(database_url, fake_twilio, twilio_auth_token=None) as sms:
        client = sms.world.client("Gus", 303)
        response = sms.text(client.phone, "HELP")
        assert response.status_code == 403
        status = sms.post("/sms/status", {"MessageSid": "SM1", "MessageStatus": "failed"})
        assert status.status_code == 403


def _offer_message(sms: SmsServer, client: Client) -> tuple[int, str]:
    with sms.runtime.make_uow() as uow:
        [message] = [m for m in uow.messages.for_client(client.id or 0) if m.kind == "offer"]
    assert message.id is not None and message.provider_sid is not None
    return message.id, message.provider_sid


def _status(sms: SmsServer, message_id: int, sid: str, status: str, code: str = "") -> int:
    form = {"MessageSid": sid, "MessageStatus": status}
    if code:
        form["ErrorCode"] = code
    return sms.post(f"/sms/status?m={message_id}", form).status_code


def test_delivery_statuses_only_move_forward(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    message_id, sid = _offer_message(sms, ana)
    assert _status(sms, message_id, sid, "delivered") == 204
    assert _status(sms, message_id, sid, "sent") == 204
    with sms.runtime.make_uow() as uow:
        message = uow.messages.get(message_id)
    assert message is not None and message.status is MessageStatus.DELIVERED


def test_an_undelivered_offer_fails_and_the_next_candidate_is_offered(filling: Fill) -> None:
    sms, (ana, _, cal) = filling.server, filling.clients
    message_id, sid = _offer_message(sms, ana)
    assert _status(sms, message_id, sid, "undelivered", "30003") == 204
    with sms.runtime.make_uow() as uow:
        offer = uow.offers.latest_for_client(ana.id or 0)
    assert offer is not None and offer.status is OfferStatus.FAILED
    assert wait_for(lambda: sms.twilio.bodies_to(cal.phone))
    assert not _client(sms, ana.id).sms_opt_out  # 30003: the phone was off, not an opt-out


def test_a_delivery_failure_for_an_opted_out_number_marks_the_client(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    message_id, sid = _offer_message(sms, ana)
    assert _status(sms, message_id, sid, "failed", "21610") == 204
    assert _client(sms, ana.id).sms_opt_out


def test_a_status_callback_with_an_unknown_status_is_a_clear_400(filling: Fill) -> None:
    sms, ana = filling.server, filling.clients[0]
    message_id, sid = _offer_message(sms, ana)
    response = sms.post(f"/sms/status?m={message_id}", {"MessageSid": sid, "MessageStatus": "x"})
    assert (response.status_code, response.text) == (400, "unknown MessageStatus 'x'")
