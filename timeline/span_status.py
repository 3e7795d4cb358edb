"""``status`` read from spans (timeline/spans.py): totals from one range scan, detail only
for the page of announcements shown.

A broad question matches tens of thousands of lots. Grouping every one of them by
announcement, clause and state, as the item path does, costs seconds at 100k
announcements. Here the counts by state, the headline's candidates and the ranking of
announcements come from aggregates over the question's spans on the date; the parts of
each announcement, and the items listed, are read only for the announcements shown. The
answers are the item path's (timeline/status.py); tests compare the two.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from timeline import spans

SPAN = "lot_id, state, shape, n, how, rank, via_group, adate, announcement, start, materials"


def heading(kind: str, value: str) -> bool:
    """Whether the question is a 4-digit HS heading (read from ``hs_heading`` spans)."""
    return kind == "hs" and len(value) == 4


def announcement_term(kind: str, value: str) -> str | None:
    """The term of the question's ``announcement`` rows, if it has them."""
    if kind in ("material", "group"):
        return "material:" + value
    return "hs:" + value if heading(kind, value) else None


def source(db: Database, kind: str, value: str, on: str, lots: list[int] | None = None
           ) -> tuple[str, list[Any]] | None:
    """SQL of the question's span rows covering ``on`` (columns :data:`SPAN`), or None
    where the item path must answer: no spans kept, or a code question some code of the
    catalogue is a proper prefix of (``contained_in`` precedence is per item). ``lots``
    limits the rows to those lots, read through the lot index (a page's worth)."""
    if kind not in ("material", "group", "hs", "control") or not spans.available(db):
        return None
    covers = "start <= ? and (end is null or end >= ?)"
    table, only, extra = "lot_spans", "", []
    if lots is not None:
        table = "lot_spans indexed by lot_spans_lot"
        only, extra = " and lot_id in (select value from json_each(?))", [json.dumps(lots)]
    if kind in ("material", "group"):
        return (f"select lot_id, state, shape, n, null as how, case kind when 'material' "
                f"then 3 else 5 end as rank, via as via_group, adate, announcement, start, "
                f"null as materials from {table} where kind in ('material', 'via') and "
                f"term = ? and {covers}{only}", [value, on, on, *extra])
    prefixes = [value[:k] for k in range(2, len(value))
                if value[:k] and not value[:k].endswith(".")]
    if prefixes and db.execute(
            f"select 1 from item_terms where kind = ? and term in "
            f"({','.join('?' for _ in prefixes)}) limit 1", [kind, *prefixes]).fetchone():
        return None
    if heading(kind, value):
        return (f"select lot_id, state, shape, n, 'exact' as how, 0 as rank, null as via_group, "
                f"adate, announcement, start, materials from {table} where kind = 'hs' and "
                f"term = ? and {covers}{only} union all select lot_id, state, shape, n, "
                f"'contains', 2, null, adate, announcement, start, materials from {table} "
                f"where kind = 'hs_heading' and term = ? and {covers}{only}",
                [value, on, on, *extra, value, on, on, *extra])
    return (f"select lot_id, state, shape, n, case when term = ? then 'exact' else 'contains' "
            f"end as how, case when term = ? then 0 else 2 end as rank, null as via_group, "
            f"adate, announcement, start, materials from {table} where kind = ? and "
            f"term >= ? and term < ? and {covers}{only} union all select lot_id, state, "
            f"shape, n, 'contains', 2, null, adate, announcement, start, null from {table} "
            f"where kind = ? and term = ? and {covers}{only}",
            [value, value, kind, value, value + "\uffff", on, on, *extra,
             kind + "_overlap", value, on, on, *extra])


def via_materials(db: Database, kind: str, value: str, on: str, found: set[str]
                  ) -> list[tuple]:
    """Clause-level measures a code question reaches through ``found``, the materials of
    its lots in force on the date (No. 46 二 names gallium, not gallium's codes): span rows
    as :data:`SPAN` (materials left out) plus the material, one per lot (the first
    material by name); a lot not issued yet on the date has its first span, with no
    state."""
    if kind not in ("hs", "control") or not found:
        return []
    rows: dict[tuple, tuple] = {}
    marks = ",".join("?" for _ in found)
    for row in db.execute(
            "select lot_id, state, shape, n, null, 4, null, adate, announcement, start, null, "
            f"term from lot_spans where kind = 'provision_material' and term in ({marks}) and "
            "start <= ? and (end is null or end >= ?) union all select lot_id, null, shape, n, "
            "null, 4, null, adate, announcement, start, null, term from lot_spans where "
            f"kind = 'provision_material' and term in ({marks}) and start > ? and first = 1 "
            "order by term", [*sorted(found), on, on, *sorted(found), on]):
        rows.setdefault((row[0], row[9]), row)
    if not rows:
        return []
    ids = json.dumps(sorted({key[0] for key in rows}))
    direct = {r[0] for r in db.execute(
        "select distinct lot_id from lot_spans indexed by lot_spans_lot where lot_id in "
        "(select value from json_each(?)) and kind = ? and term >= ? and term < ?",
        [ids, kind, value, value + "\uffff"])}
    return [row for key, row in rows.items() if key[0] not in direct]


