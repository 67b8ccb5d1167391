"""The in-memory unit of work lives in `storage.memory` (the simulator runs on it too)."""

from storage.memory import (
    FakeAppointments,
    FakeClients,
    FakeClinics,
    FakeEntries,
    FakeEvents,
    FakeMessages,
    FakeOffers,
    FakeOpenings,
    FakeProviders,
    FakeReports,
    FakeServices,
    FakeUnitOfWork,
    RecordingSender,
)

__all__ = [
    "FakeAppointments",
    "FakeClients",
    "FakeClinics",
    "FakeEntries",
    "FakeEvents",
    "FakeMessages",
    "FakeOffers",
    "FakeOpenings",
    "FakeProviders",
    "FakeReports",
    "FakeServices",
    "FakeUnitOfWork",
    "RecordingSender",
]
