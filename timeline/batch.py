"""``status`` for many questions on one date, in a few queries: what a portfolio asks.

A portfolio of 5,000 products asks about 5,000 HS codes and a few dozen materials, each
for its destination. Asked one by one (timeline/status.py), a broad material reads
every one of its 28,000 announcements in full at 100k announcements, and the
portfolio takes minutes. Here every question of a date is answered together:

- one aggregate over the spans of all the material questions, and one over all the
  code questions, find each question's groups of matched lots (state, shape, how it
  matched, whether the lot can name goods; timeline/spans.py, timeline/lots.py);
- the announcements read in full are, per question, the newest :data:`SHOWN` (all of
  them when there are no more) and, per group, its newest, its soonest-ending and (for
  a pending measure) the one taking effect first, so every verdict the parts can give
  is among them (the strictest measure in force, the end of a suspension, the start of
  a pending measure);
- their lots' spans, fields and intervals are read in one query each, and grouped
  into parts exactly as ``status`` groups them (``status._parts_of``).

An answer here is ``status``'s answer with every announcement (``announcements_limit``
None) wherever a question matches at most :data:`SHOWN` announcements (the tests
compare them); past that, it keeps the announcements that can decide and the newest.
Questions the spans cannot answer (codes another code of the catalogue is a proper
prefix of, 4-digit headings, text) are left to ``status``.

Everything is read for a window of days (:func:`window`; the date alone by default) and
kept in the caller's ``memo``: each span, interval and announcement row overlapping the
window is read once, with its first and last day, and an answer for a day in the window
takes the rows covering that day. A portfolio's changes over a quarter (portfolio/
changes.py) answer every day of it from one read, not one read a day.

Past :data:`FEW` questions, the reads that do not wait for the codes' groups (the
materials' groups, the own lists, the clauses reached through materials) run on a second
read-only connection beside them (:func:`_side`), and so do the chosen announcements' lot
rows while the clauses reached through materials are shortlisted; :func:`verdict_days`
reads the materials' groups and their clauses there beside the codes' groups too. The
large reads are made in one step each (``store.catalogue.rows_at_once``): read row by
row, a thread beside one busy in Python waits its turn for Python's lock at every row.
Answers read for a verdict alone (``lean``) take a material's groups by their
representatives; :func:`verdict_days` says on which days a question's verdict can change
at all.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from bisect import bisect_right
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlite_utils import Database

from store.catalogue import connect_readonly, reading_beside, rows_at_once
from timeline import derive, span_status, spans, status
from timeline.lots import has_goods

SHOWN = 10  # announcements per question read in full, besides each group's own
FAR = "9999-12-31"
FEW = 100  # questions past which the non-goods lots are listed once rather than looked up
WINDOW_DAYS = 100  # the longest stretch of days read at once (a quarter and a bit)


def window(memo: dict[Any, Any], first: str, last: str) -> None:
    """Read for the days ``first`` to ``last`` from now on (the calls share ``memo``), in
    stretches of :data:`WINDOW_DAYS` (a long period is read a stretch at a time)."""
    memo["window"] = (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


def _cache(memo: dict[Any, Any], on: str) -> dict[str, Any]:
    """The rows kept for the stretch of the window ``on`` falls in (the date alone,
    outside the window)."""
    first = last = on
    if "window" in memo:
        start, end = memo["window"]
        day = dt.date.fromisoformat(on)
        if start <= day <= end:
            days = (end - start).days + 1  # in stretches of even length, none over the limit
            size = -(-days // -(-days // WINDOW_DAYS))
            begins = start + dt.timedelta(days=(day - start).days // size * size)
            first = begins.isoformat()
            last = min(end, begins + dt.timedelta(days=size - 1)).isoformat()
    return memo.setdefault(("window", first, last), {"first": first, "last": last})


def _covers(start: str | None, end: str | None, on: str) -> bool:
    return (start is None or start <= on) and (end is None or end >= on)


def answerable(db: Database, questions: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The questions (kind, value as ``status.classify`` gives them) this module answers:
    materials and groups, and HS codes longer than a heading that no code of the
    catalogue is a proper prefix of (``contained_in`` precedence is per item)."""
    if not spans.available(db) or not has_goods(db.conn):
        return set()
    codes = [v for k, v in questions if k == "hs" and len(v) > 4]
    prefixes = {v: [v[:k] for k in range(2, len(v))] for v in codes}
    held = {r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'hs' and term in "
        "(select value from json_each(?))",
        [json.dumps(sorted({p for ps in prefixes.values() for p in ps}))])}
    out = {(k, v) for k, v in questions if k in ("material", "group")}
    out |= {("hs", v) for v in codes if not held.intersection(prefixes[v])}
    return out


NOT_GOODS = "(select id from lots where goods = 0)"
# the day a pending lot's span ``s`` (announcement ``a``) takes effect, as a verdict reads
# it (portfolio.status._pending_from): the announcement's effective date when later than
# the span's start, else the day after the span, else its start
TAKES_EFFECT = ("(case when a.effective_date > s.start then a.effective_date when s.end is "
                "not null then coalesce(date(s.end, '+1 day'), s.end) else s.start end)")


def _groups(db: Database, materials: list[str], codes: list[str], on: str,
            cache: dict[str, Any]) -> dict[tuple[str, str], list[tuple]]:
    """Question → its groups of matched lots covering ``on``: (state, shape, how, goods,
    materials (for codes, on in-force groups: their lots' material lists joined by
    commas), lots, newest, soonest end, soonest in effect), the last three as
    ``date|number|lot|term|n`` (the last two for suspended and pending groups only; the
    date of the last is the day its lot takes effect, :data:`TAKES_EFFECT`).

    Each group is read for the window in pieces, one per first and last day its lots
    share there (:func:`_pieces`); a day's group joins the pieces covering it."""
    asked = [("material", m) for m in materials] + [("hs", c) for c in codes]
    kept = _kept_pieces(db, asked, cache)
    out: dict[tuple[str, str], list[tuple]] = {}
    for question in asked:
        groups: dict[tuple, list[Any]] = {}
        for first, last, key, held, n, newest, soonest, effect in kept[question]:
            if not first <= on <= last:
                continue
            group = groups.get(key)
            if group is None:
                groups[key] = [held, n, newest, soonest, effect]
                continue
            if held:
                group[0] = f"{group[0]},{held}" if group[0] else held
            group[1] += n
            group[2] = max(group[2], newest)
            for at, mark in ((3, soonest), (4, effect)):
                if mark and (group[at] is None or mark < group[at]):
                    group[at] = mark
        if groups:
            out[question] = [(*key, *group) for key, group in groups.items()]
    return out


def _kept_pieces(db: Database, asked: list[tuple[str, str]], cache: dict[str, Any]
                 ) -> dict[tuple[str, str], list[tuple]]:
    """:func:`_pieces` of these questions (("material", m) or ("hs", code)), read once a
    window."""
    kept = cache.setdefault("groups", {})
    todo = [q for q in asked if q not in kept]
    if todo:
        kept.update(_pieces(db, [v for k, v in todo if k == "material"],
                            [v for k, v in todo if k == "hs"], cache["first"], cache["last"]))
        for question in todo:
            kept.setdefault(question, [])
    return kept


