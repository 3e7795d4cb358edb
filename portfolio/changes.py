"""What changed for a portfolio's products in a period, and the dates ahead that change them.

Both read verdicts on dates (``portfolio.status``), so a change here is exactly a change
of what ``portfolio status`` says. A lane's verdict can change only on a day one of its
matched parts (or the announcement listing it, or a destination-wide measure) starts or
ends an interval, so the work follows those days, not the calendar: each query a lane asks
(per destination) is answered the day before the period and on its last day; every part in
an answer names its interval (``since``, ``until``), and each boundary inside the period is
answered in turn (with the day before a start, which shows the interval that ends there),
until no new boundary turns up. Between two of its boundaries a query's answer is the
same, so a lane is read on the union of its queries' boundaries only, from the answers
already kept (a row's texts say its own day). Lanes asking the same questions share one
reading of the verdict. All the days are answered from one read of the period
(``Lookups.window``, timeline/batch.py). The events of a change are the timeline's state
changes that day of the announcements whose parts start or end on it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from core import collector, halves
from portfolio.lanes import LANE_FIELDS, lane_key
from portfolio.status import (
    Lookups,
    decide,
    end_use_of,
    lane_row,
    queries_of,
    split_from,
    verdict_words,
)
from timeline import queries

EVENT_LIMIT = 200


@functools.lru_cache(maxsize=65536)
def _day(value: str, days: int) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()


def _spans(found: dict[str, Any]) -> list[tuple[str | None, str | None, tuple]]:
    """(since, until, (announcement, cause)) of every interval one answer reads (kept with
    the answer: a lane's boundaries and a change's announcements both read them)."""
    if "spans" not in found:
        found["spans"] = [(p.get("since"), p.get("until"), (p["announcement"], p.get("cause")))
                          for p in [*found["parts"], *found["wide"]]]
        found["spans"] += [(a.get("since"), a.get("until"), (a["number"], a.get("cause")))
                           for a in found["announcements"]]
    return found["spans"]


def boundaries(lookups: Lookups, kind: str, query: str, destination: str, start: str,
               until: str) -> list[str]:
    """The days after ``start`` up to ``until`` on which the answer to the query can change,
    each answered (kept in ``lookups``): the closure described in the module docstring."""
    key = (kind, query, destination)
    return boundaries_of(lookups, [key], start, until)[key]


def boundaries_of(lookups: Lookups, keys: list[tuple[str, str, str]], start: str,
                  until: str) -> dict[tuple[str, str, str], list[str]]:
    """:func:`boundaries` of many (kind, query, destination) at once, in rounds: the
    queries due on a day are answered together (one batch a day, ``Lookups.prefetch``)."""
    asked: dict[tuple, set[str]] = {key: set() for key in keys}
    found: dict[tuple, set[str]] = {key: set() for key in keys}
    todo: dict[tuple, set[str]] = {key: {start, until} for key in keys}
    while todo:
        due: dict[str, list[tuple]] = {}
        for key, days in todo.items():
            for day in days - asked[key]:
                due.setdefault(day, []).append(key)
        todo = {}
        for day, keys_due in sorted(due.items()):
            lookups.prefetch([key[1] for key in keys_due], day)
            for key in keys_due:
                asked[key].add(day)
                for since, end, _ in _spans(lookups.found(*key, day)):
                    for edge, probe in ((since, -1), (_day(end, 1) if end else None, 0)):
                        if edge is None or not start < edge <= until:
                            continue
                        found[key].add(edge)
                        todo.setdefault(key, set()).update(
                            d for d in (edge, _day(edge, probe)) if d not in asked[key])
    return {key: sorted(days) for key, days in found.items()}


def verdict_boundaries(lookups: Lookups, keys: list[tuple[str, str, str]], start: str,
                       until: str) -> dict[tuple[str, str, str], list[str]]:
    """The days after ``start`` up to ``until`` on which each query's verdict can change:
    where its groups change (``Lookups.verdict_days``), not each day a lot joins one;
    the queries the spans cannot answer follow :func:`boundaries_of`. Each of those days'
    queries are answered together, for the verdict alone (``Lookups.prefetch``,
    ``lean``); the day before the period is left to the caller (:func:`_changes_of`
    answers it only for the lanes that can change)."""
    days = lookups.verdict_days(sorted({query for _, query, _ in keys}), start, until)
    edges = boundaries_of(lookups, [key for key in keys if key[1] not in days], start, until)
    edges.update({key: sorted(days[key[1]]) for key in keys if key[1] in days})
    due: dict[str, set[str]] = {}
    for (_, query, _), found in edges.items():
        for day in found:
            due.setdefault(day, set()).add(query)
    for day, asked in sorted(due.items()):
        lookups.prefetch(sorted(asked), day, lean=True)
    return edges


@collector.paused()
def verdict_changes(db: Database, lanes: list[dict[str, Any]], since: str,
                    until: str | None = None, lookups: Lookups | None = None,
                    basis: bool = True) -> dict[str, Any]:
    """Every product whose verdict or deciding announcements change between ``since`` and
    ``until`` (inclusive), newest first, with before → after and the events of the day
    (``basis`` False: only the verdict changes, each read in full; the others are not)."""
    since = queries.check_date(since, "--since")
    until = queries.check_date(until, "--until")
    if until < since:
        raise queries.QueryError("--until is before --since")
    lookups = lookups or Lookups(db)
    asked = [query for lane in lanes for _, query in queries_of(lane)]
    lookups.plan(asked)
    start = _day(since, -1)
    lookups.window(start, until)
    # once, before a large portfolio is split: every question's groups, and meanwhile the
    # days of the questions any lane may ask (materials), answered on each
    shared = set(lookups.shared(asked))
    keys = list(dict.fromkeys((kind, query, lane["destination"]) for lane in lanes
                              for kind, query in queries_of(lane) if query in shared))

    def materials_first() -> None:
        if basis:
            boundaries_of(lookups, keys, start, until)
        else:
            verdict_boundaries(lookups, keys, start, until)
            lookups.prefetch(sorted(shared), start, lean=True)

    lookups.read_groups(asked, start, until, materials_first)
    out = halves.halves(
        lanes, lambda part, where: _changes_of(lookups, part, start, until, basis, where),
        least=split_from(lookups, lanes))
    out.sort(key=lambda c: (c["date"], *lane_key(c)), reverse=True)
    return {"since": since, "until": until, "order": "newest first",
            "products": len({lane_key(c) for c in out}), "changes": out}


def _changes_of(lookups: Lookups, lanes: Sequence[dict[str, Any]], start: str, until: str,
                basis: bool, where: str) -> list[dict[str, Any]]:
    """The changes of some lanes of a portfolio (a part, ``where`` it is read:
    core/halves.py) after ``start`` up to ``until``."""
    if where != halves.ALONE:
        lookups.split(where)
    keys = list(dict.fromkeys((kind, query, lane["destination"]) for lane in lanes
                              for kind, query in queries_of(lane)))
    edges = boundaries_of(lookups, keys, start, until) if basis else \
        verdict_boundaries(lookups, keys, start, until)
    # a lane none of whose answers can change in the period has no change: not read
    moving = [lane for lane in lanes if any(edges[(kind, query, lane["destination"])]
                                            for kind, query in queries_of(lane))]
    if not basis:
        lookups.prefetch(sorted({query for lane in moving for _, query in queries_of(lane)}),
                         start, lean=True)
    events: dict[tuple[str, str], list[dict[str, Any]]] = {}
    decided: dict[tuple, Any] = {}
    out = []
    for lane in moving:
        asked = queries_of(lane)
        days = _lane_days(lookups, edges, lane, asked, start, lean=not basis)
        _, found = next(days)
        before = _decided(lane, found, decided, basis)
        for day, now in days:
            after = _decided(lane, now, decided, basis)
            if after != before:
                if not basis:  # read for the verdict alone: the row reads the full answers
                    found, now = (_full(lookups, lane, asked, answers) for answers in (found, now))
                got = dict(zip(asked, now, strict=True))
                row = lane_row(lane, day, lambda kind, query, got=got: got[(kind, query)])
                chain = before[1] if basis else _decided(lane, found, decided, True)[1]
                out.append({"date": day, **{k: row[k] for k in LANE_FIELDS},
                            "before": before[0], "after": row["verdict"],
                            "verdict_changed": before[0] != row["verdict"],
                            "announcements_before": chain,
                            "announcements_after": row["announcements"],
                            "events": _events(lookups.db, events, day,
                                              _touched(found, now, day)),
                            "why": row["why"]})
            before = after
            found = now
    return out


def _full(lookups: Lookups, lane: dict[str, Any], asked: list[tuple[str, str]],
          found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full answers (``Lookups.found``) of a lane's answers read for the verdict alone,
    each on its own day."""
    return [lookups.found(kind, query, lane["destination"], answer["on"])
            for (kind, query), answer in zip(asked, found, strict=True)]


