"""The rule for which clinic a Slack line acts on, as data: channel, `at`, the user's only
clinic, else ask; a deployment of one clinic never asks."""

from __future__ import annotations

from bot.slack.acting_clinic import Asked, Group, choose, refuse, which_clinic
from bot.slack.grammar.clinics import Named
from core.clinics import ClinicConfig, ClinicSettings, clinic_config
from core.model import Clinic

DEFAULTS = ClinicSettings(slack_channel="CDEFAULT", slack_staff=("UADMIN",))


def _clinic(n: int, name: str, **settings: object) -> ClinicConfig:
    own = ClinicSettings.from_dict(settings)
    return clinic_config(Clinic(name, "America/Denver", id=n, settings=own), DEFAULTS)


NORTH = _clinic(1, "North", slack_channel="CNORTH", slack_staff=["UNORTH", "UBOTH"])
SOUTH = _clinic(2, "South", slack_channel="CSOUTH", slack_staff=["USOUTH", "UBOTH"])
EAST = _clinic(3, "East")  # the deployment's channel and staff
GROUP = Group((NORTH, SOUTH, EAST))


def _asked(user: str, channel: str = "D1", named: ClinicConfig | None = None) -> Asked:
    return Asked(user, channel, Named(named, "list"), "list")


def test_the_channel_says_which_clinic() -> None:
    assert choose(GROUP, _asked("UBOTH", "CSOUTH")) is SOUTH
    assert choose(GROUP, _asked("UBOTH", "CDEFAULT")) is EAST  # the one clinic without its own


def test_at_a_clinic_wins_over_the_channel() -> None:
    assert choose(GROUP, _asked("UBOTH", "CSOUTH", named=NORTH)) is NORTH


def test_elsewhere_the_users_only_clinic_else_none() -> None:
    assert choose(GROUP, _asked("USOUTH")) is SOUTH
    assert choose(GROUP, _asked("UADMIN")) is EAST
    assert choose(GROUP, _asked("UBOTH")) is None
    assert choose(GROUP, _asked("USTRANGER")) is None


def test_one_clinic_never_asks() -> None:
    assert choose(Group((NORTH,)), _asked("USTRANGER")) is NORTH


def test_words_fitting_two_clinics_ask_even_in_a_clinics_channel() -> None:
    asked = Asked("UBOTH", "CNORTH", Named(None, "list", "orth", (NORTH, SOUTH)), "list")

    assert choose(GROUP, asked) is None
    assert which_clinic(GROUP, asked).message == (
        "Which clinic did you mean by 'orth': North or South? Say it with `at`, e.g. "
        "`/waitlist list at North`."
    )


def test_the_question_names_the_users_clinics() -> None:
    assert which_clinic(GROUP, _asked("UBOTH")).message == (
        "Which clinic: North or South? Say it with `at`, e.g. `/waitlist list at North`."
    )
    assert which_clinic(Group(()), _asked("UBOTH")).message.startswith("No clinic is set up")


def test_the_refusal_names_where_the_user_is_staff() -> None:
    assert refuse(SOUTH, GROUP, "UNORTH", "add").message == (
        "Sorry, you're not on South's staff list, so `/waitlist add` can't change anything "
        "there. You're on the staff of North. Ask an admin of South to add you."
    )
