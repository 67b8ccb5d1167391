"""Signatures, retries, the staff allow-list, buttons, the Add form and App Home over HTTP."""

from __future__ import annotations

import time

from bot.slack.modal import CALLBACK_ID
from tests.slack.conftest import CHANNEL, OUTSIDER, SlackHttp


def _entries(slack: SlackHttp) -> int:
    with slack.runtime.make_uow() as uow:
        return uow.entries.counts_by_status().get("waiting", 0)


def test_a_bad_signature_is_401_and_changes_nothing(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    response = slack.command(f"remove {entry.ref}", secret="not-the-secret")

    assert response.status_code == 401
    time.sleep(0.2)
    assert slack.api.calls_to("response_url") == []
    assert _entries(slack) == 1


def test_a_stale_signature_is_401_and_changes_nothing(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    response = slack.command(f"remove {entry.ref}", age=10 * 60)

    assert response.status_code == 401
    time.sleep(0.2)
    assert _entries(slack) == 1


def test_a_retried_delivery_is_acknowledged_without_repeating_work(slack: SlackHttp) -> None:
    response = slack.event(
        {"type": "app_home_opened", "user": "USTAFF", "tab": "home"}, **{"X-Slack-Retry-Num": "1"}
    )

    assert response.status_code == 200
    time.sleep(0.3)
    assert slack.api.calls_to("views.publish") == []


def test_someone_off_the_staff_list_gets_a_polite_refusal(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    slack.command(f"remove {entry.ref}", user=OUTSIDER)

    assert slack.reply_text() == (
        "! Sorry, only clinic staff can use `/waitlist remove`. Ask an admin to add you to the "
        "staff list; `/waitlist help` works for everyone."
    )
    assert slack.replies()[-1]["response_type"] == "ephemeral"
    assert _entries(slack) == 1


def test_a_remove_button_runs_the_same_command(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    slack.click(f"remove {entry.ref}", action_id="waitlist_remove_1")

    assert slack.api.wait_for("response_url")[-1]["text"] == "W-1 is off the waitlist (cancelled)."
    assert _entries(slack) == 0


def test_add_with_no_text_opens_the_form(slack: SlackHttp) -> None:
    slack.command("add")

    view = slack.api.wait_for("views.open")[0]["view"]
    assert view["callback_id"] == CALLBACK_ID
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert block_ids[:5] == ["first_name", "last_name", "phone", "service", "provider"]


def _form(
    phone: str, date_start: str | None = "2026-02-20", date_end: str | None = "2026-02-27"
) -> dict:
    def text(v: str | None) -> dict:
        return {"value": {"type": "plain_text_input", "value": v}}

    return {
        "first_name": text("Jane"),
        "last_name": text("Doe"),
        "phone": text(phone),
        "service": {"value": {"type": "static_select", "selected_option": {"value": "1"}}},
        "provider": {"value": {"type": "multi_static_select", "selected_options": []}},
        "date_start": {"value": {"type": "datepicker", "selected_date": date_start}},
        "date_end": {"value": {"type": "datepicker", "selected_date": date_end}},
        "days": {"value": {"type": "checkboxes", "selected_options": [{"value": "2"}]}},
        "priority": {"value": {"type": "static_select", "selected_option": {"value": "2"}}},
        "notes": text(None),
    }


def test_the_add_form_adds_the_entry_and_confirms_ephemerally(slack: SlackHttp) -> None:
    view = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": f'{{"channel": "{CHANNEL}"}}',
    }

    response = slack.submit(view, _form("(617) 555-0101"))

    assert response.status_code == 200 and response.content in (b"", b"null")
    posted = slack.api.wait_for("chat.postEphemeral")[0]
    assert posted["text"] == "Added W-1 for Jane Doe."
    assert posted["channel"] == CHANNEL and posted["user"] == "USTAFF"


def test_the_add_form_shows_errors_next_to_the_fields(slack: SlackHttp) -> None:
    view = {"type": "modal", "callback_id": CALLBACK_ID, "private_metadata": "{}"}

    response = slack.submit(view, _form("12", date_start="2026-02-27", date_end="2026-02-20"))

    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "phone": "'12' is not a valid phone number.",
            "date_end": "The latest date is before the earliest.",
        },
    }
    assert _entries(slack) == 0


def test_app_home_shows_openings_offers_and_stats(slack: SlackHttp) -> None:
    from tests.scenario import local

    world = slack.world
    world.entry(world.client("Jane", 1))
    slack.command(f"cancel {world.appointment(world.client('Bob', 2), local(16, 14)).ref}")
    slack.replies()

    slack.event({"type": "app_home_opened", "user": "USTAFF", "tab": "home"})

    view = slack.api.wait_for("views.publish")[0]["view"]
    from bot.slack.blocks import to_text

    text = to_text(view["blocks"])
    assert "Today's open openings (1)" in text
    assert "O-1 · Mon Feb 16 2:00 PM · Dr. Johnson" in text
    assert "Jane (W-1) for O-1 · 15 min left" in text
    assert "Waitlist: 1 entries" in text and "Active 1 · conversion 0%" in text
