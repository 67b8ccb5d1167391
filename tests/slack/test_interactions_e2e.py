"""Signatures, retries, the staff allow-list, buttons, the Add form and App Home over HTTP."""

from __future__ import annotations

import time

from bot.slack.modal import CALLBACK_ID, CLIENT_SEARCH
from core.ports import EntryFilter
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
    assert block_ids[:6] == ["client", "first_name", "last_name", "phone", "service", "provider"]
    search = view["blocks"][0]["element"]
    assert search["type"] == "external_select" and search["min_query_length"] == 2


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


def _labels(response: object) -> list[str]:
    return [o["text"]["text"] for o in response.json()["options"]]  # type: ignore[attr-defined]


def test_the_client_search_offers_clients_matching_a_name_or_phone(slack: SlackHttp) -> None:
    jane = slack.world.client("Jane", 1)
    slack.world.client("Janet", 2)
    slack.world.client("Bob", 3)

    by_name = slack.suggest("JAN", action_id=CLIENT_SEARCH)
    by_phone = slack.suggest("(617) 555-0003", action_id=CLIENT_SEARCH)

    assert by_name.status_code == 200
    assert _labels(by_name) == ["Jane Tester · **********01", "Janet Tester · **********02"]
    assert by_name.json()["options"][0]["value"] == str(jane.id)
    assert _labels(by_phone) == ["Bob Tester · **********03"]
    assert _labels(slack.suggest("%_", action_id=CLIENT_SEARCH)) == []


def test_the_client_search_shows_nothing_to_someone_off_the_staff_list(slack: SlackHttp) -> None:
    slack.world.client("Jane", 1)

    response = slack.suggest("Jane", action_id=CLIENT_SEARCH, user=OUTSIDER)

    assert response.json() == {"options": []}


def test_the_add_form_adds_the_entry_for_the_client_picked_in_the_search(
    slack: SlackHttp,
) -> None:
    bob = slack.world.client("Bob", 3)
    form = _form("")
    form["first_name"] = form["last_name"] = {"value": {"type": "plain_text_input", "value": None}}
    form["client"] = {
        CLIENT_SEARCH: {"type": "external_select", "selected_option": {"value": str(bob.id)}}
    }
    view = {"type": "modal", "callback_id": CALLBACK_ID, "private_metadata": "{}"}

    response = slack.submit(view, form)

    assert response.status_code == 200 and response.content in (b"", b"null")
    assert slack.api.wait_for("chat.postMessage")[0]["text"] == "Added W-1 for Bob Tester."
    with slack.runtime.make_uow() as uow:
        entries = uow.entries.list(EntryFilter(), limit=10).items
        assert [e.client_id for e in entries] == [bob.id]
        assert uow.clients.list().total == len(slack.world.clients)


def test_the_add_form_needs_a_picked_client_or_a_new_clients_details(slack: SlackHttp) -> None:
    form = _form("")
    form["first_name"] = form["last_name"] = {"value": {"type": "plain_text_input", "value": None}}
    view = {"type": "modal", "callback_id": CALLBACK_ID, "private_metadata": "{}"}

    response = slack.submit(view, form)

    assert response.json() == {
        "response_action": "errors",
        "errors": {"client": "Pick a client, or type a new client's first name and phone."},
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
    assert "Waitlist: 1 entry" in text and "Active 1 · conversion 0%" in text
    assert "Yesterday (2026-02-15): openings 0, filled 0" in text
    assert "Last 30 days (2026-01-17 to 2026-02-15): openings 0, filled 0" in text


def test_the_add_form_refuses_a_phone_on_file_for_someone_else(slack: SlackHttp) -> None:
    bob = slack.world.client("Bob", 3)
    view = {"type": "modal", "callback_id": CALLBACK_ID, "private_metadata": "{}"}

    response = slack.submit(view, _form(bob.phone))  # typed as Jane Doe's

    errors = response.json()["errors"]
    assert list(errors) == ["phone"] and "another name" in errors["phone"]
    assert _entries(slack) == 0


def test_the_add_form_finds_the_client_on_file_by_phone_and_name(slack: SlackHttp) -> None:
    bob = slack.world.client("Bob", 3)
    form = _form(bob.phone)
    form["first_name"] = {"value": {"type": "plain_text_input", "value": "bob"}}
    form["last_name"] = {"value": {"type": "plain_text_input", "value": None}}
    view = {"type": "modal", "callback_id": CALLBACK_ID, "private_metadata": "{}"}

    response = slack.submit(view, form)

    assert response.status_code == 200 and response.content in (b"", b"null")
    assert slack.api.wait_for("chat.postMessage")[0]["text"] == "Added W-1 for Bob Tester."
    with slack.runtime.make_uow() as uow:
        assert uow.clients.list().total == len(slack.world.clients)
