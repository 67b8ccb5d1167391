"""The headers that let a receiver trust a webhook.

Two signatures of the same key: `Waitlist-Signature` is HMAC-SHA256 over
`{timestamp}.{body}` (hex, `v1=` prefix), checkable in a few lines of any language; the
Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`, signed over
`{id}.{timestamp}.{body}`) come from the `standardwebhooks` reference library, so a receiver
may verify with that library instead. The key is the base64 text after `whsec_`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from standardwebhooks import Webhook

from core.deliveries import SECRET_PREFIX


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, timestamp: int, body: str) -> str:
    """`v1=` and the hex HMAC-SHA256 of `{timestamp}.{body}`."""
    digest = hmac.new(key_of(secret), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "v1=" + digest.hexdigest()


def signed_headers(
    *, secret: str, event_id: str, event_type: str, timestamp: int, body: str
) -> dict[str, str]:
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "Waitlist-Webhooks/1",
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": Webhook(secret).sign(event_id, sent_at, body),
        "Waitlist-Event-Id": event_id,
        "Waitlist-Event-Type": event_type,
        "Waitlist-Timestamp": str(timestamp),
        "Waitlist-Signature": signature(secret, timestamp, body),
    }
