"""Clients (patients), providers and services over REST. Staff manage clients; providers and
services are the clinic's set-up, changed by ADMIN."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bot.api import mapping
from bot.api.context import (
    MAX_ID,
    AdminCaller,
    Caller,
    IdPath,
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
from bot.runtime import Runtime
from core import directory, directory_changes
from core.errors import NotFound
from core.ports import UnitOfWork

router = APIRouter(tags=["clients, providers and services"])
ClinicQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/clients", response_model=PageEnvelope[Client], summary="List clients")
def list_clients(
    request: Request,
    caller: StaffCaller,
    page: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        found = uow.clients.list(offset=(page - 1) * page_size, limit=page_size)
    pagination = {
        "page": page,
        "page_size": page_size,
        "total": found.total,
        "total_pages": math.ceil(found.total / page_size),
    }
    return ok([mapping.client_item(c) for c in found.items], pagination=pagination)


@router.post("/clients", status_code=201, response_model=Envelope[Client], summary="Add a client")
def create_client(request: Request, caller: StaffCaller, body: NewClient) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        client = directory.add_client(
            uow=uow, now=runtime.clock(), actor=caller.actor, **body.model_dump()
        )
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
    return ok(mapping.client_item(client))


@router.patch("/clients/{client_id}", response_model=Envelope[Client], summary="Edit a client")
def update_client(
    request: Request, caller: StaffCaller, client_id: IdPath, body: ClientChanges
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        client = directory_changes.update_client(
            uow=uow,
            client_id=client_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(mapping.client_item(client))

    return in_transaction(request, work)


@router.get("/providers", response_model=Envelope[list[Provider]], summary="List providers")
def list_providers(request: Request, caller: StaffCaller, clinic_id: ClinicQuery = None) -> Any:
    with unit_of_work(request) as (uow, _):
        return ok([mapping.provider_item(p) for p in uow.providers.list(clinic_id)])


@router.post(
    "/providers", status_code=201, response_model=Envelope[Provider], summary="Add a provider"
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
    return ok(mapping.provider_item(provider))


@router.patch(
    "/providers/{provider_id}", response_model=Envelope[Provider], summary="Edit a provider"
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


@router.get("/services", response_model=Envelope[list[Service]], summary="List services")
def list_services(request: Request, caller: Caller, clinic_id: ClinicQuery = None) -> Any:
    with unit_of_work(request) as (uow, _):
        return ok([mapping.service_item(s) for s in uow.services.list(clinic_id)])


@router.post(
    "/services", status_code=201, response_model=Envelope[Service], summary="Add a service"
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
    return ok(mapping.service_item(service))


@router.patch("/services/{service_id}", response_model=Envelope[Service], summary="Edit a service")
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
