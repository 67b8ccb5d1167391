"""Clients (patients), providers and services over REST. Staff manage clients; providers and
services are the clinic's set-up, changed by ADMIN."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bot.api import mapping
from bot.api.context import (
    MAX_ID,
    AdminCaller,
    Caller,
    IdPath,
    PageQuery,
    Paging,
    StaffCaller,
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
from core import directory, directory_changes
from core.errors import NotFound

router = APIRouter(tags=["clients, providers and services"])
ClinicQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/clients", response_model=PageEnvelope[Client], summary="List clients")
def list_clients(request: Request, caller: StaffCaller, paging: PageQuery) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        found = uow.clients.list(offset=paging.offset, limit=paging.page_size)
    return ok(
        [mapping.client_item(c) for c in found.items], pagination=paging.pagination(found.total)
    )


@router.post("/clients", status_code=201, response_model=Envelope[Client], summary="Add a client")
def create_client(request: Request, caller: StaffCaller, body: NewClient) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        client = directory.add_client(
            uow=uow, now=runtime.clock(), actor=caller.actor, **body.model_dump()
        )
        uow.commit()
    return ok(mapping.client_item(client))


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
    return ok(mapping.client_item(client))


@router.patch("/clients/{client_id}", response_model=Envelope[Client], summary="Edit a client")
def update_client(
    request: Request, caller: StaffCaller, client_id: IdPath, body: ClientChanges
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        client = directory_changes.update_client(
            uow=uow,
            client_id=client_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        uow.commit()
    return ok(mapping.client_item(client))


@router.get("/providers", response_model=PageEnvelope[Provider], summary="List providers")
def list_providers(
    request: Request, caller: StaffCaller, paging: PageQuery, clinic_id: ClinicQuery = None
) -> Any:
    with unit_of_work(request) as (uow, _):
        return _page(paging, [mapping.provider_item(p) for p in uow.providers.list(clinic_id)])


@router.post(
    "/providers", status_code=201, response_model=Envelope[Provider], summary="Add a provider"
)
def create_provider(request: Request, caller: AdminCaller, body: NewProvider) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        provider = directory.add_provider(
            uow=uow,
            clinic_id=body.clinic_id,
            name=body.name,
            hours=directory.parse_hours(body.hours),
            now=runtime.clock(),
            actor=caller.actor,
        )
        uow.commit()
    return ok(mapping.provider_item(provider))


@router.get("/providers/{provider_id}", response_model=Envelope[Provider], summary="A provider")
def get_provider(request: Request, caller: StaffCaller, provider_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        provider = uow.providers.get(provider_id)
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.")
    return ok(mapping.provider_item(provider))


@router.patch(
    "/providers/{provider_id}", response_model=Envelope[Provider], summary="Edit a provider"
)
def update_provider(
    request: Request, caller: AdminCaller, provider_id: IdPath, body: ProviderChanges
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        provider = directory_changes.update_provider(
            uow=uow,
            provider_id=provider_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        uow.commit()
    return ok(mapping.provider_item(provider))


@router.get("/services", response_model=PageEnvelope[Service], summary="List services")
def list_services(
    request: Request, caller: Caller, paging: PageQuery, clinic_id: ClinicQuery = None
) -> Any:
    with unit_of_work(request) as (uow, _):
        return _page(paging, [mapping.service_item(s) for s in uow.services.list(clinic_id)])


@router.post(
    "/services", status_code=201, response_model=Envelope[Service], summary="Add a service"
)
def create_service(request: Request, caller: AdminCaller, body: NewService) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        service = directory.add_service(
            uow=uow, now=runtime.clock(), actor=caller.actor, **body.model_dump()
        )
        uow.commit()
    return ok(mapping.service_item(service))


@router.get("/services/{service_id}", response_model=Envelope[Service], summary="A service")
def get_service(request: Request, caller: Caller, service_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        service = uow.services.get(service_id)
    if service is None:
        raise NotFound(f"Service {service_id} does not exist.")
    return ok(mapping.service_item(service))


@router.patch("/services/{service_id}", response_model=Envelope[Service], summary="Edit a service")
def update_service(
    request: Request, caller: AdminCaller, service_id: IdPath, body: ServiceChanges
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        service = directory_changes.update_service(
            uow=uow,
            service_id=service_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        uow.commit()
    return ok(mapping.service_item(service))


def _page(paging: Paging, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A page of a clinic's set-up, which is a few dozen rows: cut in memory."""
    shown = items[paging.offset : paging.offset + paging.page_size]
    return ok(shown, pagination=paging.pagination(len(items)))
