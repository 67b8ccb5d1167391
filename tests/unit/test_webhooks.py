"""Webhook events from recorded Events, their payloads and the retry schedule (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.model import Event
from core.webhooks import (
    TYPES_OF_KIND,
    WebhookType,
    next_attempt,
    payload,
    subscribed,
    webhook_events,
)

NOW = datetime(2026, 2, 16, 15, 0, tzinfo=UTC)


def test_every_type_of_spec_13_comes_from_some_event():
    produced = {kind for types in TYPES_OF_KIND.values() for kind in types}
    assert produced == set(WebhookType)
    assert len(WebhookType) == 17


def test_a_filled_opening_is_three_webhook_events_in_order_with_api_ids():
    event = Event(
        kind="OpeningFilled",
        actor="patient",
        at=NOW,
        clinic_id=1,
        opening_id=7,
        entry_id=3,
        appointment_id=12,
        client_id=5,
        data={"seconds_to_fill": 60},
    )
    found = webhook_events(event)
    assert [kind for kind, _ in found] == [
        WebhookType.OPENING_FILLED,
        WebhookType.REQUEST_FULFILLED,
        WebhookType.APPOINTMENT_BOOKED,
    ]
    assert found[0][1] == {
        "clinic_id": "1",
        "waitlist_request_id": "3",
        "opening_id": "7",
        "appointment_id": "12",
        "patient_id": "5",
    }


def test_payloads_carry_no_phone_nor_text():
    event = Event(
        kind="ClientOptedOut",
        actor="patient",
        at=NOW,
        client_id=5,
        data={"phone": "********34", "text": "STOP it Jane here"},
    )
    ((kind, data),) = webhook_events(event)
    assert kind is WebhookType.CLIENT_OPTED_OUT and data == {"patient_id": "5"}
    body = payload("evt_1", kind, NOW, data)
    assert body == {
        "id": "evt_1",
        "type": "client.opted_out",
        "timestamp": "2026-02-16T15:00:00Z",
        "data": {"patient_id": "5"},
    }


def test_events_that_integrators_do_not_get_make_no_webhook():
    assert webhook_events(Event(kind="JobRan", actor="scheduler", at=NOW)) == []
    assert webhook_events(Event(kind="SmsNotUnderstood", actor="patient", at=NOW)) == []


def test_retries_back_off_exponentially_up_to_an_hour():
    waits = [next_attempt(n, NOW) - NOW for n in (1, 2, 3, 4, 10, 50)]
    assert waits[:4] == [timedelta(seconds=s) for s in (10, 20, 40, 80)]
    assert waits[4:] == [timedelta(hours=1), timedelta(hours=1)]


def test_star_subscribes_to_everything():
    assert subscribed(["*"], WebhookType.OFFER_SENT)
    assert subscribed(["offer.sent"], WebhookType.OFFER_SENT)
    assert not subscribed(["offer.accepted"], WebhookType.OFFER_SENT)
