"""The daily numbers (by the clinic's local days), the chart, and the post to Slack."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import matplotlib.image
import pytest

from bot.runtime import build_runtime
from bot.scheduler.chart import fills_chart
from bot.scheduler.jobs import run_stats_post
from core import entries, offers
from core.fill import sweep_fills
from core.reports import day_bounds
from tests.fakes.slack_api import FakeSlackApi
from tests.scenario import NOW, World, build_world, local
from tests.scheduler.conftest import RecordingNotifier, cancel, seed, settings_for
from tests.unit.fakes import FakeUnitOfWork

NEXT_MORNING = local(17, 8)  # Tue Feb 17, 08:00 New York: "yesterday" is Mon Feb 16


def _filled_monday(world: World) -> None:
    """Mon Feb 16: one opening filled 6 minutes after the cancellation (1 of 3 offers taken),
    and one that reached its cut-off unfilled."""
    appointment, waiting = seed(world, 3, local(17, 10))
    cancel(world, appointment)
    with world.make_uow() as uow:
        offers.accept_offer(
            uow=uow,
            entry_id=waiting[1].id,
            actor="sms",
            now=NOW + timedelta(minutes=6),
            policy=world.policy,
        )
        uow.commit()
    unfilled = world.appointment(world.clients[0], local(16, 11, 30), world.lee)
    cancel(world, unfilled)
    sweep_fills(uow_factory=world.make_uow, now=local(16, 10, 30), policy=world.policy)


def _stats(world: World, now: datetime) -> dict:
    with world.make_uow() as uow:
        return entries.get_waitlist_stats(uow=uow, now=now, timezone="America/New_York")


def _check_monday(stats: dict) -> None:
    assert stats["counts"]["booked"] == 1 and stats["total"] == 3
    day = stats["fills"]["yesterday"]
    assert day == {
        "date": "2026-02-16",
        "openings": 2,
        "filled": 1,
        "expiredUnfilled": 1,
        "offersSent": 3,
        "accepted": 1,
        "medianTimeToFillMinutes": 6.0,
        "acceptanceRate": 33,
    }
    month = stats["fills"]["last30Days"]
    assert (month["from"], month["to"], len(month["days"])) == ("2026-01-18", "2026-02-16", 30)
    assert month["openings"] == 2 and month["filled"] == 1
    assert month["days"][-1]["filled"] == 1 and month["days"][-2]["openings"] == 0


def test_yesterdays_fill_numbers_in_memory() -> None:
    uow = FakeUnitOfWork()
    world = build_world(lambda: uow)
    _filled_monday(world)
    _check_monday(_stats(world, NEXT_MORNING))


def test_yesterdays_fill_numbers_counted_by_the_database(world: World) -> None:
    _filled_monday(world)
    _check_monday(_stats(world, NEXT_MORNING))


def test_the_day_before_is_empty_and_stats_without_now_keep_the_seed_shape(
    world: World,
) -> None:
    _filled_monday(world)
    assert _stats(world, local(16, 23))["fills"]["yesterday"]["openings"] == 0
    with world.make_uow() as uow:
        plain = entries.get_waitlist_stats(uow=uow)
    assert set(plain) == {"counts", "total", "activeCount", "conversionRate", "averageWaitDays"}


def test_local_days_follow_the_wall_clock_across_dst() -> None:
    bounds = day_bounds(date(2026, 3, 7), 3, "America/New_York")
    lengths = [bounds[n + 1] - bounds[n] for n in range(3)]
    assert lengths == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]
    assert bounds[0] == datetime(2026, 3, 7, 5, tzinfo=UTC)


def _series(days: int = 30) -> list[dict]:
    first = date(2026, 1, 18)
    return [
        {"date": (first + timedelta(days=n)).isoformat(), "openings": n % 4, "filled": n % 3}
        for n in range(days)
    ]


def test_the_chart_is_a_real_png() -> None:
    png = fills_chart(_series())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    height, width, channels = pixels.shape
    assert (width, height) == (640, 240) and channels in (3, 4)
    assert pixels.min() < pixels.max()  # something was drawn


@pytest.fixture
def fake_slack() -> FakeSlackApi:
    with FakeSlackApi() as api:
        yield api


def test_the_daily_post_and_its_chart_reach_slack(
    database_url: str, fake_slack: FakeSlackApi
) -> None:
    settings = settings_for(
        database_url,
        slack_bot_token="xoxb-test-not-a-secret",
        slack_channel="#waitlist",
        slack_api_url=fake_slack.url,
    )
    runtime = build_runtime(settings, notifier=RecordingNotifier())  # only the post
    try:
        world = build_world(runtime.make_uow)
        _filled_monday(world)
        summary = run_stats_post(runtime, NEXT_MORNING)
    finally:
        runtime.close()
    assert summary == {"posted": True, "day": "2026-02-16"}
    (message,) = fake_slack.calls_to("chat.postMessage")
    assert message["channel"] == "#waitlist"
    assert "Yesterday (2026-02-16): openings 2, filled 1," in message["text"]
    assert message["blocks"][0]["text"]["text"] == "Waitlist daily stats"
    (complete,) = fake_slack.calls_to("files.completeUploadExternal")
    assert complete["files"][0]["title"] == "Openings and fills, 30 days to 2026-02-16"
    (upload,) = fake_slack.uploads.values()
    assert upload[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.image.imread(io.BytesIO(upload), format="png").shape[:2] == (240, 640)


def test_without_slack_the_numbers_go_to_the_log(
    world: World, runtime, caplog: pytest.LogCaptureFixture
) -> None:
    _filled_monday(world)
    with caplog.at_level("INFO", logger="waitlist.stats"):
        assert run_stats_post(runtime, NEXT_MORNING)["posted"] is False
    assert "Yesterday (2026-02-16): openings 2, filled 1, expired unfilled 1," in caplog.text
