"""A group of two clinics in two time zones, each mapped to its own channel, driven through
the real Bolt stack: the same line acts on the clinic of the channel it is typed in; a DM
asks which clinic unless `at <clinic>` or the user's only clinic says; a user of one clinic
is refused at the other; fill threads go to each clinic's channel in its own zone."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from slack_sdk import WebClient

from bot.app import create_app
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.slack.blocks import to_text
from bot.slack.notifier import SlackNotifier
from core import directory
from core.clinics import ClinicSettings
from core.fill import handle_cancellation
from core.model import Appointment, Client, Clinic, Event, EventKind, Provider, Service
from core.ports import EntryFilter
from storage.repositories.slack_threads import SlackThreads
from storage.uow import uow_factory
from tests.fakes.slack_api import FakeSlackApi
from tests.scenario import NOW, WEEKDAY_HOURS, build_world
from tests.slack.conftest import RecordingSender, SlackHttp

GLOW, SUMMIT = "CGLOW", "CSUMMIT"  # each clinic's channel
BOTH, GLOW_ONLY, SUMMIT_ONLY = "UBOTH", "UGLOWONLY", "USUMMITONLY"
DM = "DBOTH"  # a direct message with the app: no clinic's channel
DENVER = "America/Denver"


@dataclass
class Site:
    clinic: Clinic
    botox: Service
    provider: Provider


@dataclass
class Group:
    slack: SlackHttp
    glow: Site  # New York
    summit: Site  # Denver

    def line(self, text: str, *, user: str = BOTH, channel: str = DM) -> str:
        """What the app answered to one `/waitlist` line."""
        before = len(self.slack.api.calls_to("response_url"))
        self.slack.command(text, user=user, channel=channel)
        posted = self.slack.api.wait_for("response_url", before + 1)[-1]
        return to_text(posted["blocks"]) if posted.get("blocks") else str(posted["text"])

    def client(self, first: str, suffix: int) -> Client:
        with self.slack.runtime.make_uow() as uow:
            client = directory.add_client(
                uow=uow,
                first_name=first,
                last_name="Tester",
                phone=f"+1617555{suffix:04d}",
                now=NOW,
                actor="test",
            )
            uow.commit()
        return client

    def appointment(self, site: Site, client: Client, start: datetime) -> Appointment:
        with self.slack.runtime.make_uow() as uow:
            appointment = directory.book_appointment(
                uow=uow,
                client_id=client.id,
                service_id=site.botox.id,
                provider_id=site.provider.id,
                scheduled_at=start,
                now=NOW,
                actor="test",
            )
            uow.commit()
        return appointment

    def entries(self, site: Site) -> list[str]:
        """The entries of a clinic, any status, as `first name:service id`."""
        with self.slack.runtime.make_uow() as uow:
            found = uow.entries.list(EntryFilter(clinic_id=site.clinic.id), limit=50).items
            return [f"{uow.clients.get(e.client_id).first_name}:{e.service_id}" for e in found]  # type: ignore[union-attr]


def _summit(make_uow: object) -> Site:
    with make_uow() as uow:  # type: ignore[operator]
        clinic = directory.add_clinic(
            uow=uow, name="Summit Clinic", timezone=DENVER, now=NOW, actor="test"
        )
        botox = directory.add_service(
            uow=uow, clinic_id=clinic.id, name="Botox", duration_minutes=60, now=NOW, actor="test"
        )
        ames = directory.add_provider(
            uow=uow,
            clinic_id=clinic.id,
            name="Dr. Ames",
            hours=WEEKDAY_HOURS,
            now=NOW,
            actor="test",
        )
        uow.commit()
    return Site(clinic, botox, ames)


def _set(make_uow: object, clinic: Clinic, settings: ClinicSettings) -> Clinic:
    with make_uow() as uow:  # type: ignore[operator]
        stored = replace(uow.clinics.get(clinic.id), settings=settings)
        uow.clinics.save(stored)
        uow.commit()
    return stored


@pytest.fixture
def group(database_url: str) -> Iterator[Group]:
    secret = secrets.token_hex(16)
    with FakeSlackApi() as api:
        settings = Settings(
            WAITLIST_DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=api.url,
            WAITLIST_TIMEZONE="Pacific/Honolulu",  # no clinic's zone: replies must not use it
        )
        runtime = build_runtime(settings, sender=RecordingSender())
        runtime.clock = lambda: NOW
        world = build_world(runtime.make_uow)
        summit = _summit(runtime.make_uow)
        glow = _set(
            runtime.make_uow,
            world.clinic,
            ClinicSettings(slack_channel=GLOW, slack_staff=(BOTH, GLOW_ONLY)),
        )
        summit.clinic = _set(
            runtime.make_uow,
            summit.clinic,
            ClinicSettings(
                slack_channel=SUMMIT,
                slack_staff=(BOTH, SUMMIT_ONLY),
                twilio_from_number="+13035550199",
                offer_hold_minutes=30,
            ),
        )
        with TestClient(create_app(runtime=runtime)) as http:
            slack = SlackHttp(http, api, secret, runtime, world)
            yield Group(slack, Site(glow, world.botox, world.johnson), summit)
            if isinstance(runtime.notifier, SlackNotifier):
                runtime.notifier.flush()  # before the fake Slack stops
        runtime.close()


def test_the_same_line_in_each_channel_adds_to_that_channels_clinic(group: Group) -> None:
    at_glow = group.line("add Jane Doe 617 555 0101 botox", channel=GLOW)
    at_summit = group.line("add Bob Roe 617 555 0102 botox", channel=SUMMIT)

    assert at_glow.startswith("✓ Added W-1 for Jane Doe.")
    assert at_summit.startswith("✓ Added W-2 for Bob Roe.")
    # Both clinics have a Botox; each line found its own clinic's
    assert group.entries(group.glow) == [f"Jane:{group.glow.botox.id}"]
    assert group.entries(group.summit) == [f"Bob:{group.summit.botox.id}"]
    assert "W-2" not in group.line("list", channel=GLOW)
    assert "W-1" not in group.line("list", channel=SUMMIT)


def test_a_slot_is_read_in_the_zone_of_the_channels_clinic(group: Group) -> None:
    glow = group.line("opening dr johnson botox tue 2pm", channel=GLOW)
    summit = group.line("opening dr ames botox tue 2pm", channel=SUMMIT)

    # 2 PM in New York and 2 PM in Denver, said back as typed, stored two hours apart
    assert "Tue Feb 17 2:00 PM–3:00 PM" in glow and "2026-02-17T19:00Z" in glow
    assert "Tue Feb 17 2:00 PM–3:00 PM" in summit and "2026-02-17T21:00Z" in summit


def test_a_provider_of_the_other_clinic_is_not_found_in_this_channel(group: Group) -> None:
    reply = group.line("opening dr ames botox tue 2pm", channel=GLOW)

    assert reply.startswith("! ")
    assert "ames" in reply.lower()
    assert "Open Botox with Dr. Ames" not in reply


def test_a_dm_from_a_user_of_both_clinics_is_asked_which(group: Group) -> None:
    reply = group.line("add Jane Doe 617 555 0101 botox")

    assert reply == (
        "! Which clinic: Glow Clinic or Summit Clinic? Say it with `at`, e.g. "
        "`/waitlist add Jane Doe 617 555 0101 botox at Glow Clinic`."
    )
    assert group.entries(group.glow) == group.entries(group.summit) == []


def test_at_a_clinic_in_a_dm_acts_there(group: Group) -> None:
    added = group.line("add Jane Doe 617 555 0101 botox mornings at summit")
    listed = group.line("list at the Summit clinic")

    assert added.startswith("✓ Added W-1 for Jane Doe.")
    assert group.entries(group.summit) == [f"Jane:{group.summit.botox.id}"]
    assert group.entries(group.glow) == []
    assert "W-1 Jane Doe · Botox" in listed


def test_a_user_of_one_clinic_needs_no_at_in_a_dm(group: Group) -> None:
    reply = group.line("add Jane Doe 617 555 0101 botox", user=SUMMIT_ONLY, channel="DSUMMIT")

    assert reply.startswith("✓ Added W-1 for Jane Doe.")
    assert group.entries(group.summit) == [f"Jane:{group.summit.botox.id}"]


def test_a_user_of_one_clinic_is_refused_at_the_other(group: Group) -> None:
    reply = group.line("add Jane Doe 617 555 0101 botox", user=GLOW_ONLY, channel=SUMMIT)

    assert reply == (
        "! Sorry, you're not on Summit Clinic's staff list, so `/waitlist add` can't change "
        "anything there. You're on the staff of Glow Clinic. Ask an admin of Summit Clinic "
        "to add you."
    )
    assert group.entries(group.summit) == []


def test_an_entry_of_the_other_clinic_is_not_changed_by_its_ref(group: Group) -> None:
    group.line("add Bob Roe 617 555 0102 botox", channel=SUMMIT)

    refused = group.line("remove W-1", user=GLOW_ONLY, channel=GLOW)
    shown = group.line("show W-1", user=GLOW_ONLY, channel=GLOW)

    assert refused.startswith("! Sorry, you're not on Summit Clinic's staff list")
    assert group.entries(group.summit) == [f"Bob:{group.summit.botox.id}"]
    assert shown.startswith("W-1 Bob Roe · Botox · waiting")  # reading is for everyone


def test_an_at_naming_another_clinic_than_the_entrys_is_refused(group: Group) -> None:
    group.line("add Bob Roe 617 555 0102 botox", channel=SUMMIT)

    reply = group.line("remove W-1 at glow")

    assert reply == "! W-1 is at Summit Clinic, not Glow Clinic."


def test_fill_threads_go_to_each_clinics_channel_in_its_zone(group: Group) -> None:
    group.line("add Jane Doe 617 555 0101 botox", channel=GLOW)
    group.line("add Bob Roe 617 555 0102 botox", channel=SUMMIT)
    ten_ny = datetime(2026, 2, 17, 10, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    ten_denver = datetime(2026, 2, 17, 10, tzinfo=ZoneInfo(DENVER)).astimezone(UTC)
    glow_slot = group.appointment(group.glow, group.client("Ann", 3), ten_ny)
    summit_slot = group.appointment(group.summit, group.client("Cy", 4), ten_denver)

    group.line(f"cancel {glow_slot.ref}", channel=GLOW)
    group.line(f"cancel {summit_slot.ref}", channel=SUMMIT)
    notifier = group.slack.runtime.notifier
    assert isinstance(notifier, SlackNotifier)
    notifier.flush()

    posts = group.slack.api.calls_to("chat.postMessage")
    parents = {p["channel"]: p["text"] for p in posts if "thread_ts" not in p}
    assert parents == {
        GLOW: ":calendar: *O-1* Tue Feb 17 10:00 AM · Botox with Dr. Johnson — "
        "filling from the waitlist",
        SUMMIT: ":calendar: *O-2* Tue Feb 17 10:00 AM · Botox with Dr. Ames — "
        "filling from the waitlist",
    }
    replies = {p["channel"]: p["text"] for p in posts if "thread_ts" in p}
    # Each clinic's hold (15 and 30 minutes) from 10:00 AM New York, in each clinic's zone
    assert replies == {
        GLOW: "Offered to Jane (W-1), holds until Mon Feb 16 10:15 AM.",
        SUMMIT: "Offered to Bob (W-2), holds until Mon Feb 16 8:30 AM.",
    }


def test_settings_shows_the_channels_clinic_and_another_with_at(group: Group) -> None:
    glow = group.line("settings", channel=GLOW)
    summit = group.line("settings at summit", channel=GLOW)

    assert glow.splitlines()[:3] == [
        "Glow Clinic settings",
        "Time zone: America/New_York",
        "Slack channel: <#CGLOW>",
    ]
    assert "Texts from: not set" in glow
    assert summit.splitlines()[:3] == [
        "Summit Clinic settings",
        "Time zone: America/Denver",
        "Slack channel: <#CSUMMIT>",
    ]
    assert "Texts from: `**********99`" in summit and "3035550199" not in summit
    assert "hold 30 min" in summit and "hold 15 min" in glow
    assert "SMS templates: offer, booked," in summit


def test_settings_in_a_dm_asks_which_clinic(group: Group) -> None:
    assert group.line("settings") == (
        "! Which clinic: Glow Clinic or Summit Clinic? Say it with `at`, e.g. "
        "`/waitlist settings at Glow Clinic`."
    )


def test_help_names_settings_and_how_to_say_a_clinic(group: Group) -> None:
    reply = group.line("help")

    assert "`/waitlist settings [at <clinic>]`" in reply
    assert "elsewhere add `at <clinic>` (Glow Clinic, Summit Clinic)" in reply


def test_app_home_has_a_section_for_each_clinic_the_user_may_act_on(group: Group) -> None:
    group.slack.event({"type": "app_home_opened", "user": BOTH, "tab": "home"})
    group.slack.event({"type": "app_home_opened", "user": GLOW_ONLY, "tab": "home"})

    both, glow_only = group.slack.api.wait_for("views.publish", 2)
    by_user = {
        call["user_id"]: [
            b["text"]["text"] for b in call["view"]["blocks"] if b["type"] == "header"
        ]
        for call in (both, glow_only)
    }
    assert by_user == {
        BOTH: ["Waitlist", "Glow Clinic", "Summit Clinic"],
        GLOW_ONLY: ["Waitlist"],
    }


def test_a_clinic_without_a_channel_of_its_own_is_told_in_the_deployments(group: Group) -> None:
    runtime, api = group.slack.runtime, group.slack.api
    _set(runtime.make_uow, group.glow.clinic, ClinicSettings(slack_staff=(BOTH,)))
    notifier = SlackNotifier(
        WebClient(token="xoxb-test", base_url=api.url),
        "CDEFAULT",
        runtime.make_uow,
        SlackThreads(runtime.engine),
        runtime.clinic_config,
    )
    ten_ny = datetime(2026, 2, 17, 10, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    ten_denver = datetime(2026, 2, 17, 10, tzinfo=ZoneInfo(DENVER)).astimezone(UTC)
    slots = [
        group.appointment(group.glow, group.client("Ann", 3), ten_ny),
        group.appointment(group.summit, group.client("Cy", 4), ten_denver),
    ]
    unpublished = uow_factory(runtime.engine)  # this test's notifier alone tells the openings
    for slot in slots:
        with unpublished() as uow:
            step = handle_cancellation(
                uow=uow, appointment_id=slot.id, actor="test", now=NOW, policy=runtime.policy
            )
            uow.commit()
        notifier.deliver(
            Event(kind=EventKind.OPENING_CREATED, actor="test", at=NOW, opening_id=step.opening.id)
        )

    parents = [(p["channel"], p["text"]) for p in api.calls_to("chat.postMessage")]
    assert parents == [
        (
            "CDEFAULT",
            ":calendar: *O-1* Tue Feb 17 10:00 AM · Botox with Dr. Johnson — filling from the "
            "waitlist",
        ),
        (
            SUMMIT,
            ":calendar: *O-2* Tue Feb 17 10:00 AM · Botox with Dr. Ames — filling from the "
            "waitlist",
        ),
    ]


def test_the_console_names_its_clinic_with_at_in_a_group(group: Group) -> None:
    from bot.slack.console import run_console

    said: list[str] = []
    run_console(
        group.slack.runtime,
        ["list", "add Jane Doe 617 555 0101 botox at summit"],
        said.append,
        echo=False,
    )

    assert said[0].startswith("! Which clinic: Glow Clinic or Summit Clinic?")
    assert said[1].startswith("✓ Added W-1 for Jane Doe.")
    assert group.entries(group.summit) == [f"Jane:{group.summit.botox.id}"]


@pytest.mark.parametrize(
    "text",
    [
        "list " + "at " * 1300,
        "list at \u202eglow",
        "add at summit at glow",
        "stats at " + "x" * 3900,
        'add Jane Doe 617 555 0101 botox "see you at summit"',
    ],
)
def test_hostile_at_lines_get_a_clear_answer(group: Group, text: str) -> None:
    from bot.slack.app import SORRY

    reply = group.line(text)

    assert SORRY not in reply
    assert reply.startswith(("! ", "Opening the Add form"))
    assert group.entries(group.glow) == group.entries(group.summit) == []


def test_a_confirm_button_opens_the_slot_at_its_providers_clinic(group: Group) -> None:
    preview = group.line("opening dr ames botox tue 2pm", channel=SUMMIT)
    line = preview.split("[Confirm: ")[1].split("]")[0]

    group.slack.click(line, user=BOTH)  # from a channel of no clinic
    done = group.slack.api.wait_for("response_url", 2)[-1]

    assert done["text"].startswith("O-1 opened for Tue Feb 17 2:00 PM.")
    with group.slack.runtime.make_uow() as uow:
        opening = uow.openings.get(1)
    assert opening is not None and opening.clinic_id == group.summit.clinic.id


def test_a_line_about_one_entry_needs_no_clinic_in_a_dm(group: Group) -> None:
    group.line("add Bob Roe 617 555 0102 botox", channel=SUMMIT)

    shown = group.line("show W-1")
    removed = group.line("remove W-1 moved away")

    assert shown.startswith("W-1 Bob Roe · Botox · waiting")
    assert removed == "✓ W-1 is off the waitlist (cancelled): moved away."
    assert group.entries(group.summit) == [f"Bob:{group.summit.botox.id}"]  # kept, cancelled


def test_news_about_a_patient_goes_to_each_clinic_they_wait_at(group: Group) -> None:
    group.line("add Jane Doe 617 555 0101 botox", channel=GLOW)
    group.line("add Jane Doe botox", channel=SUMMIT)
    notifier = group.slack.runtime.notifier
    assert isinstance(notifier, SlackNotifier)
    notifier.flush()
    group.slack.api.clear()

    notifier.deliver(
        Event(
            kind=EventKind.CLIENT_OPTED_OUT,
            actor="patient",
            at=NOW,
            client_id=1,
            data={"phone": "**********01", "text": "STOP", "entries": ["W-1", "W-2"]},
        )
    )

    posts = group.slack.api.calls_to("chat.postMessage")
    assert [p["channel"] for p in posts] == [GLOW, SUMMIT]
    assert all(p["text"].startswith(":no_bell: Opted out of texts") for p in posts)


def test_a_clients_name_finds_their_entry_at_the_channels_clinic(group: Group) -> None:
    group.line("add Jane Doe 617 555 0101 botox", channel=GLOW)
    group.line("add Jane Doe botox", channel=SUMMIT)

    at_summit = group.line("show jane doe", channel=SUMMIT)
    in_a_dm = group.line("show jane doe")

    assert at_summit.startswith("W-2 Jane Doe · Botox · waiting")
    assert in_a_dm == "! 'jane doe' could mean W-1, W-2; say which, e.g. `/waitlist show W-1`."


def test_cancel_by_provider_and_time_reads_the_slot_at_the_channels_clinic(group: Group) -> None:
    ten_denver = datetime(2026, 2, 17, 10, tzinfo=ZoneInfo(DENVER)).astimezone(UTC)
    group.appointment(group.summit, group.client("Cy", 4), ten_denver)

    reply = group.line("cancel dr ames tue 10am", channel=SUMMIT)
    asked = group.line("cancel dr ames tue 10am")

    assert reply.startswith("✓ O-1 opened for Tue Feb 17 10:00 AM.")
    assert asked.startswith("! Which clinic: Glow Clinic or Summit Clinic?")


def test_the_list_pager_keeps_the_clinic_named_in_a_dm(group: Group) -> None:
    for n in range(11):
        group.line(f"add P{n} Tester 617 555 {n + 1:04d} botox at summit")

    first = group.line("list at summit")
    pager = first.split("[Next ›: ")[1].split("]")[0]
    group.slack.click(pager, user=BOTH)
    second = group.slack.api.wait_for("response_url", 13)[-1]

    assert pager == "list active at Summit Clinic page 2"
    assert "Page 2 of 2" in to_text(second["blocks"])
