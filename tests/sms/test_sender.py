"""The Twilio sender, through the real twilio library, against a local fake Messages API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.sms.twilio_sender import TwilioSender
from core.lease import Finding, Verdict
from core.model import Message, MessageDirection, MessageStatus
from tests.fakes.twilio_api import FakeTwilioApi, fake_twilio  # noqa: F401 (fixture)

PHONE = "+16175550101"


def _sender(api: FakeTwilioApi, **kw: object) -> TwilioSender:
    options: dict[str, object] = dict(
        account_sid="AC" + "0" * 32,
        auth_token="dummy-token",
        from_number="+16175550000",
        messaging_service_sid=None,
        status_callback="https://clinic.example/sms/status",
        base_url=api.url,
        backoff=0.01,
    )
    options.update(kw)
    return TwilioSender(**options)  # type: ignore[arg-type]


def _message(message_id: int = 7, body: str = "Glow: a spot opened") -> Message:
    return Message(
        direction=MessageDirection.OUTBOUND,
        phone=PHONE,
        body=body,
        status=MessageStatus.SENDING,
        kind="offer",
        id=message_id,
    )


@pytest.fixture
def api(fake_twilio: FakeTwilioApi) -> Iterator[FakeTwilioApi]:  # noqa: F811
    yield fake_twilio


def test_a_text_goes_out_with_the_status_callback_of_its_message(api: FakeTwilioApi) -> None:
    result = _sender(api).send(_message(7))
    assert result.ok and result.provider_sid == api.messages[0]["Sid"]
    sent = api.messages[0]
    assert (sent["To"], sent["From"], sent["Body"]) == (
        PHONE,
        "+16175550000",
        "Glow: a spot opened",
    )
    assert sent["StatusCallback"] == "https://clinic.example/sms/status?m=7"


def test_a_messaging_service_is_used_instead_of_a_from_number_when_configured(
    api: FakeTwilioApi,
) -> None:
    _sender(api, from_number=None, messaging_service_sid="MG" + "1" * 32).send(_message())
    assert api.messages[0]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in api.messages[0]


def test_three_429s_then_success_sends_exactly_one_message(api: FakeTwilioApi) -> None:
    api.answer(429, 20429, times=3)
    result = _sender(api).send(_message())
    assert result.ok
    assert len(api.attempts) == 4
    assert len(api.messages) == 1


def test_a_500_is_retried_and_the_message_is_not_duplicated(api: FakeTwilioApi) -> None:
    api.answer(500)
    result = _sender(api).send(_message())
    assert result.ok
    assert [m["Body"] for m in api.messages] == ["Glow: a spot opened"]


def test_a_gateway_that_keeps_failing_leaves_the_message_for_a_later_retry(
    api: FakeTwilioApi,
) -> None:
    api.answer(503, times=10)
    result = _sender(api, attempts=3).send(_message())
    assert (result.ok, result.permanent_error, result.error_code) == (False, False, "503")
    assert len(api.attempts) == 3 and api.messages == []


@pytest.mark.parametrize("code", [21610, 21211, 21614])
def test_permanent_errors_are_reported_as_such_and_not_retried(
    api: FakeTwilioApi, code: int
) -> None:
    api.answer(400, code)
    result = _sender(api).send(_message())
    assert (result.ok, result.permanent_error, result.error_code) == (False, True, str(code))
    assert len(api.attempts) == 1


def test_an_answer_lost_to_a_timeout_is_found_and_not_sent_again(api: FakeTwilioApi) -> None:
    api.hang_after_accept(1.5)
    result = _sender(api, timeout=0.5).send(_message())
    assert result.ok
    assert len(api.messages) == 1
    assert result.provider_sid == api.messages[0]["Sid"]


def test_an_unreachable_gateway_is_a_transient_failure(api: FakeTwilioApi) -> None:
    sender = _sender(api, base_url="http://127.0.0.1:9", attempts=2)
    result = sender.send(_message())
    assert (result.ok, result.permanent_error, result.error_code) == (False, False, "connection")


def test_a_lost_answer_for_a_message_accepted_but_not_yet_sent_is_still_found(
    api: FakeTwilioApi,
) -> None:
    api.accepted_only()  # no DateSent yet: a listing filtered by DateSent leaves it out
    api.hang_after_accept(1.5)
    sender = _sender(api, timeout=0.5)
    result = sender.send(_message())
    assert result.ok and result.provider_sid == api.messages[0]["Sid"]
    assert len(api.messages) == 1
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert list(sender.client.messages.list(to=PHONE, date_sent_after=since)) == []


def test_lookup_tells_a_message_twilio_has_from_one_it_never_got(api: FakeTwilioApi) -> None:
    sender = _sender(api)
    since = datetime.now(UTC)
    assert sender.lookup(_message(body="first"), since=since) == Finding(Verdict.NEVER)
    sender.send(_message(body="first"))
    found = sender.lookup(_message(body="first"), since=since)
    assert found == Finding(Verdict.HAPPENED, api.messages[0]["Sid"])
    # The same words sent before the claim (another slot's text) are not this message.
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert sender.lookup(_message(body="first"), since=later).verdict is Verdict.NEVER


def test_lookup_is_unknown_when_twilio_cannot_be_asked(api: FakeTwilioApi) -> None:
    sender = _sender(api, base_url="http://127.0.0.1:9")
    assert sender.lookup(_message(), since=datetime.now(UTC)) == Finding(Verdict.UNKNOWN)


def test_an_answer_lost_while_twilio_cannot_be_asked_is_left_in_doubt(
    api: FakeTwilioApi,
) -> None:
    api.hang_after_accept(1.5)
    sender = _sender(api, timeout=0.5)
    sender.lookup = lambda message, since: Finding(Verdict.UNKNOWN)  # type: ignore[method-assign]
    result = sender.send(_message())
    assert (result.ok, result.in_doubt) == (False, True)
    assert len(api.messages) == 1  # not tried again: it may well have gone


def test_one_send_with_its_retries_ends_inside_the_lease(api: FakeTwilioApi) -> None:
    api.answer(503, times=100)
    sender = _sender(api, attempts=100, backoff=0.2, within=2.0)
    started = time.monotonic()
    result = sender.send(_message())
    assert not result.ok and time.monotonic() - started < 2.0
    assert 1 < len(api.attempts) < 100
