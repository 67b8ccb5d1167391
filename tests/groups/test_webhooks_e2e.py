"""The real app over HTTP with a second clinic of its own number: signed Twilio webhooks are
routed by `To`, and texts leave through the twilio library from their clinic's number."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import directory, entries
from core.clinics import ClinicSettings
from core.model import EntryStatus
from tests.fakes.twilio_api import FakeTwilioApi, fake_twilio  # noqa: F401 (fixture)
from tests.scenario import NOW, WEEKDAY_HOURS, local
from tests.sms.server import SmsServer, serve, wait_for

DEPLOYMENT_NUMBER, BAYSIDE_NUMBER = "+16175550000", "+14155550100"


@pytest.fixture
def sms(database_url: str, fake_twilio: FakeTwilioApi) -> Iterator[SmsServer]:  # noqa: F811
    with serve(database_url, fake_twilio, quiet_hours="", cap_per_day=0) as server:
        yield server


def _bayside(sms: SmsServer) -> tuple[int, int, int]:
    """A second clinic, texting from its own number: (clinic, service, provider) ids."""
    with sms.runtime.make_uow() as uow:
        clinic = directory.add_clinic(
            uow=uow, name="Bayside", timezone="America/Los_Angeles", now=NOW, actor="test",
            settings=ClinicSettings(twilio_from_number=BAYSIDE_NUMBER),
        )  # fmt: skip
        service = directory.add_service(
            uow=uow, clinic_id=clinic.id, name="Physio", duration_minutes=60, now=NOW, actor="t"
        )
        provider = directory.add_provider(
            uow=uow, clinic_id=clinic.id, name="Dr. Bay", hours=WEEKDAY_HOURS, now=NOW, actor="t"
        )
        uow.commit()
    return clinic.id or 0, service.id or 0, provider.id or 0


def _post(sms: SmsServer, phone: str, to: str, body: str, sid: str) -> str:
    form = {"From": phone, "To": to, "Body": body, "MessageSid": sid}
    answer = sms.post("/sms/inbound", form)
    assert answer.status_code == 200
    return answer.text


def test_each_clinic_texts_from_its_number_and_a_yes_books_the_clinic_it_was_sent_to(
    sms: SmsServer,
) -> None:
    world = sms.world
    bay_clinic, bay_service, bay_provider = _bayside(sms)
    pat, holder = world.client("Pat", 101), world.client("Holder", 9000)
    glow_entry = world.entry(pat, clinic_id=world.clinic.id)
    with sms.runtime.make_uow() as uow:
        bay_entry = entries.add_to_waitlist(
            uow=uow, client_id=pat.id, clinic_id=bay_clinic, service_id=bay_service,
            actor="test", now=NOW,
        )  # fmt: skip
        bay_appointment = directory.book_appointment(
            uow=uow, client_id=holder.id, service_id=bay_service, provider_id=bay_provider,
            scheduled_at=local(17, 14), now=NOW, actor="test",
        )  # fmt: skip
        uow.commit()
    sms.cancel(bay_appointment.id or 0)
    assert wait_for(lambda: len(sms.twilio.messages) == 1)
    assert sms.twilio.messages[0]["From"] == BAYSIDE_NUMBER
    assert sms.twilio.messages[0]["Body"].startswith("Bayside: Hi Pat")

    answer = _post(sms, pat.phone, DEPLOYMENT_NUMBER, "YES", "SM" + "1" * 32)
    assert "Glow Clinic" in answer and "no open offer" in answer  # not Bayside's offer

    _post(sms, pat.phone, BAYSIDE_NUMBER, "YES", "SM" + "2" * 32)
    assert wait_for(lambda: len(sms.twilio.messages) == 2)
    assert sms.twilio.messages[1]["From"] == BAYSIDE_NUMBER
    assert "Bayside: You're booked" in sms.twilio.messages[1]["Body"]
    with sms.runtime.make_uow() as uow:
        statuses = [uow.entries.get(e.id or 0).status for e in (glow_entry, bay_entry)]  # type: ignore[union-attr]
    assert statuses == [EntryStatus.WAITING, EntryStatus.BOOKED]

    glow_slot = world.appointment(holder, local(18, 10))
    sms.cancel(glow_slot.id or 0)
    assert wait_for(lambda: len(sms.twilio.messages) == 3)
    assert sms.twilio.messages[2]["From"] == DEPLOYMENT_NUMBER
    assert sms.twilio.messages[2]["Body"].startswith("Glow Clinic: Hi Pat")


def test_a_text_to_a_number_of_no_clinic_gets_a_polite_answer(sms: SmsServer) -> None:
    _bayside(sms)
    pat = sms.world.client("Pat", 101)
    answer = _post(sms, pat.phone, "+12125550199", "YES", "SM" + "3" * 32)
    assert "this number doesn't take waitlist replies" in answer
    assert answer.startswith("<?xml")
