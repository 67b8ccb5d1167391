"""SQLAlchemy implementations of the repositories in `core.ports`."""

from storage.repositories.appointments import SqlAppointmentRepository
from storage.repositories.directory import (
    SqlClientRepository,
    SqlClinicRepository,
    SqlProviderRepository,
    SqlServiceRepository,
)
from storage.repositories.entries import SqlEntryRepository
from storage.repositories.messages import SqlEventRepository, SqlMessageRepository
from storage.repositories.offers import SqlOfferRepository, SqlOpeningRepository

__all__ = [
    "SqlAppointmentRepository",
    "SqlClientRepository",
    "SqlClinicRepository",
    "SqlEntryRepository",
    "SqlEventRepository",
    "SqlMessageRepository",
    "SqlOfferRepository",
    "SqlOpeningRepository",
    "SqlProviderRepository",
    "SqlServiceRepository",
]
