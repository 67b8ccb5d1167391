"""Sending texts through Twilio's Messages API with the twilio library.

A refused request (429, 5xx) or a connection that could not be made is tried again at once
with a short backoff; the outbox retries later still. A request whose answer was lost (a read
timeout) may have been accepted, so before trying again the sender asks Twilio whether the
message exists: a text is never sent twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from core.audit import mask_phone
from core.model import Message
from core.outbox import BAD_NUMBER_CODES, OPTED_OUT_CODES
from core.ports import SendResult

log = logging.getLogger("waitlist.sms")
TWILIO_API = "https://api.twilio.com"
PERMANENT_CODES = OPTED_OUT_CODES | BAD_NUMBER_CODES
# The twilio library logs query strings (phone numbers) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends the library's requests to another host (a proxy, or a local fake in tests)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


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
    ) -> None:
        http = (
            BaseUrlHttpClient(base_url, timeout) if base_url else TwilioHttpClient(timeout=timeout)
        )
        self.client = TwilioClient(account_sid, auth_token, http_client=http)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback
        self.attempts = attempts
        self.backoff = backoff

    def send(self, message: Message) -> SendResult:
        started = datetime.now(UTC)
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=8),
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._send_once(message, started)
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

    def _send_once(self, message: Message, started: datetime) -> SendResult:
        try:
            sent = self.client.messages.create(
                to=message.phone, body=message.body, **self._route(message)
            )
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise _Retryable(str(exc.status)) from exc
            raise
        except requests.exceptions.ConnectionError as exc:
            # Includes a connect timeout: the request never reached the gateway.
            raise _Retryable("connection") from exc
        except requests.exceptions.Timeout as exc:
            found = self._already_sent(message, started)
            if found is not None:
                return SendResult(ok=True, provider_sid=found)
            raise _Retryable("timeout") from exc
        log.info("SMS %s to %s accepted", message.id, mask_phone(message.phone))
        return SendResult(ok=True, provider_sid=sent.sid)

    def _route(self, message: Message) -> dict[str, Any]:
        route: dict[str, Any] = {}
        if self.messaging_service_sid:
            route["messaging_service_sid"] = self.messaging_service_sid
        else:
            route["from_"] = self.from_number
        if self.status_callback:
            route["status_callback"] = f"{self.status_callback}?m={message.id}"
        return route

    def _already_sent(self, message: Message, started: datetime) -> str | None:
        """The sid of a message with this text to this number created since the send began."""
        try:
            recent = self.client.messages.list(
                to=message.phone, date_sent_after=started - timedelta(minutes=1), limit=20
            )
        except (TwilioRestException, requests.exceptions.RequestException):
            return None
        for candidate in recent:
            if candidate.body == message.body:
                return str(candidate.sid)
        return None
