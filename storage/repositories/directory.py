"""Clinics, clients, providers and services: the reference data the waitlist points at."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select, update

from core.clinics import ClinicSettings, sender_match
from core.errors import Conflict, WaitlistError
from core.model import (
    AppointmentType,
    Client,
    Clinic,
    MessageStatus,
    Provider,
    Service,
    WeeklyHours,
)
from core.ports import Page
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
from storage.tables import (
    AppointmentRow,
    ClientClinicRow,
    ClientRow,
    ClinicRow,
    EntryRow,
    MessageRow,
    ProviderRow,
    ServiceRow,
)


def _clinic_conflict(rule: str) -> WaitlistError | None:
    if rule in ("uq_clinics_name", "clinics.name"):
        return Conflict("A clinic with that name already exists.")
    if rule in ("uq_clinics_sms_number", "clinics.sms_number"):
        return Conflict("Another clinic already texts from that number.")
    if rule in ("uq_clinics_slack_channel", "clinics.slack_channel"):
        return Conflict("Another clinic already uses that Slack channel.")
    return None


def to_clinic(row: Any) -> Clinic:
    """A Clinic from an ORM object or a plain result row."""
    values = domain_values(row, Clinic, skip=("settings",))
    return Clinic(**values, settings=ClinicSettings.from_dict(row.settings, check=False))


def _clinic_values(clinic: Clinic) -> dict[str, Any]:
    """The row's columns; the clinic's own number and channel copied out for routing."""
    return {
        **row_values(clinic, skip=("id", "settings")),
        "settings": clinic.settings.to_dict(),
        "sms_number": clinic.settings.twilio_from_number,
        "slack_channel": clinic.settings.slack_channel,
    }


def _client_conflict(rule: str) -> WaitlistError | None:
    if rule in ("uq_clients_phone", "clients.phone"):
        return Conflict("A client with that phone number already exists.")
    return None


class SqlClinicRepository(SqlRepository):
    def add(self, clinic: Clinic) -> Clinic:
        row = ClinicRow(**_clinic_values(clinic))
        with guarded(self.session, _clinic_conflict):
            self.session.add(row)
        clinic.id = row.id
        return clinic

    def get(self, clinic_id: int) -> Clinic | None:
        row = self.session.get(ClinicRow, clinic_id)
        return to_clinic(row) if row else None

    def get_by_name(self, name: str) -> Clinic | None:
        row = self.session.scalars(select(ClinicRow).where(ClinicRow.name == name)).first()
        return to_clinic(row) if row else None

    def list(self) -> list[Clinic]:
        rows = self.session.scalars(select(ClinicRow).order_by(ClinicRow.id))
        return [to_clinic(row) for row in rows]

    def by_slack_channel(self, channel_id: str) -> Clinic | None:
        row = self.session.scalars(
            select(ClinicRow).where(ClinicRow.slack_channel == channel_id)
        ).first()
        return to_clinic(row) if row else None

    def by_sender(self, phone_e164: str) -> Clinic | None:
        rows = plain_connection(self.session).execute(_BY_SENDER, {"number": phone_e164})
        return sender_match([to_clinic(row) for row in rows], phone_e164)

    def save(self, clinic: Clinic) -> None:
        row = existing(self.session.get(ClinicRow, clinic.id), f"Clinic {clinic.id}")
        with guarded(self.session, _clinic_conflict):
            for name, value in _clinic_values(clinic).items():
                setattr(row, name, value)


def to_client(row: Any) -> Client:
    """A Client from an ORM object or a plain result row."""
    return Client(**domain_values(row, Client))


def _escape_like(text: str) -> str:
    """Typed % and _ are matched literally, not as LIKE wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Read for every text received. One statement: the clinic with this number, and the clinics
# with no number of their own (they text from the deployment's), numbered ones first.
_CLINIC = ClinicRow.__table__.c
_BY_SENDER = (
    select(*ClinicRow.__table__.columns)
    .where(or_(_CLINIC.sms_number == bindparam("number"), _CLINIC.sms_number.is_(None)))
    .order_by(_CLINIC.sms_number.is_(None), _CLINIC.id)
    .limit(2)
)
# Read for every text sent (the dispatcher checks the client again): plain columns, built once.
_CLIENTS_BY_ID = select(*ClientRow.__table__.columns).where(
    ClientRow.__table__.c.id.in_(bindparam("ids", expanding=True))
)


# Where a client is known at a clinic (`EntryRepository.clinics_of_clients`).
KNOWN_AT = (EntryRow, AppointmentRow, ClientClinicRow)


def _seen_at(clinic_ids: list[int]) -> ColumnElement[bool]:
    """The client is known at one of these clinics, or at no clinic yet
    (`bot.api.scope.client_seen` in SQL)."""
    places = [
        select(row.client_id).where(row.client_id == ClientRow.id, row.clinic_id.in_(clinic_ids))
        for row in KNOWN_AT
    ]
    anywhere = [select(row.client_id).where(row.client_id == ClientRow.id) for row in KNOWN_AT]
    return or_(
        *(exists(place) for place in places),
        and_(*(~exists(place) for place in anywhere)),
    )


