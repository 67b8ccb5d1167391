"""The SMS log and outbox, and the append-only event log."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Update, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from core.errors import DuplicateMessage
from core.model import Event, Message, MessageDirection, MessageStatus
from storage.repositories.base import (
    SqlRepository,
    domain_values,
    existing,
    insert_new,
    plain,
    plain_connection,
    row_values,
    update_row,
)
from storage.tables import EventRow, MessageRow

_INSERT_RETURNING_ID = {
    table: insert(table.__table__).returning(table.__table__.c.id)
    for table in (MessageRow, EventRow)
}


def _insert_many(
    session: Session, table: type[MessageRow | EventRow], items: Sequence[Any]
) -> None:
    """One INSERT for many rows; each item gets its id (ids are given in the order of the
    rows, so the sorted ids follow the items). The statement is the same whatever the
    number of rows, so it is compiled once (SQLAlchemy batches the rows into it)."""
    if not items:
        return
    rows = [row_values(item, skip=("id",)) for item in items]
    statement = _INSERT_RETURNING_ID[table]
    ids = sorted(plain_connection(session).execute(statement, rows).scalars())
    for item, item_id in zip(items, ids, strict=True):
        item.id = item_id


_MESSAGES = MessageRow.__table__
_MESSAGE = _MESSAGES.c
_MESSAGE_COLUMNS = tuple(MessageRow.__table__.columns)


def _message(row: Any) -> Message:
    """A Message from an ORM row or a plain result row (lighter: no objects to track)."""
    values = domain_values(row, Message)
    values.update(direction=MessageDirection(row.direction), status=MessageStatus(row.status))
    return Message(**values)


# Claiming and moving run for every text sent: built once, with bound parameters.
def _claim_statement(skip_locked: bool) -> Update:
    queued = _MESSAGE.status == MessageStatus.QUEUED.value
    first = (
        select(_MESSAGE.id)
        .where(_MESSAGE.id.in_(bindparam("ids", expanding=True)), queued)
        .order_by(_MESSAGE.id)
        .limit(1)
    )
    if skip_locked:
        first = first.with_for_update(skip_locked=True)
    return (
        update(_MESSAGES)
        .where(_MESSAGE.id == first.scalar_subquery(), queued)
        .values(
            status=MessageStatus.SENDING.value,
            attempts=_MESSAGE.attempts + 1,
            updated_at=bindparam("now"),
        )
        .returning(*_MESSAGE_COLUMNS)
    )


_CLAIM, _CLAIM_SKIPPING = _claim_statement(False), _claim_statement(True)


@cache
def _move_statement(claimed: bool, changes: tuple[str, ...]) -> Update:
    """The status move for one shape: whether the claim must still be the current one, and
    which columns change with the status."""
    query = update(_MESSAGES).where(
        _MESSAGE.id == bindparam("message_id"),
        _MESSAGE.status.in_(bindparam("from_", expanding=True)),
    )
    if claimed:
        query = query.where(_MESSAGE.updated_at == bindparam("claimed_at"))
    return query.values(
        status=bindparam("to"), **{name: bindparam(f"new_{name}") for name in changes}
    )


class SqlMessageRepository(SqlRepository):
    def add(self, message: Message) -> Message:
        if message.created_at is None:
            message.created_at = datetime.now(UTC)
        values = row_values(message, skip=("id",))
        message.id = self.session.scalar(_INSERT_RETURNING_ID[MessageRow], values)
        return message

    def add_many(self, messages: Sequence[Message]) -> None:
        _insert_many(self.session, MessageRow, messages)

    def add_inbound(self, message: Message) -> Message:
        message.id = insert_new(
            self.session,
            MessageRow.__table__,
            row_values(message, skip=("id",)),
            lambda: DuplicateMessage(f"Message {message.provider_sid} was already received."),
        )
        return message

    def get(self, message_id: int) -> Message | None:
        row = self.session.get(MessageRow, message_id)
        return _message(row) if row else None

    def save(self, message: Message) -> None:
        row = existing(self.session.get(MessageRow, message.id), f"Message {message.id}")
        update_row(row, message)
        self.session.flush()

    def claim(self, message_ids: Sequence[int], now: datetime) -> Message | None:
        """Move the first still-queued message of these to `sending` and count the attempt;
        None if none was queued any more. The conditional UPDATE is what stops two
        dispatchers sending the same text; SKIP LOCKED lets them take turns."""
        if not message_ids:
            return None
        claim = _CLAIM_SKIPPING if self.dialect == "postgresql" else _CLAIM
        parameters = {"ids": sorted(message_ids), "now": now}
        claimed = self.session.execute(claim, parameters).first()  # the message, in one go
        if claimed is None:
            return None
        self._forget(claimed.id)
        return _message(claimed)

    def move(
        self,
        message_id: int,
        *,
        from_: Collection[MessageStatus],
        to: MessageStatus,
        claimed_at: datetime | None = None,
        changes: Mapping[str, object] | None = None,
    ) -> bool:
        """One `UPDATE … WHERE status IN (…)`: the database decides, so a delivery report and
        a send result racing on two connections cannot move a status backwards."""
        changes = changes or {}
        values = {f"new_{name}": plain(value) for name, value in changes.items()}
        statement = _move_statement(claimed_at is not None, tuple(changes))
        moved = self.session.execute(
            statement,
            {
                "message_id": message_id,
                "from_": [status.value for status in from_],
                "to": to.value,
                "claimed_at": claimed_at,
                **values,
            },
        )
        if moved.rowcount == 0:  # type: ignore[attr-defined]
            return False
        self._forget(message_id)
        return True

    def note_sent(self, message_id: int, *, provider_sid: str | None, sent_at: datetime) -> None:
        self.session.execute(
            update(MessageRow)
            .where(MessageRow.id == message_id)
            .values(
                provider_sid=func.coalesce(MessageRow.provider_sid, provider_sid),
                sent_at=func.coalesce(MessageRow.sent_at, sent_at),
            )
            .execution_options(synchronize_session=False)
        )
        self._forget(message_id)

    def claimed_before(self, moment: datetime, limit: int = 100) -> list[Message]:
        query = (
            select(MessageRow)
            .where(
                MessageRow.status == MessageStatus.SENDING.value,
                MessageRow.updated_at < moment,
            )
            .order_by(MessageRow.updated_at, MessageRow.id)
            .limit(limit)
        )
        return [_message(row) for row in self.session.scalars(query)]

    def _forget(self, message_id: int) -> None:
        """A row changed behind the session's back is read afresh next time."""
        row = self.session.identity_map.get(self.session.identity_key(MessageRow, message_id))
        if row is not None:
            self.session.expire(row)

    def queued(self, limit: int = 100) -> list[Message]:
        query = (
            select(MessageRow)
            .where(MessageRow.status == MessageStatus.QUEUED.value)
            .order_by(MessageRow.id)
            .limit(limit)
        )
        return [_message(row) for row in self.session.scalars(query)]

    def queued_past(self, limit: int, *, hold: Mapping[str, datetime]) -> list[Message]:
        query = select(*_MESSAGE_COLUMNS).where(_MESSAGE.status == MessageStatus.QUEUED.value)
        for kind, until in hold.items():
            query = query.where(~and_(_MESSAGE.kind == kind, _MESSAGE.created_at > until))
        return [
            _message(row) for row in self.session.execute(query.order_by(_MESSAGE.id).limit(limit))
        ]

    def get_by_provider_sid(self, sid: str) -> Message | None:
        row = self.session.scalars(select(MessageRow).where(MessageRow.provider_sid == sid)).first()
        return _message(row) if row else None

    def for_client(self, client_id: int, limit: int = 50) -> list[Message]:
        """Newest first."""
        query = (
            select(*_MESSAGE_COLUMNS)
            .where(_MESSAGE.client_id == client_id)
            .order_by(_MESSAGE.id.desc())
            .limit(limit)
        )
        return [_message(row) for row in self.session.execute(query)]

    def recent(self, limit: int = 50) -> list[Message]:
        """Newest first."""
        query = select(MessageRow).order_by(MessageRow.id.desc()).limit(limit)
        return [_message(row) for row in self.session.scalars(query)]


