"""Waitlist requests: the seed's list endpoint, and reading, adding, editing and cancelling
one request (SPEC §7)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from bot.api import mapping
from bot.api.auth import Principal
from bot.api.context import MAX_ID, Caller, IdPath, PageQuery, in_transaction, unit_of_work
from bot.api.errors import InvalidQuery, ok
from bot.api.schemas import Envelope, NewRequest, PageEnvelope, RequestChanges, WaitlistRequest
from bot.api.scope import client_seen, one_clinic, seen
from bot.runtime import Runtime
from core import entries
from core.availability import list_by_available_slots
from core.errors import InvalidInput, NotFound
from core.model import Offer, WaitlistEntry
from core.ports import EntryFilter, UnitOfWork

router = APIRouter(tags=["waitlist requests"])

SortField = Literal[
    "created_at", "updated_at", "priority", "date_range_start", "date_range_end", "available_slots"
]
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
IDS_PATTERN = r"^[0-9]{1,9}(,[0-9]{1,9})*$"
TYPES_PATTERN = r"^(INITIAL_EVAL|FOLLOW_UP)(,(INITIAL_EVAL|FOLLOW_UP))*$"
AVAILABLE_SLOTS = (
    "available_slots: the number of open slots (openings being filled, before their cut-off) "
    "that the request fits right now by its service, providers, date range, days and times. "
    "Only waiting requests can be offered a slot, so others count 0. Ties: created_at, id."
)


@router.get(
    "/waitlist-requests",
    response_model=PageEnvelope[WaitlistRequest],
    response_model_exclude_unset=True,
    summary="List waitlist requests",
    description="Paginated, filtered and sorted. A USER sees only their own requests. "
    + AVAILABLE_SLOTS,
)
def list_requests(
    request: Request,
    caller: Caller,
    paging: PageQuery,
    sort_by: SortField = "created_at",
    sort_dir: Literal["asc", "desc"] = "desc",
    clinic_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    patient_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Ignored for USER: always their own")
    ] = None,
    status: Literal["ACTIVE", "FULFILLED", "CANCELLED", "EXPIRED"] | None = None,
    priority: Annotated[int | None, Query(ge=1, le=5)] = None,
    start_date: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description="date_range_start on or after (YYYY-MM-DD)"),
    ] = None,
    end_date: Annotated[
        str | None,
        Query(pattern=DATE_PATTERN, description="date_range_end on or before (YYYY-MM-DD)"),
    ] = None,
    provider_ids: Annotated[
        str | None, Query(pattern=IDS_PATTERN, description="Comma-separated provider ids")
    ] = None,
    appointment_types: Annotated[str | None, Query(pattern=TYPES_PATTERN)] = None,
    appointment_categories: Annotated[
        str | None, Query(max_length=1000, description="Comma-separated category labels")
    ] = None,
    payment_type: Literal["SELF_PAY", "INSURANCE_PAY"] | None = None,
    include_waitlists: Literal["true", "false"] = "false",
) -> dict[str, Any]:
    first, last = parse_date("start_date", start_date), parse_date("end_date", end_date)
    if first and last and last < first:
        raise InvalidQuery("end_date", "end_date is before start_date.")
    clinic_id, clinic_ids = caller.clinic_filter(clinic_id)
    filters = EntryFilter(
        clinic_id=clinic_id,
        clinic_ids=clinic_ids,
        client_id=caller.patient_id if caller.is_patient else patient_id,
        statuses=mapping.API_STATUSES[status] if status else (),
        priority=priority,
        date_from=first,
        date_to=last,
        provider_ids=tuple(int(p) for p in provider_ids.split(",")) if provider_ids else (),
        appointment_types=tuple(appointment_types.split(",")) if appointment_types else (),
        appointment_categories=_labels(appointment_categories),
        payment_type=payment_type,
    )
    offset, page_size = paging.offset, paging.page_size
    with unit_of_work(request) as (uow, runtime):
        counts: dict[int, int] | None = None
        if sort_by == "available_slots":
            found = list_by_available_slots(
                uow=uow,
                filters=filters,
                now=runtime.clock(),
                descending=sort_dir == "desc",
                offset=offset,
                limit=page_size,
            )
            rows = [entry for entry, _ in found.items]
            counts = {entry.id or 0: n for entry, n in found.items}
            total = found.total
        else:
            listed = entries.get_waitlist(
                uow=uow,
                filters=filters,
                sort_by=sort_by,
                descending=sort_dir == "desc",
                offset=offset,
                limit=page_size,
            )
            rows, total = listed.items, listed.total
        items = request_items(uow, rows, include=include_waitlists == "true", counts=counts)
    return ok(items, pagination=paging.pagination(total))


@router.post(
    "/waitlist-requests",
    status_code=201,
    response_model=Envelope[WaitlistRequest],
    response_model_exclude_unset=True,
    summary="Add a waitlist request",
)
def create_request(request: Request, caller: Caller, body: NewRequest) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    fields.pop("patient_id", None)
    clinic_id = fields.pop("clinic_id", None)
    patient_id = caller.patient_id if caller.is_patient else body.patient_id
    if patient_id is None:
        raise InvalidInput("Say which patient the request is for.", field="patient_id")

    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        if not caller.is_patient and not client_seen(uow, caller, patient_id):
            raise NotFound(f"Client {patient_id} does not exist.")
        entry = entries.add_to_waitlist(
            uow=uow,
            client_id=patient_id,
            clinic_id=one_clinic(caller, clinic_id or _service_clinic(uow, caller, body)),
            actor=caller.actor,
            now=runtime.clock(),
            **mapping.engine_changes(fields),
        )
        return ok(request_items(uow, [entry], include=True)[0])

    return in_transaction(request, work)


def _service_clinic(uow: UnitOfWork, caller: Principal, body: NewRequest) -> int | None:
    """Without `clinic_id`, the clinic of the service asked for, when the caller sees it: a
    service belongs to one clinic, so naming it says which."""
    service = uow.services.get(body.service_id) if body.service_id else None
    if service is None or not caller.sees(service.clinic_id):
        return None
    return service.clinic_id


@router.get(
    "/waitlist-requests/{request_id}",
    response_model=Envelope[WaitlistRequest],
    response_model_exclude_unset=True,
    summary="Get one waitlist request, with its invites and the slots they were for",
)
def get_request(request: Request, caller: Caller, request_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        entry = visible_entry(uow, caller, request_id)
        return ok(request_items(uow, [entry], include=True)[0])


@router.patch(
    "/waitlist-requests/{request_id}",
    response_model=Envelope[WaitlistRequest],
    response_model_exclude_unset=True,
    summary="Change a request's preferences (only the fields sent)",
)
def update_request(
    request: Request, caller: Caller, request_id: IdPath, body: RequestChanges
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        visible_entry(uow, caller, request_id)
        entry = entries.update_waitlist_entry(
            uow=uow,
            entry_id=request_id,
            changes=mapping.engine_changes(body.model_dump(exclude_unset=True)),
            actor=caller.actor,
            now=runtime.clock(),
        )
        return ok(request_items(uow, [entry], include=True)[0])

    return in_transaction(request, work)


@router.delete(
    "/waitlist-requests/{request_id}",
    response_model=Envelope[WaitlistRequest],
    response_model_exclude_unset=True,
    summary="Cancel a request (it stays, as CANCELLED)",
)
def cancel_request(request: Request, caller: Caller, request_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        visible_entry(uow, caller, request_id)
        entry = entries.remove_from_waitlist(
            uow=uow,
            entry_id=request_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        return ok(request_items(uow, [entry], include=True)[0])

    return in_transaction(request, work)


def visible_entry(uow: UnitOfWork, caller: Principal, entry_id: int) -> WaitlistEntry:
    """The entry if this caller may see it. Another patient's entry is 'not found', exactly
    as one that does not exist, so ids reveal nothing."""
    entry = uow.entries.get(entry_id)
    if entry is None or (caller.is_patient and entry.client_id != caller.patient_id):
        raise NotFound(f"Waitlist request {entry_id} does not exist.")
    seen(caller, entry.clinic_id, f"Waitlist request {entry_id} does not exist.")
    return entry


def request_items(
    uow: UnitOfWork,
    rows: Sequence[WaitlistEntry],
    *,
    include: bool,
    counts: dict[int, int] | None = None,
) -> list[dict[str, Any]]:
    """Response items for a page of entries, in a fixed number of queries whatever its size."""
    ids = [entry.id or 0 for entry in rows]
    clients = uow.clients.get_many(sorted({entry.client_id for entry in rows}))
    services = {s.id or 0: s for s in uow.services.list(archived=True)} if rows else {}
    offers: dict[int, list[Offer]] = defaultdict(list)
    for offer in uow.offers.for_entries(ids):
        offers[offer.entry_id].append(offer)
    openings = None
    if include:
        wanted = sorted({o.opening_id for group in offers.values() for o in group})
        openings = uow.openings.get_many(wanted)
    return [
        mapping.request_item(
            entry,
            client=clients.get(entry.client_id),
            services=services,
            offers=offers.get(entry.id or 0, []),
            openings=openings,
            available_slots=None if counts is None else counts.get(entry.id or 0, 0),
        )
        for entry in rows
    ]


def parse_date(field: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidQuery(field, f"{text!r} is not a date (YYYY-MM-DD).") from exc


def _labels(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(label.strip() for label in text.split(",") if label.strip())
