"""Property: on random entries, slots and offer histories, the SQL that storage compiles from
core's rules gives core's own answers — the candidate search (`choose_candidates`: fit,
fairness, caps, rank order) and the open-slot counts (`entry_fits`).

Each example builds a clinic of its own in the same database, so examples never see each
other's rows (every rule starts with the clinic)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.availability import list_by_available_slots
from core.entries import update_waitlist_entry
from core.errors import WaitlistError
from core.matching import ENTRY_TERMS, day_spec, entry_fits, slot_spec
from core.model import (
    Client,
    Clinic,
    EntryStatus,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    Provider,
    Service,
    TimeSlot,
    WaitlistEntry,
)
from core.ports import CandidateQuery, EntryFilter
from core.ranking import choose_candidates
from storage.db import make_engine
from storage.repositories import term_cache
from storage.repositories.open_slots import _page
from storage.repositories.slot_sets import fit_counts
from storage.uow import uow_factory as make_uow_factory

TZ = "America/New_York"
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
_phones = itertools.count(5_550_000)

clock = st.builds(time, st.integers(6, 21), st.sampled_from([0, 30]))
entries = st.fixed_dictionaries(
    {
        "client": st.integers(0, 4),
        "service": st.sampled_from([None, 0, 1]),
        "providers": st.lists(st.integers(0, 1), max_size=2, unique=True),
        "date_start": st.none() | st.dates(date(2026, 3, 3), date(2026, 3, 12)),
        "date_end": st.none() | st.dates(date(2026, 3, 5), date(2026, 3, 16)),
        "time_start": st.none() | clock,
        "time_end": st.none() | clock,
        "slots": st.lists(st.sampled_from(list(TimeSlot)), max_size=3, unique=True),
        "days": st.lists(st.integers(0, 6), max_size=7, unique=True),
        "status": st.sampled_from([EntryStatus.WAITING] * 4 + list(EntryStatus)),
        "priority": st.integers(1, 5),
        "expires": st.sampled_from([None, None, 0, 1, -86400, 9 * 86400]),
        "age_hours": st.sampled_from([24, 30, 72, 72, 140]),  # repeats exercise the id tie-break
    }
)
offers = st.fixed_dictionaries(
    {
        "opening": st.integers(0, 2),
        "entry": st.integers(0, 11),
        "status": st.sampled_from(list(OfferStatus)),
        "age": st.sampled_from(
            [0, 3600, 86400, 86401, 3 * 86400, 7 * 86400, 7 * 86400 + 1, 12 * 86400]
        ),
    }
)
slots = st.fixed_dictionaries(
    {
        "day": st.dates(date(2026, 3, 5), date(2026, 3, 14)),
        "start": st.builds(time, st.integers(7, 20), st.sampled_from([0, 15, 30, 45])),
        "minutes": st.sampled_from([30, 60, 90]),
        "service": st.sampled_from([None, 0, 1]),
        "provider": st.sampled_from([None, 0, 1]),
        "whole_day": st.booleans(),
    }
)
queries = st.fixed_dictionaries(
    {
        "cap_per_day": st.sampled_from([0, 1, 2]),
        "cap_per_week": st.sampled_from([0, 2, 3]),
        "exclude": st.sampled_from([None, 0, 1]),
        "exclude_client": st.sampled_from([None, 0, 1, 4]),
        "limit": st.sampled_from([1, 2, 3, 50]),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entry_specs=st.lists(entries, max_size=12),
    offer_specs=st.lists(offers, max_size=10),
    slot=slots,
    query=queries,
    more_slots=st.lists(slots, max_size=70),
    page=st.tuples(st.integers(0, 12), st.integers(1, 5), st.booleans()),
)
def test_sql_answers_equal_core_answers(
    uow_factory: Any,
    entry_specs: list[dict[str, Any]],
    offer_specs: list[dict[str, Any]],
    slot: dict[str, Any],
    query: dict[str, Any],
    more_slots: list[dict[str, Any]],
    page: tuple[int, int, bool],
) -> None:
    with uow_factory() as uow:
        clinic = uow.clinics.add(Clinic(name=f"Clinic {next(_phones)}", timezone=TZ))
        hours = {d: [(time(8), time(20))] for d in range(7)}
        providers = [uow.providers.add(Provider(clinic.id, f"Dr {n}", hours)).id for n in (0, 1)]
        services = [uow.services.add(Service(clinic.id, f"S{n}", 30)).id for n in (0, 1)]
        clients = [
            uow.clients.add(Client(f"P{n}", "X", f"+1617{next(_phones):07d}")) for n in range(5)
        ]
        openings = [
            uow.openings.add(
                Opening(
                    clinic_id=clinic.id,
                    provider_id=providers[0],
                    service_id=services[0],
                    starts_at=NOW + timedelta(days=1, hours=n),
                    ends_at=NOW + timedelta(days=1, hours=n, minutes=30),
                    cutoff_at=NOW + timedelta(hours=20 + n),
                    created_at=NOW - timedelta(days=13),
                )
            ).id
            for n in range(3)
        ]
        stored = [
            uow.entries.add(_entry(spec, clinic.id, clients, services, providers))
            for spec in entry_specs
        ]
        history = _offers(uow, offer_specs, stored, openings)
        spec = _slot(slot, clinic.id, services, providers)
        candidate_query = CandidateQuery(
            slot=spec,
            now=NOW,
            week_since=NOW - timedelta(days=7),
            day_since=NOW - timedelta(days=1),
            cap_per_day=query["cap_per_day"],
            cap_per_week=query["cap_per_week"],
            exclude_opening_id=None if query["exclude"] is None else openings[query["exclude"]],
            limit=query["limit"],
            exclude_client_id=None
            if query["exclude_client"] is None
            else clients[query["exclude_client"]].id,
        )
        got = uow.entries.candidates(candidate_query)
        expected = choose_candidates(stored, {c.id: c for c in clients}, history, candidate_query)
        assert [(c.entry.id, c.offers_this_week, c.offers_today) for c in got] == [
            (c.entry.id, c.offers_this_week, c.offers_today) for c in expected
        ]

        other = _slot({**slot, "whole_day": not slot["whole_day"]}, clinic.id, services, providers)
        open_slots = [spec, other, spec] + [
            _slot(s, clinic.id, services, providers) for s in more_slots
        ]
        fits = {
            entry.id: sum(entry_fits(entry, s, NOW) for s in open_slots)
            if entry.status is EntryStatus.WAITING
            else 0
            for entry in stored
        }
        everything = uow.entries.list_by_open_slots(
            EntryFilter(clinic_id=clinic.id), open_slots, now=NOW, limit=100
        )
        assert {entry.id: n for entry, n in everything.items} == fits
        # The page: by count, then created_at, then id; one direction, cut where asked.
        offset, limit, descending = page
        by_count = sorted(stored, key=lambda e: (fits[e.id], e.created_at, e.id))
        if descending:
            by_count.reverse()
        cut = uow.entries.list_by_open_slots(
            EntryFilter(clinic_id=clinic.id),
            open_slots,
            now=NOW,
            descending=descending,
            offset=offset,
            limit=limit,
        )
        assert cut.total == len(stored)
        assert [(e.id, n) for e, n in cut.items] == [
            (e.id, fits[e.id]) for e in by_count[offset : offset + limit]
        ]
        uow.commit()


def _entry(
    spec: dict[str, Any], clinic_id: int, clients: list[Client], services: list, providers: list
) -> WaitlistEntry:
    return WaitlistEntry(
        clinic_id=clinic_id,
        client_id=clients[spec["client"]].id or 0,
        service_id=None if spec["service"] is None else services[spec["service"]],
        provider_ids=tuple(providers[p] for p in spec["providers"]),
        preferred_date_start=spec["date_start"],
        preferred_date_end=spec["date_end"],
        preferred_time_start=spec["time_start"],
        preferred_time_end=spec["time_end"],
        preferred_time_slots=tuple(spec["slots"]),
        preferred_days=tuple(sorted(spec["days"])),
        status=spec["status"],
        priority=spec["priority"],
        expires_at=None if spec["expires"] is None else NOW + timedelta(seconds=spec["expires"]),
        created_at=NOW - timedelta(hours=spec["age_hours"]),
    )


def _offers(
    uow: Any, specs: list[dict[str, Any]], entries: list[WaitlistEntry], openings: list[int]
) -> list[Offer]:
    """Offers as the database allows them: one per entry and opening, one pending per client,
    none accepted (one booking per opening is not the point here)."""
    made: list[Offer] = []
    for spec in specs:
        if not entries:
            break
        entry = entries[spec["entry"] % len(entries)]
        opening = openings[spec["opening"]]
        status = spec["status"]
        if any(o.entry_id == entry.id and o.opening_id == opening for o in made):
            continue
        pending = any(
            o.client_id == entry.client_id and o.status is OfferStatus.PENDING for o in made
        )
        if status is OfferStatus.ACCEPTED or (status is OfferStatus.PENDING and pending):
            status = OfferStatus.DECLINED
        made.append(
            uow.offers.add(
                Offer(
                    opening_id=opening,
                    entry_id=entry.id or 0,
                    client_id=entry.client_id,
                    expires_at=NOW,
                    status=status,
                    created_at=NOW - timedelta(seconds=spec["age"]),
                )
            )
        )
    return made


def _slot(spec: dict[str, Any], clinic_id: int, services: list, providers: list) -> Any:
    service = None if spec["service"] is None else services[spec["service"]]
    provider = None if spec["provider"] is None else providers[spec["provider"]]
    if spec["whole_day"]:
        return day_spec(
            clinic_id=clinic_id, day=spec["day"], service_id=service, provider_id=provider
        )
    starts_at = datetime.combine(spec["day"], spec["start"], ZoneInfo(TZ)).astimezone(UTC)
    return slot_spec(
        clinic_id=clinic_id,
        timezone=TZ,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=spec["minutes"]),
        service_id=service,
        provider_id=provider,
    )


@settings(max_examples=150, deadline=None)
@given(
    entry_specs=st.lists(entries, max_size=20),
    slot_specs=st.lists(slots, max_size=200),
)
def test_slot_sets_count_as_core_does(
    entry_specs: list[dict[str, Any]], slot_specs: list[dict[str, Any]]
) -> None:
    """The bit-set count alone, without a database: many more slots (sets of several 64-bit
    words) and examples than the SQL test above; terms as storage keeps them (ENTRY_TERMS)."""
    clients = [Client(f"P{n}", "X", "+16170000000", id=n + 1) for n in range(5)]
    stored = [_entry(spec, 1, clients, [1, 2], [1, 2]) for spec in entry_specs]
    open_slots = [_slot(spec, 1, [1, 2], [1, 2]) for spec in slot_specs]
    terms = {term: [read(e) for e in stored] for term, read in ENTRY_TERMS.items()}
    counted = fit_counts(terms, open_slots, NOW)
    assert list(counted) == [sum(entry_fits(e, s, NOW) for s in open_slots) for e in stored]


steps = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 7), entries),
    st.tuples(
        st.just("status"),
        st.integers(0, 7),
        st.sampled_from([EntryStatus.WAITING, EntryStatus.OFFERED, EntryStatus.CANCELLED]),
    ),
    st.tuples(st.just("fill"), st.integers(0, 5)),
    st.tuples(st.just("open"), slots),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entry_specs=st.lists(entries, min_size=1, max_size=8),
    opening_specs=st.lists(slots, min_size=1, max_size=6),
    changes=st.lists(steps, max_size=8),
    frozen=st.booleans(),
)
def test_kept_terms_follow_every_change(
    engine: Any,
    uow_factory: Any,
    entry_specs: list[dict[str, Any]],
    opening_specs: list[dict[str, Any]],
    changes: list[tuple[Any, ...]],
    frozen: bool,
) -> None:
    """The counts stay core's after every change made through the services and repositories:
    preferences edited, statuses moved (one by one and set-based), openings filled and added.
    Two readers: this process (whose writes also forget what it keeps) and another (its own
    engine and cache, as another worker: it sees changes by updated_at alone). With a frozen
    clock an edit can keep updated_at as it was, so only this process's reader is checked."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with uow_factory() as uow:
            clinic = uow.clinics.add(Clinic(name=f"Clinic {next(_phones)}", timezone=TZ))
            hours = {d: [(time(8), time(20))] for d in range(7)}
            providers = [
                uow.providers.add(Provider(clinic.id, f"Dr {n}", hours)).id for n in (0, 1)
            ]
            services = [uow.services.add(Service(clinic.id, f"S{n}", 30)).id for n in (0, 1)]
            clients = [
                uow.clients.add(Client(f"P{n}", "X", f"+1617{next(_phones):07d}")) for n in range(5)
            ]
            ids = [
                uow.entries.add(_entry(spec, clinic.id, clients, services, providers)).id or 0
                for spec in entry_specs
            ]
            openings = [
                uow.openings.add(_opening(spec, clinic.id, services, providers)).id or 0
                for spec in opening_specs
            ]
            uow.commit()
        readers = [uow_factory] if frozen else [uow_factory, make_uow_factory(other)]
        _counts_are_cores(readers, clinic.id)
        for number, change in enumerate(changes, start=1):
            now = NOW if frozen else NOW + timedelta(seconds=number)
            with uow_factory() as uow:
                if change[0] == "edit":
                    edited = _entry(change[2], clinic.id, clients, services, providers)
                    wanted = {name: getattr(edited, name) for name in EDITABLE_TERMS}
                    try:
                        update_waitlist_entry(
                            uow=uow,
                            entry_id=ids[change[1] % len(ids)],
                            changes=wanted,
                            actor="staff:test",
                            now=now,
                        )
                    except WaitlistError:
                        continue  # refused (e.g. an end before the start): nothing changed
                elif change[0] == "status":
                    entry = uow.entries.get(ids[change[1] % len(ids)])
                    assert entry is not None and entry.id is not None
                    uow.entries.move(
                        [entry.id],
                        current=entry.status,
                        status=change[2],
                        now=now,
                        actor="staff:test",
                        changes={},
                    )
                elif change[0] == "fill":
                    opening = uow.openings.get(openings[change[1] % len(openings)])
                    assert opening is not None
                    uow.openings.save(replace(opening, status=OpeningStatus.FILLED, filled_at=now))
                else:
                    added = uow.openings.add(_opening(change[1], clinic.id, services, providers))
                    openings.append(added.id or 0)
                uow.commit()
            _counts_are_cores(readers, clinic.id)
    finally:
        other.dispose()


