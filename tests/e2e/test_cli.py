"""The `waitlist` command as a user runs it: a real process, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo import SAMPLE


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    environment.update({"WAITLIST_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    result = _run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "Six clients join the waitlist",
        "Who fits, best first",
        "does not fit: wants another service",
        "SMS to Ana    Glow Clinic: Hi Ana, a spot opened",
        "The clock is simulated",
        "Maria texts “NO”",
        "The next offer goes to: W-3 Priya S.",
        "Tom texts “what time is it again?”",
        "The spot is Tue ",
        "Ana's entry is cancelled",
        "Priya texts “YES”",
        "1 other pending offer withdrawn",
        "Sorry Tom, the",
        "You're booked for",
        "Hi Priya, you're booked for",
        "O-1 is filled",
        "the opening was created, 4 offers were sent",
        "booked 1",
        "Conversion: of all entries ever added",
    ):
        assert expected in out, expected
    assert "OfferSent" not in out and "OpeningCreated" not in out
    assert "Traceback" not in result.stderr
    assert (tmp_path / "waitlist-demo.db").exists()


def test_db_upgrade_says_whether_it_created_the_schema(tmp_path: Path) -> None:
    created = _run(tmp_path, "db", "upgrade").stdout.strip()
    again = _run(tmp_path, "db", "upgrade").stdout.strip()

    assert created.startswith(f"Created the database schema in {tmp_path / 'w.db'} (revision ")
    assert again.startswith(f"The database schema in {tmp_path / 'w.db'} is up to date")


def test_the_console_shows_replies_only_and_logs_where_asked(tmp_path: Path) -> None:
    imported = _run(tmp_path, "import", str(SAMPLE))
    assert imported.stdout.startswith("Imported ") and imported.stderr == ""  # no log lines
    lines = "sms 6175550101 hello\nlist\n"
    quiet = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console"],
        cwd=tmp_path,
        env={**os.environ, "WAITLIST_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"},
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )
    logged = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--log-file", str(tmp_path / "log.txt")],
        cwd=tmp_path,
        env={**os.environ, "WAITLIST_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"},
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.splitlines() == [
        "waitlist> sms 6175550101 hello",
        "  reply to 6175550101: Glow Clinic: Sorry, we didn't understand. Our staff will see "
        "your message. Reply HELP for help or STOP to opt out.",
        "waitlist> list",
        "Active waitlist entries — 0 entries",
    ]
    assert quiet.stderr == ""
    assert logged.stdout == quiet.stdout and logged.stderr == ""
    assert "INFO waitlist.sms: SMS from **********01: unknown" in (tmp_path / "log.txt").read_text()


def test_import_stats_and_expire(tmp_path: Path) -> None:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    first = _run(tmp_path, "import", str(SAMPLE))
    assert first.returncode == 0, first.stderr
    assert "4 new / 0 known services" in first.stdout
    again = _run(tmp_path, "import", str(SAMPLE))
    assert "0 new / 12 known clients" in again.stdout
    stats = json.loads(_run(tmp_path, "stats", "--json").stdout)
    assert stats.pop("fills")["yesterday"]["openings"] == 0
    assert stats == {
        "counts": {"waiting": 0, "offered": 0, "booked": 0, "cancelled": 0, "expired": 0},
        "total": 0,
        "activeCount": 0,
        "conversionRate": 0,
        "averageWaitDays": 0,
    }
    assert _run(tmp_path, "expire", "--days", "30").stdout.strip() == "Expired 0 entries."
    said = _run(tmp_path, "stats").stdout
    assert "Conversion: of all entries ever added to the waitlist, the share booked" in said


def test_errors_are_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("clinic: {name: X, timezone: Nowhere/Land}\n")
    result = _run(tmp_path, "import", str(bad))
    assert result.returncode == 2
    assert "line 1, clinic.timezone: Unknown time zone 'Nowhere/Land'" in result.stderr
    assert "Traceback" not in result.stderr
    result = _run(tmp_path, "expire", "--days", "0")
    assert (result.returncode, result.stderr.strip()) == (2, "Error: Days must be at least 1.")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WAITLIST_OFFER_BATCH_SIZE", "0", "WAITLIST_OFFER_BATCH_SIZE"),
        ("WAITLIST_QUIET_HOURS", "late", "expected HH:MM-HH:MM"),
        ("WAITLIST_TIMEZONE", "Mars/Base", "unknown time zone"),
        ("WAITLIST_DATABASE_URL", "mysql://x", "only sqlite"),
    ],
)
def test_a_bad_setting_stops_start_up_with_its_name(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = _run(tmp_path, "stats", **{variable: value})
    assert result.returncode == 2
    assert "Configuration error" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    result = _run(tmp_path, "serve", "--workers", "2", "--no-scheduler")
    assert result.returncode == 2
    assert "--workers above 1 needs PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr
