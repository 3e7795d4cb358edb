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

Read for the verdict alone (the default), a question is read only on the days its groups
change (``Lookups.verdict_days``), and of those only on the days what a verdict reads of
its answer changes (``verdict_inputs``); a change found is then read in full on its day
and the day before. A large portfolio's parent finds the materials' days while the
forked child reads its codes' (core/halves.py).
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
    verdict_inputs,
    verdict_words,
)
from timeline import queries

EVENT_LIMIT = 200
# read for the verdict alone, the child's part of a large portfolio's lanes: the parent
# finds the materials' days (which any lane may ask) first (core/halves.py)
CHANGES_CHILD_PART = 0.95


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
                       until: str, uses: Sequence[str | None]
                       ) -> dict[tuple[str, str, str], list[str]]:
    """The days after ``start`` up to ``until`` on which each query's verdict can change,
    for lanes with these end uses: where its groups change (``Lookups.verdict_days``),
    not each day a lot joins one; the queries the spans cannot answer follow
    :func:`boundaries_of`. Each of those days' queries, and the day before the period,
    are answered together, for the verdict alone (``Lookups.prefetch``, ``lean``), and
    of those days only the ones on which what the verdict reads of the answer changes
    are kept (:func:`_verdict_moves`)."""
    days = lookups.verdict_days(sorted({query for _, query, _ in keys}), start, until)
    edges = boundaries_of(lookups, [key for key in keys if key[1] not in days], start, until)
    edges.update({key: sorted(days[key[1]]) for key in keys if key[1] in days})
    due: dict[str, set[str]] = {start: {query for (_, query, _), found in edges.items()
                                        if found}}
    for (_, query, _), found in edges.items():
        for day in found:
            due.setdefault(day, set()).add(query)
    _read_days(lookups, due, lean=True)
    return {key: _verdict_moves(lookups, key, [start, *found], uses) if found else found
            for key, found in edges.items()}


def _verdict_moves(lookups: Lookups, key: tuple[str, str, str], days: list[str],
                   uses: Sequence[str | None]) -> list[str]:
    """Of ``days`` after the first, those on which the query's answer differs from the one
    before in what a verdict reads of it (``verdict_inputs``) for one of the end uses:
    between two such days every lane asking it keeps its verdict, whatever joins or
    leaves the answer's parts."""
    kind, query, place = key
    moved, last = [], None
    for day in days:
        found = lookups.found(kind, query, place, day, True)
        now = [verdict_inputs(found, use) for use in uses]
        if last is not None and now != last:
            moved.append(day)
        last = now
    return moved


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
    # the days of the questions any lane may ask (materials), answered on each: found once
    shared = set(lookups.shared(asked))
    keys = [key for key in _keys(lanes) if key[1] in shared]
    least = split_from(lookups, lanes)
    if basis:  # every question's groups, then the materials' days, before a split
        lookups.read_groups(asked, start, until,
                            lambda: boundaries_of(lookups, keys, start, until))
        out = halves.halves(
            lanes, lambda part, where: _changes_of(lookups, part, start, until, True, where),
            least=least)
    else:
        out = _verdict_changes_of(lookups, lanes, sorted(shared), keys, start, until, least)
    out.sort(key=lambda c: (c["date"], *lane_key(c)), reverse=True)
    return {"since": since, "until": until, "order": "newest first",
            "products": len({lane_key(c) for c in out}), "changes": out}


def _verdict_changes_of(lookups: Lookups, lanes: list[dict[str, Any]], shared: list[str],
                        keys: list[tuple[str, str, str]], start: str, until: str,
                        least: int) -> list[dict[str, Any]]:
    """The verdict changes of a portfolio's lanes, in two steps each read in two parts at
    once when the portfolio is large (core/halves.py): the days each question's verdict
    can change (the parent finds the materials' first and sends them, while the child
    reads its own codes'), then the lanes that can change, halved evenly (where the
    changes are is known only then)."""
    made: dict[tuple[str, str, str], list[str]] = {}

    def materials() -> dict[tuple[str, str, str], list[str]]:
        lookups.read_groups(shared, start, until)
        made.update(verdict_boundaries(lookups, keys, start, until, _uses(lanes)))
        return made

    edges: dict[tuple[str, str, str], list[str]] = {}
    for found in halves.halves(
            lanes, lambda part, where: [_verdict_edges(
                lookups, part, start, until, where, made if where == halves.PARENT else None)],
            least=least, share=materials, part=CHANGES_CHILD_PART):
        edges.update(found)
    return halves.halves(_moving(lanes, edges), lambda part, where: _lane_changes(
        lookups, part, edges, start, False, where), least=least)


