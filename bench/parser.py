"""Time of the staff-line parser alone, per line, over a few hundred varied `add` lines and the
staff corpus (tests/language/corpus/staff.yml: add, edit, match, opening and offer lines).

.venv/bin/python -m bench.parser [--lines 400] [--repeat 3]"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.slack.parser import Directory, ParseError, parse_add, warm_up
from core.model import Provider, Service

SERVICES = [
    "Botox", "Lip Filler", "Cheek Filler", "HydraFacial", "Consultation", "Chemical Peel",
    "Microneedling", "Laser Hair Removal", "Dermaplaning", "Kybella", "PRP Facial",
    "Sculptra", "IPL Photofacial", "Tattoo Removal", "Follow-up Visit", "Massage",
    "Physio Assessment", "Dental Cleaning", "Whitening", "Skin Check",
]  # fmt: skip
SURNAMES = [
    "Johnson", "Patel", "Kim", "Lee", "Garcia", "Nguyen", "Smith", "Brown", "Davis", "Lopez",
    "Chen", "Okafor", "Rossi", "Silva", "Haddad", "Novak", "Quinn", "Ortiz", "Park", "Costa",
    "Baker", "Shah", "Wright", "Murphy", "Cohen",
]  # fmt: skip
FIRST = ["Sarah", "Mike", "Ana", "Raj", "Grace", "Omar", "Lucy", "Ben", "Ivy", "Leo"]
FRAGMENTS = [
    ["botox", "lip filler", "hydrafacial", "botx", "consult", "chemical peel", "microneedling"],
    ["with Dr. Johnson", "dr patel", "with Nurse Kim", "with Dr. Grace Lee", ""],
    ["weekdays", "weekends only", "mon wed fri", "Tue/Thu", "Tuesdays", "any day", "mon-fri"],
    ["9am-2pm", "mornings", "afternoons", "after 3pm", "before noon", "between 10 and 2", ""],
    [
        "Feb 15 to Feb 28",
        "next week",
        "within 2 weeks",
        "before March 1",
        "until 3/15",
        "asap",
        "next 2 wks",
        "by friday",
        "between the 3rd and the 10th",
        "Dec 5-12",
        "after the 15th",
        "by end of the month",
        "wknds",
        "M/W/F",
        "tu-th",
        "not mondays",
        "lunchtime 12-1",
    ],
    ["priority 2", "p1", "urgent", "", "expires Mar 31", "expires in 30 days"],
    ['"no weekends"', "“prefers texts”", "", '"call after 5pm, mobile only"'],
]


def directory() -> Directory:
    services = [Service(1, name, 60, id=i) for i, name in enumerate(SERVICES, 1)]
    providers = [
        Provider(1, f"{'Nurse' if i % 4 == 3 else 'Dr.'} {FIRST[i % len(FIRST)]} {last}", id=i)
        for i, last in enumerate(SURNAMES, start=1)
    ]
    return Directory(services, providers)


def lines(count: int, seed: int = 7) -> list[str]:
    pick = random.Random(seed)
    out = []
    for n in range(count):
        parts = [f"Client{n} Doe", f"617-555-{pick.randint(100, 199):04d}"]
        for options in FRAGMENTS:
            if pick.random() < 0.8:
                parts.append(pick.choice(options))
        out.append(" ".join(p for p in parts if p))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    warm_up()
    print(f"warm_up: {1000 * (time.perf_counter() - started):.0f} ms")
    found = directory()
    now = datetime(2026, 2, 11, 15, 0, tzinfo=UTC)
    samples: list[float] = []
    cpu: list[float] = []
    refused = 0
    for _ in range(args.repeat):
        for line in lines(args.lines):
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            try:
                parse_add(line, directory=found, now=now, timezone="America/New_York")
            except ParseError:
                refused += 1
            samples.append(1000 * (time.perf_counter() - begin))
            cpu.append(1000 * (time.thread_time() - begin_cpu))
    label = f"{args.lines} generated add lines ({refused // args.repeat} refused)"
    _print(label, samples)
    _print(f"{label}, CPU time", cpu)
    wall, cpu = corpus_samples(args.repeat)
    _print("the staff corpus, every command", wall)
    _print("the staff corpus, every command, CPU time", cpu)
    return 0


def _print(label: str, samples: list[float]) -> None:
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[int(0.99 * (len(samples) - 1))]
    verdict = "met" if p50 <= 5 and p99 <= 20 else "missed"
    print(
        f"{label}: {len(samples)} parses, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {samples[-1]:.2f} ms (target p50 ≤ 5 ms, p99 ≤ 20 ms: {verdict})"
    )


def corpus_samples(repeat: int) -> tuple[list[float], list[float]]:
    """Each corpus line through the parser function its command uses."""
    from bench.language_libraries import cases, clinic_directory
    from bot.slack import parser

    local_now, all_cases = cases()
    samples: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        for clinic, line, _expect in all_cases:
            directory, zone = clinic_directory(clinic)
            now = local_now.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
            command, _, rest = line.partition(" ")
            command = command.lower()
            after_ref = rest.partition(" ")[2]
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            try:
                if command == "add":
                    parser.parse_add(rest, directory=directory, now=now, timezone=zone)
                elif command == "edit":
                    parser.parse_edit(after_ref, directory=directory, now=now, timezone=zone)
                elif command == "match" and after_ref:
                    parser.parse_range(after_ref, now=now, timezone=zone)
                elif command in ("opening", "offer"):
                    text = rest if command == "opening" else after_ref
                    parser.parse_slot(
                        text, directory=directory, now=now, timezone=zone,
                        service=command == "opening",
                    )  # fmt: skip
                else:
                    continue
            except parser.ParseError:
                pass
            samples.append(1000 * (time.perf_counter() - begin))
            cpu.append(1000 * (time.thread_time() - begin_cpu))
    return samples, cpu


if __name__ == "__main__":
    raise SystemExit(main())
