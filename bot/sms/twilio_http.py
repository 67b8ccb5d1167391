"""The twilio library's requests sent with urllib3 instead of requests.

The library builds every call (URL, form, auth, headers) and reads every answer; this only
carries them. urllib3 takes about half the CPU of requests per call (no session merging,
hooks or cookie jar), and every text sent makes one call. It also tells the two ways a call
can fail apart, which requests folds into one `ConnectionError`: a request that never reached
Twilio (`Unreached`: safe to send again) and one whose answer was lost (`AnswerLost`: Twilio
may have it).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass

import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProxyError,
)

TWILIO_API = "https://api.twilio.com"
_log = logging.getLogger("twilio.http_client")


class Unreached(Exception):
    """The request did not reach the gateway (no connection could be made)."""


class AnswerLost(Exception):
    """The request was sent, and its answer never came (a read timeout, a dropped line)."""


class Urllib3HttpClient(HttpClient):
    """`base_url` replaces https://api.twilio.com (a proxy, or a local fake in tests). An
    HTTPS proxy set in the environment (HTTPS_PROXY, with NO_PROXY) is used, as requests
    would."""

    def __init__(self, timeout: float, base_url: str | None = None) -> None:
        super().__init__(_log, False, timeout)
        self.base_url = (base_url or TWILIO_API).rstrip("/")
        host = urlsplit(self.base_url).hostname or ""
        proxy = getproxies().get("https") if self.base_url.startswith("https:") else None
        retries = urllib3.Retry(total=False, redirect=False)  # the sender decides on retries
        self.pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, retries=retries)
            if proxy and not proxy_bypass(host)  # NO_PROXY is honoured too
            else urllib3.PoolManager(retries=retries)
        )

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        url = self.base_url + uri[len(TWILIO_API) :] if uri.startswith(TWILIO_API) else uri
        if params:
            url += "?" + urlencode(params, doseq=True)
        sent = dict(headers or {})
        if auth:
            sent.update(urllib3.make_headers(basic_auth=f"{auth[0]}:{auth[1]}"))
        body: str | None = None
        if data is not None:
            if sent.get("Content-Type", "").endswith("json"):
                body = json.dumps(data)
            else:
                body = urlencode(data, doseq=True)
                sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            answer = self.pool.request(
                method.upper(),
                url,
                body=body,
                headers=sent,
                timeout=timeout or self.timeout,
                redirect=allow_redirects,
            )
        except (NewConnectionError, ConnectTimeoutError, ProxyError) as exc:
            raise Unreached(str(exc)) from exc
        except HTTPError as exc:  # read timeout, connection dropped mid-answer
            raise AnswerLost(str(exc)) from exc
        self._test_only_last_response = Response(
            answer.status, answer.data.decode("utf-8", "replace"), _headers(answer)
        )
        return self._test_only_last_response


def _headers(answer: Any) -> dict[str, str]:
    return dict(answer.headers.items())