def _lane_days(lookups: Lookups, edges: dict[tuple[str, str, str], list[str]],
               lane: dict[str, Any], asked: list[tuple[str, str]], start: str,
               lean: bool = False) -> Any:
    """(day, the answers to the lane's queries that day) on the day before the period and
    on each of the lane's boundaries, in order: a query's answer is the one kept for its
    last boundary up to the day (or the day before the period), which is the same
    (``lean``: answers for the verdict alone)."""
    place = lane["destination"]
    found = [lookups.found(kind, query, place, start, lean) for kind, query in asked]
    due: dict[str, list[int]] = {}
    for at, (kind, query) in enumerate(asked):
        for day in edges[(kind, query, place)]:
            due.setdefault(day, []).append(at)
    yield start, found
    for day in sorted(due):
        found = list(found)
        for at in due[day]:
            found[at] = lookups.found(*asked[at], place, day, lean)
        yield day, found


def _decided(lane: dict[str, Any], found: list[dict[str, Any]], kept: dict[tuple, Any],
             chain: bool = True) -> Any:
    """The lane's verdict and chain from its answers (what a change compares; without
    ``chain``, the verdict alone), kept per set of answers and end use: lanes asking the
    same questions share it, and so do the days between two boundaries of the lane's
    answers."""
    wide = next((f["wide"] for f in found if f["wide"]), None)
    key = (chain, end_use_of(lane), tuple(id(f) for f in found if f["parts"]),
           None if wide is None else id(wide))
    if key not in kept:
        answers = iter(found)
        if chain:
            result, numbers = decide(lane, lambda kind, query: next(answers))
            kept[key] = (result["verdict"], numbers)
        else:
            kept[key] = (verdict_words(lane, lambda kind, query: next(answers)),)
    return kept[key]