def _pieces(db: Database, materials: list[str], codes: list[str], first: str, last: str
            ) -> dict[tuple[str, str], list[tuple]]:
    """Question → (first day, last day, group key, materials, lots, newest, soonest end,
    soonest in effect) of its matched lots overlapping the window, grouped by the days of
    the window they cover (see :func:`_groups`)."""
    overlaps = "s.start <= :last and (s.end is null or s.end >= :first)"
    days = ":first, :last" if first == last else \
        "max(s.start, :first), min(coalesce(s.end, :far), :last)"
    # a few codes look their lots' flag up; a material (thousands of spans each) or many
    # codes test it against the list of the lots that cannot name goods (timeline
    # migration 7 indexes them), built once a query
    goods = (f"s.lot_id not in {NOT_GOODS}" if materials or len(codes) > FEW else
             "(select l.goods from lots l where l.id = s.lot_id)")
    # each question's span rows: materials by term, codes by the code itself and, for the
    # few codes with longer codes under them in the catalogue, by those
    longer = [r[0] for r in db.execute(
        "select q.value from json_each(:codes) q where exists (select 1 from item_terms t "
        "where t.kind = 'hs' and t.term > q.value and t.term < q.value || :top)",
        {"codes": json.dumps(codes), "top": "\uffff"})] if codes else []
    sources = [
        ("material", "q.value", "null", "json_each(:materials) q cross join lot_spans s on "
         "s.kind = 'material' and s.term = q.value"),
        ("hs", "q.value", "'exact'", "json_each(:codes) q cross join lot_spans s on "
         "s.kind = 'hs' and s.term = q.value"),
        ("hs", "q.value", "'contains'", "json_each(:longer) q cross join lot_spans s on "
         "s.kind = 'hs' and s.term > q.value and s.term < q.value || :top"),
    ]
    args = {"materials": json.dumps(materials), "codes": json.dumps(codes),
            "longer": json.dumps(longer), "top": "\uffff", "first": first, "last": last,
            "far": FAR}
    mark = "'|' || s.announcement || '|' || s.lot_id || '|' || s.term || '|' || s.n"
    found: dict[tuple[str, str], dict[tuple, list[Any]]] = {}
    for kind, question, how, rows in sources:
        # the newest lot of each group (SQLite takes the bare columns from the max row),
        # and for a code the materials of its lots (the clauses they reach, if in force)
        names = "group_concat(distinct s.materials)" if kind == "hs" else "null"
        dated: set[str] = set()
        for value, state, shape, match, good, start, end, n, adate, number, lot_id, term, k, \
                held in rows_at_once(
                db, f"{question}, s.state, s.shape, {how}, {goods}, {days}, count(*), "
                f"max(s.adate), s.announcement, s.lot_id, s.term, s.n, {names}", f"from {rows} "
                f"where {overlaps} group by 1, 2, 3, 5, 6, 7", args):
            found.setdefault((kind, value), {})[(start, end, state, shape, match, good)] = [
                held if state == "in_force" else None, n,
                f"{adate or ''}|{number}|{lot_id}|{term}|{k}", None, None]
            if state in ("suspended", "pending"):
                dated.add(value)
        # a suspension's soonest end, a pending measure's soonest end and the first day
        # one of its lots takes effect
        subset = {**args, "materials": json.dumps(sorted(dated)),
                  "codes": json.dumps(sorted(dated)), "longer": json.dumps(sorted(dated))}
        for value, state, shape, match, good, start, end, soonest, effect in rows_at_once(
                db, f"{question}, s.state, s.shape, {how}, {goods}, {days}, "
                f"min(coalesce(s.end, :far) || {mark}), min({TAKES_EFFECT} || {mark})",
                f"from {rows} left join announcements a on a.number = s.announcement "
                f"where {overlaps} and s.state in ('suspended', 'pending') "
                "group by 1, 2, 3, 5, 6, 7", subset) if dated else ():
            found[(kind, value)][(start, end, state, shape, match, good)][3:] = [
                soonest, effect]
    return {question: [(key[0], key[1], key[2:], *group) for key, group in pieces.items()]
            for question, pieces in found.items()}


def _number(mark: str | None) -> str | None:
    return mark.split("|")[1] if mark else None


def _marks(groups: list[tuple]) -> list[str]:
    """The representatives of each group: its newest lot; a suspension's soonest-ending
    and a pending measure's soonest-ending and first-in-effect one too (they give the
    verdict's date)."""
    return [mark for group in groups for mark in group[6:9 if group[0] == "pending" else
                                                         8 if group[0] == "suspended" else 7]
            if mark]


def _newest(db: Database, term: str, on: str, cache: dict[str, Any]) -> list[str]:
    """``span_status.newest_announcements`` (the newest :data:`SHOWN`, any destination) of
    the question's ``announcement`` rows on ``on``, from the rows up to the window's last
    day, read newest first as far as some day of the window has needed."""
    kept = cache.setdefault("newest", {})
    rows, done = kept.get(term, ([], False))
    found: list[tuple[str, str, int]] = []
    at = 0
    while True:
        if at == len(rows):
            if done:
                break
            limit = 2 * len(rows) + 64  # read further (from the start: the order is fixed)
            rows = db.execute(
                "select announcement, adate, n, start from lot_spans where kind = "
                "'announcement' and term = ? and start <= ? order by start desc limit ?",
                [term, cache["last"], limit]).fetchall()
            done = len(rows) < limit
            kept[term] = (rows, done)
            continue
        number, adate, n, start = rows[at]
        at += 1
        if start > on:
            continue
        if sum(1 for r in found if r[1] > start) >= SHOWN:
            break  # no older row can come before those found (a row's date <= its start)
        found.append((number, adate or "", n))
    return [number for number, _, _ in found]


def _chosen(db: Database, question: tuple[str, str], groups: list[tuple], on: str,
            cache: dict[str, Any], lean: bool = False) -> tuple[set[str], list[tuple]]:
    """The announcements of one question read in full, and the lots read alone (see the
    module docstring): (lot id, how, rank, via group, via material, n). ``lean``: a
    material's groups' representatives alone (:func:`answers`)."""
    kind, value = question
    term = span_status.announcement_term(kind, value)
    if term and lean:  # each group's representatives alone, read as lots (a material's)
        return set(), [(int(lot_id), None, 3, None, None, int(n)) for _, _, lot_id, _, n in
                       (mark.rsplit("|", 4) for mark in _marks(groups))]
    if term:
        return set(_newest(db, term, on, cache)) | {_number(m) for m in _marks(groups)}, []
    if sum(group[5] for group in groups) <= SHOWN:
        return set(), []  # every lot of the code: read with the other small ones
    # a code matching many lots: each group's representatives stand for it
    lots = []
    for mark in _marks(groups):
        _, _, lot_id, code, n = mark.rsplit("|", 4)
        lots.append((int(lot_id), *(("exact", 0) if code == value else ("contains", 2)),
                     None, None, int(n)))
    return set(), lots