EDITABLE_TERMS = (
    "service_id",
    "provider_ids",
    "preferred_date_start",
    "preferred_date_end",
    "preferred_time_start",
    "preferred_time_end",
    "preferred_time_slots",
    "preferred_days",
    "expires_at",
)


def _opening(spec: dict[str, Any], clinic_id: int, services: list, providers: list) -> Opening:
    starts_at = datetime.combine(spec["day"], spec["start"], ZoneInfo(TZ)).astimezone(UTC)
    return Opening(
        clinic_id=clinic_id,
        provider_id=providers[spec["provider"] or 0],
        service_id=services[spec["service"] or 0],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=spec["minutes"]),
        cutoff_at=NOW + timedelta(hours=1),
        created_at=NOW - timedelta(days=1),
    )


def _counts_are_cores(readers: list[Any], clinic_id: int) -> None:
    """Every reader's counts (and the page's total) equal core's `entry_fits` over the
    openings still open, for every entry of the clinic as stored now."""
    for make_uow in readers:
        with make_uow() as uow:
            filters = EntryFilter(clinic_id=clinic_id)
            page = list_by_available_slots(uow=uow, filters=filters, now=NOW, limit=100)
            stored = uow.entries.list(filters, limit=100).items
            open_slots = [
                slot_spec(
                    clinic_id=clinic_id,
                    timezone=TZ,
                    starts_at=o.starts_at,
                    ends_at=o.ends_at,
                    service_id=o.service_id,
                    provider_id=o.provider_id,
                )
                for o in uow.openings.still_open(NOW)
                if o.clinic_id == clinic_id
            ]
            expected = {
                e.id: sum(entry_fits(e, s, NOW) for s in open_slots)
                if e.status is EntryStatus.WAITING
                else 0
                for e in stored
            }
            assert {entry.id: n for entry, n in page.items} == expected
            assert page.total == len(stored)


