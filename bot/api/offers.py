"""A request's side of an offer over REST: matching slots, offer, accept, decline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bot.api import mapping
from bot.api.auth import Principal
from bot.api.context import Caller, IdPath, StaffCaller, in_transaction, unit_of_work
from bot.api.errors import ok
from bot.api.requests import DATE_PATTERN, parse_date, request_items, visible_entry
from bot.api.schemas import Decision, Envelope, OfferBody, OfferOut, SlotGroup
from bot.api.scope import seen
from bot.runtime import Runtime
from core import offers, slots
from core.model import Opening
from core.ports import UnitOfWork

router = APIRouter(tags=["waitlist requests"])


@router.get(
    "/waitlist-requests/{request_id}/matching-slots",
    response_model=Envelope[list[SlotGroup]],
    summary="Free provider time that fits the request, grouped by date and provider",
)
def matching_slots(
    request: Request,
    caller: Caller,
    request_id: IdPath,
    start_date: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
    end_date: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    first, last = parse_date("start_date", start_date), parse_date("end_date", end_date)
    with unit_of_work(request) as (uow, runtime):
        visible_entry(uow, caller, request_id)
        groups = slots.find_matching_slots(
            uow=uow,
            entry_id=request_id,
            now=runtime.clock(),
            start_date=first,
            end_date=last,
            limit=limit,
        )
    for group in groups:
        group["provider_id"] = str(group["provider_id"])
        for slot in group["slots"]:
            if "opening_id" in slot:
                slot["opening_id"] = str(slot["opening_id"])
    return ok(groups)


@router.post(
    "/waitlist-requests/{request_id}/offer",
    status_code=201,
    response_model=Envelope[OfferOut],
    summary="Offer the slot of a cancelled appointment to this request (texts the patient)",
)
def offer(
    request: Request, caller: StaffCaller, request_id: IdPath, body: OfferBody
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        visible_entry(uow, caller, request_id)
        appointment = uow.appointments.get(body.appointment_id)
        if appointment is not None:
            missing = f"Appointment A-{body.appointment_id} does not exist."
            seen(caller, appointment.clinic_id, missing)
        made = offers.offer_appointment(
            uow=uow,
            entry_id=request_id,
            appointment_id=body.appointment_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        return ok(
            {
                "invite_id": str(made.id),
                "request_id": str(made.entry_id),
                "waitlist_id": str(made.opening_id),
                "status": made.status.value,
                "expires_at": mapping.iso(made.expires_at),
                # the opening is the appointment's slot: theirs if they cancelled it
                "own_cancelled_slot": appointment is not None
                and appointment.client_id == made.client_id,
            }
        )

    return in_transaction(request, work)


@router.post(
    "/waitlist-requests/{request_id}/accept",
    response_model=Envelope[Decision],
    response_model_exclude_unset=True,
    summary="Accept the request's pending offer: books the slot (the first acceptance wins)",
)
def accept(request: Request, caller: Caller, request_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        visible_entry(uow, caller, request_id)
        booking = offers.accept_offer(
            uow=uow,
            entry_id=request_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        opening = booking.opening
        return ok(
            {
                "request": request_items(uow, [booking.entry], include=True)[0],
                "appointment": mapping.appointment_item(booking.appointment),
                "opening": _opening(uow, caller, opening),
            }
        )

    return in_transaction(request, work)


@router.post(
    "/waitlist-requests/{request_id}/decline",
    response_model=Envelope[Decision],
    response_model_exclude_unset=True,
    summary="Decline the pending offer: the request waits again and the fill moves on",
)
def decline(request: Request, caller: Caller, request_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        visible_entry(uow, caller, request_id)
        step = offers.decline_offer(
            uow=uow,
            entry_id=request_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        entry = visible_entry(uow, caller, request_id)
        opening = step.opening
        return ok(
            {
                "request": request_items(uow, [entry], include=True)[0],
                "opening": _opening(uow, caller, opening),
            }
        )

    return in_transaction(request, work)


def _opening(uow: UnitOfWork, caller: Principal, opening: Opening) -> dict[str, Any]:
    """The opening with its invites. A patient sees only their own invite, never who else
    was asked, nor whose cancelled appointment the slot was."""
    found = uow.offers.for_opening(opening.id or 0)
    if not caller.is_patient:
        return mapping.opening_item(opening, found)
    item = mapping.opening_item(opening, [o for o in found if o.client_id == caller.patient_id])
    if opening.origin_client_id != caller.patient_id:
        item["origin_patient_id"] = None
    return item