def _touched(before: list[dict[str, Any]], after: list[dict[str, Any]], day: str
             ) -> list[str]:
    """Announcements (and their causes) of the lane's answers with an interval starting on
    ``day`` (the answers that day) or ending the day before (the answers before)."""
    last = _day(day, -1)
    out: set[str] = set()
    for found, edge in [*((f, 0) for f in after), *((f, 1) for f in before)]:
        for since, end, numbers in _spans(found):
            if (edge == 0 and since == day) or (edge == 1 and end == last):
                out.update(n for n in numbers if n)
    return sorted(out)


def _events(db: Database, kept: dict[tuple[str, str], list[dict[str, Any]]], day: str,
            numbers: list[str]) -> list[str]:
    seen: list[str] = []
    for number in numbers:
        if (number, day) not in kept:
            kept[(number, day)] = queries.changes(db, day, day, announcement=number,
                                                  subject="all", limit=EVENT_LIMIT)["changes"]
        for change in kept[(number, day)]:
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
    found = verdict_changes(db, lanes, _day(start, 1), _day(start, days), basis=False)
    dates = sorted([c for c in found["changes"] if c["verdict_changed"]],
                   key=lambda c: (c["date"], *lane_key(c)))
    return {"from": start, "days": days, "until": found["until"], "order": "soonest first",
            "products": len({lane_key(c) for c in dates}), "dates": dates}
