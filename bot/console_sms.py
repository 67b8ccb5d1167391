"""An SMS transport for running without Twilio: prints each text and accepts it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from core.audit import mask_phone
from core.lease import Finding, Verdict
from core.model import Clinic, Message
from core.ports import SendResult


class ConsoleSender:
    def __init__(
        self,
        write: Callable[[str], None] = print,
        sender_of: Callable[[Message, Clinic | None], str | None] | None = None,
    ) -> None:
        self.write = write
        self.sender_of = sender_of  # the number a text would go from, when there is one

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        sender = self.sender_of(message, clinic) if self.sender_of else None
        source = f" from {sender}" if sender else ""
        self.write(f"  SMS{source} to {mask_phone(message.phone)}: {message.body}")
        return SendResult(ok=True, provider_sid=f"console-{uuid.uuid4().hex}")

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        # The console keeps no record: a text whose claim was lost is printed again.
        return Finding(Verdict.NEVER)
