"""Results as JSON (bench/results/) and as the tables of docs/BENCHMARKS.md.

The document is rewritten on every run except for its `## Notes` section, which is kept."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
NOTES = "## Notes"

ROWS = [
    ("ranking", "ranking: candidates + rank"),
    ("ranking naive", "ranking, naive (all active entries in Python)"),
    ("ranking floor", "ranking, raw SQL floor"),
    ("matching slots", "matching slots, 30 days"),
    ("matching floor", "matching slots, raw SQL floor"),
    ("stats", "stats (kept counts)"),
    ("stats with fills", "stats with fill numbers (yesterday, 30 days)"),
    ("stats computed", "stats computed from every entry (as before 0070)"),
    ("stats naive", "stats, naive (statuses counted in Python)"),
    ("stats floor", "stats, raw SQL floor (counts only)"),
    ("list page 1", "list page 1"),
    ("list page 1 floor", "list page 1, raw SQL floor"),
    ("list page 500", "list page 500"),
    ("list page 500 floor", "list page 500, raw SQL floor"),
]
RATIOS = [
    ("ranking naive / ours", "ranking naive", "ranking"),
    ("ranking ours / floor", "ranking", "ranking floor"),
    ("stats naive / ours", "stats naive", "stats"),
    ("stats computed / kept", "stats computed", "stats"),
    ("list page 1 ours / floor", "list page 1", "list page 1 floor"),
    ("list page 500 ours / floor", "list page 500", "list page 500 floor"),
]
# (what, measurement, limit in ms) at the largest size
TARGETS = [
    ("ranking p50 ≤ 10 ms", "ranking", 10.0),
    ("matching slots p50 ≤ 20 ms", "matching slots", 20.0),
    ("stats p50 ≤ 20 ms", "stats", 20.0),
    ("stats with fill numbers p50 ≤ 20 ms", "stats with fills", 20.0),
    ("list page 1 p50 ≤ 100 ms", "list page 1", 100.0),
    ("list page 500 p50 ≤ 100 ms", "list page 500", 100.0),
]


def write_json(results: dict[str, Any], meta: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))
    return path


def write_markdown(path: Path, results: dict[str, Any], meta: dict[str, Any]) -> None:
    notes = ""
    if path.exists():
        old = path.read_text()
        if NOTES in old:
            notes = old[old.index(NOTES) :]
    lines = _header(meta)
    for database, by_size in results.items():
        lines += _database(database, by_size, meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + (f"\n{notes.rstrip()}\n" if notes else ""))


def _header(meta: dict[str, Any]) -> list[str]:
    return [
        "# Benchmarks",
        "",
        f"Command: `{meta['command']}` — run {meta['date']}.",
        "",
        f"Machine: {meta['cpus']} cores shared with other work, {meta['platform']}; "
        f"Python {meta['python']}, SQLite {meta['sqlite']}, "
        f"PostgreSQL {meta.get('postgresql') or 'not reached'}. Load average (1 min) "
        f"{meta.get('load_start', '?')} at the start, {meta.get('load_end', '?')} at the end. "
        "Numbers are from one run: compare ratios, and read absolute times as indicative.",
        "",
        "Dataset (`bench/generate.py`, fixed seed, built once and cached): one clinic with "
        "50 providers (Mon–Fri 9–17, some Saturdays), 20 services, 60 days of appointments "
        "(about six a working day per provider), N/3 clients, N waitlist entries of which about "
        "10% are active (waiting/offered) and the rest booked, cancelled or expired; about 60% "
        "name a service, 30% a preferred provider, 40% preferred days, 40% a time window or "
        "time-of-day buckets; priorities 1–5 mostly 3; created over the last 90 days; pending "
        "offers for the offered entries and recent declined/lapsed offers for about 5% of the "
        "waiting ones. PostgreSQL is vacuumed and analysed after loading; SQLite is left as the "
        "application leaves it (no ANALYZE).",
        "",
        "Dataset preparation in this run, seconds (a few seconds means the cached dataset "
        "was reused): "
        + ", ".join(f"{name} {seconds:.0f}" for name, seconds in meta["build_seconds"].items())
        + f". Whole run: {meta['minutes']} minutes.",
        "",
        "Each call runs in its own transaction, already begun; times are p50 / p95 in ms of wall "
        "time, with the median of the process's CPU time per call in brackets, over "
        f"{meta['repeat']} calls with different random inputs after a warm-up (naive baselines: "
        "fewer calls at large N, count in the JSON). Ranking is `EntryRepository.candidates` + "
        "`core.ranking.rank` for a booked appointment of the next 30 days treated as just "
        "cancelled, as `core.fill.advance_fill` asks (53 candidates); matching is "
        "`core.slots.find_matching_slots` for a waiting entry over the next 30 days; stats is "
        '`core.entries.get_waitlist_stats` for the clinic (kept counts; "with fill numbers" '
        'adds the 30-day fill report; "computed" is the old count over every entry); '
        "list is `core.entries.get_waitlist` filtered by clinic and status (waiting, offered), "
        "newest first, 20 a page. Floors are single hand-written statements (see `bench/ops.py`).",
        "",
    ]


def _database(database: str, by_size: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    sizes = list(by_size)
    if not sizes:
        return [f"## {database}", "", meta.get("skipped", {}).get(database, "Not run."), ""]
    first, last = sizes[0], sizes[-1]
    growth = f"p50 {_shown(last)} / {_shown(first)}" if len(sizes) > 1 else None
    head = ["operation", *(f"N = {_shown(s)}" for s in sizes), *([growth] if growth else [])]
    lines = [f"## {database}", "", _row(head), _row(["---"] * len(head))]
    for key, name in ROWS:
        cells = [_cell(by_size[s].get(key)) for s in sizes]
        if growth:
            cells.append(_ratio(by_size[last].get(key), by_size[first].get(key)))
        lines.append(_row([name, *cells]))
    for name, top, bottom in RATIOS:
        cells = [_ratio(by_size[s].get(top), by_size[s].get(bottom)) for s in sizes]
        lines.append(_row([f"*{name}* (p50)", *cells, *([""] if growth else [])]))
    lines += ["", *_targets(database, last, by_size[last]), ""]
    return lines


def _targets(database: str, size: str, found: dict[str, Any]) -> list[str]:
    met: list[str] = []
    missed: list[str] = []
    for what, key, limit in TARGETS:
        p50 = found[key]["p50"]
        (met if p50 <= limit else missed).append(f"{what} ({p50:.2f} ms)")
    naive = found["ranking naive"]["p50"] / found["ranking"]["p50"]
    floor = found["ranking"]["p50"] / found["ranking floor"]["p50"]
    (met if naive >= 100 else missed).append(f"ranking ≥ 100× faster than naive ({naive:.0f}×)")
    (met if floor <= 3 else missed).append(f"ranking within 3× of the floor ({floor:.1f}×)")
    checks = found["checks"]
    agreed = ", ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items())
    return [
        f"Targets at N = {_shown(size)} on {database}:",
        "",
        f"- met: {'; '.join(met) or 'none'}",
        f"- missed: {'; '.join(missed) or 'none'}",
        "",
        f"Checks (same answers, N = {_shown(size)}): {agreed}.",
    ]


def _cell(found: dict[str, Any] | None) -> str:
    if not found:
        return "–"
    cpu = f" (CPU {_ms(found['cpu_p50'])})" if "cpu_p50" in found else ""
    return f"{_ms(found['p50'])} / {_ms(found['p95'])}{cpu}"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(top: dict[str, Any] | None, bottom: dict[str, Any] | None) -> str:
    if not top or not bottom or not bottom["p50"]:
        return "–"
    ratio = top["p50"] / bottom["p50"]
    return f"{ratio:.1f}×" if ratio < 100 else f"{ratio:.0f}×"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _shown(size: str) -> str:
    return size.replace("m", "M")
