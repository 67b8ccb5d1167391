"""Runs the staff corpus (tests/language/corpus/staff.yml) through the product as the
console does (`run_line`, the clinic imported from its clinic.yml, the clock at the corpus's
`now`), and maps what each line was understood as to the corpus's expected shape.

`python -m tests.language.staff_runner [--show all|wrong]` prints the accuracy and the lines
that were not understood exactly."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import text

from bot.importer import import_file
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.commands import run_line
from bot.slack.commands.base import Context, Reply
from core.entries import add_to_waitlist
from core.model import TIME_SLOT_HOURS, Clinic, Message, WaitlistEntry
from core.ports import SendResult, UnitOfWork
from storage.db import upgrade

HERE = Path(__file__).parent
CORPUS = HERE / "corpus" / "staff.yml"
CLINICS = HERE / "clinics"
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
EXACT, REFUSED_RIGHT, REFUSED_WRONGLY, SILENT, UNNAMED = (
    "understood exactly",
    "refused correctly",
    "refused though it should be understood",
    "silently misunderstood",
    "refused without naming the words",
)


class Quiet:
    """An SMS gateway that accepts everything and sends nothing."""

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        return SendResult(ok=True, provider_sid=f"SM{message.id}")


@dataclass
class Outcome:
    line: str
    clinic: str
    verdict: str
    expected: Any
    got: Any


def load() -> tuple[datetime, list[dict[str, Any]]]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return datetime.fromisoformat(str(data["now"])), data["cases"]


class Clinics:
    """One migrated, imported SQLite file per clinic; each case runs on a fresh copy."""

    def __init__(self, folder: Path, local_now: datetime) -> None:
        self.folder = folder
        self.local_now = local_now
        schema = folder / "schema.db"
        upgrade(f"sqlite:///{schema}")
        self.templates: dict[str, Path] = {}
        self.zones: dict[str, str] = {}
        for yml in sorted(CLINICS.glob("*.yml")):
            path = folder / f"{yml.stem}.db"
            shutil.copyfile(schema, path)
            zone = yaml.safe_load(yml.read_text(encoding="utf-8"))["clinic"]["timezone"]
            runtime = self._runtime(path, zone)
            import_file(yml, make_uow=runtime.make_uow, now=runtime.clock())
            runtime.close()
            self.templates[yml.stem] = path
            self.zones[yml.stem] = zone
        self.count = 0

    def _runtime(self, path: Path, zone: str) -> Runtime:
        settings = Settings(WAITLIST_DATABASE_URL=f"sqlite:///{path}", WAITLIST_TIMEZONE=zone)
        runtime = build_runtime(settings, sender=Quiet())
        moment = self.local_now.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        runtime.clock = lambda: moment
        return runtime

    def runtime(self, clinic: str) -> Runtime:
        self.count += 1
        path = self.folder / f"case{self.count}.db"
        shutil.copyfile(self.templates[clinic], path)
        return self._runtime(path, self.zones[clinic])


def make_entry(runtime: Runtime, entry_id: int) -> None:
    """An entry W-<entry_id> of the first client, for its first service, no preferences."""
    with runtime.make_uow() as uow:
        if uow.entries.get(entry_id) is not None:
            return
        client = uow.clients.list(limit=1).items[0]
        service = uow.services.list()[0]
        entry = add_to_waitlist(
            uow=uow, client_id=client.id or 0, actor="test", now=runtime.clock(),
            service_id=service.id,
        )  # fmt: skip
        uow.commit()
    with runtime.engine.begin() as conn:
        conn.execute(text("UPDATE waitlist_entries SET id = :new WHERE id = :old"),
                     {"new": entry_id, "old": entry.id})  # fmt: skip


def _ref_id(line: str) -> int | None:
    words = line.split()
    if len(words) > 1 and words[0].lower() in ("edit", "match", "offer", "remove", "show"):
        digits = "".join(c for c in words[1] if c.isdigit())
        return int(digits) if digits else None
    return None


def _hhmm(value: time | None, default: str) -> str:
    return f"{value:%H:%M}" if value else default


def windows(slots: Any, start: time | None, end: time | None) -> list[list[str]]:
    if slots:
        out = []
        for slot in slots:
            lo, hi = TIME_SLOT_HOURS[slot]
            lo, hi = max(lo, start) if start else lo, min(hi, end) if end else hi
            out.append([f"{lo:%H:%M}", f"{hi:%H:%M}"])
        return out
    if start or end:
        return [[_hhmm(start, "00:00"), _hhmm(end, "23:59")]]
    return []


def _expires(at: datetime | None, zone: str) -> str | None:
    """expires_at is the midnight after the last day, in the clinic."""
    if at is None:
        return None
    return (at.astimezone(ZoneInfo(zone)) - timedelta(seconds=1)).date().isoformat()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _names(uow: UnitOfWork) -> tuple[dict[int, str], dict[int, str]]:
    return (
        {s.id or 0: s.name for s in uow.services.list()},
        {p.id or 0: p.name for p in uow.providers.list()},
    )


def add_reading(uow: UnitOfWork, entry: WaitlistEntry, zone: str) -> dict[str, Any]:
    services, providers = _names(uow)
    client = uow.clients.get(entry.client_id)
    assert client is not None
    return {
        "command": "add",
        "first_name": client.first_name,
        "last_name": client.last_name,
        "phone": client.phone,
        "service": services.get(entry.service_id or 0),
        "providers": sorted(providers[p] for p in entry.provider_ids),
        "days": sorted(DAYS[d] for d in entry.preferred_days),
        "windows": sorted(
            windows(
                entry.preferred_time_slots, entry.preferred_time_start, entry.preferred_time_end
            )
        ),
        "date_start": _iso(entry.preferred_date_start),
        "date_end": _iso(entry.preferred_date_end),
        "priority": entry.priority,
        "notes": entry.notes,
        "expires": _expires(entry.expires_at, zone),
    }


def edit_reading(uow: UnitOfWork, reading: dict[str, Any], zone: str) -> dict[str, Any]:
    services, providers = _names(uow)
    changes = reading["changes"]
    out: dict[str, Any] = {}
    if "service_id" in changes:
        out["service"] = services.get(changes["service_id"] or 0)
    if "provider_ids" in changes:
        out["providers"] = sorted(providers[p] for p in changes["provider_ids"])
    if "preferred_days" in changes:
        out["days"] = sorted(DAYS[d] for d in changes["preferred_days"])
    if {"preferred_time_slots", "preferred_time_start", "preferred_time_end"} & set(changes):
        out["windows"] = sorted(
            windows(
                changes.get("preferred_time_slots"),
                changes.get("preferred_time_start"),
                changes.get("preferred_time_end"),
            )
        )
    for ours, theirs in (
        ("preferred_date_start", "date_start"),
        ("preferred_date_end", "date_end"),
    ):
        if ours in changes:
            out[theirs] = _iso(changes[ours])
    if "priority" in changes:
        out["priority"] = changes["priority"]
    if "notes" in changes:
        out["notes"] = changes["notes"]
    if "expires_at" in changes:
        out["expires"] = _expires(changes["expires_at"], zone)
    return {"command": "edit", "ref": f"W-{reading['entry_id']}", "changes": out}


def reading_of(command: str, reply: Reply, runtime: Runtime, zone: str) -> dict[str, Any]:
    """What the product understood, in the corpus's shape."""
    got = reply.reading or {}
    with runtime.make_uow() as uow:
        services, providers = _names(uow)
        if command == "add":
            entry = uow.entries.get(got["entry_id"])
            assert entry is not None
            return add_reading(uow, entry, zone)
        if command == "edit":
            return edit_reading(uow, got, zone)
    ref = f"W-{got.get('entry_id')}"
    if command == "match":
        return {"command": "match", "ref": ref, "date_start": _iso(got["start"]),
                "date_end": _iso(got["end"])}  # fmt: skip
    if command in ("opening", "offer"):
        start = got["starts_at"].astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
        out = {"command": command, "provider": providers.get(got["provider_id"]), "start": start}
        if command == "opening":
            out["service"] = services.get(got["service_id"])
        else:
            out["ref"] = ref
        return out
    if command == "remove":
        return {"command": "remove", "ref": ref, "reason": got["reason"]}
    if command == "show":
        return {"command": "show", "ref": ref}
    if command == "list":
        filters: dict[str, Any] = {}
        if got.get("statuses"):
            filters["status"] = sorted(got["statuses"])
        if got.get("service_id"):
            filters["service"] = services[got["service_id"]]
        if got.get("provider_id"):
            filters["provider"] = providers[got["provider_id"]]
        if got.get("priority"):
            filters["priority"] = got["priority"]
        return {"command": "list", "filters": filters}
    return {"command": command}


