"""Sending texts through Twilio's Messages API with the twilio library.

A refused request (429, 5xx) or a connection that could not be made is tried again at once
with a short backoff; the outbox retries later still. A request whose answer was lost (a read
timeout, a connection dropped after sending) may have been accepted, so before trying again
the sender asks Twilio whether the message exists (`lookup`, also what recovers a send whose
process died): a text is never sent twice. All of one send, retries and lookups included,
ends well within the outbox's lease (`within`), so a live send is never mistaken for a lost
one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client as TwilioClient

from bot.sms.twilio_http import AnswerLost, Unreached, Urllib3HttpClient
from core.audit import mask_phone
from core.lease import Finding, Verdict
from core.model import Clinic, Message
from core.outbox import BAD_NUMBER_CODES, OPTED_OUT_CODES
from core.ports import SendResult

log = logging.getLogger("waitlist.sms")
PERMANENT_CODES = OPTED_OUT_CODES | BAD_NUMBER_CODES
# Our clock and Twilio's may differ a little; a lookup reaches this far before the claim.
CLOCK_SKEW = timedelta(minutes=1)
LOOKUP_LIMIT = 20
# The twilio library logs query strings (phone numbers) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class _Retryable(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TwilioSender:
    """The SmsSender port on Twilio."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str | None,
        messaging_service_sid: str | None,
        status_callback: str | None,
        base_url: str | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 0.5,
        within: float | None = None,
        sender_of: Callable[[Message, Clinic | None], str | None] | None = None,
    ) -> None:
        """`within`: seconds one send may take in all (the outbox's lease). Each request's
        timeout is cut to an eighth of it and retries stop at half of it, so the last request
        and the lookups after it still end inside it."""
        if within is not None:
            timeout = min(timeout, within / 8)
        self.give_up_after = within / 2 if within is not None else None
        http = Urllib3HttpClient(timeout, base_url)
        self.client = TwilioClient(account_sid, auth_token, http_client=http)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.sender_of = sender_of  # the clinic's sender for a text, else the ones above
        self.status_callback = status_callback
        self.attempts = attempts
        self.backoff = backoff

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        started = datetime.now(UTC)
        stop = stop_after_attempt(self.attempts)
        if self.give_up_after is not None:
            stop = stop | stop_after_delay(self.give_up_after)
        retrying = Retrying(
            stop=stop,
            wait=wait_exponential(multiplier=self.backoff, max=8),
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._send_once(message, clinic, started)
        except RetryError as exc:
            error = exc.last_attempt.exception()
            code = error.code if isinstance(error, _Retryable) else "error"
            log.warning(
                "SMS %s to %s not sent yet: %s", message.id, mask_phone(message.phone), code
            )
            return SendResult(ok=False, error_code=code)
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            log.warning("SMS %s to %s refused: %s", message.id, mask_phone(message.phone), code)
            return SendResult(ok=False, error_code=code, permanent_error=code in PERMANENT_CODES)
        return SendResult(ok=False, error_code="error")  # unreachable: Retrying always runs once

    def _send_once(self, message: Message, clinic: Clinic | None, started: datetime) -> SendResult:
        try:
            sent = self.client.messages.create(
                to=message.phone, body=message.body, **self._route(message, clinic)
            )
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise _Retryable(str(exc.status)) from exc
            raise
        except Unreached as exc:  # no connection was made: the gateway never saw it
            raise _Retryable("connection") from exc
        except AnswerLost as exc:  # sent, and no answer: ask before sending again
            found = self.lookup(message, since=started)
            if found.verdict is Verdict.HAPPENED:
                return SendResult(ok=True, provider_sid=found.reference)
            if found.verdict is Verdict.UNKNOWN:
                log.warning(
                    "SMS %s to %s: answer lost and Twilio cannot be asked; left for recovery",
                    message.id,
                    mask_phone(message.phone),
                )
                return SendResult(ok=False, error_code="timeout", in_doubt=True)
            raise _Retryable("timeout") from exc
        log.info("SMS %s to %s accepted", message.id, mask_phone(message.phone))
        return SendResult(ok=True, provider_sid=sent.sid)

    def _route(self, message: Message, clinic: Clinic | None = None) -> dict[str, Any]:
        route: dict[str, Any] = {}
        own = self.sender_of(message, clinic) if self.sender_of else None
        if own:  # the clinic's own number or Messaging Service
            route["messaging_service_sid" if own.startswith("MG") else "from_"] = own
        elif self.messaging_service_sid:
            route["messaging_service_sid"] = self.messaging_service_sid
        else:
            route["from_"] = self.from_number
        if self.status_callback:
            route["status_callback"] = f"{self.status_callback}?m={message.id}"
        return route

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        """Whether Twilio has a message with this text to this number, created since `since`.

        Two listings: those sent since then (Twilio filters lists by DateSent only), and the
        newest to the number whatever their DateSent, since a message Twilio has accepted but
        not sent yet has none and the first listing would miss it. Both are matched on the
        text and the creation time.
        """
        after = since - CLOCK_SKEW
        try:
            sent = self.client.messages.list(
                to=message.phone, date_sent_after=after, limit=LOOKUP_LIMIT
            )
            newest = self.client.messages.list(to=message.phone, limit=LOOKUP_LIMIT)
        except (TwilioRestException, Unreached, AnswerLost):
            return Finding(Verdict.UNKNOWN)
        for candidate in [*sent, *newest]:
            created = candidate.date_created
            if candidate.body == message.body and (created is None or created >= after):
                return Finding(Verdict.HAPPENED, str(candidate.sid))
        return Finding(Verdict.NEVER)
