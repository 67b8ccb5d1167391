"""One simulated run: the clinic's timeline played against the real core services under one
policy, on the indexed in-memory store, with a simulated clock.

A heap of timed events drives it. Production's scheduler looks at every open opening each
minute; here an opening is looked at exactly when that pass would find work: when an offer's
hold ends, at its cut-off, when quiet hours end, under batch size auto when one round fewer of
offers is left before the cut-off, and every `RECHECK` while it has no offer out (new
candidates may have become free). Offers leave through the real outbox and dispatcher;
the simulated gateway answers for the patients, whose replies come back through the real
inbound-text handling (YES, NO, STOP).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

from bot.simulate.scenario import Scenario
from bot.simulate.world import Cancellation, Patient, Timeline
from core import directory, entries
from core.adaptive import LEAD_BUCKETS, awake, clinic_rates, lead_bucket
from core.conversation import receive_sms
from core.dispatch import WITHDRAWN_GRACE, dispatch_outbox
from core.errors import WaitlistError
from core.fill import advance_fill, handle_cancellation
from core.lease import Finding, Verdict
from core.model import Clinic, Message, OfferStatus, OpeningStatus
from core.policy import Policy
from core.ports import SendResult
from storage.memory_indexed import IndexedUnitOfWork

RECHECK = timedelta(minutes=30)
DISPATCH_EVERY = timedelta(minutes=15)
RATES_EVERY = timedelta(days=7)  # batch size auto: the clinic's rates are re-estimated weekly
_WRONG_NUMBER = "21211"


def phone_of(index: int) -> str:
    return f"+1617{200 + index // 10_000}{index % 10_000:04d}"


@dataclass
class Run:
    """What a run leaves behind: the store, as production would have it, plus what only the
    simulation knows (which replies were 'just taken')."""

    uow: IndexedUnitOfWork
    policy: Policy
    timezone: str
    start: datetime
    end: datetime
    taken_replies: list[tuple[datetime, int]] = field(default_factory=list)  # (when, client)
    priority_of_entry: dict[int, int] = field(default_factory=dict)
    holder_id: int = 0  # the client whose appointments get cancelled
    refused_replies: list[str] = field(default_factory=list)  # texts the engine raised on


class Simulation:
    def __init__(self, scenario: Scenario, timeline: Timeline, policy: Policy) -> None:
        self.scenario = scenario
        self.timeline = timeline
        self.policy = policy
        self.uow = IndexedUnitOfWork()
        self.clock = timeline.start
        self.heap: list[tuple[datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self.seq = count()
        self.next_wake: dict[int, datetime] = {}
        self.patients: dict[str, Patient] = {}
        self.offers_to: dict[int, int] = {}  # patient index -> offers received so far
        self.zone = ZoneInfo(scenario.clinic.timezone)
        self.run = Run(self.uow, policy, scenario.clinic.timezone, timeline.start, timeline.end)
        self.sender = _Gateway(self)
        self._setup()

    # -- the clinic ------------------------------------------------------------------------

    def _setup(self) -> None:
        clinic, actor, now = self.scenario.clinic, "simulation", self.timeline.start
        with self.uow as uow:
            self.clinic = directory.add_clinic(
                uow=uow, name=clinic.name, timezone=clinic.timezone, now=now, actor=actor
            )
            self.services = [
                directory.add_service(
                    uow=uow,
                    clinic_id=self.clinic.id or 0,
                    name=s.name,
                    duration_minutes=s.duration_minutes,
                    now=now,
                    actor=actor,
                )
                for s in clinic.services
            ]
            self.providers = [
                directory.add_provider(
                    uow=uow,
                    clinic_id=self.clinic.id or 0,
                    name=f"Provider {n + 1}",
                    hours=clinic.weekly_hours(),
                    now=now,
                    actor=actor,
                )
                for n in range(clinic.providers)
            ]
            self.holder = directory.add_client(
                uow=uow,
                first_name="Booked",
                last_name="Patient",
                phone="+16175550100",
                now=now,
                actor=actor,
            )
            uow.commit()
        self.run.holder_id = self.holder.id or 0
        for patient in self.timeline.patients:
            self._at(patient.joined_at, self._arrive, patient)
        for cancellation in self.timeline.cancellations:
            self._at(cancellation.at, self._cancel, cancellation)
        first = min([self.timeline.start, *(p.joined_at for p in self.timeline.patients)])
        self._at(first, self._tick)
        self._at(self.timeline.start, self._daily)
        if self.policy.adaptive is not None:
            self._at(self.timeline.start + RATES_EVERY, self._refresh_rates)

    # -- the loop --------------------------------------------------------------------------

    def _at(self, when: datetime, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self.heap, (when, next(self.seq), action, args))

    def play(self, progress: Callable[[datetime], None] | None = None) -> Run:
        while self.heap:
            when, _, action, args = heapq.heappop(self.heap)
            if when >= self.timeline.end:
                # Past the end nothing new happens; the openings still open play out.
                if not self.uow.openings.open:
                    break
                if action not in (self._wake, self._reply) and args != (False,):
                    continue
            self.clock = when
            action(*args)
            if progress is not None:
                progress(when)
        return self.run

    def _unit(self) -> IndexedUnitOfWork:
        return self.uow

    def _dispatch(self) -> set[int]:
        """Send what is due; the openings whose offers went out (or failed) are returned."""
        self.sender.openings.clear()
        while True:  # a failed offer moves its fill on, which may queue the next offers
            before = self.sender.calls
            dispatch_outbox(
                uow_factory=self._unit, sender=self.sender, now=self.clock, policy=self.policy
            )
            if self.sender.calls == before:
                return set(self.sender.openings)

    def _settle(self, *openings: int) -> None:
        """After anything happened: send the texts it queued, then plan each touched opening's
        next look."""
        for opening_id in {*openings, *self._dispatch()}:
            self._plan(opening_id)

    def _plan(self, opening_id: int) -> None:
        opening = self.uow.openings.rows.get(opening_id)
        if opening is None or opening.status is not OpeningStatus.OPEN:
            self.next_wake.pop(opening_id, None)
            return
        offers = self.uow.offers
        expiries = [
            offers.rows[i].expires_at
            for i in offers.by_opening.get(opening_id, ())
            if offers.rows[i].status is OfferStatus.PENDING
        ]
        wake = min([opening.cutoff_at, *expiries, self._next_round(opening.cutoff_at)])
        if not expiries:
            quiet = self.policy.quiet_hours
            if quiet is not None and quiet.contains(self.clock, self.clinic.timezone):
                wake = min(wake, quiet.next_end(self.clock, self.clinic.timezone))
            else:
                wake = min(wake, self.clock + RECHECK)
        wake = max(wake, self.clock)
        if self.next_wake.get(opening_id) != wake:
            self.next_wake[opening_id] = wake
            self._at(wake, self._wake, opening_id, wake)

    def _next_round(self, cutoff_at: datetime) -> datetime:
        """With batch size auto, when the rounds of offers left before the cut-off drop by one.
        The batch for the round then aims higher, so production's minute-by-minute pass may
        add people to the offers already out; without auto, never."""
        policy = self.policy
        if policy.adaptive is None:
            return cutoff_at
        left = awake(self.clock, cutoff_at, policy, self.clinic.timezone)
        if left < policy.hold:
            return cutoff_at  # a single round is left until the cut-off
        return self.clock + (left % policy.hold or policy.hold)

    # -- events ----------------------------------------------------------------------------

    def _arrive(self, patient: Patient) -> None:
        now = max(patient.joined_at, self.clock)
        phone = phone_of(patient.index)
        self.patients[phone] = patient
        with self.uow as uow:
            client = directory.add_client(
                uow=uow,
                first_name=f"Patient{patient.index}",
                last_name="Sim",
                phone=phone,
                now=now,
                actor="simulation",
            )
            provider = self.providers[patient.provider] if patient.provider is not None else None
            entry = entries.add_to_waitlist(
                uow=uow,
                client_id=client.id or 0,
                actor="simulation",
                now=patient.joined_at,
                service_id=self.services[patient.service].id,
                provider_ids=(provider.id,) if provider and provider.id else (),
                preferred_days=patient.days,
                preferred_time_slots=patient.time_slots,
                priority=patient.priority,
            )
            uow.commit()
        self.run.priority_of_entry[entry.id or 0] = patient.priority

    def _cancel(self, cancellation: Cancellation) -> None:
        now = self.clock
        with self.uow as uow:
            appointment = directory.book_appointment(
                uow=uow,
                client_id=self.holder.id or 0,
                service_id=self.services[cancellation.service].id or 0,
                provider_id=self.providers[cancellation.provider].id or 0,
                scheduled_at=cancellation.starts_at,
                now=now,
                actor="simulation",
            )
            step = handle_cancellation(
                uow=uow,
                appointment_id=appointment.id or 0,
                actor="staff",
                now=now,
                policy=self.policy,
            )
            uow.commit()
        self._settle(step.opening.id or 0)

    def _wake(self, opening_id: int, planned: datetime) -> None:
        if self.next_wake.get(opening_id) != planned:
            return  # superseded by a later plan
        del self.next_wake[opening_id]
        with self.uow as uow:
            advance_fill(uow=uow, opening_id=opening_id, now=self.clock, policy=self.policy)
            uow.commit()
        self._settle(opening_id)

    def _reply(self, phone: str, body: str, offer_id: int) -> None:
        try:
            with self.uow as uow:
                answer = receive_sms(
                    uow=uow,
                    sid=f"SMsim{next(self.seq)}",
                    phone=phone,
                    body=body,
                    now=self.clock,
                    policy=self.policy,
                )
                uow.commit()
        except WaitlistError as exc:  # production would answer this text with an error
            self.run.refused_replies.append(f"{body}: {exc.message}")
            return
        offer = self.uow.offers.rows[offer_id]
        opening = self.uow.openings.rows[offer.opening_id]
        if (
            body == "YES"
            and answer.text is not None
            and opening.status is OpeningStatus.FILLED
            and opening.filled_entry_id != offer.entry_id
        ):
            self.run.taken_replies.append((self.clock, offer.client_id))
        if opening.status is OpeningStatus.FILLED:  # the others' "filled" texts wait a little
            self._at(self.clock + WITHDRAWN_GRACE, self._tick, False)
        self._settle(offer.opening_id)

    def _tick(self, again: bool = True) -> None:
        self._settle()
        if again:
            self._at(self.clock + DISPATCH_EVERY, self._tick)

    def _daily(self) -> None:
        with self.uow as uow:
            entries.expire_old_entries(
                uow=uow, days=self.policy.max_wait_days, now=self.clock, policy=self.policy
            )
            uow.commit()
        self._settle(*self.uow.openings.open)
        self._at(self.clock + timedelta(days=1), self._daily)

    def _refresh_rates(self) -> None:
        """What a clinic on `auto` does with its own history: re-estimate its rates."""
        assert self.policy.adaptive is not None
        since = self.clock - timedelta(weeks=8)
        offers, openings = self.uow.offers.rows, self.uow.openings.rows
        outcomes = [
            (openings[o.opening_id].starts_at - o.created_at, o.status)
            for o in offers.values()
            if o.created_at >= since
        ]
        rates = clinic_rates(outcomes, self.policy.adaptive.clinic_rates)
        self.policy = replace(
            self.policy, adaptive=replace(self.policy.adaptive, clinic_rates=rates)
        )
        self.run.policy = self.policy
        self._at(self.clock + RATES_EVERY, self._refresh_rates)

    # -- the patients ----------------------------------------------------------------------

    def respond(self, message: Message) -> SendResult:
        """The gateway's side: deliver the text, and for an offer decide the patient's answer."""
        ok = SendResult(ok=True, provider_sid=f"SMout{message.id}")
        patient = self.patients.get(message.phone)
        if message.kind != "offer" or patient is None or message.offer_id is None:
            return ok
        if patient.wrong_number:
            return SendResult(ok=False, error_code=_WRONG_NUMBER, permanent_error=True)
        nth = self.offers_to.get(patient.index, 0)
        self.offers_to[patient.index] = nth + 1
        # One stream per patient and offer: every policy meets the same patient moods.
        rng = random.Random(f"{self.scenario.seed}:{patient.index}:{nth}")
        people = self.scenario.patients
        silent, delay_draw, stop, yes = rng.random(), rng.gauss(0, 1), rng.random(), rng.random()
        if patient.never_answers or silent < people.no_reply:
            return ok
        delay = people.reply_delay.median_minutes * math.exp(people.reply_delay.spread * delay_draw)
        offer = self.uow.offers.rows[message.offer_id]
        opening = self.uow.openings.rows[offer.opening_id]
        lead = LEAD_BUCKETS[lead_bucket(opening.starts_at - self.clock)]
        hour = self.clock.astimezone(self.zone).hour
        period = "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"
        chance = people.acceptance[lead] * people.time_of_day.get(period, 1.0) * patient.keenness
        body = "STOP" if stop < people.opt_out else "YES" if yes < min(chance, 1.0) else "NO"
        self._at(self.clock + timedelta(minutes=delay), self._reply, message.phone, body, offer.id)
        return ok


class _Gateway:
    """The SMS gateway as the dispatcher sees it."""

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation
        self.openings: set[int] = set()
        self.calls = 0

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        self.calls += 1
        if message.offer_id is not None:
            offer = self.simulation.uow.offers.rows.get(message.offer_id)
            if offer is not None:
                self.openings.add(offer.opening_id)
        return self.simulation.respond(message)

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        """Asked only about a send whose answer was lost; this gateway never loses one."""
        return Finding(Verdict.NEVER)
