"""What changed for a portfolio's products in a period, and the dates ahead that change them.

Both read verdicts on dates (``portfolio.status``), so a change here is exactly a change
of what ``portfolio status`` says. The dates looked at are the days the timeline records
a state change on (``timeline.queries.changes``: a clause taking effect, a suspension
starting or ending, a repeal); the verdict of every product is compared the day before
and on the day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlite_utils import Database

from portfolio.status import portfolio_status
from timeline import queries

SCAN_LIMIT = 100_000


def _day(value: str, days: int) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()


def change_dates(db: Database, since: str, until: str) -> dict[str, list[dict[str, Any]]]:
    """Day → the timeline's state changes on it, between ``since`` and ``until``."""
    found = queries.changes(db, since, until, subject="all", limit=SCAN_LIMIT)
    out: dict[str, list[dict[str, Any]]] = {}
    for change in found["changes"]:
        out.setdefault(change["date"], []).append(change)
    return out


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["sku"], row["destination"]


def verdict_changes(db: Database, lanes: list[dict[str, Any]], since: str,
                    until: str | None = None) -> dict[str, Any]:
    """Every product whose verdict or deciding announcements change between ``since`` and
    ``until`` (inclusive), newest first, with before → after and the events of the day."""
    since = queries.check_date(since, "--since")
    until = queries.check_date(until, "--until")
    if until < since:
        raise queries.QueryError("--until is before --since")
    days = change_dates(db, since, until)
    before = {_key(r): r for r in portfolio_status(db, lanes, _day(since, -1), screen=False)}
    out = []
    for day in sorted(days):
        now = {_key(r): r for r in portfolio_status(db, lanes, day, screen=False)}
        for key, row in now.items():
            old = before.get(key)
            if old is None:
                continue
            if old["verdict"] == row["verdict"] and old["announcements"] == row["announcements"]:
                continue
            touched = sorted({c["announcement"] for c in days[day]}
                             & set(row["announcements"] + row["related"]
                                   + old["announcements"] + old["related"]))
            out.append({"date": day, "sku": row["sku"], "destination": row["destination"],
                        "before": old["verdict"], "after": row["verdict"],
                        "verdict_changed": old["verdict"] != row["verdict"],
                        "announcements_before": old["announcements"],
                        "announcements_after": row["announcements"],
                        "events": _events(days[day], touched), "why": row["why"]})
        before = now
    out.sort(key=lambda c: (c["date"], c["sku"], c["destination"]), reverse=True)
    return {"since": since, "until": until, "order": "newest first",
            "products": len({(c["sku"], c["destination"]) for c in out}), "changes": out}


def _events(changes: list[dict[str, Any]], numbers: list[str]) -> list[str]:
    seen: list[str] = []
    for change in changes:
        if change["announcement"] in numbers:
            text = f"{change['announcement']} {change['event']}"
            if text not in seen:
                seen.append(text)
    return seen


def upcoming(db: Database, lanes: list[dict[str, Any]], days: int = 90,
             start: str | None = None) -> dict[str, Any]:
    """Dates after ``start`` (default today) within ``days`` that change a verdict: a
    suspension ending, a clause taking effect. Soonest first."""
    start = queries.check_date(start, "--from")
    if days < 1:
        raise queries.QueryError("--days must be at least 1")
    found = verdict_changes(db, lanes, _day(start, 1), _day(start, days))
    dates = sorted([c for c in found["changes"] if c["verdict_changed"]],
                   key=lambda c: (c["date"], c["sku"], c["destination"]))
    return {"from": start, "days": days, "until": found["until"], "order": "soonest first",
            "products": len({(c["sku"], c["destination"]) for c in dates}), "dates": dates}
