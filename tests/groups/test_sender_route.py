"""A text leaves from its clinic's Messaging Service or number, else the deployment's."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sms.twilio_sender import TwilioSender
from core.model import Message, MessageDirection, MessageStatus

SERVICE = "MG" + "0" * 32


def _message(clinic_id: int | None) -> Message:
    return Message(
        direction=MessageDirection.OUTBOUND, phone="+16175550101", body="hi",
        status=MessageStatus.SENDING, kind="offer", clinic_id=clinic_id, id=7,
        created_at=datetime(2026, 2, 16, tzinfo=UTC),
    )  # fmt: skip


def test_the_route_is_the_clinics_service_or_number_else_the_deployments() -> None:
    own = {1: SERVICE, 2: "+14155550100"}
    sender = TwilioSender(
        account_sid="AC" + "0" * 32,
        auth_token="not-a-secret",
        from_number="+16175550000",
        messaging_service_sid=None,
        status_callback=None,
        sender_of=lambda m, _clinic: own.get(m.clinic_id or 0),
    )
    assert sender._route(_message(1)) == {"messaging_service_sid": SERVICE}  # noqa: SLF001
    assert sender._route(_message(2)) == {"from_": "+14155550100"}  # noqa: SLF001
    assert sender._route(_message(3)) == {"from_": "+16175550000"}  # noqa: SLF001