def normal(expected: dict[str, Any]) -> dict[str, Any]:
    """The corpus's expectation with lists that compare as sets sorted, dates as text."""
    out: dict[str, Any] = {}
    for key, value in expected.items():
        if isinstance(value, dict):
            out[key] = normal(value)
        elif key in ("providers", "days", "windows", "status") and isinstance(value, list):
            out[key] = sorted(value)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    if out.get("command") == "add" and "providers" in out:
        pass
    return out


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def run_case(clinics: Clinics, case: dict[str, Any]) -> Outcome:
    line, clinic = case["line"], case["clinic"]
    runtime = clinics.runtime(clinic)
    zone = clinics.zones[clinic]
    try:
        ref = _ref_id(line)
        if ref is not None:
            make_entry(runtime, ref)
        ctx = Context(runtime, user_id="console")
        command = line.split()[0].lower()
        try:
            reply = run_line(ctx, line, trusted=True)
        except Exception as exc:  # noqa: BLE001 (every refusal is judged below)
            message = getattr(exc, "message", None)
            if message is None:
                message = f"{type(exc).__name__}: {exc}"
            if "refuse" in case:
                named = all(_fold(str(w)) in _fold(message) for w in case["refuse"])
                verdict = REFUSED_RIGHT if named else UNNAMED
                return Outcome(line, clinic, verdict, case["refuse"], message)
            return Outcome(line, clinic, REFUSED_WRONGLY, case["expect"], message)
        got = reading_of(command, reply, runtime, zone)
        if "refuse" in case:
            return Outcome(line, clinic, SILENT, {"refuse": case["refuse"]}, got)
        expected = normal(case["expect"])
        verdict = EXACT if normal(got) == expected else SILENT
        return Outcome(line, clinic, verdict, expected, got)
    finally:
        runtime.close()


