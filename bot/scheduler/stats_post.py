"""The daily stats post: a Block Kit message and the 30-day chart in the clinic's channel.

Without Slack credentials or a channel the numbers go to the log instead.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from core.clinics import ClinicConfig
from core.reports import RATES_EXPLAINED

log = logging.getLogger("waitlist.stats")


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:g} min"


def fill_lines(fills: dict[str, Any]) -> list[str]:
    """Yesterday's fills and the 30-day totals, one line each, for the terminal and the log."""
    day, month = fills["yesterday"], fills["last30Days"]
    return [
        f"Yesterday ({day['date']}): openings {day['openings']}, filled {day['filled']}, "
        f"expired unfilled {day['expiredUnfilled']}, median time to fill "
        f"{_minutes(day['medianTimeToFillMinutes'])}, offers sent {day['offersSent']}, "
        f"accepted {day['acceptanceRate']}%",
        f"Last 30 days ({month['from']} to {month['to']}): openings {month['openings']}, "
        f"filled {month['filled']}, median time to fill "
        f"{_minutes(month['medianTimeToFillMinutes'])}, offers sent {month['offersSent']}, "
        f"accepted {month['acceptanceRate']}%",
    ]


def stats_text(stats: dict[str, Any]) -> str:
    """The message as plain text: the notification and the fallback for Block Kit."""
    lines = [
        f"Waitlist: {stats['activeCount']} active of {stats['total']}, "
        f"{stats['conversionRate']}% booked, average wait {stats['averageWaitDays']} days"
    ]
    if "fills" in stats:
        lines += fill_lines(stats["fills"])
    return "\n".join(lines)


def stats_blocks(stats: dict[str, Any], clinic: str | None = None) -> list[dict[str, Any]]:
    counts = stats["counts"]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Waitlist daily stats"}},
        *_clinic_line(clinic),
        _fields(
            (
                "Active",
                f"{stats['activeCount']} ({counts['waiting']} waiting, "
                f"{counts['offered']} offered)",
            ),
            (
                "Booked from the waitlist",
                f"{counts['booked']} of {stats['total']} ({stats['conversionRate']}%)",
            ),
            ("Average wait to booking", f"{stats['averageWaitDays']} days"),
            ("Expired / cancelled", f"{counts['expired']} / {counts['cancelled']}"),
        ),
    ]
    if "fills" in stats:
        day, month = stats["fills"]["yesterday"], stats["fills"]["last30Days"]
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Yesterday* ({day['date']})"}},
            _fields(
                ("Openings", f"{day['openings']} ({day['expiredUnfilled']} expired unfilled)"),
                ("Filled", str(day["filled"])),
                ("Median time to fill", _minutes(day["medianTimeToFillMinutes"])),
                ("Offers sent", f"{day['offersSent']} ({day['acceptanceRate']}% accepted)"),
            ),
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Last 30 days: {month['openings']} openings, "
                        f"{month['filled']} filled, {month['acceptanceRate']}% of "
                        f"{month['offersSent']} offers accepted.",
                    }
                ],
            },
        ]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": RATES_EXPLAINED}]})
    return blocks


def _clinic_line(clinic: str | None) -> list[dict[str, Any]]:
    if not clinic:
        return []
    return [{"type": "context", "elements": [{"type": "plain_text", "text": clinic}]}]


def _fields(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in pairs],
    }


def post_stats(
    settings: Settings, stats: dict[str, Any], chart: bytes, *, day: str, config: ClinicConfig
) -> bool:
    """Post the stats and upload the chart to the clinic's channel. False (and the numbers
    logged) when Slack is not configured or refuses; the error is logged, never raised, so
    the job still completes."""
    channel = config.slack_channel
    if settings.slack_bot_token is None or not channel:
        log.info("stats of %s (Slack not configured):\n%s", config.name, stats_text(stats))
        return False
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        posted = client.chat_postMessage(
            channel=channel, text=stats_text(stats), blocks=stats_blocks(stats, config.name)
        )
        # The upload needs the channel's id; the post answers with it even when given a name.
        client.files_upload_v2(
            channel=str(posted["channel"]),
            content=chart,
            filename=f"waitlist-{day}.png",
            title=f"Openings and fills, 30 days to {day}",
            request_file_info=False,
        )
    except SlackApiError as exc:
        log.warning("stats post failed: %s", exc.response.get("error", "unknown error"))
        return False
    return True
