"""Openings and the offers made for them. Unique indexes guarantee one booking per opening
and one pending offer per client, whatever the concurrency."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, Update, bindparam, case, func, select, update

from core.clinics import ClinicSettings
from core.errors import Conflict, SlotTaken, WaitlistError
from core.model import Client, Clinic, Offer, OfferStatus, Opening, OpeningStatus
from core.ports import OpeningTimes, Standing
from storage.repositories.base import (
    InsertNew,
    SqlRepository,
    domain_values,
    existing,
    guarded,
    plain_connection,
    row_values,
    update_row,
)
from storage.repositories.opening_times import still_open_times
from storage.tables import ClientRow, ClinicRow, OfferRow, OpeningRow

T = TypeVar("T")


# Table columns, not ORM attributes, in the statements of the reply path: a statement that
# names an ORM attribute goes through the ORM's compile and execute steps, which cost more.
_OFFER = OfferRow.__table__.c
_OPENING = OpeningRow.__table__.c
_CLIENT = ClientRow.__table__.c
_CLINIC = ClinicRow.__table__.c
_OPENING_COLUMNS = tuple(OpeningRow.__table__.columns)


def _opening(row: Any) -> Opening:
    """An Opening from an ORM object or a plain result row."""
    values = domain_values(row, Opening)
    values["status"] = OpeningStatus(row.status)
    return Opening(**values)


_FIXED = (
    "id",
    "clinic_id",
    "origin_appointment_id",
    "origin_client_id",
    "created_by",
    "created_at",
)


def _opening_conflict(opening: Opening) -> Callable[[str], WaitlistError | None]:
    def translate(rule: str) -> WaitlistError | None:
        if rule in ("uq_openings_origin_appointment_id", "openings.origin_appointment_id"):
            return Conflict(
                f"Appointment A-{opening.origin_appointment_id} already has an opening."
            )
        return None

    return translate


_STANDING = (ClientRow.__table__, OfferRow.__table__, OpeningRow.__table__, ClinicRow.__table__)


def _standing_query() -> Select[Any]:
    """The client by phone with their latest offer, its opening and clinic: one SELECT."""
    latest = (
        select(_OFFER.id)
        .where(_OFFER.client_id == _CLIENT.id)
        .order_by(_OFFER.created_at.desc(), _OFFER.id.desc())
        .limit(1)
        .correlate(ClientRow.__table__)
        .scalar_subquery()
    )
    joined = (
        ClientRow.__table__.outerjoin(OfferRow.__table__, _OFFER.id == latest)
        .outerjoin(OpeningRow.__table__, _OPENING.id == _OFFER.opening_id)
        .outerjoin(ClinicRow.__table__, _CLINIC.id == _OPENING.clinic_id)
    )
    columns = [column for table in _STANDING for column in table.columns]
    return select(*columns).select_from(joined).where(_CLIENT.phone == bindparam("phone"))


_STANDING_QUERY = _standing_query()  # built once: only the phone changes

# The other statements of the reply path, built once too.
_SAVE_OPENING = (
    update(OpeningRow.__table__)
    .where(_OPENING.id == bindparam("opening_id"))
    .values(
        {
            name: bindparam(f"new_{name}")
            for name in (f.name for f in fields(Opening))
            if name not in _FIXED and name in _OPENING
        }
    )
)
_LOCK_FOR_ENTRY = (
    select(*_OPENING_COLUMNS)
    .where(
        _OPENING.id
        == select(_OFFER.opening_id)
        .where(_OFFER.entry_id == bindparam("entry_id"))
        .order_by(_OFFER.created_at.desc(), _OFFER.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    .with_for_update()
)


def _split(row: Sequence[Any]) -> list[dict[str, Any] | None]:
    """The row's values per table of `_STANDING` (None for a table that matched nothing)."""
    parts: list[dict[str, Any] | None] = []
    at = 0
    for table in _STANDING:
        names = table.columns.keys()
        values = dict(zip(names, row[at : at + len(names)], strict=True))
        parts.append(values if values["id"] is not None else None)
        at += len(names)
    return parts


def _of(cls: type[T], values: dict[str, Any] | None) -> T | None:
    if values is None:
        return None
    return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]


