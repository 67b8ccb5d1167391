"""A clinic's settings: checked when read, laid over the deployment's defaults by one
function, and "which clinic is this number's" decided by one rule."""

from __future__ import annotations

from datetime import time

import pytest

from core.clinics import (
    ClinicSettings,
    clinic_config,
    clinic_policy,
    patient_timezone,
    sender_match,
)
from core.errors import InvalidInput
from core.model import Client, Clinic
from core.policy import Policy, QuietHours
from core.texts import check_template

DEFAULTS = ClinicSettings(
    slack_channel="C0DEFAULT",
    slack_staff=("U0BOSS",),
    twilio_from_number="+16175550000",
    clinic_phone="555-0000",
    offer_batch_size=3,
    offer_hold_minutes=15,
    quiet_hours="21:00-08:00",
    stats_time="08:00",
)


def _clinic(settings: ClinicSettings | None = None, clinic_id: int = 1) -> Clinic:
    return Clinic(
        name=f"Clinic {clinic_id}",
        timezone="America/Chicago",
        id=clinic_id,
        settings=settings or ClinicSettings(),
    )


def test_a_clinic_that_sets_nothing_gets_every_default() -> None:
    config = clinic_config(_clinic(), DEFAULTS)
    assert config.timezone == "America/Chicago" and config.zone.key == "America/Chicago"
    assert config.slack_channel == "C0DEFAULT" and config.slack_staff == {"U0BOSS"}
    assert config.sender == "+16175550000" and config.contact == " Questions? Call 555-0000."
    assert config.policy == Policy(batch_size=3, hold_minutes=15)
    assert config.stats_time == time(8)


def test_what_a_clinic_sets_wins_and_the_rest_stays_default() -> None:
    own = ClinicSettings.from_dict(
        {
            "slack_channel": "C0OWN",
            "twilio_messaging_service_sid": "MG" + "a" * 32,
            "offer_batch_size": "auto",
            "quiet_hours": "",
            "cap_per_day": 0,
            "stats_time": "18:30",
            "templates": {"help": "{clinic}: reply YES or NO.{contact}"},
        }
    )
    config = clinic_config(_clinic(own), DEFAULTS)
    assert config.slack_channel == "C0OWN" and config.slack_staff == {"U0BOSS"}
    # the clinic chose its own sender: the deployment's number is not mixed in
    assert config.sender == "MG" + "a" * 32 and config.twilio_from_number is None
    assert config.policy.adaptive is not None and config.policy.quiet_hours is None
    assert config.policy.cap_per_day == 0 and config.policy.hold_minutes == 15
    assert config.stats_time == time(18, 30)
    assert config.templates.help == "{clinic}: reply YES or NO.{contact}"
    assert config.templates.offer.startswith("{clinic}: Hi {first}")


def test_the_clinic_policy_overlay_is_the_config_policy_and_idempotent() -> None:
    own = ClinicSettings(offer_hold_minutes=30, quiet_hours="22:00-07:00")
    base = Policy(batch_size=2, cap_per_week=0)
    once = clinic_policy(_clinic(own), base)
    assert once == clinic_policy(_clinic(own), once)
    assert once.hold_minutes == 30 and once.batch_size == 2 and once.cap_per_week == 0
    assert once.quiet_hours == QuietHours(time(22), time(7))
    assert clinic_config(_clinic(own), DEFAULTS, base).policy == once
    assert clinic_policy(None, base) is base


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"offer_batch_size": 0}, "settings.offer_batch_size", "between 1 and 100"),
        ({"offer_batch_size": "many"}, "settings.offer_batch_size", "whole number"),
        ({"offer_hold_minutes": True}, "settings.offer_hold_minutes", "whole number"),
        ({"quiet_hours": "21:00"}, "settings.quiet_hours", "HH:MM-HH:MM"),
        ({"quiet_hours": "08:00-08:00"}, "settings.quiet_hours", "the same"),
        ({"stats_time": "8am"}, "settings.stats_time", "HH:MM"),
        ({"twilio_from_number": "555"}, "settings.twilio_from_number", "phone"),
        ({"twilio_messaging_service_sid": "MG1"}, "settings.twilio_messaging_service_sid", "MG"),
        ({"slack_channel": "# general"}, "settings.slack_channel", "channel"),
        ({"slack_staff": ["u0lower"]}, "settings.slack_staff", "Slack user"),
        ({"colour": "blue"}, "settings.colour", "Unknown setting"),
        ({"templates": {"offer": "{clinic} {when}"}}, "settings.templates.offer", "{expires}"),
        ({"templates": "hi"}, "settings.templates", "name: text"),
    ],
)
def test_a_bad_setting_names_its_field(data: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ClinicSettings.from_dict(data)
    assert refused.value.field == field
    assert words in refused.value.message


def test_settings_round_trip_through_their_stored_form() -> None:
    own = ClinicSettings.from_dict(
        {"slack_staff": "U01, C02", "twilio_from_number": "(415) 555-0100", "cap_per_week": "2"}
    )
    assert own.slack_staff == ("U01", "C02") and own.twilio_from_number == "+14155550100"
    assert own.cap_per_week == 2
    assert ClinicSettings.from_dict(own.to_dict(), check=False) == own


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("offer", "{clinic}: {first}, {when}. YES or NO by {expires}.", None),
        ("offer", "{clinic}: {first}, {when}. YES or NO.", "must include {expires}"),
        ("help", "Reply YES.", "must include {clinic}"),
        ("help", "{clinic}: hi {surname}", "unknown placeholder {surname}"),
        ("help", "{clinic}: hi {0}", "unknown placeholder {0}"),
        ("help", "{clinic}: hi {first", "not a valid template"),
        ("help", "{clinic}: ça va? Réponds OUI.", "GSM-7"),
        ("offer", "{clinic}: {first} {when} {expires} " + "y" * 120, "more than one SMS"),
        ("ofer", "{clinic}", "no template called 'ofer'"),
    ],
)
def test_templates_are_checked_for_placeholders_alphabet_and_length(
    name: str, text: str, words: str | None
) -> None:
    problem = check_template(name, text)
    if words is None:
        assert problem is None
    else:
        assert problem is not None and words in problem


def test_a_number_routes_to_its_clinic_else_to_the_one_clinic_without_a_number() -> None:
    east = _clinic(ClinicSettings(twilio_from_number="+16175550100"), 1)
    west = _clinic(ClinicSettings(twilio_from_number="+14155550100"), 2)
    shared = _clinic(None, 3)
    assert sender_match([east, west, shared], "+14155550100") is west
    assert sender_match([east, west, shared], "+12125550000") is shared
    assert sender_match([east, west], "+12125550000") is None
    assert sender_match([east, shared, _clinic(None, 4)], "+12125550000") is None  # ambiguous


def test_a_patients_zone_is_their_own_else_their_clinics() -> None:
    clinic = _clinic()
    client = Client(first_name="A", last_name="B", phone="+16175550101")
    assert patient_timezone(client, clinic) == "America/Chicago"
    client.timezone = "Europe/Paris"
    assert patient_timezone(client, clinic) == "Europe/Paris"
    assert patient_timezone(None, None) == "UTC"
