"""Who may change things at a clinic: its staff allow-list of Slack user and/or channel IDs
(a clinic that sets none has the deployment's, `WAITLIST_SLACK_STAFF`)."""

from __future__ import annotations

from collections.abc import Collection


def may_act(staff: Collection[str], user_id: str, channel_id: str = "") -> bool:
    """Anyone when the list is empty (the start-up banner warns about it)."""
    return not staff or user_id in staff or bool(channel_id and channel_id in staff)
