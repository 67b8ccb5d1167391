"""The REST list (filters, sorting, paging), the stats aggregates and the expiry sweep."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.errors import InvalidInput
from core.model import AppointmentType, EntryStatus, PaymentType, WaitlistEntry
from core.ports import EntryFilter
from tests.integration.builders import T0, make_practice


@pytest.fixture
def listed(uow_factory):
    """Six entries with distinct, known values for every filter and sort field."""
    practice = make_practice(uow_factory, providers=3, clients=3)
    p1, p2, p3 = practice.provider_ids
    s1, s2 = practice.service_ids
    c1, c2, c3 = practice.client_ids
    rows = [
        # client, service, providers, status, priority, start, end, type, category, payment
        (c1, s1, (p1,), EntryStatus.WAITING, 3, 1, 10, "INITIAL_EVAL", "2058", "SELF_PAY"),
        (c1, s2, (), EntryStatus.OFFERED, 1, 5, 20, "FOLLOW_UP", "2058", "INSURANCE_PAY"),
        (c2, s1, (p2, p1), EntryStatus.BOOKED, 2, None, None, None, None, None),
        (c2, None, (p3,), EntryStatus.CANCELLED, 5, 3, 8, "FOLLOW_UP", "17", "SELF_PAY"),
        (c3, s2, (), EntryStatus.EXPIRED, 3, 2, 25, "INITIAL_EVAL", None, "INSURANCE_PAY"),
        (c3, s1, (p2,), EntryStatus.WAITING, 4, 7, None, None, "17", None),
    ]
    ids = []
    with uow_factory() as uow:
        for n, (
            client,
            service,
            providers,
            status,
            priority,
            start,
            end,
            kind,
            cat,
            pay,
        ) in enumerate(rows):
            entry = uow.entries.add(
                WaitlistEntry(
                    clinic_id=practice.clinic_id,
                    client_id=client,
                    service_id=service,
                    provider_ids=providers,
                    status=status,
                    priority=priority,
                    preferred_date_start=date(2026, 3, start) if start else None,
                    preferred_date_end=date(2026, 3, end) if end else None,
                    appointment_type=AppointmentType(kind) if kind else None,
                    appointment_category=cat,
                    payment_type=PaymentType(pay) if pay else None,
                    created_at=T0 + timedelta(hours=n),
                    updated_at=T0 + timedelta(days=1, hours=-n) if n % 2 else None,
                )
            )
            ids.append(entry.id)
        uow.commit()
    other = make_practice(uow_factory, clients=0, name="Other")
    with uow_factory() as uow:
        uow.entries.add(WaitlistEntry(other.clinic_id, c1, created_at=T0))
        uow.commit()
    return practice, ids


def _ids(uow_factory, filters, **sort):
    with uow_factory() as uow:
        page = uow.entries.list(filters, **sort)
    assert page.total >= len(page.items)
    return page


def test_list_filters(uow_factory, listed):
    practice, (e1, e2, e3, e4, e5, e6) = listed
    p1, p2, p3 = practice.provider_ids
    mine = EntryFilter(clinic_id=practice.clinic_id)

    def ids(**fields) -> set[int]:
        filters = EntryFilter(clinic_id=practice.clinic_id, **fields)
        return {e.id for e in _ids(uow_factory, filters, limit=100).items}

    assert ids() == {e1, e2, e3, e4, e5, e6}
    assert _ids(uow_factory, EntryFilter()).total == 7
    assert _ids(uow_factory, mine).total == 6
    assert ids(statuses=(EntryStatus.WAITING, EntryStatus.OFFERED)) == {e1, e2, e6}
    assert ids(service_id=practice.service_ids[0]) == {e1, e3, e6}
    assert ids(provider_ids=(p1,)) == {e1, e3}
    assert ids(provider_ids=(p3, p2)) == {e3, e4, e6}
    assert ids(client_id=practice.client_ids[2]) == {e5, e6}
    assert ids(priority=3) == {e1, e5}
    assert ids(date_from=date(2026, 3, 3)) == {e2, e4, e6}
    assert ids(date_to=date(2026, 3, 10)) == {e1, e4}
    assert ids(appointment_types=("FOLLOW_UP",)) == {e2, e4}
    assert ids(appointment_categories=("17", "2058")) == {e1, e2, e4, e6}
    assert ids(payment_type="SELF_PAY") == {e1, e4}
    assert ids(statuses=(EntryStatus.WAITING,), provider_ids=(p2,), priority=4) == {e6}


@pytest.mark.parametrize(
    ("sort_by", "descending", "expected"),
    [
        ("created_at", True, [6, 5, 4, 3, 2, 1]),
        ("created_at", False, [1, 2, 3, 4, 5, 6]),
        ("priority", False, [2, 3, 1, 5, 6, 4]),  # ties broken by id
        ("priority", True, [4, 6, 5, 1, 3, 2]),
        ("updated_at", True, [2, 4, 6, 5, 3, 1]),  # unset last, either way
        ("updated_at", False, [6, 4, 2, 1, 3, 5]),
        ("date_range_start", False, [1, 5, 4, 2, 6, 3]),
        ("date_range_end", True, [5, 2, 1, 4, 6, 3]),
    ],
)
def test_list_sorts_with_a_stable_tie_break(uow_factory, listed, sort_by, descending, expected):
    practice, ids = listed
    page = _ids(
        uow_factory,
        EntryFilter(clinic_id=practice.clinic_id),
        sort_by=sort_by,
        descending=descending,
        limit=10,
    )
    assert [ids.index(e.id) + 1 for e in page.items] == expected


def test_list_pages_and_loads_providers(uow_factory, listed):
    practice, ids = listed
    filters = EntryFilter(clinic_id=practice.clinic_id)
    first = _ids(uow_factory, filters, descending=False, offset=0, limit=4)
    second = _ids(uow_factory, filters, descending=False, offset=4, limit=4)
    assert (first.total, second.total) == (6, 6)
    assert [e.id for e in first.items + second.items] == ids
    p1, p2, _ = practice.provider_ids
    assert first.items[2].provider_ids == (p2, p1)
    assert first.items[1].provider_ids == ()


def test_list_refuses_an_unknown_sort(uow_factory, listed):
    with uow_factory() as uow, pytest.raises(InvalidInput, match="Cannot sort by"):
        uow.entries.list(EntryFilter(), sort_by="name")


def test_counts_by_status_per_clinic_and_overall(uow_factory, listed):
    practice, _ = listed
    with uow_factory() as uow:
        counts = uow.entries.counts_by_status(practice.clinic_id)
        overall = uow.entries.counts_by_status()
    assert counts == {
        EntryStatus.WAITING: 2,
        EntryStatus.OFFERED: 1,
        EntryStatus.BOOKED: 1,
        EntryStatus.CANCELLED: 1,
        EntryStatus.EXPIRED: 1,
    }
    assert overall[EntryStatus.WAITING] == 3
    assert sum(overall.values()) == 7


def test_average_wait_days_counts_booked_entries_only(uow_factory):
    practice = make_practice(uow_factory, clients=1)
    with uow_factory() as uow:
        assert uow.entries.average_wait_days() is None
        for waited, status in [
            (timedelta(days=2), EntryStatus.BOOKED),
            (timedelta(days=5, hours=12), EntryStatus.BOOKED),
            (timedelta(days=40), EntryStatus.CANCELLED),
        ]:
            uow.entries.add(
                WaitlistEntry(
                    practice.clinic_id,
                    practice.client_ids[0],
                    status=status,
                    created_at=T0,
                    booked_at=T0 + waited,
                )
            )
        uow.commit()
    with uow_factory() as uow:
        assert uow.entries.average_wait_days() == pytest.approx(3.75, abs=1e-6)
        assert uow.entries.average_wait_days(practice.clinic_id) == pytest.approx(3.75, abs=1e-6)
        assert uow.entries.average_wait_days(practice.clinic_id + 1) is None


def test_ids_to_expire_picks_active_entries_past_expiry_or_too_old(uow_factory):
    practice = make_practice(uow_factory, clients=1)
    now = T0
    cases = [
        ("due", EntryStatus.WAITING, now, now - timedelta(days=1)),
        ("not yet", EntryStatus.WAITING, now + timedelta(seconds=1), now - timedelta(days=1)),
        ("too old", EntryStatus.OFFERED, None, now - timedelta(days=31)),
        ("just young enough", EntryStatus.WAITING, None, now - timedelta(days=30)),
        ("already final", EntryStatus.BOOKED, now - timedelta(days=1), now - timedelta(days=60)),
    ]
    ids = {}
    with uow_factory() as uow:
        for name, status, expires_at, created_at in cases:
            entry = WaitlistEntry(
                practice.clinic_id,
                practice.client_ids[0],
                status=status,
                expires_at=expires_at,
                created_at=created_at,
            )
            ids[name] = uow.entries.add(entry).id
        uow.commit()
    with uow_factory() as uow:
        found = uow.entries.ids_to_expire(now=now, created_before=now - timedelta(days=30))
    assert found == [ids["due"], ids["too old"]]