def test_kept_terms_start_over_past_the_limit(uow_factory: Any, monkeypatch: Any) -> None:
    """Past its limit the cache is emptied and filled again: the counts stay core's."""
    monkeypatch.setattr(term_cache, "LIMIT", 3)
    day = {"day": date(2026, 3, 6), "start": time(10), "minutes": 30, "provider": 0}
    with uow_factory() as uow:
        clinic = uow.clinics.add(Clinic(name=f"Clinic {next(_phones)}", timezone=TZ))
        hours = {d: [(time(8), time(20))] for d in range(7)}
        providers = [uow.providers.add(Provider(clinic.id, f"Dr {n}", hours)).id for n in (0, 1)]
        services = [uow.services.add(Service(clinic.id, f"S{n}", 30)).id for n in (0, 1)]
        clients = [uow.clients.add(Client("P", "X", f"+1617{next(_phones):07d}"))]
        for n in range(6):
            spec = {
                "client": 0, "service": n % 2, "providers": [], "date_start": None,
                "date_end": None, "time_start": None, "time_end": None, "slots": [],
                "days": [], "status": EntryStatus.WAITING, "priority": 3, "expires": None,
                "age_hours": 24 + n,
            }  # fmt: skip
            uow.entries.add(_entry(spec, clinic.id, clients, services, providers))
        for service in (0, 1, 1):
            uow.openings.add(_opening({**day, "service": service}, clinic.id, services, providers))
        uow.commit()
    for _ in range(2):
        _counts_are_cores([uow_factory], clinic.id)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4)), min_size=0, max_size=40, unique=False
    ),
    wide=st.booleans(),
    offset=st.integers(0, 45),
    limit=st.integers(1, 10),
    descending=st.booleans(),
)
def test_a_page_is_cut_as_a_full_sort_would(
    rows: list[tuple[int, int]], wide: bool, offset: int, limit: int, descending: bool
) -> None:
    """The page of (count, created_at, id) found by partition equals the slice of the full
    order, ties and both directions included; and when the two do not fit one int64."""
    ids = np.arange(1, len(rows) + 1, dtype=np.int64)[::-1].copy()
    counts = np.array([count for count, _ in rows], dtype=np.int64)
    created = np.array([moment for _, moment in rows], dtype=np.int64) * (2**58 if wide else 7)
    everything = sorted(range(len(rows)), key=lambda n: (counts[n], created[n], ids[n]))
    if descending:
        everything.reverse()
    got = _page(ids, created, counts, descending, offset, limit)
    assert list(got) == everything[offset : offset + limit]
