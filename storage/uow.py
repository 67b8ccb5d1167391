"""The unit of work: one database transaction, with every repository bound to it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.model import Event
from core.ports import (
    AppointmentRepository,
    ClientRepository,
    ClinicRepository,
    EntryRepository,
    EventRepository,
    MessageRepository,
    OfferRepository,
    OpeningRepository,
    ProviderRepository,
    ReportRepository,
    ServiceRepository,
    WebhookRepository,
)
from storage.repositories import (
    SqlAppointmentRepository,
    SqlClientRepository,
    SqlClinicRepository,
    SqlEntryRepository,
    SqlEventRepository,
    SqlMessageRepository,
    SqlOfferRepository,
    SqlOpeningRepository,
    SqlProviderRepository,
    SqlServiceRepository,
)
from storage.repositories.reports import SqlReportRepository
from storage.repositories.webhooks import SqlWebhookRepository


class SqlUnitOfWork:
    """`with uow:` opens a session (and so a transaction); `commit()` makes it stick; leaving
    the block rolls back whatever was not committed. Enter it again for a new transaction."""

    # Typed as the ports, so that mypy checks each repository against its protocol.
    clinics: ClinicRepository
    clients: ClientRepository
    providers: ProviderRepository
    services: ServiceRepository
    appointments: AppointmentRepository
    entries: EntryRepository
    openings: OpeningRepository
    offers: OfferRepository
    messages: MessageRepository
    events: EventRepository
    reports: ReportRepository
    webhooks: WebhookRepository

    def __init__(
        self,
        session_factory: Callable[[], Session],
        after_commit: Callable[[list[Event], int], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._after_commit = after_commit
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        session = self._session = self._session_factory()
        self.clinics = SqlClinicRepository(session)
        self.clients = SqlClientRepository(session)
        self.providers = SqlProviderRepository(session)
        self.services = SqlServiceRepository(session)
        self.appointments = SqlAppointmentRepository(session)
        self.entries = SqlEntryRepository(session)
        self.openings = SqlOpeningRepository(session)
        self.offers = SqlOfferRepository(session)
        self.messages = SqlMessageRepository(session)
        self.events = self._events = SqlEventRepository(session)
        self.reports = SqlReportRepository(session)
        self.webhooks = SqlWebhookRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()

    def commit(self) -> None:
        """Make the transaction stick, then hand the Events it recorded to `after_commit`,
        with the number of webhook deliveries they made (written first, in the same
        transaction)."""
        session = self.session
        published = self._events.take_recorded()
        deliveries = 0
        if published:
            deliveries = self.webhooks.enqueue(published, max(event.at for event in published))
        session.commit()
        if published and self._after_commit is not None:
            self._after_commit(published, deliveries)

    def rollback(self) -> None:
        self.session.rollback()
        self._events.take_recorded()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects handed out are detached copies, so nothing needs reloading after a commit.
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


def uow_factory(
    engine: Engine, after_commit: Callable[[list[Event], int], None] | None = None
) -> Callable[[], SqlUnitOfWork]:
    """What the services and entrypoints call to start a transaction. `after_commit` receives
    the Events of each committed transaction (how staff get told) and how many webhook
    deliveries it queued."""
    sessions = session_factory(engine)
    return lambda: SqlUnitOfWork(sessions, after_commit)
