"""Which clinic of a group a Slack line acts on, and whether its author may act there.

The clinic mapped to the channel the line was typed in; elsewhere (a DM, App Home, a channel
of no clinic or of several) the clinic the line names with `at <clinic>`; else the author's
only clinic; otherwise the reply asks which, listing the names. A deployment of one clinic
never asks. Every clinic's effective settings come from `core.clinics.clinic_config`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.runtime import Runtime
from bot.slack.auth import may_act
from bot.slack.errors import CommandError, NotAllowed
from bot.slack.grammar.clinics import Named
from core.clinics import ClinicConfig


@dataclass(frozen=True)
class Group:
    """The deployment's clinics, read once for one Slack line."""

    clinics: tuple[ClinicConfig, ...]

    def get(self, clinic_id: int) -> ClinicConfig | None:
        return next((c for c in self.clinics if c.clinic_id == clinic_id), None)

    def of_channel(self, channel_id: str) -> ClinicConfig | None:
        """The clinic whose channel this is; None for a channel of no clinic or of several
        (clinics that set none share the deployment's channel)."""
        mapped = [c for c in self.clinics if channel_id and c.slack_channel == channel_id]
        return mapped[0] if len(mapped) == 1 else None

    def of_user(self, user_id: str) -> list[ClinicConfig]:
        """The clinics whose staff allow-list holds the user (or that have none)."""
        return [c for c in self.clinics if may_act(c.slack_staff, user_id)]


def read_group(runtime: Runtime) -> Group:
    with runtime.make_uow() as uow:
        return Group(tuple(runtime.clinic_config(clinic) for clinic in uow.clinics.list()))


@dataclass(frozen=True)
class Asked:
    """Where a line was typed and what it said, for choosing its clinic."""

    user_id: str
    channel_id: str
    named: Named[ClinicConfig]
    example: str  # the line as typed without `at <clinic>`, for "say it like this"
    trusted: bool = False  # the local console: its operator acts everywhere


def choose(group: Group, asked: Asked) -> ClinicConfig | None:
    """The clinic, or None when the author must be asked. `at <clinic>` in the line wins
    over the channel it was typed in."""
    if asked.named.clinic is not None:
        return asked.named.clinic
    if asked.named.near:  # the line names a clinic, unclearly: ask, whatever the channel
        return None
    channel = group.of_channel(asked.channel_id)
    if channel is not None:
        return channel
    if len(group.clinics) == 1:
        return group.clinics[0]
    mine = list(group.clinics) if asked.trusted else group.of_user(asked.user_id)
    return mine[0] if len(mine) == 1 else None


def which_clinic(group: Group, asked: Asked) -> CommandError:
    """The reply asking which clinic, naming them and showing how to say it."""
    if not group.clinics:
        return CommandError(
            "No clinic is set up yet. Import one with `waitlist import clinic.yml`."
        )
    near = asked.named.near
    mine = list(near) or (list(group.clinics) if asked.trusted else group.of_user(asked.user_id))
    names = [c.name for c in (mine or group.clinics)]
    example = f"/waitlist {asked.example} at {names[0]}".replace("  ", " ")
    start = "Which clinic" + (f" did you mean by '{asked.named.said}'" if near else "")
    return CommandError(f"{start}: {_either(names)}? Say it with `at`, e.g. `{example}`.")


def refuse(config: ClinicConfig, group: Group, user_id: str, what: str) -> NotAllowed:
    """The polite refusal at a clinic whose staff the user is not on."""
    mine = [c.name for c in group.of_user(user_id)]
    where = f" You're on the staff of {_either(mine, 'and')}." if mine else ""
    return NotAllowed(
        f"Sorry, you're not on {config.name}'s staff list, so `/waitlist {what}` can't change "
        f"anything there.{where} Ask an admin of {config.name} to add you."
    )


def _either(names: Sequence[str], word: str = "or") -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"