def _every_lot(db: Database, codes: list[str], on: str, cache: dict[str, Any]
               ) -> dict[str, list[tuple]]:
    """Every lot matching each of these codes on the date, as :func:`_chosen` gives the
    lots read alone (an item carrying two codes under one counted once, ``hs_overlap``)."""
    kept = cache.setdefault("every lot", {})
    todo = [code for code in codes if code not in kept]
    overlaps = "s.start <= :last and (s.end is null or s.end >= :first)"
    for code in todo:
        kept[code] = []
    for code, lot_id, term, n, start, end in db.execute(
            "select q.value, s.lot_id, s.term, s.n, s.start, s.end from json_each(:codes) q "
            "cross join lot_spans s on s.kind = 'hs' and s.term >= q.value and "
            f"s.term < q.value || :top where {overlaps} union all select q.value, s.lot_id, "
            "null, s.n, s.start, s.end from json_each(:codes) q cross join lot_spans s on "
            f"s.kind = 'hs_overlap' and s.term = q.value where {overlaps}",
            {"codes": json.dumps(todo), "top": "\uffff", "first": cache["first"],
             "last": cache["last"]}) if todo else ():
        kept[code].append((lot_id, term, n, start, end))
    out: dict[str, list[tuple]] = {}
    for code in codes:
        counts: dict[tuple, int] = {}
        for lot_id, term, n, start, end in kept[code]:
            if _covers(start, end, on):
                key = (lot_id, "exact", 0) if term == code else (lot_id, "contains", 2)
                counts[key] = counts.get(key, 0) + n
        if counts:
            out[code] = [(*key, None, None, n) for key, n in counts.items()]
    return out


def _via_rows(db: Database, cache: dict[str, Any]) -> list[tuple]:
    """The clause-level spans reached through materials overlapping the window, by term
    (``span_status.via_materials``' columns, then the span's last day)."""
    if "via" not in cache:
        cache["via"] = rows_at_once(
            db, "lot_id, state, shape, n, null, 4, null, adate, announcement, start, null, "
            "term, end", "from lot_spans where kind = 'provision_material' and start <= ? and "
            "(end is null or end >= ?) order by term", [cache["last"], cache["first"]])
    return cache["via"]


def _clause_codes(db: Database, memo: dict[Any, Any]) -> dict[str, set[int]]:
    """Code → the clauses reached through materials that it reaches by itself: whose
    HS codes it is (a prefix of) one of (kept: they do not depend on the date)."""
    if "clause codes" not in memo:
        codes: dict[str, set[int]] = {}
        for lot_id, term in rows_at_once(
                db, "lot_id, term", "from lot_spans indexed by lot_spans_lot where lot_id in "
                "(select distinct lot_id from lot_spans where kind = 'provision_material') "
                "and kind = 'hs'", []):
            for end in range(1, len(term) + 1):
                codes.setdefault(term[:end], set()).add(lot_id)
        memo["clause codes"] = codes
    return memo["clause codes"]


def _via_materials(db: Database, on: str, found: dict[str, set[str]], memo: dict[Any, Any],
                   cache: dict[str, Any]) -> dict[str, list]:
    """``span_status.via_materials`` of many codes (rows of lots in force on the date
    only), from one read of the clause-level spans, shortened as :func:`_shown` says."""
    if not found:
        return {}
    every = cache["first"] == cache["last"]  # a window of one day: every row covers it
    wanted = {m for materials in found.values() for m in materials}
    by_term: dict[str, list[tuple]] = {}
    for row in _via_rows(db, cache):
        if row[11] in wanted and (every or _covers(row[9], row[12], on)):
            by_term.setdefault(row[11], []).append(row)
    codes = _clause_codes(db, memo)
    # each material's own shortlist first: what a set of materials shows is among them;
    # kept for the window while the same rows cover the day
    kept = cache.setdefault("shortlists", {})
    short = {}
    for term, found_rows in by_term.items():
        key = (term, tuple(id(row) for row in found_rows))
        if key not in kept:
            kept[key] = _Shortlist(found_rows)
        short[term] = kept[key]
    out: dict[str, list] = {}
    by_set: dict[frozenset[str], list[tuple]] = {}  # codes share their materials' rows
    for code, materials in found.items():
        key = frozenset(materials)
        if key not in by_set:
            by_set[key] = _shown_of([short[t] for t in sorted(key) if t in short])
        direct = codes.get(code)  # the clauses the code reaches by itself
        out[code] = [row for row in by_set[key] if row[0] not in direct] if direct \
            else by_set[key]
    return out


class _Shortlist:
    """One material's clause rows as :func:`_shown` keeps them, with what a set of
    materials' :func:`_shown` reads of them: the newest :data:`SHOWN` (date, number)
    and the newest of each (state, shape)."""

    def __init__(self, rows: list[tuple]) -> None:
        self.rows = _shown(rows)
        dated = [r for r in self.rows if r[1] is not None]
        self.newest = sorted({(r[7] or "", r[8]) for r in dated}, reverse=True)[:SHOWN]
        self.best: dict[tuple, tuple[str, str]] = {}
        for r in dated:
            self.best[(r[1], r[2])] = max(self.best.get((r[1], r[2]), ("", "")),
                                          (r[7] or "", r[8]))


def _shown_of(lists: list[_Shortlist]) -> list[tuple]:
    """:func:`_shown` of the rows of these materials' shortlists, in order, a clause
    reached by two of them once (through the first): the newest :data:`SHOWN` and the
    newest of each (state, shape) of all of them are among each one's own."""
    if len(lists) == 1:
        return lists[0].rows
    newest = sorted({pair for one in lists for pair in one.newest}, reverse=True)[:SHOWN]
    best: dict[tuple, tuple[str, str]] = {}
    for one in lists:
        for key, pair in one.best.items():
            best[key] = max(best.get(key, ("", "")), pair)
    keep = {number for _, number in newest} | {number for _, number in best.values()}
    seen: set[tuple] = set()
    out = []
    for one in lists:
        for row in one.rows:
            if row[8] in keep and (row[0], row[9]) not in seen:
                seen.add((row[0], row[9]))
                out.append(row)
    return out


