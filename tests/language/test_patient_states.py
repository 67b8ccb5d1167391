"""Answers that depend on where the patient stands, over the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

from core import directory, entries, fill
from core.conversation import receive_sms
from core.keywords import Intent
from core.model import OfferStatus
from core.policy import Policy
from tests.scenario import NOW, World, local
from tests.unit.fakes import FakeUnitOfWork

POLICY = Policy(batch_size=1, cap_per_day=0, cap_per_week=0, quiet_hours=None)


def _text(uow: FakeUnitOfWork, phone: str, body: str, minutes: int = 1) -> tuple[Intent, str]:
    with uow:
        reply = receive_sms(
            uow=uow, sid=f"SM{body}{minutes}", phone=phone, body=body,
            now=NOW + timedelta(minutes=minutes), policy=POLICY,
        )  # fmt: skip
        uow.commit()
    return reply.intent, reply.text or ""


def _offered(world: World, uow: FakeUnitOfWork) -> str:
    maria = world.client("Maria", 1)
    world.entry(maria)
    appointment = world.appointment(world.client("Holder", 2), local(18, 10))
    with uow:
        fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id or 0, actor="test", now=NOW, policy=POLICY
        )
        uow.commit()
    return maria.phone


def test_an_opted_out_patient_is_told_so_whatever_they_ask(
    world: World, uow: FakeUnitOfWork
) -> None:
    phone = _offered(world, uow)
    _text(uow, phone, "STOP")

    intent, text = _text(uow, phone, "what time?", minutes=2)

    assert intent is Intent.UNKNOWN
    assert text == "Glow Clinic: You're unsubscribed from our texts. Reply START to resubscribe."
    assert uow.events.kinds()[-1] == "SmsNotUnderstood"


def test_a_question_after_the_offer_lapsed_says_there_is_none(
    world: World, uow: FakeUnitOfWork
) -> None:
    phone = _offered(world, uow)

    intent, text = _text(uow, phone, "what time was it?", minutes=20)

    assert intent is Intent.UNKNOWN
    assert "you have no open offer right now" in text and "staff will see" in text


def test_a_yes_after_the_offer_lapsed_says_it_expired(world: World, uow: FakeUnitOfWork) -> None:
    phone = _offered(world, uow)

    intent, text = _text(uow, phone, "yes", minutes=20)

    assert intent is Intent.YES
    assert text == "Glow Clinic: Sorry Maria, that offer has expired. You're still on our waitlist."
    assert uow.offers.all()[0].status is OfferStatus.PENDING  # the sweep lapses it


def test_the_reply_names_the_clinic_of_the_patients_entry(uow: FakeUnitOfWork) -> None:
    with uow:
        for name in ("Glow Clinic", "Harbor Physio"):
            directory.add_clinic(uow=uow, name=name, timezone="America/New_York", now=NOW,
                                 actor="test")  # fmt: skip
        harbor = uow.clinics.get_by_name("Harbor Physio")
        assert harbor is not None and harbor.id is not None
        client = directory.add_client(
            uow=uow, first_name="Ola", last_name="N", phone="+16175550150", now=NOW, actor="test"
        )
        entries.add_to_waitlist(uow=uow, client_id=client.id, clinic_id=harbor.id, actor="test",
                                now=NOW)  # fmt: skip
        uow.commit()

    _, text = _text(uow, "+16175550150", "who is this?")

    assert text.startswith("This is Harbor Physio:")


def test_a_yes_after_the_booked_slot_began_gets_an_answer_not_an_error(
    world: World, uow: FakeUnitOfWork
) -> None:
    maria = world.client("Maria", 1)
    world.entry(maria)
    soon = local(16, 13)  # three hours after NOW, so the second YES is still within the window
    appointment = world.appointment(world.client("Holder", 2), soon)
    with uow:
        fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id or 0, actor="test", now=NOW, policy=POLICY
        )
        uow.commit()
    assert _text(uow, maria.phone, "yes")[0] is Intent.YES
    begun = int((soon - NOW).total_seconds() // 60) + 30  # half an hour into the slot

    intent, text = _text(uow, maria.phone, "yes", minutes=begun)

    assert intent is Intent.YES
    assert "no open offer" in text, text
