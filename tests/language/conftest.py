from tests.unit.conftest import uow, world  # noqa: F401 (the in-memory clinic's fixtures)