def _changes_of(lookups: Lookups, lanes: Sequence[dict[str, Any]], start: str, until: str,
                basis: bool, where: str) -> list[dict[str, Any]]:
    """Every change of some lanes of a portfolio (a part, ``where`` it is read:
    core/halves.py) after ``start`` up to ``until``."""
    if where != halves.ALONE:
        lookups.split(where)
    keys = _keys(lanes)
    edges = boundaries_of(lookups, keys, start, until)
    return _lane_changes(lookups, _moving(lanes, edges), edges, start, basis, where)


def _lane_changes(lookups: Lookups, lanes: Sequence[dict[str, Any]],
                  edges: dict[tuple[str, str, str], list[str]], start: str, basis: bool,
                  where: str) -> list[dict[str, Any]]:
    """The changes of these lanes on their days (``edges``), read as ``basis`` says
    (``where``: in a part, core/halves.py). Read for the verdict alone, the lanes' answers
    of each day (found in another part, perhaps) are read together here first."""
    if where != halves.ALONE:
        lookups.split(where)
    lean = not basis
    if lean:
        due: dict[str, set[str]] = {start: set()}
        for lane in lanes:
            for kind, query in queries_of(lane):
                due[start].add(query)
                for day in edges[(kind, query, lane["destination"])]:
                    due.setdefault(day, set()).add(query)
        _read_days(lookups, due, lean=True)
    events: dict[tuple[str, str], list[str]] = {}
    decided: dict[tuple, Any] = {}
    out = []
    full: list[tuple[dict[str, Any], str, Any]] = []  # verdict changes, to read in full
    for lane in lanes:
        asked = queries_of(lane)
        found_days = _lane_days(lookups, edges, lane, asked, start, lean=lean)
        _, found = next(found_days)
        before = _decided(lane, found, decided, basis)
        for day, now in found_days:
            after = _decided(lane, now, decided, basis)
            if after != before and basis:
                out.append(_change(lookups, events, lane, day, before, found, now))
            elif after != before:
                full.append((lane, day, before))
            before = after
            found = now
    if full:  # their rows read the full answers of the day and the day before, together
        due_full: dict[str, set[str]] = {}
        for lane, day, _ in full:
            for on in (_day(day, -1), day):
                due_full.setdefault(on, set()).update(query for _, query in queries_of(lane))
        _read_days(lookups, due_full)
        for lane, day, before in full:
            found, now = (_full(lookups, lane, queries_of(lane), on)
                          for on in (_day(day, -1), day))
            chain = _decided(lane, found, decided, True)[1]
            out.append(_change(lookups, events, lane, day, (before[0], chain), found, now))
    return out


def _change(lookups: Lookups, events: dict[tuple[str, str], list[str]],
            lane: dict[str, Any], day: str, before: tuple[str, list[str]],
            found: list[dict[str, Any]], now: list[dict[str, Any]]) -> dict[str, Any]:
    """A lane's change on ``day``: before (verdict, chain) and its answers the day before
    (``found``), its answers that day (``now``), read in full."""
    got = dict(zip(queries_of(lane), now, strict=True))
    row = lane_row(lane, day, lambda kind, query: got[(kind, query)])
    return {"date": day, **{k: row[k] for k in LANE_FIELDS},
            "before": before[0], "after": row["verdict"],
            "verdict_changed": before[0] != row["verdict"],
            "announcements_before": before[1], "announcements_after": row["announcements"],
            "events": _events(lookups.db, events, day, _touched(found, now, day)),
            "why": row["why"]}