def _rows(db: Database, wanted: dict[tuple[str, str], set[str]],
          alone: dict[tuple[str, str], list[tuple]], on: str, cache: dict[str, Any]
          ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Per question, the lot rows (as ``span_status.lot_rows`` makes them) of its chosen
    announcements and of the lots read alone, read for all questions at once (each lot's
    spans and intervals once a window)."""
    lots_of = _lots_of(db, {n for chosen in wanted.values() for n in chosen}, cache)
    by_lot = _lot_terms(db, _question_lots(wanted, lots_of), wanted, cache, on)
    per: dict[tuple[str, str], dict[tuple, int]] = {}
    for question, chosen in wanted.items():
        kind, value = question
        counts = per.setdefault(question, {})
        read = {key[0] for key in alone.get(question, [])}  # counted below, once
        mine = {i for n in chosen for i in lots_of[n]} - read
        for lot_id in mine:
            for key, n in _matched(kind, value, by_lot.get(lot_id)):
                counts[(lot_id, *key)] = counts.get((lot_id, *key), 0) + n
        for lot_id, *key, n in alone.get(question, []):
            counts[(lot_id, *key)] = counts.get((lot_id, *key), 0) + n
    fields = _lot_fields(db, sorted({key[0] for c in per.values() for key in c}), on, cache)
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for question, counts in per.items():
        rows = out.setdefault(question, [])
        for (lot_id, how, rank, via_group, via_material), n in counts.items():
            lot = fields.get(lot_id)
            if lot is None or n <= 0:
                continue
            rows.append({"lot_id": lot_id, "announcement": lot[1], "provision": lot[2],
                         "kind": lot[3], "measure": lot[4], "destinations": lot[5],
                         "scope": lot[6], "destination_wide": lot[7],
                         "announcement_date": lot[8], "ordinal": lot[9], "state": lot[10],
                         "since": lot[11], "until": lot[12], "cause": lot[13], "match": how,
                         "rank": rank, "via_group": via_group, "via_material": via_material,
                         "count": n, "goods": bool(lot[14])})
    return out


def _lots_of(db: Database, numbers: set[str], cache: dict[str, Any]) -> dict[str, list[int]]:
    """Announcement → its lots (kept: they do not depend on the date)."""
    lots_of = cache.setdefault("lots of", {})
    todo = sorted(numbers - lots_of.keys())
    found: dict[str, list[int]] = {number: [] for number in todo}
    for lot_id, number in rows_at_once(
            db, "id, announcement", "from lots where announcement in "
            "(select value from json_each(?))", [json.dumps(todo)]) if todo else ():
        found[number].append(lot_id)
    lots_of.update(found)  # once read whole (a read beside may fail half-way)
    return lots_of


def _read_rows_aside(db: Database, wanted: dict[tuple[str, str], set[str]],
                     alone: dict[tuple[str, str], list[tuple]], on: str,
                     cache: dict[str, Any]) -> None:
    """The reads of :func:`_rows` known before the clauses reached through materials are
    shortlisted (the chosen announcements' lots, their spans and fields, and their
    states), kept in ``cache`` for it."""
    numbers = {n for chosen in wanted.values() for n in chosen}
    ids = _question_lots(wanted, _lots_of(db, numbers, cache))
    _lot_terms(db, ids, wanted, cache, on)
    _lot_fields(db, sorted({i for lots in ids.values() for i in lots} |
                           {key[0] for lots in alone.values() for key in lots}), on, cache)
    _kept_states(db, numbers, cache)


# the spans a lot is matched by, per kind of question: a material (or group) by its term,
# a code by the codes under it (and the items carrying two codes under one)
TERM_KINDS = {"material": ("material", "via"), "hs": ("hs", "hs_overlap")}


def _term_kind(kind: str) -> str:
    return "hs" if kind == "hs" else "material"


def _question_lots(wanted: dict[tuple[str, str], set[str]], lots_of: dict[str, list[int]]
                   ) -> dict[str, list[int]]:
    """Per kind of question (:data:`TERM_KINDS`), the lots of its chosen announcements."""
    out: dict[str, set[int]] = {term_kind: set() for term_kind in TERM_KINDS}
    for (kind, _), chosen in wanted.items():
        out[_term_kind(kind)].update(i for n in chosen for i in lots_of[n])
    return {term_kind: sorted(ids) for term_kind, ids in out.items()}


def _lot_terms(db: Database, ids: dict[str, list[int]],
               wanted: dict[tuple[str, str], set[str]], cache: dict[str, Any], on: str
               ) -> dict[int, dict[Any, Any]]:
    """Lot → its spans covering ``on`` that some question can match (its material, or a
    code under its code): ``{"hs": [(code, n)], (kind, term): (n, via)}``; ``ids``: per
    kind of question, the lots its questions read (:func:`_question_lots`), so a lot
    only a material names is not searched for codes. Each lot's spans are read once for
    the window and the questions' values asked so far; a new value is read for the lots
    already kept."""
    every = cache["first"] == cache["last"]  # a window of one day: every row covers it
    by_lot: dict[int, dict[Any, Any]] = {}
    for term_kind, kinds in TERM_KINDS.items():
        asked = {q for q in wanted if _term_kind(q[0]) == term_kind}
        kept = _kept_terms(db, term_kind, kinds, ids.get(term_kind, []), asked, cache)
        for lot_id in ids.get(term_kind, []):
            for kind, term, n, via, start, end in kept[lot_id]:
                if not every and not _covers(start, end, on):
                    continue
                terms = by_lot.setdefault(lot_id, {"hs": []})
                if kind == "hs":
                    terms["hs"].append((term, n))
                else:
                    terms[(kind, term)] = (n, via)
    return by_lot


def _kept_terms(db: Database, term_kind: str, kinds: tuple[str, str], ids: list[int],
                wanted: set[tuple[str, str]], cache: dict[str, Any]
                ) -> dict[int, list[tuple]]:
    """Lot → its spans of these kinds overlapping the window whose terms these questions
    (one kind of question) match, read once for a lot and a question."""
    kept = cache.setdefault(("lot terms", term_kind), {})
    values = cache.setdefault(("lot term values", term_kind), set())  # (kind, value) so far
    new_values = sorted(wanted - values)
    new_ids = [i for i in ids if i not in kept]
    reads = []
    if new_values and kept:
        reads.append((sorted(kept), new_values))
    if new_ids:
        reads.append((new_ids, sorted(values | set(new_values))))
    read: dict[int, list[tuple]] = {}  # kept once every read is whole (_read_rows_aside)
    for lot_ids, asked in reads:
        terms = sorted({v for _, v in asked})
        lengths = sorted({len(v) for k, v in asked if k == "hs"})
        under = "".join(f" or substr(term, 1, {n}) in (select value from json_each(:values))"
                        for n in lengths)
        for row in rows_at_once(
                db, "lot_id, kind, term, n, via, start, end", "from lot_spans "
                "indexed by lot_spans_lot where lot_id in (select value from json_each(:ids)) "
                "and kind in (:kind, :other) and start <= :last and (end is null or end >= "
                f":first) and (term in (select value from json_each(:values)){under})",
                {"ids": json.dumps(lot_ids), "first": cache["first"], "last": cache["last"],
                 "values": json.dumps(terms), "kind": kinds[0], "other": kinds[1]}):
            read.setdefault(row[0], []).append(row[1:])
    for lot_id in new_ids:
        kept[lot_id] = []
    for lot_id, rows in read.items():
        kept[lot_id] += rows
    values.update(new_values)
    if reads and reads[0][0] is not new_ids:
        for lot_id in reads[0][0]:  # lots read again: their rows as one read gives them
            kept[lot_id].sort(key=lambda r: (r[0], r[1], r[4]))
    return kept


def _lot_fields(db: Database, ids: list[int], on: str, cache: dict[str, Any]
                ) -> dict[int, tuple]:
    """Lot → its fields and its interval covering ``on`` (each lot's intervals overlapping
    the window read once)."""
    kept = cache.setdefault("lot fields", {})
    todo = [i for i in ids if i not in kept]
    read: dict[int, list[tuple]] = {lot_id: [] for lot_id in todo}
    for row in rows_at_once(
            db, "l.id, l.announcement, l.provision, l.kind, l.measure, l.destinations, "
            "l.scope, l.destination_wide, l.announcement_date, l.ordinal, i.state, i.start, "
            "i.end, i.cause, l.goods", "from lots l join intervals i on "
            "i.subject_id = l.rep and i.retired_in is null and i.start <= ? and (i.end is null "
            "or i.end >= ?) where l.id in (select value from json_each(?))",
            [cache["last"], cache["first"], json.dumps(todo)]) if todo else ():
        read[row[0]].append(row)
    kept.update(read)  # once read whole (_read_rows_aside)
    every = cache["first"] == cache["last"]  # a window of one day: every row covers it
    out: dict[int, tuple] = {}
    for lot_id in ids:
        for row in kept[lot_id]:
            if every or _covers(row[11], row[12], on):
                out[lot_id] = row
    return out


def _matched(kind: str, value: str, terms: dict[str, Any] | None) -> list[tuple]:
    """((how, rank, via group, via material), n) of a lot's spans for the question, as
    ``span_status.source`` matches them."""
    if not terms:
        return []
    if kind in ("material", "group"):
        out = []
        if ("material", value) in terms:
            out.append(((None, 3, None, None), terms[("material", value)][0]))
        if ("via", value) in terms:
            n, via = terms[("via", value)]
            out.append(((None, 5, via, None), n))
        return out
    out = [((("exact", 0) if term == value else ("contains", 2)) + (None, None), n)
           for term, n in terms["hs"] if term.startswith(value)]
    if ("hs_overlap", value) in terms:
        out.append((("contains", 2, None, None), terms[("hs_overlap", value)][0]))
    return out


def _shown(rows: list[tuple]) -> list[tuple]:
    """Clause-level rows reached through materials (``span_status.via_materials``) of the
    newest :data:`SHOWN` announcements and the newest of each (state, shape): the
    material a clause is reached through does not change what it decides."""
    newest = sorted({(r[7] or "", r[8]) for r in rows if r[1] is not None}, reverse=True)
    keep = {number for _, number in newest[:SHOWN]}
    best: dict[tuple, tuple[str, str]] = {}
    for r in rows:
        if r[1] is not None:
            key = (r[1], r[2])
            best[key] = max(best.get(key, ("", "")), (r[7] or "", r[8]))
    keep |= {number for _, number in best.values()}
    return [r for r in rows if r[8] in keep]


def answers(db: Database, questions: list[tuple[str, str]], on: str,
            memo: dict[Any, Any] | None = None, lean: bool = False
            ) -> dict[tuple[str, str], dict[str, Any]]:
    """Per answerable question (:func:`answerable`): its matched announcements on ``on``
    as ``status`` lists them (``info`` and ``rows``: the lot rows, any destination) and
    its own-list announcements; :func:`for_destination` makes the answer for one.
    ``memo`` keeps, for the next call with it, what does not depend on the date (which
    announcements' own lists name a question) and what was read for the window
    (:func:`window`). ``lean`` reads a material's groups by their representatives alone
    (not its newest announcements, nor their other lots): the verdict is the same (every
    group's verdict is among them), the listing shorter, and a day's new announcements
    are not read."""
    memo = {} if memo is None else memo
    cache = _cache(memo, on)
    asked = _answerable(db, questions, memo)
    materials = sorted({v for k, v in asked if k in ("material", "group")})
    codes = sorted({v for k, v in asked if k == "hs"})
    many = len(asked) > FEW
    _, own = _beside(  # what does not wait for the codes' groups, read beside them
        db, memo, many, lambda side: _read_aside(side, asked, materials, on, memo, cache),
        lambda: _kept_pieces(db, [("hs", c) for c in codes], cache))
    if own is None:
        own = _read_aside(db, asked, materials, on, memo, cache)
    groups = _groups(db, materials, codes, on, cache)
    wanted: dict[tuple[str, str], set[str]] = {}
    alone: dict[tuple[str, str], list[tuple]] = {}
    found: dict[str, set[str]] = {}
    for kind, value in asked:
        mine = groups.get(("material" if kind != "hs" else "hs", value), [])
        wanted[(kind, value)], alone[(kind, value)] = _chosen(db, (kind, value), mine, on,
                                                              cache, lean)
        wanted[(kind, value)] |= set(own[(kind, value)])
        if kind == "hs":
            found[value] = {m for g in mine if g[0] == "in_force" and g[4]
                            for names in json.loads(f"[{g[4]}]") for m in names}
    small = [v for k, v in asked if k == "hs" and 0 < sum(
        g[5] for g in groups.get(("hs", v), [])) <= SHOWN]
    for code, lots in _every_lot(db, small, on, cache).items():
        alone[("hs", code)] += lots
    via, _ = _beside(  # the rows' reads beside the clauses' shortlists (else in _rows)
        db, memo, many, lambda side: _read_rows_aside(side, wanted, alone, on, cache),
        lambda: _via_materials(db, on, {c: m for c, m in found.items() if m}, memo, cache))
    for code, via_rows in via.items():
        alone[("hs", code)] += [(r[0], None, 4, None, r[11], r[3]) for r in via_rows]
    rows = _rows(db, wanted, alone, on, cache)
    numbers = {n for chosen in wanted.values() for n in chosen}
    numbers |= {r["announcement"] for found_rows in rows.values() for r in found_rows}
    states = _states(db, sorted(numbers), on, cache)
    return {question: {"rows": rows.get(question, []), "states": states,
                       "own": own[question]} for question in asked}


def path_of(db: Database) -> str:
    """The catalogue's file ("" for a catalogue in memory)."""
    return next((row[2] for row in db.execute("pragma database_list") if row[1] == "main"), "")


def alone(memo: dict[Any, Any]) -> None:
    """Read on one connection from now on, none beside it (a process sharing the two cores
    with another, core/halves.py)."""
    memo["side"] = None


def _side(db: Database, memo: dict[Any, Any]) -> Database | None:
    """A second read-only connection to the catalogue's file (kept in ``memo``), so two
    reads run on the two cores (SQLite lets go of Python's lock while it reads); None
    for a catalogue in memory, or one that cannot be opened again (or :func:`alone`)."""
    if "side" not in memo:
        memo["side"] = None
        path = path_of(db)
        if path:
            try:
                side = connect_readonly(path)
                side.execute("select count(*) from sqlite_master").fetchone()  # it opens
                memo["side"] = side
            except sqlite3.Error:
                pass
    return memo["side"]


def _beside(db: Database, memo: dict[Any, Any], many: bool,
            aside: Callable[[Database], Any], here: Callable[[], Any]) -> tuple[Any, Any]:
    """``(here(), aside(second connection))``, the two run at once when there are ``many``
    questions and a second connection opens (:func:`_side`); else ``aside`` is not run and
    gives None. A second connection whose reads fail also gives None and is given up:
    each read keeps its rows only once it has all, so the caller reads what is missing on
    this one."""
    side = _side(db, memo) if many else None
    if side is None:
        return here(), None
    with reading_beside(), ThreadPoolExecutor(1) as pool:
        future = pool.submit(aside, side)
        done = here()
        try:
            return done, future.result()
        except sqlite3.Error:
            memo["side"] = None
            return done, None


def _read_aside(db: Database, asked: set[tuple[str, str]], materials: list[str], on: str,
                memo: dict[Any, Any], cache: dict[str, Any]
                ) -> dict[tuple[str, str], list[str]]:
    """The reads of :func:`answers` that do not wait for the codes' groups, kept in
    ``memo`` and ``cache`` for it (the materials' groups, the clauses reached through
    materials); returns the own lists (:func:`_own`)."""
    _kept_pieces(db, [("material", m) for m in materials], cache)
    _via_rows(db, cache)
    _clause_codes(db, memo)
    return _own(db, asked, on, memo, cache)


def _kept_states(db: Database, numbers: Any, cache: dict[str, Any]
                 ) -> dict[str, tuple | None]:
    """Announcement → (fields, intervals overlapping the window, states built so far, the
    days its covering interval changes, the interval from each of them), None for an
    unknown one (``status.state_rows``), read once a window."""
    kept = cache.setdefault("states", {})
    todo = sorted({n for n in numbers if n not in kept})
    if todo:
        found = status.state_rows(db, todo, cache["first"], cache["last"])
        for number in todo:
            kept[number] = (*found[number], {}, *_segments(found[number][1])) \
                if number in found else None
    return kept


def _segments(intervals: list[tuple]) -> tuple[list[str], list[int | None]]:
    """The days an announcement's covering interval can change (each interval's first day
    and the day after its last, sorted) and, from each, the index of the interval
    ``status.state_on`` reads (the covering one that started last; None for none): a
    day's interval is then one bisection away."""
    days = sorted({d for i in intervals for d in (i[1], _next(i[2] or FAR)) if d})
    at = [next((k for k, i in enumerate(intervals) if _covers(i[1], i[2], day)), None)
          for day in days]
    return days, at


def _states(db: Database, numbers: Any, on: str, cache: dict[str, Any]
            ) -> dict[str, dict[str, Any]]:
    """``status.announcement_states`` on ``on``: each announcement's fields and intervals
    read once a window, its state built once an interval."""
    kept = _kept_states(db, numbers, cache)
    out: dict[str, dict[str, Any]] = {}
    for number in numbers:
        entry = kept[number]
        if entry is None:
            continue
        fields, intervals, built, _, _ = entry
        at = _covering(entry, on)
        if at not in built:
            built[at] = status.state_on(fields, intervals, on)
        out[number] = built[at]
    return out


def _state_names(db: Database, numbers: Any, on: str, cache: dict[str, Any]
                 ) -> dict[str, str]:
    """Each known announcement's own state on ``on`` alone (what :func:`_states` gives
    as ``state``), without building the rest: a question's own lists name thousands."""
    kept = _kept_states(db, numbers, cache)
    out: dict[str, str] = {}
    for number in numbers:
        entry = kept[number]
        if entry is not None:
            at = _covering(entry, on)
            out[number] = "not_issued" if at is None else entry[1][at][0]
    return out


def _covering(entry: tuple, on: str) -> int | None:
    """The index of the interval of a kept announcement (:func:`_kept_states`) that
    ``status.state_on`` reads on ``on`` (None: none covers it, not issued)."""
    days, ats = entry[3], entry[4]
    k = bisect_right(days, on)
    return ats[k - 1] if k else None


def _own_numbers(db: Database, question: tuple[str, str], memo: dict[Any, Any]) -> list[str]:
    """The announcements whose own lists name the question (``status._own_lists``), newest
    issue first (kept: it does not depend on the date)."""
    if ("own", question) not in memo:  # an unknown number: none
        numbers = list(dict.fromkeys(status._own_lists(db, *question)))
        issued = dict(db.execute(
            "select number, coalesce(issue_date, '') from announcements where number in "
            "(select value from json_each(?))", [json.dumps(numbers)]).fetchall()) \
            if numbers else {}
        memo[("own", question)] = sorted(((issued[n], n) for n in numbers if n in issued),
                                          reverse=True)
    return [n for _, n in memo[("own", question)]]


def _own(db: Database, asked: set[tuple[str, str]], on: str, memo: dict[Any, Any],
         cache: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """Per question, the announcements whose own lists name it (``status._own_lists``)
    issued by ``on``, newest first: the newest :data:`SHOWN`, and of those in force (an
    annex without items, No. 89's catalogue, is read through its own clauses, one by one,
    and can decide the verdict) every one that has a form of clause no newer one has."""
    kept = cache.setdefault(("own lists", on), {})  # a day asked again, for the verdict alone
    todo = {q for q in asked if q not in kept}
    if todo:
        kept.update(_own_of(db, todo, on, memo, cache))
    return {q: kept[q] for q in asked}


def _own_of(db: Database, asked: set[tuple[str, str]], on: str, memo: dict[Any, Any],
            cache: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """:func:`_own`, read."""
    named = {q: _own_numbers(db, q, memo) for q in asked}
    states = _state_names(db, {n for numbers in named.values() for n in numbers}, on, cache)
    forms = _clause_forms(db, sorted({n for numbers in named.values() for n in numbers
                                      if states[n] == "in_force"}), on, cache)
    out: dict[tuple[str, str], list[str]] = {}
    for q, numbers in named.items():
        issued = [n for n in numbers if states[n] != "not_issued"]
        # one in force is read through its own clauses and can decide: the newest with
        # each form of clause (and, suspended or pending, the soonest to end) is kept
        first: dict[tuple, str] = {}
        soonest: dict[tuple, tuple[str, str]] = {}
        for n in issued:
            for form, end in forms.get(n, ()):
                first.setdefault(form, n)
                if form[-1] in ("suspended", "pending"):
                    soonest[form] = min(soonest.get(form, (end or FAR, n)), (end or FAR, n))
        keep = set(issued[:SHOWN]) | set(first.values()) | {n for _, n in soonest.values()}
        out[q] = [n for n in issued if n in keep]
    return out


def _kept_forms(db: Database, numbers: list[str], cache: dict[str, Any]
               ) -> dict[str, list[tuple]]:
    """Announcement → (form, first day, last day) of its clauses' intervals overlapping
    the window (see :func:`_clause_forms`), read once a window."""
    kept = cache.setdefault("clause forms", {})
    todo = [n for n in numbers if n not in kept]
    read: dict[str, list[tuple]] = {number: [] for number in todo}
    for number, *form, start, end in rows_at_once(
            db, "l.announcement, l.measure, l.destinations, l.scope, l.destination_wide, "
            "i.state, i.start, i.end", "from lots l join intervals i on i.subject_id = l.rep "
            "and i.retired_in is null and i.start <= ? and (i.end is null or i.end >= ?) "
            "where l.announcement in (select value from json_each(?)) and "
            "l.kind = 'provision'", [cache["last"], cache["first"], json.dumps(todo)]
            ) if todo else ():
        read[number].append((tuple(form), start, end))
    kept.update(read)  # once read whole (a read beside may fail)
    return kept


def _clause_forms(db: Database, numbers: list[str], on: str, cache: dict[str, Any]
                  ) -> dict[str, list[tuple[tuple, str | None]]]:
    """Announcement → the (measure, destinations, scope, destination-wide, state) of each
    of its clauses on ``on``, with the day that state ends."""
    kept = _kept_forms(db, numbers, cache)
    out: dict[str, list[tuple[tuple, str | None]]] = {}
    for number in numbers:
        for form, start, end in kept[number]:
            if _covers(start, end, on):
                out.setdefault(number, []).append((form, end))
    return out


def listed(found: dict[str, Any], destinations: list[str]
           ) -> tuple[list[tuple[dict[str, Any], list[dict[str, Any]]]], dict[tuple, bool]]:
    """One question's announcements for these destinations (of :func:`answers`' lot rows
    and own-list announcements), newest first, each as (its state on the date, its
    matched parts in the answer's order, ``status.matched_order``), and whether each
    clause can name goods: what :func:`for_destination` lists, without copying the
    states (shared between answers: read them, never write) or the parts."""
    rows = [r for r in found["rows"] if span_status.allowed(r, destinations)]
    states = found["states"]
    parts = status._parts_of(rows)
    goods = {(r["announcement"], r["provision"], r["kind"]): r["goods"] for r in rows}
    by_number: dict[str, list[dict[str, Any]]] = {}
    dates: dict[str, str] = {}
    for part in parts:
        by_number.setdefault(part["announcement"], []).append(part)
        dates[part["announcement"]] = max(dates.get(part["announcement"], ""),
                                          part["announcement_date"] or "")
    for number in found["own"]:
        info = states.get(number)
        if number not in by_number and info is not None and info["state"] != "not_issued":
            dates[number] = info["issue_date"] or ""
    numbers = sorted(dates, key=lambda n: (dates[n], n), reverse=True)
    return [(states[n], status.matched_order(by_number.get(n, [])))
            for n in numbers if n in states], goods


NEVER, LISTED, MAY = "never", "listed", "may"  # how a group bears on a verdict (verdict_days)


def verdict_days(db: Database, questions: list[tuple[str, str]], first: str, last: str,
                 memo: dict[Any, Any], bears: Callable[..., str] | None = None
                 ) -> dict[tuple[str, str], set[str]]:
    """Per answerable question, the days after ``first`` up to ``last`` on which the
    verdict its answer gives can change (some days on which it cannot, too).

    A verdict reads the groups of matched lots (state, shape, goods), not which lots are
    in them: a day counts where a group starts or stops covering, or where a suspended
    group's soonest end or a pending group's first day in effect changes; for a code,
    also where a material starts or stops being held by its lots in force, and where a
    group of the clauses those materials reach starts or stops covering. For both, the days
    the announcements whose own lists name it start or end a state or a clause, and those
    of the measures bound to every dual-use item to a destination. ``first`` and ``last``
    lie in ``memo``'s window.

    ``bears(kind, value, state, shape, goods)`` (``shape`` as ``span_status.shapes``
    gives it) says how a group bears on the verdict of a lane asking the question, as the
    reader of the answers decides it: :data:`NEVER` (its parts never decide; its days are
    not followed), :data:`LISTED` (in force, it decides for every destination and end use:
    while it covers, what is suspended or pending does not change the verdict) or
    :data:`MAY`. Without it, every group may."""
    asked = _answerable(db, questions, memo)
    if not asked:
        return {}
    out: dict[tuple[str, str], set[str]] = {q: set() for q in asked}
    day = first
    groups = sorted({("hs" if k == "hs" else "material", v) for k, v in asked})
    read_groups(db, questions, first, last, memo)
    while day <= last:
        cache = _cache(memo, day)
        kept = _kept_pieces(db, groups, cache)
        via: dict[str, list[tuple]] = {}
        for row in _via_rows(db, cache):
            via.setdefault(row[11], []).append(row)
        clause_days: dict[str, set[str]] = {}  # per material, its clauses' days
        for question in asked:
            days = out[question]
            kind, value = question
            pieces = kept[("hs" if kind == "hs" else "material", value)]
            if bears is None:
                days.update(_coverage_days(pieces))
            else:
                shapes = _shapes(db, memo)
                how = {key: bears(kind, value, key[0], shapes.get(key[1]), bool(key[3]))
                       for key in {piece[2] for piece in pieces}}
                days.update(_coverage_days(
                    [p for p in pieces if how[p[2]] != NEVER],
                    listed=[(p[0], p[1]) for p in pieces if how[p[2]] == LISTED]))
            if kind == "hs":  # and the materials its lots in force hold, and their clauses
                held: dict[str, list[tuple]] = {}
                for start, end, _, names, *_ in pieces:
                    for material in {m for found in json.loads(f"[{names or ''}]")
                                     for m in found}:
                        held.setdefault(material, []).append((start, end, ("held",)))
                for material, found in held.items():
                    days.update(_coverage_days(found))
                    if material not in clause_days:
                        clause_days[material] = _clause_days(
                            db, via.get(material, []), memo, bears)
                    days.update(clause_days[material])
            own = _own_numbers(db, question, memo)
            states = _kept_states(db, own, cache)
            days.update(d for n in own if states[n] is not None
                        for i in states[n][1] for d in (i[1], _next(i[2] or FAR)))
            forms = _kept_forms(db, own, cache)
            days.update(d for n in own for _, start, end in forms[n]
                        for d in (start, _next(end or FAR)))
        if "wide days" not in cache:
            cache["wide days"] = {d for start, end in db.execute(
                "select i.start, i.end from items it join intervals i on i.subject_id = "
                "it.subject_id and i.retired_in is null and i.start <= ? and (i.end is null "
                "or i.end >= ?) where it.current = 1 and it.destination_wide = 1",
                [cache["last"], cache["first"]]) for d in (start, _next(end or FAR))}
        for days in out.values():
            days |= cache["wide days"]
        day = _next(cache["last"])
    return {q: {d for d in days if first < d <= last} for q, days in out.items()}


def read_groups(db: Database, questions: list[tuple[str, str]], first: str, last: str,
                memo: dict[Any, Any], then: Callable[[], Any] | None = None) -> Any:
    """Read the groups of these questions, and the clauses reached through materials, for
    the days ``first`` to ``last`` of ``memo``'s window, kept in ``memo``: the codes' on a
    second connection beside the materials'. What :func:`verdict_days` and the answers of
    those days read first, once (a portfolio read in two processes reads them before it
    forks, portfolio/changes.py). ``then`` runs here once the materials' are read, while
    the codes' may still be read beside (a portfolio answers its materials meanwhile); its
    result is returned."""
    asked = _answerable(db, questions, memo)
    if not asked:  # none the spans answer (or no spans): nothing to read
        return then() if then is not None else None
    groups = sorted({("hs" if k == "hs" else "material", v) for k, v in asked})
    codes = [g for g in groups if g[0] == "hs"]

    def each_stretch(read: Callable[[dict[str, Any]], Any]) -> None:
        day = first
        while day <= last:
            cache = _cache(memo, day)
            read(cache)
            day = _next(cache["last"])

    def materials() -> Any:
        each_stretch(lambda cache: _read_window_aside(
            db, [g for g in groups if g[0] == "material"], cache))
        return then() if then is not None else None

    found, _ = _beside(db, memo, len(codes) > FEW,
                       lambda side: each_stretch(lambda cache: _kept_pieces(side, codes, cache)),
                       materials)
    each_stretch(lambda cache: _kept_pieces(db, groups, cache))  # what was not read beside
    return found


def _read_window_aside(db: Database, groups: list[tuple[str, str]], cache: dict[str, Any]
                       ) -> None:
    """The reads of :func:`verdict_days` that do not wait for the codes' groups (the
    materials' groups, the clauses reached through materials), kept in ``cache``."""
    _kept_pieces(db, groups, cache)
    _via_rows(db, cache)


def _coverage_days(pieces: list[tuple], every_pending: bool = False,
                   listed: Sequence[tuple[str, str]] = ()) -> set[str]:
    """The days the groups of these pieces ((first day, last day, group key, ..., soonest
    end, soonest in effect)) start or stop covering; for a suspended group, also the days
    its soonest end changes, and for a pending group the days its first day in effect
    changes (``every_pending``: every piece's first day and the day after its last, for
    pieces that do not carry it). A suspended or pending group's days are left out where
    ``listed`` (first day, last day) covers them: a measure in force decides then."""
    spans: dict[tuple, list[tuple]] = {}
    for piece in pieces:
        spans.setdefault(piece[2], []).append(piece)
    out: set[str] = set()
    for key, found in spans.items():
        if key[0] in ("suspended", "pending"):
            out.update(d for d in _dated_days(key[0], found, every_pending)
                       if not any(start <= d <= end for start, end in listed))
            continue
        found = sorted((start, end) for start, end, *_ in found)
        run_start, run_end = found[0]
        for start, end in found[1:]:
            if start <= _next(run_end):
                run_end = max(run_end, end)
                continue
            out.update((run_start, _next(run_end)))
            run_start, run_end = start, end
        out.update((run_start, _next(run_end)))
    return out


def _clause_days(db: Database, rows: list[tuple], memo: dict[Any, Any],
                 bears: Callable[..., str] | None) -> set[str]:
    """The days the clauses reached through a material (:func:`_via_rows`) can change a
    verdict: where those that may decide (``bears``, ``through``) start or stop covering,
    by state and shape. Which suspended or pending clauses an answer lists depends on
    every clause of the material (:func:`_shown`), so with one of them that may decide,
    every clause's first day and the day after its last count."""
    if bears is not None:
        shapes = _shapes(db, memo)
        followed = [row for row in rows if bears(
            "hs", row[11], row[1], shapes.get(row[2]), True, through=True) != NEVER]
        if not any(row[1] in ("suspended", "pending") for row in followed):
            rows = followed
    return _coverage_days([(row[9], row[12] or FAR, row[1:3], None, 1, None, row[12] or FAR,
                            None) for row in rows], every_pending=True)


def _dated_days(state: str, found: list[tuple], every_pending: bool) -> set[str]:
    """A suspended or pending group's days (:func:`_coverage_days`)."""
    if state == "pending" and every_pending:
        return {d for start, end, *_ in found for d in (start, _next(end))}
    at = 6 if state == "suspended" else 7  # the date the verdict names, on each day a
    named, out = None, set()  # piece bounds
    for day in sorted({d for start, end, *_ in found for d in (start, _next(end))}):
        now = [(p[at] or FAR).split("|")[0] for p in found if p[0] <= day <= p[1]]
        now_named = min(now) if now else None
        if now_named != named:
            out.add(day)
            named = now_named
    return out


def _shapes(db: Database, memo: dict[Any, Any]) -> dict[int, dict[str, Any]]:
    """``span_status.shapes``, kept in ``memo`` (a handful of rows)."""
    if "shapes" not in memo:
        memo["shapes"] = span_status.shapes(db)
    return memo["shapes"]


def _next(day: str) -> str:
    return FAR if day >= FAR else derive.day_after(day)


def _answerable(db: Database, questions: list[tuple[str, str]], memo: dict[Any, Any]
                ) -> set[tuple[str, str]]:
    """:func:`answerable` of these questions, each looked up once (kept in ``memo``)."""
    unknown = [q for q in questions if ("answerable", q) not in memo]
    if unknown:
        yes = answerable(db, unknown)
        memo.update({("answerable", q): q in yes for q in unknown})
    return {q for q in questions if memo[("answerable", q)]}


def for_destination(db: Database, kind: str, value: str, found: dict[str, Any], on: str,
                    destinations: list[str], wide: list[dict[str, Any]] | None = None,
                    shared: bool = False) -> dict[str, Any]:
    """The answer (as ``status`` gives it, every announcement listed) to one question of
    :func:`answers` for one destination (``wide``: its destination-wide measures on the
    date, when the caller has read them already); ``goods`` says, per (announcement,
    clause, kind) of its parts, whether they can name goods (timeline/lots.py).
    ``shared``: the announcements are their states as kept, without their matched parts,
    which ``listed`` pairs with them (:func:`listed`): for a reader that copies what it
    keeps of them (portfolio/status.py), a copy less per announcement and part."""
    pairs, goods = listed(found, destinations)
    notes: dict[str, Any] = {}
    if kind in ("material", "group"):
        status._material_terms(kind, value, notes)
    announcements = [info for info, _ in pairs] if shared else \
        [status._with_matched(dict(info), parts) for info, parts in pairs]
    result = {"kind": kind, "value": value, "on": on, "destinations": destinations,
              "announcements": announcements, "goods": goods,
              "destination_wide": status._destination_wide(db, on, destinations)
              if wide is None else wide}
    result["searched"] = status._searched(result, notes)
    if shared:
        result["listed"] = pairs
    return result
