"""Clients (patients), providers and services over REST. Staff manage clients; providers and
services are the clinic's set-up, changed by ADMIN."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from bot.api import mapping
from bot.api.context import (
    MAX_ID,
    AdminCaller,
    Caller,
    IdPath,
    PageQuery,
    Paging,
    StaffCaller,
    in_transaction,
    unit_of_work,
)
from bot.api.errors import ok
from bot.api.schemas import (
    Client,
    ClientChanges,
    Envelope,
    NewClient,
    NewProvider,
    NewService,
    PageEnvelope,
    Provider,
    ProviderChanges,
    Service,
    ServiceChanges,
)
from bot.api.scope import client_seen, one_clinic, seen
from bot.runtime import Runtime
from core import archive, directory, directory_changes
from core.errors import NotFound
from core.ports import UnitOfWork

router = APIRouter(tags=["clients, providers and services"])
ClinicQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
ArchivedQuery = Annotated[
    Literal["true", "false"], Query(description="true lists archived ones too")
]


@router.get("/clients", response_model=PageEnvelope[Client], summary="List clients")
def list_clients(
    request: Request,
    caller: StaffCaller,
    paging: PageQuery,
    include_archived: ArchivedQuery = "false",
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        found = uow.clients.list(
            offset=paging.offset,
            limit=paging.page_size,
            archived=include_archived == "true",
            seen_at=caller.clinic_ids,
        )
    return ok(
        [mapping.client_item(c) for c in found.items], pagination=paging.pagination(found.total)
    )


@router.post(
    "/clients",
    status_code=201,
    response_model=Envelope[Client],
    summary="Add a client, or find the one on file with that phone and name",
    responses={200: {"description": "Already on file: that client, now seen by your clinics"}},
)
def create_client(
    request: Request, response: Response, caller: StaffCaller, body: NewClient
) -> dict[str, Any]:
    """201 with a new client; 200 with the client already on file under that phone and name
    (the whole name, or the first name alone), who from then on is seen by the clinics of
    your token, even before they wait or book there. A phone on file under another name is
    409: one phone is one client."""

    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        client, added = directory.find_or_add_client(
            uow=uow,
            now=runtime.clock(),
            actor=caller.actor,
            clinic_ids=caller.clinic_ids or (),
            **body.model_dump(),
        )
        if not added:
            response.status_code = 200
        return ok(mapping.client_item(client))

    return in_transaction(request, work)


@router.get(
    "/clients/{client_id}",
    response_model=Envelope[Client],
    summary="One client (a USER may read only themselves)",
)
def get_client(request: Request, caller: Caller, client_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        client = uow.clients.get(client_id)
        if client is None or (caller.is_patient and client_id != caller.patient_id):
            raise NotFound(f"Client {client_id} does not exist.")
        if not caller.is_patient and not client_seen(uow, caller, client_id):
            raise NotFound(f"Client {client_id} does not exist.")
    return ok(mapping.client_item(client))


@router.patch("/clients/{client_id}", response_model=Envelope[Client], summary="Edit a client")
def update_client(
    request: Request, caller: StaffCaller, client_id: IdPath, body: ClientChanges
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        if not client_seen(uow, caller, client_id):
            raise NotFound(f"Client {client_id} does not exist.")
        client = directory_changes.update_client(
            uow=uow,
            client_id=client_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(mapping.client_item(client))

    return in_transaction(request, work)


@router.get("/providers", response_model=PageEnvelope[Provider], summary="List providers")
def list_providers(
    request: Request,
    caller: StaffCaller,
    paging: PageQuery,
    clinic_id: ClinicQuery = None,
    include_archived: ArchivedQuery = "false",
) -> Any:
    with unit_of_work(request) as (uow, _):
        found = uow.providers.list(
            one_clinic(caller, clinic_id), archived=include_archived == "true"
        )
        return _page(paging, [mapping.provider_item(p) for p in found])


@router.post(
    "/providers",
    status_code=201,
    response_model=Envelope[Provider],
    summary="Add a provider (ADMIN)",
)
def create_provider(request: Request, caller: AdminCaller, body: NewProvider) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        provider = directory.add_provider(
            uow=uow,
            clinic_id=body.clinic_id,
            name=body.name,
            hours=directory.parse_hours(body.hours),
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(mapping.provider_item(provider))

    return in_transaction(request, work)


@router.get("/providers/{provider_id}", response_model=Envelope[Provider], summary="A provider")
def get_provider(request: Request, caller: StaffCaller, provider_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        provider = uow.providers.get(provider_id)
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.")
    seen(caller, provider.clinic_id, f"Provider {provider_id} does not exist.")
    return ok(mapping.provider_item(provider))


@router.patch(
    "/providers/{provider_id}", response_model=Envelope[Provider], summary="Edit a provider (ADMIN)"
)
def update_provider(
    request: Request, caller: AdminCaller, provider_id: IdPath, body: ProviderChanges
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        provider = directory_changes.update_provider(
            uow=uow,
            provider_id=provider_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(mapping.provider_item(provider))

    return in_transaction(request, work)


@router.get("/services", response_model=PageEnvelope[Service], summary="List services")
def list_services(
    request: Request,
    caller: Caller,
    paging: PageQuery,
    clinic_id: ClinicQuery = None,
    include_archived: ArchivedQuery = "false",
) -> Any:
    with unit_of_work(request) as (uow, _):
        found = uow.services.list(
            one_clinic(caller, clinic_id), archived=include_archived == "true"
        )
        return _page(paging, [mapping.service_item(s) for s in found])


@router.post(
    "/services", status_code=201, response_model=Envelope[Service], summary="Add a service (ADMIN)"
)
def create_service(request: Request, caller: AdminCaller, body: NewService) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        service = directory.add_service(
            uow=uow, now=runtime.clock(), actor=caller.actor, **body.model_dump()
        )
        return ok(mapping.service_item(service))

    return in_transaction(request, work)


@router.get("/services/{service_id}", response_model=Envelope[Service], summary="A service")
def get_service(request: Request, caller: Caller, service_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        service = uow.services.get(service_id)
    if service is None:
        raise NotFound(f"Service {service_id} does not exist.")
    seen(caller, service.clinic_id, f"Service {service_id} does not exist.")
    return ok(mapping.service_item(service))


@router.patch(
    "/services/{service_id}", response_model=Envelope[Service], summary="Edit a service (ADMIN)"
)
def update_service(
    request: Request, caller: AdminCaller, service_id: IdPath, body: ServiceChanges
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        service = directory_changes.update_service(
            uow=uow,
            service_id=service_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(mapping.service_item(service))

    return in_transaction(request, work)


def _page(paging: Paging, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of a clinic's set-up, which is a few dozen rows: cut in memory."""
    shown = items[paging.offset : paging.offset + paging.page_size]
    return ok(shown, pagination=paging.pagination(len(items)))


