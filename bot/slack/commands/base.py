"""What every subcommand gets (who asked, where, the runtime) and gives back (a reply)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol, TypeVar

from bot.runtime import Runtime
from bot.slack.acting_clinic import Asked, Group, choose, read_group, refuse, which_clinic
from bot.slack.auth import may_act
from bot.slack.errors import CommandError
from bot.slack.grammar.clinics import Named
from core.clinics import ClinicConfig
from core.entries import get_waitlist_entry
from core.policy import Policy
from core.ports import UnitOfWork
from storage.transaction import run_in_transaction

T = TypeVar("T")


@dataclass
class Reply:
    """`text` is the notification fallback (and what the console prints without blocks)."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    in_channel: bool = False
    modal: dict[str, Any] | None = None  # a view to open instead (Slack only)
    # What the line was understood as, in plain data (the corpus tests read it)
    reading: dict[str, Any] | None = None
    # A line that does what was previewed, once confirmed (Slack: a button; console: y/N)
    confirm: str | None = None


@dataclass
class Context:
    """Who typed a line, where, and (once known) the clinic it acts on."""

    runtime: Runtime
    user_id: str
    channel_id: str = ""
    trusted: bool = False  # the local console: its operator is staff everywhere
    changes: bool = False  # the line changes something: only the clinic's staff may
    # `at <clinic>` read out of the line
    named: Named[ClinicConfig] = field(default_factory=lambda: Named(None, ""))
    example: str = ""  # the line without `at <clinic>`, for the reply asking which clinic
    _acting: ClinicConfig | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        return f"slack:{self.user_id}"

    def now(self) -> datetime:
        return self.runtime.clock()

    def uow(self) -> UnitOfWork:
        """A unit of work for reading; changes go through `transact`."""
        return self.runtime.make_uow()

    def transact(self, work: Callable[[UnitOfWork], T]) -> T:
        """`work` in a transaction of its own, committed (and run again after a deadlock)."""
        return run_in_transaction(self.runtime.make_uow, work)

    @cached_property
    def group(self) -> Group:
        return read_group(self.runtime)

    @property
    def clinic(self) -> ClinicConfig:
        """The clinic the line acts on (bot.slack.acting_clinic); asks which when it cannot
        tell, and refuses a change by someone not on that clinic's staff."""
        if self._acting is None:
            found = choose(self.group, self._asked())
            if found is None:
                raise which_clinic(self.group, self._asked())
            self._settle(found)
        assert self._acting is not None
        return self._acting

    @property
    def known_clinic_id(self) -> int | None:
        """The line's clinic when the channel, `at` or the user's staff lists tell it (no
        asking, no staff check): to look a client's entry up there first."""
        known = self._acting or choose(self.group, self._asked())
        return known.clinic_id if known is not None else None

    def zone_of(self, clinic_id: int) -> str:
        found = self.group.get(clinic_id)
        return found.timezone if found is not None else self.timezone

    @property
    def timezone(self) -> str:
        return self.clinic.timezone

    @property
    def policy(self) -> Policy:
        return self.clinic.policy

    def staff_somewhere(self) -> bool:
        """On the staff of some clinic: anyone else is refused before a change is read."""
        lists = [c.slack_staff for c in self.group.clinics] or [self.runtime.settings.staff_ids]
        return any(may_act(staff, self.user_id, self.channel_id) for staff in lists)

    def adopt(self, clinic_id: int, ref: str) -> ClinicConfig:
        """A line about one object (W-12, A-7) acts on that object's clinic, wherever it was
        typed (so its cards' buttons work anywhere); only its staff may change it. Refused
        when the line names another clinic with `at`."""
        found = self.group.get(clinic_id)
        if found is None:  # a clinic added since this line began: read them again
            self.__dict__.pop("group", None)
            found = self.group.get(clinic_id)
        assert found is not None
        named = self.named.clinic
        if named is not None and named.clinic_id != clinic_id:
            raise CommandError(f"{ref} is at {found.name}, not {named.name}.")
        self._settle(found)
        return found

    def entry_clinic(self, entry_id: int, uow: UnitOfWork) -> ClinicConfig:
        """Entry W-n's clinic becomes the line's (see `adopt`); read in the caller's unit
        of work, after `group` was read (one connection at a time)."""
        entry = get_waitlist_entry(uow=uow, entry_id=entry_id)
        return self.adopt(entry.clinic_id, entry.ref)

    def _settle(self, found: ClinicConfig) -> None:
        if (
            self.changes
            and not self.trusted
            and not may_act(found.slack_staff, self.user_id, self.channel_id)
        ):
            raise refuse(found, self.group, self.user_id, self.example.partition(" ")[0])
        self._acting = found

    def _asked(self) -> Asked:
        return Asked(self.user_id, self.channel_id, self.named, self.example, self.trusted)


class Command(Protocol):
    NAME: str
    USAGE: str
    SUMMARY: str
    CHANGES: bool  # only staff may run it

    def run(self, ctx: Context, args: str) -> Reply: ...
