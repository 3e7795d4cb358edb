"""Gantt-style timelines as server-side SVG geometry: rows of state bars on a date axis.

The chart is drawn by the server (templates/_gantt.html turns this geometry into an
inline ``<svg>``), so it needs no script, no CDN and works offline, in any browser and in
a saved page. Every bar carries its state, dates and the announcement that caused it, as
data attributes and as a ``<title>`` tooltip; a bar that has no end runs to the axis end.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

STATES = ("pending", "in_force", "suspended", "repealed", "superseded", "expired")
WORDS = {"in_force": "in force", "not_issued": "not issued"}
LABEL_WIDTH = 170  # px of the viewBox for the row labels
CHART_WIDTH = 640  # px of the viewBox for the bars
ROW = 26
AXIS = 22  # px of the axis row at the bottom


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def word(state: str | None) -> str:
    return WORDS.get(state or "", state or "")


def chart(rows: list[dict[str, Any]], today: str) -> dict[str, Any] | None:
    """Geometry of a chart.

    :param rows: ``{"label", "href", "intervals": [{"state", "since", "until", "cause"}]}``
    :param today: the day the "today" line is drawn at (the regulator's day)
    :returns: ``{"width", "height", "rows": [...], "ticks": [...], "today_x"}``, or None
        when no row has an interval
    """
    rows = [r for r in rows if r.get("intervals")]
    if not rows:
        return None
    starts = [_day(i["since"]) for r in rows for i in r["intervals"] if i.get("since")]
    ends = [_day(i["until"]) for r in rows for i in r["intervals"] if i.get("until")]
    now = _day(today)
    first = min(starts + [now])
    last = max(ends + starts + [now])
    span = max((last - first).days, 30)
    first -= timedelta(days=max(3, span // 40))
    last += timedelta(days=max(15, span // 8))  # room for open-ended bars past today
    days = (last - first).days

    def x(day: date) -> float:
        return round(LABEL_WIDTH + CHART_WIDTH * (day - first).days / days, 1)

    out_rows = []
    for n, row in enumerate(rows):
        y = n * ROW
        bars = []
        for interval in row["intervals"]:
            if not interval.get("since"):
                continue
            start = _day(interval["since"])
            end = _day(interval["until"]) + timedelta(days=1) if interval.get("until") else last
            left, right = x(start), x(end)
            cause = interval.get("cause") or ""
            tip = f"{word(interval['state'])} {interval['since']} → {interval.get('until') or '…'}"
            bars.append({
                "state": interval["state"], "word": word(interval["state"]),
                "since": interval["since"], "until": interval.get("until") or "",
                "cause": cause, "x": left, "y": y + 5, "width": max(round(right - left, 1), 2),
                "height": ROW - 10, "open": not interval.get("until"),
                "title": tip + (f" — by {cause}" if cause else ""),
            })
        out_rows.append({"label": row["label"], "href": row.get("href"), "y": y,
                         "text_y": y + ROW // 2 + 4, "bars": bars,
                         "title": row.get("title") or row["label"]})
    height = len(out_rows) * ROW
    ticks = []
    year = first.year + (first.month > 1 or first.day > 1)
    step = 1 if days < 3 * 366 else 2
    while year <= last.year:
        for month in ((1, 7) if days < 2 * 366 else (1,)):
            tick = date(year, month, 1)
            if first < tick < last:
                ticks.append({"x": x(tick), "label": f"{year}" if month == 1 else f"{year}-07"})
        year += step
    return {"width": LABEL_WIDTH + CHART_WIDTH + 10, "height": height + AXIS,
            "chart_height": height, "label_width": LABEL_WIDTH, "rows": out_rows,
            "ticks": ticks, "today_x": x(now), "today": today, "states": STATES,
            "words": {s: word(s) for s in STATES}}
