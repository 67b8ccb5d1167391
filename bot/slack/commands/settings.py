"""`/waitlist settings [at <clinic>]`: the clinic's effective settings, its own over the
deployment's defaults (core.clinics.clinic_config). Read-only; the sender is masked."""

from __future__ import annotations

from dataclasses import fields

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from core.audit import mask_phone
from core.clinics import ClinicConfig

NAME = "settings"
USAGE = "settings [at <clinic>]"
SUMMARY = "the clinic's time zone, channel, sender, fill policy and texts"
CHANGES = False


def run(ctx: Context, args: str) -> Reply:
    if args.strip():
        raise CommandError(
            f"`settings` takes only a clinic, e.g. `/waitlist settings at "
            f"{ctx.group.clinics[0].name if ctx.group.clinics else 'Downtown'}`."
        )
    clinic = ctx.clinic
    with ctx.uow() as uow:
        stored = uow.clinics.get(clinic.clinic_id)
    own = set((stored.settings.templates or {}) if stored is not None else {})
    text = describe(clinic, own)
    return Reply(text, [blocks.section(text)], reading={"clinic_id": clinic.clinic_id})


def describe(clinic: ClinicConfig, own_templates: set[str]) -> str:
    policy = clinic.policy
    quiet = policy.quiet_hours
    batch = f"auto (up to {policy.batch_size})" if policy.adaptive else str(policy.batch_size)
    names = [f.name for f in fields(clinic.templates)]
    listed = ", ".join(f"{n} (own)" if n in own_templates else n for n in names)
    lines = [
        f"*{clinic.name}* settings",
        f"Time zone: {clinic.timezone}",
        f"Slack channel: {f'<#{clinic.slack_channel}>' if clinic.slack_channel else 'none'}",
        f"Staff allow-list: {_staff(len(clinic.slack_staff))}",
        f"Texts from: {_sender(clinic)}",
        f"Clinic phone (HELP replies): {clinic.clinic_phone or 'none'}",
        f"Offers at once: {batch} · hold {policy.hold_minutes} min · "
        f"cut-off {policy.cutoff_minutes} min before the slot",
        "Quiet hours: "
        + (f"{blocks.clock(quiet.start)}–{blocks.clock(quiet.end)}" if quiet else "none"),
        f"Texts per client: {_cap(policy.cap_per_day, 'day')} · "
        f"{_cap(policy.cap_per_week, 'week')}",
        f"Entries expire after {policy.max_wait_days} days",
        f"Daily stats post: {blocks.clock(clinic.stats_time)}",
        f"SMS templates: {listed}",
    ]
    return "\n".join(lines)


def _sender(clinic: ClinicConfig) -> str:
    if clinic.twilio_messaging_service_sid:
        return f"Messaging Service …{clinic.twilio_messaging_service_sid[-4:]}"
    if clinic.twilio_from_number:
        return f"`{mask_phone(clinic.twilio_from_number)}`"  # code: its stars are not bold
    return "not set (texts stay in the outbox)"


def _staff(count: int) -> str:
    return f"{count} Slack id(s)" if count else "none (anyone in the workspace may act)"


def _cap(cap: int, per: str) -> str:
    return f"at most {cap} a {per}" if cap else f"no cap a {per}"
