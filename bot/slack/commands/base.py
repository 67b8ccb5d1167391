"""What every subcommand gets (who asked, where, the runtime) and gives back (a reply)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol, TypeVar

from bot.runtime import Runtime
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
    runtime: Runtime
    user_id: str
    channel_id: str = ""

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
    def timezone(self) -> str:
        """The clinic's zone (one clinic per deployment), else the configured default."""
        with self.uow() as uow:
            clinics = uow.clinics.list()
        return clinics[0].timezone if len(clinics) == 1 else self.runtime.settings.timezone


class Command(Protocol):
    NAME: str
    USAGE: str
    SUMMARY: str
    CHANGES: bool  # only staff may run it

    def run(self, ctx: Context, args: str) -> Reply: ...