class SqlOpeningRepository(SqlRepository):
    def standing(self, phone: str) -> Standing:
        row = self.session.execute(_STANDING_QUERY, {"phone": phone}).first()
        if row is None:
            return Standing()
        client, offer, opening, clinic = _split(row)
        if offer is not None:
            offer["status"] = OfferStatus(offer["status"])
        if opening is not None:
            opening["status"] = OpeningStatus(opening["status"])
        if clinic is not None:  # stored as JSON, already checked
            clinic["settings"] = ClinicSettings.from_dict(clinic["settings"] or {}, check=False)
        return Standing(
            _of(Client, client), _of(Offer, offer), _of(Opening, opening), _of(Clinic, clinic)
        )

    def add(self, opening: Opening) -> Opening:
        if opening.created_at is None:
            opening.created_at = datetime.now(UTC)
        row = OpeningRow(**row_values(opening, skip=("id",)))
        with guarded(self.session, _opening_conflict(opening)):
            self.session.add(row)
        opening.id = row.id
        return opening

    def get(self, opening_id: int, *, for_update: bool = False) -> Opening | None:
        query = select(*_OPENING_COLUMNS).where(_OPENING.id == opening_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _opening(row) if row else None

    def get_by_origin(self, appointment_id: int) -> Opening | None:
        row = self.session.scalars(
            select(OpeningRow).where(OpeningRow.origin_appointment_id == appointment_id)
        ).first()
        return _opening(row) if row else None

    def save(self, opening: Opening) -> None:
        # What an opening is for never changes after it is added, so no uniqueness rule can
        # fail here: a plain UPDATE, no savepoint.
        values = {f"new_{name}": value for name, value in row_values(opening, skip=_FIXED).items()}
        changed = self.session.execute(_SAVE_OPENING, {"opening_id": opening.id, **values})
        existing(changed.rowcount or None, f"Opening {opening.ref}")  # type: ignore[attr-defined]

    def lock_for_entry(self, entry_id: int) -> Opening | None:
        row = self.session.execute(_LOCK_FOR_ENTRY, {"entry_id": entry_id}).first()
        return _opening(row) if row else None

    def open_ids(self) -> list[int]:
        query = select(OpeningRow.id).where(OpeningRow.status == OpeningStatus.OPEN.value)
        return list(self.session.scalars(query.order_by(OpeningRow.id)))

    def get_many(self, opening_ids: Sequence[int]) -> dict[int, Opening]:
        if not opening_ids:
            return {}
        query = select(OpeningRow).where(OpeningRow.id.in_(list(opening_ids)))
        return {row.id: _opening(row) for row in self.session.scalars(query)}

    def still_open(
        self,
        now: datetime,
        *,
        provider_ids: Collection[int] | None = None,
        between: tuple[datetime, datetime] | None = None,
        origin_client_id: int | None = None,
    ) -> list[Opening]:
        shape = (provider_ids is not None, between is not None, origin_client_id is not None)
        parameters: dict[str, Any] = {"now": now}
        if origin_client_id is not None:
            parameters["client"] = origin_client_id
        if provider_ids is not None:
            parameters["providers"] = list(provider_ids)
        if between is not None:
            parameters.update(start=between[0], end=between[1])
        rows = plain_connection(self.session).execute(_still_open(*shape), parameters)
        return [_opening(row) for row in rows]

    def still_open_times(self, now: datetime) -> list[OpeningTimes]:
        return still_open_times(self.session, now)


@cache
def _still_open(providers: bool, between: bool, client: bool) -> Select[Any]:
    """`still_open` for one set of filters, built once; plain rows, by id."""
    query = select(*_OPENING_COLUMNS).where(
        _OPENING.status == OpeningStatus.OPEN.value, _OPENING.cutoff_at > bindparam("now")
    )
    if providers:
        query = query.where(_OPENING.provider_id.in_(bindparam("providers", expanding=True)))
    if between:
        query = query.where(
            _OPENING.starts_at < bindparam("end"), _OPENING.ends_at > bindparam("start")
        )
    if client:
        query = query.where(_OPENING.origin_client_id == bindparam("client"))
    return query.order_by(_OPENING.id)


def _offer(row: Any) -> Offer:
    values = domain_values(row, Offer)
    values["status"] = OfferStatus(row.status)
    return Offer(**values)


_OFFERS = OfferRow.__table__
_OFFER_COLUMNS = tuple(_OFFERS.columns)


def _offer_of(values: Mapping[str, Any]) -> Offer:
    return Offer(**{**values, "status": OfferStatus(values["status"])})


# The offer statements of the reply path, built once with bound parameters.
_PENDING_OF_OPENING = (
    _OFFER.opening_id == bindparam("of_opening"),
    _OFFER.status == OfferStatus.PENDING.value,
)
_ADD_OFFERS = InsertNew(_OFFERS).returning(_OFFER.id, _OFFER.entry_id)
_FOR_OPENING = (
    select(*_OFFER_COLUMNS).where(_OFFER.opening_id == bindparam("opening_id")).order_by(_OFFER.id)
)
_SETTLE = (
    update(_OFFERS)
    .where(*_PENDING_OF_OPENING)
    .values(
        status=case(
            (_OFFER.id == bindparam("accepted_id"), OfferStatus.ACCEPTED.value),
            else_=OfferStatus.WITHDRAWN.value,
        ),
        responded_at=bindparam("now"),
    )
    .returning(*_OFFER_COLUMNS)
)


@cache
def _close_statement(some: bool, due: bool) -> Update:
    """Pending offers of an opening closed: all, or `ids`; with `due`, only those whose hold
    has run out by `due_by`."""
    query = update(_OFFERS).where(*_PENDING_OF_OPENING)
    if some:
        query = query.where(_OFFER.id.in_(bindparam("ids", expanding=True)))
    if due:
        query = query.where(_OFFER.expires_at <= bindparam("due_by"))
    values = {"status": bindparam("to"), "responded_at": bindparam("now")}
    return query.values(values).returning(*_OFFER_COLUMNS)


def _offer_conflict(offer: Offer) -> Callable[[str], WaitlistError | None]:
    def translate(rule: str) -> WaitlistError | None:
        if rule in ("uq_offers_accepted_per_opening", "offers.opening_id"):
            return SlotTaken(f"Opening O-{offer.opening_id} has already been booked.")
        if rule in ("uq_offers_pending_per_client", "offers.client_id"):
            return Conflict(f"Client {offer.client_id} already holds a pending offer.")
        if rule in ("uq_offers_opening_id_entry_id", "offers.opening_id, offers.entry_id"):
            return Conflict(
                f"Waitlist entry W-{offer.entry_id} already has an offer "
                f"for opening O-{offer.opening_id}."
            )
        return None

    return translate


class SqlOfferRepository(SqlRepository):
    def add(self, offer: Offer) -> Offer:
        if offer.created_at is None:
            offer.created_at = datetime.now(UTC)
        row = OfferRow(**row_values(offer, skip=("id",)))
        with guarded(self.session, _offer_conflict(offer)):
            self.session.add(row)
        offer.id = row.id
        return offer

    def get(self, offer_id: int) -> Offer | None:
        row = self.session.get(OfferRow, offer_id, populate_existing=True)
        return _offer(row) if row else None

    def add_many(self, offers: Sequence[Offer]) -> list[Offer]:
        if not offers:
            return []
        # One statement for any number of rows (SQLAlchemy batches them), compiled once.
        added = self.session.execute(
            _ADD_OFFERS, [row_values(offer, skip=("id",)) for offer in offers]
        ).all()
        ids = {entry_id: offer_id for offer_id, entry_id in added}
        kept = [offer for offer in offers if offer.entry_id in ids]
        for offer in kept:
            offer.id = ids[offer.entry_id]
        return kept

    def close(
        self,
        opening_id: int,
        status: OfferStatus,
        *,
        now: datetime,
        offer_ids: Sequence[int] | None = None,
        due_by: datetime | None = None,
    ) -> list[Offer]:
        if offer_ids is not None and not offer_ids:
            return []
        statement = _close_statement(offer_ids is not None, due_by is not None)
        parameters: dict[str, Any] = {"of_opening": opening_id, "to": status.value, "now": now}
        if offer_ids is not None:
            parameters["ids"] = list(offer_ids)
        if due_by is not None:
            parameters["due_by"] = due_by
        return self._changed(statement, parameters)

    def settle(self, opening_id: int, accepted_id: int, *, now: datetime) -> list[Offer]:
        parameters = {"of_opening": opening_id, "accepted_id": accepted_id, "now": now}
        return self._changed(_SETTLE, parameters)

    def _changed(self, statement: Update, parameters: dict[str, Any]) -> list[Offer]:
        """Run an UPDATE of offers; the changed rows, by id."""
        rows = self.session.execute(statement, parameters).all()
        return sorted((_offer_of(row._mapping) for row in rows), key=lambda offer: offer.id or 0)

    def save(self, offer: Offer) -> None:
        row = existing(self.session.get(OfferRow, offer.id), f"Offer {offer.ref}")
        with guarded(self.session, _offer_conflict(offer)):
            update_row(row, offer)

    def for_opening(self, opening_id: int) -> list[Offer]:
        rows = self.session.execute(_FOR_OPENING, {"opening_id": opening_id})
        return [_offer(row) for row in rows]

    def pending_for_client(self, client_id: int) -> Offer | None:
        row = self.session.scalars(
            select(OfferRow).where(
                OfferRow.client_id == client_id, OfferRow.status == OfferStatus.PENDING.value
            )
        ).first()
        return _offer(row) if row else None

    def latest_for_entry(self, entry_id: int) -> Offer | None:
        row = self.session.scalars(
            select(OfferRow)
            .where(OfferRow.entry_id == entry_id)
            .order_by(OfferRow.created_at.desc(), OfferRow.id.desc())
            .limit(1)
        ).first()
        return _offer(row) if row else None

    def latest_for_client(self, client_id: int) -> Offer | None:
        row = self.session.scalars(
            select(OfferRow)
            .where(OfferRow.client_id == client_id)
            .order_by(OfferRow.created_at.desc(), OfferRow.id.desc())
            .limit(1)
        ).first()
        return _offer(row) if row else None

    def count_for_client(self, client_id: int, since: datetime) -> int:
        query = select(func.count()).where(
            OfferRow.client_id == client_id, OfferRow.created_at >= since
        )
        return int(self.session.scalar(query) or 0)

    def for_entries(self, entry_ids: Sequence[int]) -> list[Offer]:
        if not entry_ids:
            return []
        query = select(OfferRow).where(OfferRow.entry_id.in_(list(entry_ids))).order_by(OfferRow.id)
        return [_offer(row) for row in self.session.scalars(query)]
