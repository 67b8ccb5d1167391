"""A clinic and its settings over REST: read by its staff, changed by ADMIN (SPEC §11)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from bot.api.context import (
    AdminCaller,
    IdPath,
    PageQuery,
    StaffCaller,
    in_transaction,
    unit_of_work,
)
from bot.api.errors import ok
from bot.api.schemas import Clinic, ClinicChanges, Envelope, PageEnvelope
from bot.api.scope import seen
from bot.runtime import Runtime
from core import directory_changes
from core.clinics import clinic_config
from core.errors import NotFound
from core.model import Clinic as ClinicModel
from core.ports import UnitOfWork

router = APIRouter(tags=["clinics"])


@router.get(
    "/clinics",
    response_model=PageEnvelope[Clinic],
    summary="The clinics the caller sees, by id",
    description="Clinics are not created over REST: `waitlist import clinic.yml` on the server "
    "adds one (or a list under `clinics:`), and running it again changes nothing. Their ids "
    "here are what STAFF tokens list in `clinic_ids`.",
)
def list_clinics(request: Request, caller: StaffCaller, paging: PageQuery) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        found = [c for c in uow.clinics.list() if caller.sees(c.id)]
    shown = found[paging.offset : paging.offset + paging.page_size]  # a group: a few dozen
    return ok([clinic_item(runtime, c) for c in shown], pagination=paging.pagination(len(found)))


@router.get(
    "/clinics/{clinic_id}",
    response_model=Envelope[Clinic],
    summary="A clinic: what it sets itself and what is in effect",
    description="`settings` holds what the clinic sets; every setting it leaves out takes the "
    "deployment's default, and `effective` shows the result. A STAFF token sees only the "
    "clinics in its `clinic_ids`.",
)
def get_clinic(request: Request, caller: StaffCaller, clinic_id: IdPath) -> dict[str, Any]:
    with unit_of_work(request) as (uow, runtime):
        clinic = uow.clinics.get(clinic_id)
    if clinic is None:
        raise NotFound(f"Clinic {clinic_id} does not exist.")
    seen(caller, clinic_id, f"Clinic {clinic_id} does not exist.")
    return ok(clinic_item(runtime, clinic))


@router.patch(
    "/clinics/{clinic_id}",
    response_model=Envelope[Clinic],
    summary="Change a clinic's name, time zone or settings (ADMIN)",
    description="Only what is sent changes. In `settings`, each setting sent replaces the "
    "clinic's; a setting sent as null goes back to the deployment's default (so does a "
    "template sent as null). Every setting is checked before anything is saved: a bad value "
    "is a 400 naming it (`settings.<name>`, `settings.templates.<name>`). Templates must keep "
    "to one SMS (160 GSM-7 characters) with long names filled in, use only their own "
    "placeholders and keep the required ones ({clinic}, and {when}/{expires} where the "
    "default has them). Another clinic's number or Slack channel is a 409.",
)
def update_clinic(
    request: Request, caller: AdminCaller, clinic_id: IdPath, body: ClinicChanges
) -> dict[str, Any]:
    def work(uow: UnitOfWork, runtime: Runtime) -> dict[str, Any]:
        clinic = directory_changes.update_clinic(
            uow=uow,
            clinic_id=clinic_id,
            changes=body.model_dump(exclude_unset=True),
            now=runtime.clock(),
            actor=caller.actor,
        )
        return ok(clinic_item(runtime, clinic))

    return in_transaction(request, work)


def clinic_item(runtime: Runtime, clinic: ClinicModel) -> dict[str, Any]:
    config = clinic_config(clinic, runtime.clinic_defaults, runtime.policy)
    policy = config.policy
    quiet = policy.quiet_hours
    return {
        "id": str(clinic.id),
        "name": clinic.name,
        "timezone": clinic.timezone,
        "settings": clinic.settings.to_dict(),
        "effective": {
            "slack_channel": config.slack_channel,
            "slack_staff": sorted(config.slack_staff),
            "twilio_from_number": config.twilio_from_number,
            "twilio_messaging_service_sid": config.twilio_messaging_service_sid,
            "clinic_phone": config.clinic_phone,
            "offer_batch_size": "auto" if policy.adaptive else policy.batch_size,
            "offer_hold_minutes": policy.hold_minutes,
            "offer_cutoff_minutes": policy.cutoff_minutes,
            "quiet_hours": f"{quiet.start:%H:%M}-{quiet.end:%H:%M}" if quiet else "",
            "cap_per_day": policy.cap_per_day,
            "cap_per_week": policy.cap_per_week,
            "max_wait_days": policy.max_wait_days,
            "stats_time": f"{config.stats_time:%H:%M}",
        },
    }
