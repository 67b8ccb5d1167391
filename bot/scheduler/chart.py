"""The daily stats chart: openings and fills per day over the last 30 days, as PNG bytes."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the chart is only ever written to bytes

# The object API, not pyplot: pyplot keeps global state and is not safe on the scheduler's
# threads.
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

_OPENINGS = "#c9d6e3"
_FILLED = "#2f6f9f"


def fills_chart(days: list[dict[str, Any]], *, title: str = "Openings and fills") -> bytes:
    """Bars of openings and of filled openings for each day of `days` (the `fills` series)."""
    dates = [date.fromisoformat(day["date"]) for day in days]
    positions = list(range(len(days)))
    figure = Figure(figsize=(6.4, 2.4), dpi=100)
    axes = figure.add_subplot()
    axes.bar(positions, [d["openings"] for d in days], color=_OPENINGS, label="openings")
    axes.bar(positions, [d["filled"] for d in days], width=0.5, color=_FILLED, label="filled")
    step = max(1, len(days) // 6)
    axes.set_xticks(positions[::step], [f"{d:%b} {d.day}" for d in dates[::step]], fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(title, fontsize=9, loc="left")
    axes.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
