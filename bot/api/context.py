"""What every route needs: the runtime, the caller, and the bounds of ids in paths."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request

from bot.api.auth import Principal, Role, principal, require
from bot.runtime import Runtime
from core.limits import MAX_ID as MAX_ID  # the routes bound ids in queries with it
from core.ports import UnitOfWork
from storage.transaction import run_in_transaction

T = TypeVar("T")


def staff(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    require(caller, Role.STAFF, Role.ADMIN)
    return caller


def admin(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    require(caller, Role.ADMIN)
    return caller


# As dependencies, role checks run before the body is read: a refused caller learns nothing
# about what a valid body would be.
Caller = Annotated[Principal, Depends(principal)]
StaffCaller = Annotated[Principal, Depends(staff)]
AdminCaller = Annotated[Principal, Depends(admin)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class Paging:
    """`page` and `page_size`, the same on every collection."""

    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def pagination(self, total: int) -> dict[str, Any]:
        return {
            "page": self.page,
            "page_size": self.page_size,
            "total": total,
            "total_pages": math.ceil(total / self.page_size),
        }


def paging(
    page: Annotated[int, Query(ge=1, le=10_000_000, description="Page number, from 1")] = 1,
    page_size: Annotated[int, Query(ge=1, le=100, description="Items per page (max 100)")] = 20,
) -> Paging:
    return Paging(page, page_size)


PageQuery = Annotated[Paging, Depends(paging)]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def in_transaction(request: Request, work: Callable[[UnitOfWork, Runtime], T]) -> T:
    """`work` in a transaction of its own, committed (and run again after a deadlock) by
    storage.transaction.run_in_transaction."""
    runtime = runtime_of(request)
    return run_in_transaction(runtime.make_uow, lambda uow: work(uow, runtime))


@contextmanager
def unit_of_work(request: Request) -> Iterator[tuple[UnitOfWork, Runtime]]:
    """A read-only unit of work: what it does is never committed."""
    runtime = runtime_of(request)
    with runtime.make_uow() as uow:
        yield uow, runtime


def known_query_only(request: Request) -> None:
    """Refuse query parameters the route does not take: a misspelt filter (`page_sise=5`)
    must not quietly return everything."""
    from bot.api.errors import InvalidQuery

    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    for name in request.query_params:
        if name not in known:
            raise InvalidQuery(name or "query", f"Unknown query parameter {name!r}.")


def _query_names(dependant: Any) -> set[str]:
    """The query parameters of a route and of the dependencies it uses (paging)."""
    names = {param.alias for param in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names