_ARCHIVE = (
    " Archived: hidden from lists and from new work (entries, bookings, matching); its "
    "history and statistics stay, and its open waitlist requests are cancelled."
)


@router.delete(
    "/clients/{client_id}",
    response_model=Envelope[Client],
    summary="Archive a client",
    description=_ARCHIVE,
)
def archive_client(request: Request, caller: StaffCaller, client_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        if not client_seen(uow, caller, client_id):
            raise NotFound(f"Client {client_id} does not exist.")
        client = archive.archive_client(
            uow=uow,
            client_id=client_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        return ok(mapping.client_item(client))

    return in_transaction(request, work)


@router.post(
    "/clients/{client_id}/erase",
    response_model=Envelope[Client],
    summary="Erase a client on their request: name, phone and email are removed",
    description="Ids, statuses and timings stay, so statistics hold; the client is archived "
    "and texts to or from them are blanked. An Event records who erased them.",
)
def erase_client(request: Request, caller: AdminCaller, client_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        client = archive.erase_client(
            uow=uow,
            client_id=client_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        return ok(mapping.client_item(client))

    return in_transaction(request, work)


@router.delete(
    "/providers/{provider_id}",
    response_model=Envelope[Provider],
    summary="Archive a provider who left (ADMIN)",
    description=_ARCHIVE.replace("its open waitlist requests", "requests that wanted only them"),
)
def archive_provider(request: Request, caller: AdminCaller, provider_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        provider = archive.archive_provider(
            uow=uow,
            provider_id=provider_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        return ok(mapping.provider_item(provider))

    return in_transaction(request, work)


@router.delete(
    "/services/{service_id}",
    response_model=Envelope[Service],
    summary="Archive a service no longer offered (ADMIN)",
    description=_ARCHIVE,
)
def archive_service(request: Request, caller: AdminCaller, service_id: IdPath) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        service = archive.archive_service(
            uow=uow,
            service_id=service_id,
            actor=caller.actor,
            now=runtime.clock(),
            policy=runtime.policy,
        )
        return ok(mapping.service_item(service))

    return in_transaction(request, work)
