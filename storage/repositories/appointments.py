"""Appointments. The database refuses overlapping booked appointments of a provider."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select

from core.errors import SlotConflict, WaitlistError
from core.model import Appointment, AppointmentStatus
from core.ports import Page
from storage.repositories.base import (
    SqlRepository,
    domain_values,
    existing,
    guarded,
    insert_new,
    row_values,
    update_row,
)
from storage.tables import AppointmentRow

BOOKED = AppointmentStatus.BOOKED.value
_BOOKED_COLUMNS = (
    "id",
    "clinic_id",
    "client_id",
    "service_id",
    "provider_id",
    "scheduled_at",
    "duration_minutes",
    "created_at",
)


def _appointment(row: AppointmentRow) -> Appointment:
    values = domain_values(row, Appointment)
    values["status"] = AppointmentStatus(row.status)
    return Appointment(**values)


def _overlap(appointment: Appointment) -> Callable[[str], WaitlistError | None]:
    def translate(rule: str) -> WaitlistError | None:
        if rule == "ex_appointments_no_overlap" or rule.startswith("slot_conflict"):
            return _clash(appointment)
        return None

    return translate


def _clash(appointment: Appointment) -> SlotConflict:
    return SlotConflict(
        f"Provider {appointment.provider_id} already has a booked appointment between "
        f"{appointment.scheduled_at:%Y-%m-%d %H:%M} and {appointment.ends_at:%H:%M} UTC."
    )


class SqlAppointmentRepository(SqlRepository):
    def add(self, appointment: Appointment) -> Appointment:
        if appointment.created_at is None:
            appointment.created_at = datetime.now(UTC)
        appointment.id = insert_new(
            self.session,
            AppointmentRow.__table__,
            {**row_values(appointment, skip=("id",)), "ends_at": appointment.ends_at},
            lambda: _clash(appointment),
            translate=_overlap(appointment),
        )
        return appointment

    def get(self, appointment_id: int, *, for_update: bool = False) -> Appointment | None:
        query = select(AppointmentRow).where(AppointmentRow.id == appointment_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        row = self.session.scalars(query).first()
        return _appointment(row) if row else None

    def save(self, appointment: Appointment) -> None:
        row = existing(
            self.session.get(AppointmentRow, appointment.id), f"Appointment {appointment.id}"
        )
        with guarded(self.session, _overlap(appointment)):
            update_row(row, appointment)
            row.ends_at = appointment.ends_at

    def booked_between(
        self, provider_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[Appointment]:
        if not provider_ids:
            return []
        # Plain columns, not ORM rows: slot searches read thousands of these.
        columns = [getattr(AppointmentRow, name) for name in _BOOKED_COLUMNS]
        query = (
            select(*columns)
            .where(
                AppointmentRow.provider_id.in_(list(provider_ids)),
                AppointmentRow.status == BOOKED,
                AppointmentRow.scheduled_at < end,
                AppointmentRow.ends_at > start,
            )
            .order_by(AppointmentRow.scheduled_at, AppointmentRow.id)
        )
        return [
            Appointment(
                **dict(zip(_BOOKED_COLUMNS, row, strict=True)), status=AppointmentStatus.BOOKED
            )
            for row in self.session.execute(query)
        ]

    def list(
        self,
        *,
        clinic_id: int | None = None,
        client_id: int | None = None,
        provider_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page[Appointment]:
        conditions: list[ColumnElement[bool]] = []
        if clinic_id is not None:
            conditions.append(AppointmentRow.clinic_id == clinic_id)
        if client_id is not None:
            conditions.append(AppointmentRow.client_id == client_id)
        if provider_id is not None:
            conditions.append(AppointmentRow.provider_id == provider_id)
        if start is not None:
            conditions.append(AppointmentRow.scheduled_at >= start)
        if end is not None:
            conditions.append(AppointmentRow.scheduled_at < end)
        total = self.session.scalar(
            select(func.count()).select_from(AppointmentRow).where(*conditions)
        )
        rows = self.session.scalars(
            select(AppointmentRow)
            .where(*conditions)
            .order_by(AppointmentRow.scheduled_at, AppointmentRow.id)
            .offset(offset)
            .limit(limit)
        )
        return Page([_appointment(row) for row in rows], total or 0)
