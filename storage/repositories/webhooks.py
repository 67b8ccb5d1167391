"""Webhook endpoints and the outbox of their deliveries.

`enqueue` runs inside the unit of work's transaction, just before it commits, so a change
and the news of it are stored together or not at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, union, update

from core.model import Event
from core.ports import Page
from core.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    WebhookEndpoint,
    payload,
    subscribed,
    webhook_events,
)
from storage.repositories.base import SqlRepository, domain_values, existing, row_values
from storage.tables import (
    AppointmentRow,
    EntryRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    WebhookEventRow,
)

PENDING, DELIVERING, DELIVERED = (s.value for s in DeliveryStatus)
_ENDPOINT = WebhookEndpointRow.__table__.c
_ENABLED = select(_ENDPOINT.id, _ENDPOINT.clinic_id, _ENDPOINT.event_types).where(_ENDPOINT.enabled)


def _endpoint(row: WebhookEndpointRow) -> WebhookEndpoint:
    values = domain_values(row, WebhookEndpoint)
    values["event_types"] = list(row.event_types)
    return WebhookEndpoint(**values)


def _delivery(
    row: WebhookDeliveryRow, event: WebhookEventRow, endpoint: WebhookEndpointRow
) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_uid=event.uid,
        event_type=event.type,
        payload=event.payload,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=row.claimed_at,
        last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        url=endpoint.url,
        secret=endpoint.secret,
    )


class SqlWebhookRepository(SqlRepository):
    def add_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        row = WebhookEndpointRow(**row_values(endpoint, skip=("id",)))
        self.session.add(row)
        self.session.flush()
        endpoint.id = row.id
        return endpoint

    def get_endpoint(self, endpoint_id: int) -> WebhookEndpoint | None:
        row = self.session.get(WebhookEndpointRow, endpoint_id)
        return _endpoint(row) if row else None

    def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        row = existing(
            self.session.get(WebhookEndpointRow, endpoint.id), f"Webhook endpoint {endpoint.id}"
        )
        for name, value in row_values(endpoint, skip=("id",)).items():
            setattr(row, name, value)
        self.session.flush()

    def endpoints(
        self, clinic_id: int | None = None, *, offset: int = 0, limit: int = 100
    ) -> Page[WebhookEndpoint]:
        where = [] if clinic_id is None else [WebhookEndpointRow.clinic_id == clinic_id]
        total = self.session.scalar(
            select(func.count()).select_from(WebhookEndpointRow).where(*where)
        )
        rows = self.session.scalars(
            select(WebhookEndpointRow)
            .where(*where)
            .order_by(WebhookEndpointRow.id)
            .offset(offset)
            .limit(limit)
        )
        return Page([_endpoint(row) for row in rows], total or 0)

    def enqueue(self, events: Sequence[Event], now: datetime) -> int:
        news = [(event, webhook_events(event)) for event in events]
        news = [(event, found) for event, found in news if found]
        if not news:
            return 0
        endpoints = self.session.execute(_ENABLED).all()  # plain rows: nothing to track
        written = 0
        for event, found in news:
            clinics = self._clinics_of(event)
            for kind, data in found:
                targets = [
                    e
                    for e in endpoints
                    if e.clinic_id in clinics and subscribed(list(e.event_types), kind)
                ]
                if not targets:
                    continue
                uid = f"evt_{uuid.uuid4().hex}"
                body = json.dumps(payload(uid, kind, event.at, data), separators=(",", ":"))
                outbox = WebhookEventRow(
                    uid=uid,
                    type=kind.value,
                    clinic_id=min(clinics),
                    event_id=event.id or 0,
                    payload=body,
                    created_at=now,
                )
                self.session.add(outbox)
                self.session.flush()
                for endpoint in targets:
                    self.session.add(_pending(outbox.id, endpoint.id, now))
                    written += 1
        self.session.flush()
        return written

    def _clinics_of(self, event: Event) -> set[int]:
        """The clinic an Event belongs to; for a client's own events (opting out), every
        clinic that client has a waitlist entry or an appointment at."""
        if event.clinic_id is not None:
            return {event.clinic_id}
        if event.client_id is None:
            return set()
        query = union(
            select(EntryRow.clinic_id).where(EntryRow.client_id == event.client_id),
            select(AppointmentRow.clinic_id).where(AppointmentRow.client_id == event.client_id),
        )
        return {int(clinic_id) for clinic_id in self.session.scalars(query)}

    def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        due = (
            select(WebhookDeliveryRow.id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(
                WebhookDeliveryRow.status == PENDING,
                WebhookDeliveryRow.next_attempt_at <= now,
                WebhookEndpointRow.enabled,
            )
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True, of=WebhookDeliveryRow)
        ids = list(self.session.scalars(due))
        if not ids:
            return []
        self.session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id.in_(ids), WebhookDeliveryRow.status == PENDING)
            .values(status=DELIVERING, claimed_at=now, attempts=WebhookDeliveryRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        claimed = self._load(
            WebhookDeliveryRow.id.in_(ids),
            WebhookDeliveryRow.status == DELIVERING,
            WebhookDeliveryRow.claimed_at == now,
        )
        return sorted(claimed, key=lambda d: ids.index(d.id))

    def finish(
        self, delivery: Delivery, attempt: Attempt, *, now: datetime, retry_at: datetime | None
    ) -> bool:
        values: dict[str, object] = dict(
            last_attempt_at=now,
            last_status_code=attempt.status_code,
            last_error=(attempt.error or "")[:300] or None,
            claimed_at=None,
        )
        if attempt.ok:
            values.update(status=DELIVERED, delivered_at=now)
        else:
            values.update(status=PENDING, next_attempt_at=retry_at or now)
        moved = self.session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.id == delivery.id,
                WebhookDeliveryRow.status == DELIVERING,
                WebhookDeliveryRow.claimed_at == delivery.claimed_at,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(moved.rowcount)  # type: ignore[attr-defined]

    def release_claims(self, *, claimed_before: datetime, now: datetime) -> int:
        released = self.session.execute(
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.status == DELIVERING,
                WebhookDeliveryRow.claimed_at < claimed_before,
            )
            .values(status=PENDING, claimed_at=None, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(released.rowcount)  # type: ignore[attr-defined]

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        found = self._load(WebhookDeliveryRow.id == delivery_id)
        return found[0] if found else None

    def add_delivery_again(self, delivery: Delivery, now: datetime) -> Delivery:
        row = existing(self.session.get(WebhookDeliveryRow, delivery.id), "Webhook delivery")
        again = _pending(row.webhook_event_id, row.endpoint_id, now)
        self.session.add(again)
        self.session.flush()
        found = self.get_delivery(again.id)
        assert found is not None
        return found

    def deliveries(self, endpoint_id: int, *, offset: int = 0, limit: int = 100) -> Page[Delivery]:
        where = WebhookDeliveryRow.endpoint_id == endpoint_id
        total = self.session.scalar(
            select(func.count()).select_from(WebhookDeliveryRow).where(where)
        )
        return Page(self._load(where, newest_first=True, offset=offset, limit=limit), total or 0)

    def _load(
        self, *where: object, newest_first: bool = False, offset: int = 0, limit: int = 1000
    ) -> list[Delivery]:
        query = (
            select(WebhookDeliveryRow, WebhookEventRow, WebhookEndpointRow)
            .join(WebhookEventRow, WebhookEventRow.id == WebhookDeliveryRow.webhook_event_id)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == WebhookDeliveryRow.endpoint_id)
            .where(*where)  # type: ignore[arg-type]
            .order_by(WebhookDeliveryRow.id.desc() if newest_first else WebhookDeliveryRow.id)
            .offset(offset)
            .limit(limit)
        )
        return [_delivery(*row) for row in self.session.execute(query).tuples()]


def _pending(event_id: int, endpoint_id: int, now: datetime) -> WebhookDeliveryRow:
    return WebhookDeliveryRow(
        webhook_event_id=event_id,
        endpoint_id=endpoint_id,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