def shapes(db: Database) -> dict[int, dict[str, Any]]:
    """Shape id → kind, measure, destinations, scope (parsed), destination_wide."""
    return {row[0]: {"kind": row[1], "measure": row[2], "destinations": row[3],
                     "scope": json.loads(row[4]) if row[4] else {},
                     "scope_text": row[4], "destination_wide": bool(row[5])}
            for row in db.execute("select id, kind, measure, destinations, scope, "
                                  "destination_wide from lot_shapes")}


def allowed(shape: dict[str, Any], destinations: list[str]) -> bool:
    """As the item path's ``where``: destination-wide rows are listed apart; rows bound to
    destinations count only for those asked about."""
    if shape["destination_wide"]:
        return False
    if not destinations or shape["destinations"] is None:
        return True
    return any(f",{d}," in shape["destinations"] for d in destinations)


def _same_shape(lot: dict[str, Any], shape: dict[str, Any]) -> bool:
    return (lot["kind"], lot["measure"], lot["destinations"], lot["scope"],
            bool(lot["destination_wide"])) == (shape["kind"], shape["measure"],
                                               shape["destinations"], shape["scope_text"],
                                               shape["destination_wide"])


def totals(db: Database, src: tuple[str, list[Any]], on: str, kind: str, value: str,
           wanted: set[int]) -> dict[str, Any]:
    """Counts by state, items not yet issued, per (state, shape, how, rank, via group, via
    material) the count and newest announcement date (the headline's candidates), and the
    clause-level rows reached through materials (``extra``, see :func:`via_materials`)."""
    sql, args = src
    groups: dict[tuple, list[Any]] = {}
    found: set[str] = set()
    for state, shape, how, rank, via_group, materials, n, adate in db.execute(
            f"select state, shape, how, rank, via_group, materials, sum(n), max(adate) "
            f"from ({sql}) group by state, shape, how, rank, via_group, materials", args):
        if state == "in_force" and materials:
            found.update(json.loads(materials))
        if shape in wanted:
            group = groups.setdefault((state, shape, how, rank, via_group, None), [0, ""])
            group[0] += n
            group[1] = max(group[1] or "", adate or "")
    extra = via_materials(db, kind, value, on, found)
    later = 0
    for row in extra:
        if row[2] in wanted and row[1] is None:
            later += row[3]
        elif row[2] in wanted:
            group = groups.setdefault((row[1], row[2], None, 4, None, row[11]), [0, ""])
            group[0] += row[3]
            group[1] = max(group[1] or "", row[7] or "")
    counts: dict[str, int] = {}
    for (state, *_), (n, _) in groups.items():
        counts[state] = counts.get(state, 0) + n
    later += sum(n for shape, n in db.execute(*_later(kind, value, on)) if shape in wanted)
    return {"groups": groups, "counts": {k: v for k, v in counts.items() if v},
            "later": later, "extra": extra}


def _later(kind: str, value: str, on: str) -> tuple[str, list[Any]]:
    """Items matched but not issued yet on the date (their first span starts after it)."""
    if kind in ("material", "group"):
        return ("select shape, sum(n) from lot_spans where kind in ('material', 'via') and "
                "term = ? and start > ? and first = 1 group by shape", [value, on])
    if heading(kind, value):
        return ("select shape, sum(n) from lot_spans where kind in ('hs', 'hs_heading') and "
                "term = ? and start > ? and first = 1 group by shape", [value, on])
    return ("select shape, sum(n) from (select shape, n from lot_spans where kind = ? and "
            "term >= ? and term < ? and start > ? and first = 1 union all select shape, n "
            "from lot_spans where kind = ? and term = ? and start > ? and first = 1) "
            "group by shape", [kind, value, value + "\uffff", on, kind + "_overlap", value, on])


def ranked(db: Database, src: tuple[str, list[Any]], extra: list[tuple],
           wanted: set[int]) -> list[tuple[str, str, int]]:
    """Every matched announcement (number, date, items matched), in no order (the caller
    picks the few it shows)."""
    sql, args = src
    marks = ",".join(str(int(s)) for s in sorted(wanted)) or "null"
    found: dict[str, list[Any]] = {}
    for number, adate, n in db.execute(
            f"select announcement, max(adate), sum(n) from ({sql}) where shape in ({marks}) "
            "group by announcement", args):
        found[number] = [adate or "", n]
    for row in extra:
        if row[2] in wanted and row[1] is not None:
            entry = found.setdefault(row[8], [row[7] or "", 0])
            entry[1] += row[3]
    return [(number, adate, n) for number, (adate, n) in found.items()]


