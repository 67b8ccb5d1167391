"""Every patient text of the corpus (tests/language/corpus/patients.yml) through the real
inbound path (`core.conversation.receive_sms` over the in-memory unit of work), from the state
the corpus names, checked by what it did: the outcome, its effect on entries, offers and the
client, the reply, and whether staff were told.

The accuracy is printed (`pytest -s`); the run fails below FLOOR, and on any unsafe outcome:
a booking, an opt-out, a wrong number or a cancelled entry the corpus did not ask for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.notifier import CHANNEL_KINDS
from core import fill, offers
from core.conversation import receive_sms
from core.model import EntryStatus, MessageStatus, OfferStatus
from core.policy import Policy
from core.texts import gsm_length
from tests.scenario import NOW, World, build_world, local
from tests.unit.fakes import FakeUnitOfWork

CORPUS = Path(__file__).parent / "corpus" / "patients.yml"
FLOOR = 0.98  # share of texts handled exactly as the corpus says
POLICY = Policy(batch_size=1, cap_per_day=0, cap_per_week=0, quiet_hours=None)
# Outcomes that change something the patient did not ask for, if wrongly given.
_UNSAFE = {"yes": "booked", "stop": "opted out", "wrong_number": "phone marked invalid"}
_CHANGES_NOTHING = {"help", "who_is_this", "offer_question", "conditional", "unknown"}


@dataclass(frozen=True)
class Case:
    text: str
    state: str  # offered | none | booked
    expect: str


@dataclass
class Outcome:
    case: Case
    intent: str = ""
    reply: str | None = None
    problems: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load() -> list[Case]:
    cases = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["cases"]
    return [Case(str(c["text"]), str(c["state"]), str(c["expect"])) for c in cases]


@dataclass
class Scene:
    """Maria (the sender) with a waitlist entry; Noor waits behind her for the same slot."""

    uow: FakeUnitOfWork
    world: World
    phone: str
    client_id: int
    entry_id: int
    other_entry_id: int
    offer_id: int | None = None


def scene(state: str, *, opted_out: bool = False) -> Scene:
    uow = FakeUnitOfWork()
    world = build_world(lambda: uow, POLICY)
    maria = world.client("Maria", 1)
    noor = world.client("Noor", 2)
    holder = world.client("Holder", 3)
    entry = world.entry(maria, at=NOW - timedelta(days=2))
    other = world.entry(noor, at=NOW - timedelta(days=1))
    made = Scene(uow, world, maria.phone, maria.id or 0, entry.id or 0, other.id or 0)
    if state in ("offered", "booked"):
        appointment = world.appointment(holder, local(18, 10))
        with uow:
            step = fill.handle_cancellation(
                uow=uow, appointment_id=appointment.id or 0, actor="test", now=NOW, policy=POLICY
            )
            uow.commit()
        [offer] = step.offered
        assert offer.entry_id == made.entry_id
        made.offer_id = offer.id
    if state == "booked":
        with uow:
            offers.accept_offer(
                uow=uow, entry_id=made.entry_id, actor="test", now=NOW, policy=POLICY
            )
            uow.commit()
    if opted_out:
        with uow:
            client = uow.clients.get(made.client_id)
            assert client is not None
            client.sms_opt_out = True
            uow.clients.save(client)
            uow.commit()
    return made


def snapshot(s: Scene) -> dict[str, Any]:
    client = s.uow.clients.get(s.client_id)
    offer = s.uow.offers.get(s.offer_id) if s.offer_id else None
    return {
        "entry": s.uow.entries.get(s.entry_id).status,
        "other": s.uow.entries.get(s.other_entry_id).status,
        "offer": offer.status if offer else None,
        "opted_out": client.sms_opt_out,
        "invalid": client.phone_invalid,
        "offers": len(s.uow.offers.all()),
    }


def run(case: Case, number: int) -> Outcome:
    s = scene(case.state, opted_out=case.expect == "start")
    before = snapshot(s)
    events_before = len(s.uow.events.all())
    out = Outcome(case)
    later = NOW + timedelta(minutes=2)
    try:
        with s.uow:
            reply = receive_sms(
                uow=s.uow, sid=f"SM{number:032d}", phone=s.phone, body=case.text, now=later,
                policy=POLICY,
            )  # fmt: skip
            s.uow.commit()
    except Exception as exc:  # noqa: BLE001 (a crash is a wrong outcome, counted as such)
        out.problems.append(f"raised {type(exc).__name__}: {exc}")
        return out
    out.intent, out.reply = str(reply.intent), reply.text
    after = snapshot(s)
    new_events = s.uow.events.all()[events_before:]
    told = [e.kind for e in new_events if e.kind in CHANNEL_KINDS]
    if out.intent != case.expect:
        out.problems.append(f"read as {out.intent}")
    check_effect(case, before, after, told, s, out)
    check_reply(case, out, s)
    return out


def check_effect(
    case: Case,
    before: dict[str, Any],
    after: dict[str, Any],
    told: list[str],
    s: Scene,
    out: Outcome,
) -> None:
    expect, offered = case.expect, case.state == "offered"

    def want(condition: bool, problem: str) -> None:
        if not condition:
            out.problems.append(problem)

    booked = after["entry"] is EntryStatus.BOOKED and before["entry"] is not EntryStatus.BOOKED
    changes = {
        "booked": booked,
        "opted out": after["opted_out"] and not before["opted_out"],
        "phone marked invalid": after["invalid"] and not before["invalid"],
        "entry cancelled": after["entry"] is EntryStatus.CANCELLED,
    }
    for what, happened in changes.items():
        wanted = {
            "booked": expect == "yes" and offered,
            "opted out": expect == "stop",
            "phone marked invalid": expect == "wrong_number",
            "entry cancelled": expect == "leave_waitlist",
        }[what]
        if happened and not wanted:
            out.unsafe.append(what)
            out.problems.append(f"{what} unasked")
        want(happened or not wanted, f"not {what}")
    if offered and expect in ("no", "stop", "leave_waitlist", "wrong_number"):
        status = {"no": OfferStatus.DECLINED}.get(expect, OfferStatus.WITHDRAWN)
        want(after["offer"] is status, f"offer {after['offer']}, not {status}")
        want(after["offers"] == before["offers"] + 1, "the fill did not move on to Noor")
    if expect == "stop":
        want(after["entry"] is not EntryStatus.CANCELLED, "opt-out lost the entry")
    if expect == "start":
        want(not after["opted_out"], "still opted out")
    if expect in _CHANGES_NOTHING or (expect in ("yes", "no") and not offered):
        want(after == before, f"changed {diff(before, after)}")
    if expect in ("wrong_number", "offer_question", "conditional", "unknown", "leave_waitlist"):
        want(bool(told), "staff not told")
    if expect == "stop":
        want("ClientOptedOut" in told, "staff not told of the opt-out")


def check_reply(case: Case, out: Outcome, s: Scene) -> None:
    expect, text = case.expect, out.reply
    if text is None:
        # A booking or a decline is confirmed through the outbox instead.
        queued = [
            m
            for m in s.uow.messages.all()
            if m.client_id == s.client_id and m.status is MessageStatus.QUEUED
            and m.kind in ("booked", "declined")
        ]  # fmt: skip
        if not queued:
            out.problems.append("no answer at all")
        return
    if gsm_length(text) > 160:
        out.problems.append(f"reply longer than one segment ({gsm_length(text)})")
    needs = {
        "help": ["Glow Clinic", "STOP"],
        "who_is_this": ["Glow Clinic", "STOP"],
        "stop": ["unsubscribed"],
        "start": ["resubscribed"],
        "offer_question": ["Wed Feb 18 10:00 AM"],
        "already_booked": ["booked for Wed Feb 18 10:00 AM"],
        "leave_waitlist": ["off our waitlist"],
    }.get(expect, [])
    if expect in ("yes", "no") and case.state == "none":
        needs = ["no open offer"]
    for words in needs:
        if words not in text:
            out.problems.append(f"reply lacks {words!r}: {text!r}")


def diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    return ", ".join(f"{k} {before[k]}->{after[k]}" for k in before if before[k] != after[k])


CASES = load()


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [run(case, n) for n, case in enumerate(CASES)]


def test_the_corpus_is_the_size_the_issue_asks() -> None:
    assert len(CASES) >= 120
    assert {c.state for c in CASES} <= {"offered", "none", "booked"}


def test_patient_corpus_accuracy(outcomes: list[Outcome]) -> None:
    right = sum(o.ok for o in outcomes)
    accuracy = right / len(outcomes)
    by_expect = Counter(o.case.expect for o in outcomes)
    wrong_by_expect = Counter(o.case.expect for o in outcomes if not o.ok)
    read = sum(o.intent == o.case.expect for o in outcomes)
    print(f"\npatient corpus: {right}/{len(outcomes)} handled as expected ({accuracy:.1%}); ")
    print(f"  intent alone right for {read}/{len(outcomes)}")
    for expect, total in sorted(by_expect.items()):
        print(f"  {expect:<15} {total - wrong_by_expect[expect]:>3}/{total}")
    for o in outcomes:
        if not o.ok:
            print(f"  MISS [{o.case.state}] {o.case.text!r} -> {'; '.join(o.problems)}")
    unsafe = [o for o in outcomes if o.unsafe]
    assert not unsafe, [(o.case.text, o.unsafe) for o in unsafe]
    assert accuracy >= FLOOR, f"{right}/{len(outcomes)}"


def test_every_text_gets_an_answer(outcomes: list[Outcome]) -> None:
    silent = [o.case.text for o in outcomes if o.reply is None and o.intent not in ("yes", "no")]
    assert not silent
