"""Webhook endpoints and the delivery of their events: the operations REST, the delivery
worker and the scheduler call (SPEC §13)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from core.audit import record
from core.clinics import the_clinic
from core.errors import InvalidInput, NotFound
from core.model import EventKind
from core.ports import UnitOfWork
from core.webhooks import (
    DELIVERY_LEASE,
    DISABLE_AFTER,
    Attempt,
    Delivery,
    WebhookEndpoint,
    WebhookType,
    next_attempt,
)

SECRET_PREFIX = "whsec_"  # the Standard Webhooks form: base64 of the key after the prefix


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def add_endpoint(
    *,
    uow: UnitOfWork,
    clinic_id: int | None,
    url: str,
    event_types: Sequence[str],
    actor: str,
    now: datetime,
    description: str | None = None,
) -> WebhookEndpoint:
    """Register a receiver for a clinic's events (the only clinic when none is named). Its
    secret is made here and shown once."""
    clinic_id = the_clinic(uow, clinic_id, "the endpoint").id or 0
    endpoint = WebhookEndpoint(
        clinic_id=clinic_id,
        url=_valid_url(url),
        secret=new_secret(),
        event_types=_valid_types(event_types),
        description=description,
        created_at=now,
        created_by=actor,
    )
    uow.webhooks.add_endpoint(endpoint)
    record(
        uow,
        EventKind.WEBHOOK_ENDPOINT_ADDED,
        actor=actor,
        now=now,
        clinic_id=clinic_id,
        endpoint_id=endpoint.id,
        host=urlsplit(endpoint.url).hostname,
    )
    return endpoint


def update_endpoint(
    *,
    uow: UnitOfWork,
    endpoint_id: int,
    actor: str,
    now: datetime,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint. Enabling it again resumes the deliveries it missed."""
    endpoint = get_endpoint(uow=uow, endpoint_id=endpoint_id)
    if url is not None:
        endpoint.url = _valid_url(url)
    if event_types is not None:
        endpoint.event_types = _valid_types(event_types)
    if description is not None:
        endpoint.description = description
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.failing_since = None
        endpoint.disabled_at = None if enabled else now
    uow.webhooks.save_endpoint(endpoint)
    record(
        uow,
        EventKind.WEBHOOK_ENDPOINT_UPDATED,
        actor=actor,
        now=now,
        clinic_id=endpoint.clinic_id,
        endpoint_id=endpoint.id,
        enabled=endpoint.enabled,
    )
    return endpoint


def get_endpoint(*, uow: UnitOfWork, endpoint_id: int) -> WebhookEndpoint:
    endpoint = uow.webhooks.get_endpoint(endpoint_id)
    if endpoint is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} does not exist.")
    return endpoint


def claim_deliveries(*, uow: UnitOfWork, now: datetime, limit: int = 20) -> list[Delivery]:
    """Due deliveries of enabled endpoints, now claimed by the caller (oldest first)."""
    return uow.webhooks.claim_due(now, limit)


def settle(*, uow: UnitOfWork, delivery: Delivery, attempt: Attempt, now: datetime) -> None:
    """Record one attempt. A failure is retried later; an endpoint failing for
    DISABLE_AFTER is switched off and staff are told (an Event the notifier posts)."""
    retry_at = None if attempt.ok else next_attempt(delivery.attempts, now)
    if not uow.webhooks.finish(delivery, attempt, now=now, retry_at=retry_at):
        return  # the lease ran out and another worker has it now
    endpoint = uow.webhooks.get_endpoint(delivery.endpoint_id)
    if endpoint is None:
        return
    if attempt.ok:
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            uow.webhooks.save_endpoint(endpoint)
        return
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.enabled and now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.enabled = False
        endpoint.disabled_at = now
        record(
            uow,
            EventKind.WEBHOOK_ENDPOINT_DISABLED,
            actor="webhooks",
            now=now,
            clinic_id=endpoint.clinic_id,
            endpoint_id=endpoint.id,
            host=urlsplit(endpoint.url).hostname,
            failing_since=endpoint.failing_since,
            last_error=attempt.error or f"HTTP {attempt.status_code}",
        )
    uow.webhooks.save_endpoint(endpoint)


def recover_deliveries(*, uow: UnitOfWork, now: datetime) -> int:
    """Deliveries claimed longer ago than the lease (the worker died mid-send) go back to
    pending: delivery is at least once, and receivers de-duplicate by event id."""
    return uow.webhooks.release_claims(claimed_before=now - DELIVERY_LEASE, now=now)


def redeliver(*, uow: UnitOfWork, delivery_id: int, actor: str, now: datetime) -> Delivery:
    """Send an event to its endpoint once more, as a new delivery (the log keeps both)."""
    delivery = uow.webhooks.get_delivery(delivery_id)
    if delivery is None:
        raise NotFound(f"Webhook delivery {delivery_id} does not exist.")
    again = uow.webhooks.add_delivery_again(delivery, now)
    record(
        uow,
        EventKind.WEBHOOK_REDELIVERED,
        actor=actor,
        now=now,
        endpoint_id=delivery.endpoint_id,
        delivery_id=delivery_id,
        event=delivery.event_uid,
    )
    return again


def _valid_url(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
        fine = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        fine = False
    if not fine:
        raise InvalidInput("The URL must be http:// or https:// with a host.", field="url")
    return url.strip()


def _valid_types(types: Sequence[str]) -> list[str]:
    known = {kind.value for kind in WebhookType}
    unknown = sorted({t for t in types if t not in known and t != "*"})
    if unknown:
        raise InvalidInput(f"Unknown event type(s): {', '.join(unknown)}.", field="event_types")
    if not types:
        raise InvalidInput("Name at least one event type, or '*' for all.", field="event_types")
    return sorted(set(types))
