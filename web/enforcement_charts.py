"""The enforcement page's three charts as server-side SVG geometry (like web/gantt.py).

The server computes every rectangle and point; templates/_enforcement_charts.html turns
them into inline ``<svg>``: no script, no CDN, readable in a saved page. The figures come
in already counted (web/enforcement.py takes them from enforcement/stats.py); this module
only places them. Every bar and point carries its figure as data attributes and a
``<title>`` tooltip.
"""

from __future__ import annotations

import math
from typing import Any

WIDTH = 640
HEIGHT = 260
LEFT = 58  # px for the value axis labels (larger type on a phone)
BOTTOM = 58  # px for the quarter labels (rotated when there are many)
TOP = 18  # px above the highest bar, for its total
PLOT_H = HEIGHT - TOP - BOTTOM
LABEL_W = 90  # px for the HS heading labels of the horizontal bars
HS_ROW = 22


def _nice_max(value: float, steps: int = 4, whole: bool = False) -> float:
    """A round axis top at or above ``value``: each of the ``steps`` is 1, 2, 2.5 or 5
    times a power of ten (a whole number when ``whole``, for counts)."""
    if value <= 0:
        return float(steps)
    raw = value / steps
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * power
        if step >= raw and (not whole or step == int(step)):
            return step * steps
    return 10 * power * steps


def _ticks(top: float, fmt: str) -> list[dict[str, Any]]:
    return [{"y": round(TOP + PLOT_H - PLOT_H * i / 4, 1), "label": fmt.format(top * i / 4)}
            for i in range(5)]


def _slots(n: int) -> tuple[float, float]:
    """Width of a quarter's slot and of its bar."""
    slot = (WIDTH - LEFT - 10) / max(n, 1)
    return slot, max(min(slot * 0.7, 60), 3)


def stacked_bars(columns: list[dict[str, Any]], series: list[str],
                 words: dict[str, str]) -> dict[str, Any] | None:
    """Cases per quarter, one stacked bar per quarter, one segment per non-zero series.

    :param columns: ``{"label": "2025Q1", "counts": {series: n}}`` in axis order
    :returns: geometry, or None when there are no columns
    """
    if not columns:
        return None
    top = _nice_max(max(sum(c["counts"].values()) for c in columns), whole=True)
    slot, bar = _slots(len(columns))
    out = []
    for n, column in enumerate(columns):
        x = round(LEFT + slot * n + (slot - bar) / 2, 1)
        base = TOP + PLOT_H
        total = sum(column["counts"].values())
        segments = []
        for name in series:
            count = column["counts"].get(name, 0)
            if not count:
                continue
            h = PLOT_H * count / top
            base -= h
            segments.append({"series": name, "count": count, "x": x, "y": round(base, 1),
                             "width": round(bar, 1), "height": round(h, 1),
                             "title": f"{column['label']}: {count} {words.get(name, name)}"})
        out.append({"label": column["label"], "total": total, "segments": segments,
                    "label_x": round(LEFT + slot * n + slot / 2, 1),
                    "total_y": round(base - 3, 1), "title": f"{column['label']}: {total} cases"})
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "plot_bottom": TOP + PLOT_H,
            "label_y": TOP + PLOT_H + 16, "ticks": _ticks(top, "{:.0f}"), "columns": out,
            "series": [{"name": s, "word": words.get(s, s)} for s in series],
            "rotate": len(columns) > 8}


def line_points(columns: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Mean fine ratio per quarter: a point per quarter that has one, joined by a line.

    :param columns: ``{"label": "2025Q1", "mean": 0.44 | None, "cases": n}`` in axis order
    :returns: geometry, or None when no quarter has a ratio
    """
    if not any(c["mean"] is not None for c in columns):
        return None
    top = _nice_max(100 * max(c["mean"] for c in columns if c["mean"] is not None))
    slot, _bar = _slots(len(columns))
    points, labels = [], []
    for n, column in enumerate(columns):
        x = round(LEFT + slot * n + slot / 2, 1)
        labels.append({"label": column["label"], "x": x})
        if column["mean"] is None:
            continue
        percent = 100 * column["mean"]
        y = round(TOP + PLOT_H - PLOT_H * percent / top, 1)
        points.append({"label": column["label"], "x": x, "y": y, "percent": round(percent),
                       "mean": column["mean"], "cases": column["cases"],
                       "title": f"{column['label']}: fine {round(percent)}% of value "
                                f"(mean over {column['cases']} fined cases)"})
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "plot_bottom": TOP + PLOT_H,
            "label_y": TOP + PLOT_H + 16, "ticks": _ticks(top, "{:.0f}%"), "points": points,
            "labels": labels, "line": " ".join(f"{p['x']},{p['y']}" for p in points),
            "rotate": len(columns) > 8}


def horizontal_bars(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Top HS headings: one bar per heading, longest first.

    :param rows: ``{"label": "2504", "count": n, "share": 0.29}``
    :returns: geometry, or None when there are no rows
    """
    if not rows:
        return None
    most = max(r["count"] for r in rows)
    span = WIDTH - LABEL_W - 110  # room for the count and share after the bar
    bars = []
    for n, row in enumerate(rows):
        y = n * HS_ROW
        w = max(round(span * row["count"] / most, 1), 2)
        bars.append({**row, "y": y + 4, "height": HS_ROW - 8, "x": LABEL_W, "width": w,
                     "text_y": y + HS_ROW // 2 + 4, "value_x": round(LABEL_W + w + 5, 1),
                     "title": f"HS {row['label']}: {row['count']} cases "
                              f"({100 * row['share']:.1f}%)"})
    return {"width": WIDTH, "height": len(bars) * HS_ROW + 4, "label_width": LABEL_W,
            "bars": bars}
