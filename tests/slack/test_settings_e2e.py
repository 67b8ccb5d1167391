"""`/waitlist settings` in a one-clinic deployment: the environment's defaults, shown whole,
for anyone, with no clinic to name."""

from __future__ import annotations

from tests.slack.conftest import OUTSIDER, SlackHttp


def test_settings_show_the_defaults_of_a_clinic_that_sets_nothing(slack: SlackHttp) -> None:
    slack.command("settings", user=OUTSIDER)

    assert slack.reply_text().splitlines() == [
        "Glow Clinic settings",
        "Time zone: America/New_York",
        "Slack channel: none",
        "Staff allow-list: 1 Slack id(s)",
        "Texts from: not set (texts stay in the outbox)",
        "Clinic phone (HELP replies): none",
        "Offers at once: 3 · hold 15 min · cut-off 60 min before the slot",
        "Quiet hours: 9:00 PM–8:00 AM",
        "Texts per client: at most 1 a day · at most 3 a week",
        "Entries expire after 30 days",
        "Daily stats post: 8:00 AM",
        slack.reply_text().splitlines()[-1],
    ]
    assert slack.reply_text().splitlines()[-1].startswith("SMS templates: offer, booked, ")


def test_settings_take_nothing_but_a_clinic(slack: SlackHttp) -> None:
    slack.command("settings verbose")

    assert slack.reply_text() == (
        "! `settings` takes only a clinic, e.g. `/waitlist settings at Glow Clinic`."
    )
