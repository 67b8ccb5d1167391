"""Webhook endpoints over REST (ADMIN): register, list, change, the delivery log, and
sending a delivery again (SPEC §13)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bot.api.context import (
    MAX_ID,
    AdminCaller,
    IdPath,
    PageQuery,
    in_transaction,
    runtime_of,
    unit_of_work,
)
from bot.api.errors import ok
from bot.api.mapping import iso
from bot.api.schemas import (
    Envelope,
    NewWebhookEndpoint,
    PageEnvelope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointChanges,
)
from bot.runtime import Runtime
from core import deliveries
from core.errors import NotFound
from core.ports import UnitOfWork
from core.webhooks import Delivery
from core.webhooks import WebhookEndpoint as Endpoint

router = APIRouter(tags=["webhooks"])


@router.post(
    "/webhook-endpoints",
    status_code=201,
    response_model=Envelope[WebhookEndpoint],
    response_model_exclude_unset=True,
    summary="Register a webhook endpoint; the answer holds its secret, shown only this once",
)
def create_endpoint(
    request: Request, caller: AdminCaller, body: NewWebhookEndpoint
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        endpoint = deliveries.add_endpoint(
            uow=uow,
            clinic_id=body.clinic_id,
            url=body.url,
            event_types=list(body.event_types),
            description=body.description,
            actor=caller.actor,
            now=runtime.clock(),
        )
        return ok({**endpoint_item(endpoint), "secret": endpoint.secret})

    return in_transaction(request, work)


@router.get(
    "/webhook-endpoints",
    response_model=PageEnvelope[WebhookEndpoint],
    response_model_exclude_unset=True,
    summary="List webhook endpoints",
)
def list_endpoints(
    request: Request,
    caller: AdminCaller,
    paging: PageQuery,
    clinic_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        found = uow.webhooks.endpoints(clinic_id, offset=paging.offset, limit=paging.page_size)
    items = [endpoint_item(e) for e in found.items]
    return ok(items, pagination=paging.pagination(found.total))


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    response_model=Envelope[WebhookEndpoint],
    response_model_exclude_unset=True,
    summary="One webhook endpoint",
)
def get_endpoint(request: Request, caller: AdminCaller, endpoint_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        return ok(endpoint_item(deliveries.get_endpoint(uow=uow, endpoint_id=endpoint_id)))


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    response_model=Envelope[WebhookEndpoint],
    response_model_exclude_unset=True,
    summary="Change an endpoint; enabled=true resumes a disabled one",
)
def update_endpoint(
    request: Request, caller: AdminCaller, endpoint_id: IdPath, body: WebhookEndpointChanges
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)

    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        endpoint = deliveries.update_endpoint(
            uow=uow, endpoint_id=endpoint_id, actor=caller.actor, now=runtime.clock(), **changes
        )
        return ok(endpoint_item(endpoint))

    return in_transaction(request, work)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response_model=PageEnvelope[WebhookDelivery],
    summary="The delivery log of an endpoint, newest first",
)
def list_deliveries(
    request: Request, caller: AdminCaller, endpoint_id: IdPath, paging: PageQuery
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, _):
        deliveries.get_endpoint(uow=uow, endpoint_id=endpoint_id)
        found = uow.webhooks.deliveries(endpoint_id, offset=paging.offset, limit=paging.page_size)
    items = [delivery_item(d) for d in found.items]
    return ok(items, pagination=paging.pagination(found.total))


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=201,
    response_model=Envelope[WebhookDelivery],
    summary="Send a delivery's event to its endpoint again (a new delivery, same event id)",
)
def redeliver(
    request: Request, caller: AdminCaller, endpoint_id: IdPath, delivery_id: IdPath
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> Delivery:
        found = uow.webhooks.get_delivery(delivery_id)
        if found is None or found.endpoint_id != endpoint_id:
            raise NotFound(f"Delivery {delivery_id} of endpoint {endpoint_id} does not exist.")
        return deliveries.redeliver(
            uow=uow, delivery_id=delivery_id, actor=caller.actor, now=runtime.clock()
        )

    again = in_transaction(request, work)
    runtime_of(request).webhooks_ready.set()
    return ok(delivery_item(again))


def endpoint_item(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": str(endpoint.id),
        "clinic_id": str(endpoint.clinic_id),
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "failing_since": iso(endpoint.failing_since),
        "disabled_at": iso(endpoint.disabled_at),
        "created_at": iso(endpoint.created_at),
        "created_by": endpoint.created_by,
    }


def delivery_item(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.id),
        "endpoint_id": str(delivery.endpoint_id),
        "event_id": delivery.event_uid,
        "event_type": delivery.event_type,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at)
        if delivery.status.value == "pending"
        else None,
        "last_attempt_at": iso(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": iso(delivery.delivered_at),
        "created_at": iso(delivery.created_at),
        "payload": json.loads(delivery.payload),
    }
