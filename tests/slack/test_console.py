"""`waitlist console` as a user runs it: a real process reading lines from stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.demo import SAMPLE


def test_console_runs_commands_and_plays_the_patient_without_slack(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    env["WAITLIST_DATABASE_URL"] = f"sqlite:///{tmp_path / 'w.db'}"
    run = [sys.executable, "-m", "bot.cli"]
    subprocess.run(
        [*run, "import", str(SAMPLE)], env=env, cwd=tmp_path, check=True, capture_output=True
    )
    script = "\n".join(
        [
            "/waitlist add Jane Doe 617 555 0199 botox weekdays",
            "list",
            "show W-99",
            "sms +16175550199 what time is it",
            "sms 617 555 0199 stop",
            "sms 12 hi",
            "sms 617-555-0199 ok yes",
        ]
    )

    result = subprocess.run(
        [*run, "console"],
        env=env,
        cwd=tmp_path,
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "waitlist> /waitlist add Jane Doe 617 555 0199 botox weekdays\n✓ Added W-1 for Jane Doe."
        in out
    )
    assert "Active waitlist entries — 1 entry" in out
    assert "waitlist> show W-99\n! Waitlist entry W-99 does not exist." in out
    assert "reply to +16175550199:" in out
    assert "reply to 617 555 0199: Glow Clinic: You're unsubscribed" in out  # spaces in a phone
    assert "reply to 617-555-0199: " in out  # `ok yes` is the text, not part of the phone
    assert "(no reply)" not in out
    assert "waitlist> sms 12 hi\nUsage: sms <phone> <text>, e.g. sms 617-555-0101 yes" in out
    assert "Traceback" not in result.stderr


def test_console_asks_before_an_opening_texts_anyone(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    env["WAITLIST_DATABASE_URL"] = f"sqlite:///{tmp_path / 'w.db'}"
    env["WAITLIST_QUIET_HOURS"] = ""
    run = [sys.executable, "-m", "bot.cli"]
    subprocess.run(
        [*run, "import", str(SAMPLE)], env=env, cwd=tmp_path, check=True, capture_output=True
    )
    script = "\n".join(
        [
            "add Maria Garcia botox w/ dr johnson",
            "opening dr johnson botox wed 2pm",
            "n",
            "opening dr johnson botox wed 2pm",
            "y",
        ]
    )

    out = subprocess.run(
        [*run, "console"], env=env, cwd=tmp_path, input=script, capture_output=True, text=True,
        timeout=120,
    ).stdout  # fmt: skip

    first, second = out.split("waitlist> opening dr johnson botox wed 2pm")[1:]
    assert "Confirm to text Maria (W-1) now." in first
    assert "Go ahead? [y/N] n\nNothing was sent." in first
    assert "SMS to" not in first and "opened" not in first.split("Go ahead?")[1]
    assert "Go ahead? [y/N] y\n✓ O-1 opened for Wed" in second
    assert "Offers texted to Maria (W-1)." in second
