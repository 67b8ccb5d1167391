"""Waitlist statistics over REST, as the engine computes them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from bot.api.context import MAX_ID, StaffCaller, unit_of_work
from bot.api.errors import ok
from bot.api.schemas import Envelope, Stats
from bot.api.scope import one_clinic
from core.entries import get_waitlist_stats

router = APIRouter(tags=["stats"])


@router.get(
    "/waitlist-stats",
    response_model=Envelope[Stats],
    summary="Counts per status, total, activeCount, conversionRate, averageWaitDays, …",
)
def waitlist_stats(
    request: Request,
    caller: StaffCaller,
    clinic_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        clinic_id = one_clinic(caller, clinic_id)
        return ok(get_waitlist_stats(uow=uow, clinic_id=clinic_id, now=runtime.clock()))