def lot_rows(db: Database, question: tuple[str, str], extra: list[tuple],
             numbers: list[str], keep: Any, on: str) -> list[dict[str, Any]]:
    """The matched lots of these announcements: per lot and match kind, the lot's fields,
    its interval on the date and how many of its items matched that way (``keep`` says
    which lots count, from their fields)."""
    if not numbers:
        return []
    ids = [r[0] for r in db.execute(
        "select id from lots where announcement in (select value from json_each(?))",
        [json.dumps(numbers)])]
    if not ids:
        return []
    sql, args = source(db, *question, on, lots=ids) or ("select 1 where 0", [])
    per: dict[tuple, int] = {}
    for lot_id, how, rank, via_group, n in db.execute(
            f"select lot_id, how, rank, via_group, sum(n) from ({sql}) "
            "group by lot_id, how, rank, via_group", args):
        per[(lot_id, how, rank, via_group, None)] = n
    chosen = set(ids)
    for row in extra:
        if row[0] in chosen and row[1] is not None:
            key = (row[0], None, 4, None, row[11])
            per[key] = per.get(key, 0) + row[3]
    lots = {row[0]: row for row in db.execute(
        "select l.id, l.announcement, l.provision, l.kind, l.measure, l.destinations, "
        "l.scope, l.destination_wide, l.announcement_date, l.ordinal, i.state, i.start, "
        "i.end, i.cause from lots l join intervals i on i.subject_id = l.rep and "
        "i.retired_in is null and i.start <= ? and (i.end is null or i.end >= ?) "
        "where l.id in (select value from json_each(?))",
        [on, on, json.dumps(sorted({key[0] for key in per}))])}
    out = []
    for (lot_id, how, rank, via_group, via_material), n in per.items():
        lot = lots.get(lot_id)
        if lot is None or n <= 0:
            continue
        row = {"lot_id": lot_id, "announcement": lot[1], "provision": lot[2], "kind": lot[3],
               "measure": lot[4], "destinations": lot[5], "scope": lot[6],
               "destination_wide": lot[7], "announcement_date": lot[8], "ordinal": lot[9],
               "state": lot[10], "since": lot[11], "until": lot[12], "cause": lot[13],
               "match": how, "rank": rank, "via_group": via_group,
               "via_material": via_material, "count": n}
        if keep(row):
            out.append(row)
    return out


def resolve(db: Database, question: tuple[str, str], extra: list[tuple], state: str,
            form: dict[str, Any], adate: str | None, on: str) -> list[dict[str, Any]]:
    """The lots behind one headline candidate (state, shape, newest date): their rows as
    :func:`lot_rows` makes them (the announcements of that date, through the lots' date
    index)."""
    numbers = [r[0] for r in db.execute(
        "select distinct announcement from lots where announcement_date is ?", [adate])]
    return [row for row in lot_rows(db, question, extra, numbers,
                                    lambda lot: _same_shape(lot, form), on)
            if row["state"] == state]


# -- material and heading questions: the announcements from their own rows ---------------------------------

def _reach(destinations: list[str]) -> tuple[str, list[str]]:
    if not destinations:
        return "", []
    return (" and (instr(reach, ',*,') > 0 or "
            + " or ".join("instr(reach, ?) > 0" for _ in destinations) + ")",
            [f",{d}," for d in destinations])


def newest_announcements(db: Database, term: str, on: str, destinations: list[str],
                         k: int | None, need: int) -> tuple[int, list[tuple[str, str, int]]]:
    """How many announcements answer the question (its ``announcement`` rows' ``term``) on
    the date, and enough of the
    newest (number, date, items) to show ``k`` of them (all for None) and list ``need``
    items: read newest first from the ``announcement`` rows, stopping once no older row
    can come before those found (a row's date is never after its first day)."""
    reach, args = _reach(destinations)
    where = f"kind = 'announcement' and term = ? and start <= ?{reach}"
    count = db.execute(f"select count(*) from lot_spans where {where}",
                       [term, on, *args]).fetchone()[0]
    rows = db.execute(f"select announcement, adate, n, start from lot_spans where {where} "
                      "order by start desc", [term, on, *args])
    if k is None:
        return count, [(r[0], r[1] or "", r[2]) for r in rows]
    found: list[tuple[str, str, int]] = []
    for number, adate, n, start in rows:
        settled = [r for r in found if r[1] > start]
        if len(settled) >= k and sum(r[2] for r in settled) >= need:
            break
        found.append((number, adate or "", n))
    return count, found


def matched_among(db: Database, term: str, numbers: list[str], on: str,
                  destinations: list[str]) -> set[str]:
    """Which of these announcements answer the question (its ``announcement`` rows'
    ``term``) on the date."""
    if not numbers:
        return set()
    reach, args = _reach(destinations)
    return {r[0] for r in db.execute(
        "select distinct l.announcement from lots l join lot_spans s indexed by lot_spans_lot "
        "on s.lot_id = l.id where l.announcement in (select value from json_each(?)) and "
        f"s.kind = 'announcement' and s.term = ? and s.start <= ?{reach}",
        [json.dumps(numbers), term, on, *args])}
