"""An SMS transport for running without Twilio: prints each text and accepts it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from core.audit import mask_phone
from core.lease import Finding, Verdict
from core.model import Message
from core.ports import SendResult


class ConsoleSender:
    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write

    def send(self, message: Message) -> SendResult:
        self.write(f"  SMS to {mask_phone(message.phone)}: {message.body}")
        return SendResult(ok=True, provider_sid=f"console-{uuid.uuid4().hex}")

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        # The console keeps no record: a text whose claim was lost is printed again.
        return Finding(Verdict.NEVER)