class SqlClientRepository(SqlRepository):
    def add(self, client: Client) -> Client:
        if client.created_at is None:
            client.created_at = datetime.now(UTC)
        row = ClientRow(**row_values(client, skip=("id",)))
        with guarded(self.session, _client_conflict):
            self.session.add(row)
        client.id = row.id
        return client

    def get(self, client_id: int) -> Client | None:
        return self.get_many([client_id]).get(client_id)

    def get_by_phone(self, phone: str) -> Client | None:
        row = self.session.scalars(select(ClientRow).where(ClientRow.phone == phone)).first()
        return to_client(row) if row else None

    def get_many(self, client_ids: Sequence[int]) -> dict[int, Client]:
        if not client_ids:
            return {}
        rows = plain_connection(self.session).execute(_CLIENTS_BY_ID, {"ids": list(client_ids)})
        return {row.id: to_client(row) for row in rows}

    def list(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        archived: bool = False,
        seen_at: Collection[int] | None = None,
    ) -> Page[Client]:
        shown = [] if archived else [ClientRow.archived_at.is_(None)]
        if seen_at is not None:
            shown.append(_seen_at(list(seen_at)))
        total = self.session.scalar(select(func.count()).select_from(ClientRow).where(*shown))
        rows = self.session.scalars(
            select(ClientRow).where(*shown).order_by(ClientRow.id).offset(offset).limit(limit)
        )
        return Page([to_client(row) for row in rows], total or 0)

    def add_clinics(self, client_id: int, clinic_ids: Collection[int], now: datetime) -> None:
        if clinic_ids:
            self.session.execute(
                InsertNew(ClientClinicRow.__table__),
                [
                    {"client_id": client_id, "clinic_id": clinic_id, "created_at": now}
                    for clinic_id in sorted(clinic_ids)
                ],
            )

    def search(self, text: str, limit: int = 20) -> Sequence[Client]:
        name = func.lower(ClientRow.first_name + " " + ClientRow.last_name)
        matches = [name.like(f"%{_escape_like(text.strip().lower())}%", escape="\\")]
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) >= 2:
            matches.append(ClientRow.phone.like(f"%{digits}%"))
        rows = self.session.scalars(
            select(ClientRow)
            .where(or_(*matches), ClientRow.archived_at.is_(None))
            .order_by(ClientRow.first_name, ClientRow.last_name, ClientRow.id)
            .limit(limit)
        )
        return [to_client(row) for row in rows]

    def save(self, client: Client) -> None:
        row = existing(self.session.get(ClientRow, client.id), f"Client {client.id}")
        with guarded(self.session, _client_conflict):
            update_row(row, client)

    def erase_messages(self, client_id: int) -> None:
        mine = MessageRow.client_id == client_id
        # A text still waiting to go out has no one to go to any more.
        self.session.execute(
            update(MessageRow)
            .where(mine, MessageRow.status == MessageStatus.QUEUED.value)
            .values(status=MessageStatus.CANCELLED.value, error_code="erased")
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(MessageRow)
            .where(mine)
            .values(phone="erased", body="")
            .execution_options(synchronize_session=False)
        )


def hours_to_json(hours: WeeklyHours) -> str:
    return json.dumps(
        {
            str(day): [[start.isoformat(), end.isoformat()] for start, end in spans]
            for day, spans in sorted(hours.items())
        }
    )


def hours_from_json(text: str) -> WeeklyHours:
    return {
        int(day): [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in spans]
        for day, spans in json.loads(text or "{}").items()
    }


def _provider(row: ProviderRow) -> Provider:
    return Provider(
        clinic_id=row.clinic_id,
        name=row.name,
        hours=hours_from_json(row.hours),
        id=row.id,
        archived_at=row.archived_at,
    )


class SqlProviderRepository(SqlRepository):
    def add(self, provider: Provider) -> Provider:
        row = ProviderRow(
            clinic_id=provider.clinic_id, name=provider.name, hours=hours_to_json(provider.hours)
        )
        self.session.add(row)
        self.session.flush()
        provider.id = row.id
        return provider

    def get(self, provider_id: int) -> Provider | None:
        row = self.session.get(ProviderRow, provider_id)
        return _provider(row) if row else None

    def list(self, clinic_id: int | None = None, *, archived: bool = False) -> list[Provider]:
        query = select(ProviderRow).order_by(ProviderRow.id)
        if not archived:
            query = query.where(ProviderRow.archived_at.is_(None))
        if clinic_id is not None:
            query = query.where(ProviderRow.clinic_id == clinic_id)
        return [_provider(row) for row in self.session.scalars(query)]

    def save(self, provider: Provider) -> None:
        row = existing(self.session.get(ProviderRow, provider.id), f"Provider {provider.id}")
        row.clinic_id = provider.clinic_id
        row.name = provider.name
        row.hours = hours_to_json(provider.hours)
        row.archived_at = provider.archived_at
        self.session.flush()


def _service(row: ServiceRow) -> Service:
    values = domain_values(row, Service)
    if row.appointment_type is not None:
        values["appointment_type"] = AppointmentType(row.appointment_type)
    return Service(**values)


class SqlServiceRepository(SqlRepository):
    def add(self, service: Service) -> Service:
        row = ServiceRow(**row_values(service, skip=("id",)))
        self.session.add(row)
        self.session.flush()
        service.id = row.id
        return service

    def get(self, service_id: int) -> Service | None:
        row = self.session.get(ServiceRow, service_id)
        return _service(row) if row else None

    def list(self, clinic_id: int | None = None, *, archived: bool = False) -> list[Service]:
        query = select(ServiceRow).order_by(ServiceRow.id)
        if not archived:
            query = query.where(ServiceRow.archived_at.is_(None))
        if clinic_id is not None:
            query = query.where(ServiceRow.clinic_id == clinic_id)
        return [_service(row) for row in self.session.scalars(query)]

    def save(self, service: Service) -> None:
        row = existing(self.session.get(ServiceRow, service.id), f"Service {service.id}")
        update_row(row, service)
        self.session.flush()
