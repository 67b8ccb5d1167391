"""Who may change things: the staff allow-list of Slack user and/or channel IDs."""

from __future__ import annotations

from bot.settings import Settings


def is_staff(settings: Settings, user_id: str, channel_id: str = "") -> bool:
    """Anyone when no allow-list is configured (the start-up banner warns about it)."""
    allowed = settings.staff_ids
    return not allowed or user_id in allowed or bool(channel_id and channel_id in allowed)
