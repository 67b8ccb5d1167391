"""Simultaneous webhooks over HTTP: every holder of an offer says YES at once, and one message
is delivered five times at once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy.engine import make_url

from core.model import OfferStatus, OpeningStatus
from core.policy import Policy
from tests.fakes.twilio_api import FakeTwilioApi, fake_twilio  # noqa: F401 (fixture)
from tests.scenario import NOW, local
from tests.sms.server import SmsServer, serve, wait_for


def _holders(database_url: str) -> int:
    return 100 if make_url(database_url).get_backend_name() == "postgresql" else 20


def _all_at_once(count: int, work: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(count)
    responses: list[httpx.Response | BaseException] = [RuntimeError("not run")] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            responses[i] = work(i)
        except BaseException as exc:  # a transport error is a failed request, counted below
            responses[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    failures = [r for r in responses if not isinstance(r, httpx.Response)]
    assert failures == []
    return [r for r in responses if isinstance(r, httpx.Response)]


def test_every_holder_says_yes_at_once_and_exactly_one_is_booked(
    database_url: str,
    fake_twilio: FakeTwilioApi,  # noqa: F811
) -> None:
    count = _holders(database_url)
    policy = Policy(batch_size=count, cap_per_day=0, cap_per_week=0)
    with serve(database_url, fake_twilio, policy=policy) as sms:
        world = sms.world
        holder = world.client("Holder", 9999)
        clients = [world.client(f"C{i}", 1000 + i) for i in range(count)]
        for i, client in enumerate(clients):
            world.entry(client, at=NOW - timedelta(minutes=i))
        step = sms.cancel(world.appointment(holder, local(17, 10)).id)
        assert len(step.offered) == count
        assert wait_for(lambda: len(fake_twilio.messages) == count, timeout=60)

        with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=count)) as http:
            sms.http = http
            responses = _all_at_once(count, lambda i: sms.text(clients[i].phone, "YES"))

        assert [r.status_code for r in responses] == [200] * count
        taken = [r for r in responses if "just taken" in r.text]
        assert len(taken) == count - 1
        with sms.runtime.make_uow() as uow:
            opening = uow.openings.get(step.opening.id or 0)
            statuses = Counter(o.status for o in uow.offers.for_opening(step.opening.id or 0))
            booked = uow.appointments.list(start=local(17, 10), end=local(17, 11)).items
        assert opening is not None and opening.status is OpeningStatus.FILLED
        assert statuses[OfferStatus.ACCEPTED] == 1
        assert statuses[OfferStatus.WITHDRAWN] == count - 1
        assert len([a for a in booked if a.status.value == "booked"]) == 1
        _assert_one_confirmation(sms, count)


def _assert_one_confirmation(sms: SmsServer, count: int) -> None:
    def confirmations() -> list[dict[str, str]]:
        return [m for m in sms.twilio.messages if "You're booked" in m["Body"]]

    assert wait_for(confirmations)  # the dispatcher thread may be sending it right now
    sms.runtime.dispatch_now()
    assert len(confirmations()) == 1
    # Those told "just taken" in the reply are not texted the same news again.
    with sms.runtime.make_uow() as uow:
        filled_notes = [
            m for m in uow.messages.recent(10 * count) if m.kind == "withdrawn" and m.sent_at
        ]
    assert filled_notes == []


def test_five_simultaneous_deliveries_of_one_message_are_processed_once(
    database_url: str,
    fake_twilio: FakeTwilioApi,  # noqa: F811
) -> None:
    with serve(database_url, fake_twilio) as sms:
        client = sms.world.client("Ivy", 400)
        sid = "SM" + "5" * 32
        responses = _all_at_once(5, lambda i: sms.text(client.phone, "Call me back?", sid=sid))
        assert {r.status_code for r in responses} == {200}
        assert len({r.text for r in responses}) == 1
        assert "didn't understand" in responses[0].text
        with sms.runtime.make_uow() as uow:
            inbound = [m for m in uow.messages.for_client(client.id or 0) if m.provider_sid == sid]
        assert len(inbound) == 1
        assert sms.notifier.kinds().count("SmsNotUnderstood") == 1
