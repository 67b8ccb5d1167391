"""Appointments and openings over REST: book, list, cancel (which starts a fill), and read an
opening with its invites."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bot.api import mapping
from bot.api.context import MAX_ID, IdPath, PageQuery, StaffCaller, in_transaction, unit_of_work
from bot.api.errors import InvalidQuery, ok
from bot.api.requests import DATE_PATTERN, parse_date
from bot.api.schemas import (
    Appointment,
    CancelBody,
    Envelope,
    NewAppointment,
    Opening,
    PageEnvelope,
)
from bot.api.scope import client_seen, one_clinic, seen
from bot.runtime import Runtime
from core import directory, fill
from core.errors import NotFound
from core.ports import UnitOfWork

router = APIRouter(tags=["appointments and openings"])


@router.post(
    "/appointments",
    status_code=201,
    response_model=Envelope[Appointment],
    summary="Book an appointment directly (not from the waitlist)",
)
def create_appointment(
    request: Request, caller: StaffCaller, body: NewAppointment
) -> dict[str, Any]:
    if body.scheduled_at.tzinfo is None:
        raise InvalidQuery("scheduled_at", "scheduled_at needs a time zone offset.")

    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        provider = uow.providers.get(body.provider_id)
        missing = f"Provider {body.provider_id} does not exist at that service's clinic."
        seen(caller, provider.clinic_id if provider else None, missing)
        if not client_seen(uow, caller, body.patient_id):
            raise NotFound(f"Client {body.patient_id} does not exist.")
        if body.scheduled_at <= runtime.clock():
            raise InvalidQuery("scheduled_at", "An appointment must be booked in the future.")
        appointment = directory.book_appointment(
            uow=uow,
            client_id=body.patient_id,
            service_id=body.service_id,
            provider_id=body.provider_id,
            scheduled_at=body.scheduled_at.astimezone(UTC),
            duration_minutes=body.duration_minutes,
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(mapping.appointment_item(appointment))

    return in_transaction(request, work)


@router.get(
    "/appointments",
    response_model=PageEnvelope[Appointment],
    summary="List appointments, earliest first",
)
def list_appointments(
    request: Request,
    caller: StaffCaller,
    paging: PageQuery,
    clinic_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    patient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    provider_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    start_date: Annotated[str | None, Query(pattern=DATE_PATTERN, description="UTC date")] = None,
    end_date: Annotated[
        str | None, Query(pattern=DATE_PATTERN, description="UTC date, exclusive")
    ] = None,
) -> dict[str, Any]:
    first, last = parse_date("start_date", start_date), parse_date("end_date", end_date)
    with unit_of_work(request) as (uow, _):
        found = uow.appointments.list(
            clinic_id=one_clinic(caller, clinic_id),
            client_id=patient_id,
            provider_id=provider_id,
            start=datetime(first.year, first.month, first.day, tzinfo=UTC) if first else None,
            end=datetime(last.year, last.month, last.day, tzinfo=UTC) if last else None,
            offset=paging.offset,
            limit=paging.page_size,
        )
    items = [mapping.appointment_item(a) for a in found.items]
    return ok(items, pagination=paging.pagination(found.total))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=Envelope[Opening],
    summary="Cancel an appointment: its slot becomes an opening and the fill starts",
)
def cancel_appointment(
    request: Request, caller: StaffCaller, appointment_id: IdPath, body: CancelBody | None = None
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        appointment = uow.appointments.get(appointment_id)
        if appointment is not None:
            seen(caller, appointment.clinic_id, f"Appointment A-{appointment_id} does not exist.")
        step = fill.handle_cancellation(
            uow=uow,
            appointment_id=appointment_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
            reason=body.reason if body else None,
        )
        opening = step.opening
        return ok(mapping.opening_item(opening, uow.offers.for_opening(opening.id or 0)))

    return in_transaction(request, work)


@router.get(
    "/openings/{opening_id}",
    response_model=Envelope[Opening],
    summary="An opening (a slot being filled) with its invites",
)
def get_opening(request: Request, caller: StaffCaller, opening_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        opening = uow.openings.get(opening_id)
        if opening is None or not caller.sees(opening.clinic_id):
            raise NotFound(f"Opening {opening_id} does not exist.")
        return ok(mapping.opening_item(opening, uow.offers.for_opening(opening_id)))