def _verdict_edges(lookups: Lookups, lanes: Sequence[dict[str, Any]], start: str,
                   until: str, where: str,
                   materials: dict[tuple[str, str, str], list[str]] | None
                   ) -> dict[tuple[str, str, str], list[str]]:
    """:func:`verdict_boundaries` of the keys of some lanes (a part, ``where`` it is read:
    core/halves.py). The materials' days are ``materials`` (the parent's, made first),
    the parent's share (the child's, taken once its codes' are found) or, alone, found
    beside the codes' groups."""
    if where != halves.ALONE:
        lookups.split(where)
    keys = _keys(lanes)
    uses = _uses(lanes)
    common = [key for key in keys if lookups.kind_of(key[1]) != "hs"]
    own = [key for key in keys if lookups.kind_of(key[1]) == "hs"]
    if where == halves.ALONE:  # the materials' days while the codes' groups are read beside
        found: dict[tuple[str, str, str], list[str]] = {}
        lookups.read_groups([key[1] for key in keys], start, until, lambda: found.update(
            verdict_boundaries(lookups, common, start, until, uses)))
        return {**found, **verdict_boundaries(lookups, own, start, until, uses)}
    edges = verdict_boundaries(lookups, own, start, until, uses)
    if where == halves.CHILD:
        materials = halves.shared()
    if materials is None or any(key not in materials for key in common):
        materials = verdict_boundaries(lookups, common, start, until, uses)
    edges.update({key: materials[key] for key in common})
    return edges


def _full(lookups: Lookups, lane: dict[str, Any], asked: list[tuple[str, str]], on: str
          ) -> list[dict[str, Any]]:
    """The full answers (``Lookups.found``) to a lane's queries on ``on``: a lane read for
    the verdict alone keeps an answer from the last day its verdict could change, whose
    parts may since have changed."""
    return [lookups.found(kind, query, lane["destination"], on) for kind, query in asked]


def _keys(lanes: Sequence[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The (kind, query, destination) the lanes ask, each once, in their order."""
    return list(dict.fromkeys((kind, query, lane["destination"]) for lane in lanes
                              for kind, query in queries_of(lane)))


def _moving(lanes: Sequence[dict[str, Any]], edges: dict[tuple[str, str, str], list[str]]
            ) -> list[dict[str, Any]]:
    """The lanes one of whose answers can change in the period (the others have no change
    and are not read)."""
    return [lane for lane in lanes if any(edges[(kind, query, lane["destination"])]
                                          for kind, query in queries_of(lane))]


def _read_days(lookups: Lookups, due: dict[str, set[str]], lean: bool = False) -> None:
    """Answer the queries due on each day together, a batch a day (``Lookups.prefetch``)."""
    for day, asked in sorted(due.items()):
        lookups.prefetch(sorted(asked), day, lean=lean)


def _uses(lanes: Sequence[dict[str, Any]]) -> list[str | None]:
    """The end uses of these lanes, each once (what a verdict reads depends on them)."""
    return list(dict.fromkeys(end_use_of(lane) for lane in lanes))


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
    for found in after:
        out.update(_edges(found)[0].get(day, ()))
    for found in before:
        out.update(_edges(found)[1].get(last, ()))
    return sorted(out)


def _edges(found: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The announcements (and causes) of one answer's intervals by the day they start and
    by the day they end (kept with the answer: lanes sharing it read it once)."""
    if "edges" not in found:
        starts: dict[str, set[str]] = {}
        ends: dict[str, set[str]] = {}
        for since, end, numbers in _spans(found):
            named = [n for n in numbers if n]
            if since:
                starts.setdefault(since, set()).update(named)
            if end:
                ends.setdefault(end, set()).update(named)
        found["edges"] = (starts, ends)
    return found["edges"]


def _events(db: Database, kept: dict[tuple[str, str], list[str]], day: str,
            numbers: list[str]) -> list[str]:
    """The timeline's state changes on ``day`` of these announcements, as "number event",
    each once (each announcement's read once a day: ``kept``)."""
    seen: dict[str, None] = {}
    for number in numbers:
        if (number, day) not in kept:
            found = queries.changes(db, day, day, announcement=number, subject="all",
                                    limit=EVENT_LIMIT)["changes"]
            kept[(number, day)] = list(dict.fromkeys(
                f"{change['announcement']} {change['event']}" for change in found))
        seen.update(dict.fromkeys(kept[(number, day)]))
    return list(seen)


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