class SqlEventRepository(SqlRepository):
    """Only adds and reads: the table's triggers refuse UPDATE and DELETE anyway."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._recorded: list[Event] = []

    def add(self, event: Event) -> Event:
        row = EventRow(**row_values(event, skip=("id",)))
        self.session.add(row)
        self.session.flush()
        event.id = row.id
        self._recorded.append(event)
        return event

    def add_many(self, events: Sequence[Event]) -> None:
        _insert_many(self.session, EventRow, events)
        self._recorded.extend(events)

    def take_recorded(self) -> list[Event]:
        """The events added since the last call (the unit of work publishes them)."""
        recorded, self._recorded = self._recorded, []
        return recorded

    def list(
        self, *, opening_id: int | None = None, entry_id: int | None = None, limit: int = 200
    ) -> list[Event]:
        """Oldest first."""
        query = select(EventRow).order_by(EventRow.id).limit(limit)
        if opening_id is not None:
            query = query.where(EventRow.opening_id == opening_id)
        if entry_id is not None:
            query = query.where(EventRow.entry_id == entry_id)
        return [Event(**domain_values(row, Event)) for row in self.session.scalars(query)]

    def exists(self, *, kind: str, opening_id: int | None, entry_id: int | None) -> bool:
        """Whether an event of `kind` was recorded for exactly this opening and entry
        (None matching an event recorded without one)."""
        query = select(
            exists().where(
                EventRow.kind == kind,
                EventRow.opening_id.is_(None)
                if opening_id is None
                else EventRow.opening_id == opening_id,
                EventRow.entry_id.is_(None) if entry_id is None else EventRow.entry_id == entry_id,
            )
        )
        return bool(self.session.scalar(query))
