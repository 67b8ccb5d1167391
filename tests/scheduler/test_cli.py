"""`waitlist jobs run`, `waitlist stats` and `waitlist worker` as a user runs them."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    env["WAITLIST_DATABASE_URL"] = f"sqlite:///{tmp_path / 'w.db'}"
    return env


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    assert _run(tmp_path, "db", "upgrade").returncode == 0
    return tmp_path


def test_jobs_run_runs_one_job_now_and_prints_its_summary(migrated: Path) -> None:
    result = _run(migrated, "jobs", "run", "sweep")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "sweep: openings 0, offered 0, lapsed 0, expired 0, recovered 0, sent 0"
    )
    expired = _run(migrated, "jobs", "run", "expire_entries")
    assert expired.stdout.strip() == "expire_entries: expired 0, sent 0"


def test_jobs_run_names_the_jobs_it_knows(migrated: Path) -> None:
    result = _run(migrated, "jobs", "run", "sweeep")
    assert result.returncode == 2
    assert "invalid choice: 'sweeep'" in result.stderr and "stats_post" in result.stderr
    assert "Traceback" not in result.stderr


def test_stats_prints_the_fill_numbers(migrated: Path) -> None:
    result = _run(migrated, "stats")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Entries: 0")
    assert lines[2].startswith("Yesterday (") and "openings 0, filled 0" in lines[2]
    assert lines[3].startswith("Last 30 days (")


def test_worker_sweeps_at_start_and_stops_cleanly_on_sigterm(migrated: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker"],
        cwd=migrated,
        env=_env(migrated),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    ran = 0
    while time.monotonic() < deadline and not ran:
        time.sleep(0.5)
        with closing(sqlite3.connect(migrated / "w.db")) as db:
            (ran,) = db.execute("SELECT count(*) FROM events WHERE kind = 'JobRan'").fetchone()
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert ran, err
    assert worker.returncode == 0, err
    assert "scheduler started" in err and "scheduler stopped" in err