def run_all(filter_line: Callable[[str], bool] = lambda _: True) -> Iterator[Outcome]:
    now, cases = load()
    with tempfile.TemporaryDirectory() as folder:
        clinics = Clinics(Path(folder), now)
        for case in cases:
            if filter_line(case["line"]):
                yield run_case(clinics, case)


def summary(outcomes: list[Outcome]) -> Counter[str]:
    return Counter(o.verdict for o in outcomes)


def report(outcomes: list[Outcome]) -> str:
    counts = summary(outcomes)
    total = len(outcomes)
    right = counts[EXACT] + counts[REFUSED_RIGHT]
    lines = [f"{total} staff lines: {right} right ({100 * right / total:.1f} %)"]
    for verdict in (EXACT, REFUSED_RIGHT, REFUSED_WRONGLY, UNNAMED, SILENT):
        lines.append(f"  {verdict}: {counts[verdict]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", choices=("wrong", "all", "none"), default="wrong")
    parser.add_argument("--grep", default="")
    args = parser.parse_args(argv)
    outcomes = list(run_all(lambda line: args.grep.lower() in line.lower()))
    for o in outcomes:
        if args.show == "all" or (args.show == "wrong" and o.verdict not in (EXACT, REFUSED_RIGHT)):
            print(f"[{o.verdict}] ({o.clinic}) {o.line}")
            print(f"   expected: {o.expected}\n   got:      {o.got}")
    print(report(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
