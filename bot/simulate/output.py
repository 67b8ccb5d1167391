"""The reports of a simulation as a terminal table, JSON and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.simulate.report import Report
from core.adaptive import LEAD_BUCKETS


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _minutes(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 120:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def _rows(report: Report) -> list[tuple[str, str]]:
    rows = [
        ("Openings", f"{report.openings}"),
        ("Filled", f"{report.filled} ({_pct(report.fill_rate)})"),
    ]
    for bucket in LEAD_BUCKETS:
        count = report.openings_by_lead[bucket]
        rows.append(
            (f"  filled, lead {bucket}", f"{_pct(report.fill_rate_by_lead[bucket])} of {count}")
        )
    rows += [
        ("Time to fill, median", _minutes(report.median_minutes_to_fill)),
        ("Time to fill, p90", _minutes(report.p90_minutes_to_fill)),
        ("Offers per opening", f"{report.offers_per_opening:.2f}"),
        ("Offers accepted", _pct(report.accepted_per_offer)),
        ('"Just taken" texts per fill', f"{report.just_taken_per_fill:.2f}"),
        ("Most texts to a patient in a week", f"{report.most_texts_in_a_week}"),
        ("Expired unfilled", f"{report.expired_unfilled}"),
        (
            "Fills by priority",
            " ".join(f"P{k}:{v}" for k, v in report.fills_by_priority.items()) or "–",
        ),
        ("Patients offered at least once", _pct(report.patients_offered_share)),
        ("Offers spread (Gini, 0 = even)", f"{report.offers_gini:.2f}"),
        ("Opted out / wrong numbers", f"{report.opted_out} / {report.wrong_numbers}"),
        ("Patient texts that raised an error", f"{report.refused_replies}"),
    ]
    return rows


def table(reports: Sequence[Report]) -> str:
    """One column per policy, one row per figure."""
    columns = [[value for _, value in _rows(r)] for r in reports]
    labels = [label for label, _ in _rows(reports[0])]
    label_width = max(len(label) for label in labels)
    widths = [
        max(len(r.policy), *(len(v) for v in col)) for r, col in zip(reports, columns, strict=True)
    ]
    lines = [
        " " * label_width
        + "  "
        + "  ".join(r.policy.rjust(w) for r, w in zip(reports, widths, strict=True))
    ]
    lines.append("-" * len(lines[0]))
    for i, label in enumerate(labels):
        cells = "  ".join(col[i].rjust(w) for col, w in zip(columns, widths, strict=True))
        lines.append(f"{label.ljust(label_width)}  {cells}")
    return "\n".join(lines)


def as_json(reports: Sequence[Report], meta: dict[str, Any]) -> str:
    return json.dumps({**meta, "policies": [r.as_dict() for r in reports]}, indent=2)


def chart(reports: Sequence[Report], path: Path, title: str) -> None:
    """Four panels: fill rate by lead time, time to fill, texts, fairness."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.policy for r in reports]
    xs = range(len(reports))
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    fig.suptitle(title)

    ax = axes[0][0]
    width = 0.8 / (len(LEAD_BUCKETS) + 1)
    for j, bucket in enumerate(["all", *LEAD_BUCKETS]):
        values = [
            (r.fill_rate if bucket == "all" else (r.fill_rate_by_lead[bucket] or 0)) * 100
            for r in reports
        ]
        ax.bar([x + j * width for x in xs], values, width, label=bucket)
    ax.set_title("Openings filled, by lead time (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, ncol=5, loc="lower center")

    ax = axes[0][1]
    ax.bar(
        [x - 0.2 for x in xs], [r.median_minutes_to_fill or 0 for r in reports], 0.4, label="median"
    )
    ax.bar([x + 0.2 for x in xs], [r.p90_minutes_to_fill or 0 for r in reports], 0.4, label="p90")
    ax.set_title("Time to fill (minutes)")
    ax.set_yscale("log")
    ax.legend(fontsize=7)

    ax = axes[1][0]
    ax.bar(
        [x - 0.2 for x in xs],
        [r.offers_per_opening for r in reports],
        0.4,
        label="offers per opening",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [r.just_taken_per_fill for r in reports],
        0.4,
        label='"just taken" per fill',
    )
    ax.set_title("Texts")
    ax.legend(fontsize=7)

    ax = axes[1][1]
    ax.bar(
        [x - 0.2 for x in xs],
        [r.patients_offered_share * 100 for r in reports],
        0.4,
        label="patients offered (%)",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [r.offers_gini * 100 for r in reports],
        0.4,
        label="Gini of offers (x100)",
    )
    ax.set_title("Fairness")
    ax.legend(fontsize=7)

    for row in axes:
        for ax in row:
            ax.set_xticks(list(xs) if ax is not axes[0][0] else [x + 0.4 - width / 2 for x in xs])
            ax.set_xticklabels(names, fontsize=8, rotation=15)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
