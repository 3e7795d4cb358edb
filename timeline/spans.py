"""Spans: each lot's intervals, filed under every term a ``status`` question asks by.

A broad question (rare earths: 50,000 lots in 25,000 announcements; the HS heading
2846: 38,000 lots) needs, for every matched lot on the date, its state, its measure and
scope, and its announcement. Joining each lot (timeline/lots.py) to its representative's
intervals costs two index searches per lot; a span row holds what the answer adds up,
keyed ``(kind, term, start)``, so the question is one range scan of one index and only
the page of announcements shown is read in full (timeline/status.py).

Kinds of term:

- ``material``: the lot's materials and every group that covers one of them, so a group
  question finds each lot once (rare earths → the lots of dysprosium, of samarium, …);
- ``via``: for a lot whose material is a group, each material and subgroup whose
  question reaches that group's own measures (dysprosium → a rare-earths clause), unless
  the lot is found directly; ``via`` names the group;
- ``hs`` / ``control``: each code, ``n`` the members that carry it;
- ``hs_overlap`` / ``control_overlap``: for a prefix under which members carry two or
  more codes, ``-n`` (the members counted too many when the codes under it are added up);
- ``provision_material``: clause-level lots by material, the way an HS or control-code
  question reaches No. 46 二 (which names gallium, not gallium's codes);
- ``hs_heading``: each 4-digit heading, ``n`` the members under it by a longer code only,
  so a heading question (2846: 61,000 items) adds up one row per lot and interval;
- ``announcement``: one row per announcement and material question (``material:NAME``)
  or heading (``hs:2846``): ``start`` its first matched lot's first day, ``n`` its items,
  ``reach`` the destinations they apply to (``,*,`` for all), so the newest
  announcements and their number are read from an index instead of grouping every lot
  (an item's intervals run on from its first day).

``shape`` refers to ``lot_shapes``: the few distinct (kind, measure, destinations, scope,
destination-wide) a lot can have, so a span row stays narrow. The writer replaces an
announcement's spans with its lots, in the same transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

from sqlite_utils import Database

from extract import items as model

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
COLUMNS = ("kind", "term", "start", "lot_id", "end", "state", "n", "first", "shape", "via",
           "adate", "announcement", "materials", "reach")
_INSERT = (f"insert or ignore into lot_spans ({', '.join(COLUMNS)}) "
           f"values ({', '.join('?' for _ in COLUMNS)})")


def create(db: Database) -> None:
    """The tables and indexes (idempotent)."""
    db.execute("create table if not exists lot_spans (kind text not null, term text not null, "
               "start text not null, lot_id integer not null, end text, state text, "
               "n integer not null, first integer, shape integer, via text, adate text, "
               "announcement text, materials text, reach text, "
               "primary key (kind, term, start, lot_id)) "
               "without rowid")
    db.execute("create index if not exists lot_spans_lot on lot_spans(lot_id)")
    # a headline's lots are found by their date; destination-wide measures among a million
    # items by a partial index of the few
    db.execute("create index if not exists lots_date on lots(announcement_date)")
    db.execute("create index if not exists items_destination_wide on items(destination_wide) "
               "where destination_wide = 1 and current = 1")
    db.execute("create table if not exists lot_shapes (id integer primary key, "
               "signature text not null unique, kind text, measure text, destinations text, "
               "scope text, destination_wide integer)")


# -- which questions find a lot ---------------------------------------------------------------

def question_terms(kind: str, value: str) -> tuple[list[str], list[str]]:
    """(direct, via) material terms of a material or group question: a group covers its
    members and subgroups; a material (or group) reaches the measures of the groups above it.
    The one definition, used by status for items and, through :func:`_finders`, for spans."""
    direct = [value]
    via: list[str] = []
    if kind == "group":
        direct += model.members(value) + model.subgroups(value)
        parent = model.groups().get(value, {}).get("parent")
        while parent:
            via.append(parent)
            parent = model.groups().get(parent, {}).get("parent")
    else:
        via = model.groups_of(value)
    return direct, via


def question_kind(material: str) -> str:
    """``group`` or ``material``, as ``status`` classifies a name the vocabulary knows."""
    members = model.members(material)
    return "group" if members and material not in members else "material"


@cache
def _finders() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """term → the questions it answers directly, and term → the questions it answers via
    a group (every name of the vocabulary asked as ``status`` would)."""
    direct: dict[str, set[str]] = {}
    via: dict[str, set[str]] = {}
    for question in sorted(set(model.lexicon().values())):
        found, above = question_terms(question_kind(question), question)
        for term in found:
            direct.setdefault(term, set()).add(question)
        for term in above:
            via.setdefault(term, set()).add(question)
    return ({k: frozenset(v) for k, v in direct.items()},
            {k: frozenset(v) for k, v in via.items()})


def material_keys(materials: list[str]) -> tuple[list[str], dict[str, str]]:
    """The ``material`` terms of a lot with these materials, and its ``via`` terms (term →
    the group it is reached through, the first by name)."""
    direct_of, via_of = _finders()
    found: set[str] = set()
    for term in materials:
        found.add(term)
        found |= direct_of.get(term, frozenset())
    through: dict[str, str] = {}
    for term in sorted(materials):
        for question in via_of.get(term, frozenset()):
            if question not in found:
                through.setdefault(question, term)
    return sorted(found), through


def overlaps(codes: list[str]) -> Counter[str]:
    """Prefix → how many codes beyond the first of one item start with it."""
    out: Counter[str] = Counter()
    if len(codes) < 2:
        return out
    counts: Counter[str] = Counter()
    for code in codes:
        for length in range(1, len(code) + 1):
            counts[code[:length]] += 1
    for prefix, k in counts.items():
        if k > 1:
            out[prefix] += k - 1
    return out


# -- writing ----------------------------------------------------------------------------------

def shape_id(conn: Any, lot: dict[str, Any], cache_: dict[str, int] | None = None) -> int:
    """The id of the lot's shape, added when new (shapes are never removed: few, shared)."""
    fields = (lot["kind"], lot["measure"], lot["destinations"], lot["scope"],
              int(bool(lot["destination_wide"])))
    signature = _ENCODE(fields)
    if cache_ is not None and signature in cache_:
        return cache_[signature]
    row = conn.execute("select id from lot_shapes where signature = ?", [signature]).fetchone()
    if row is None:
        conn.execute("insert into lot_shapes (signature, kind, measure, destinations, scope, "
                     "destination_wide) values (?, ?, ?, ?, ?, ?)", [signature, *fields])
        row = conn.execute("select id from lot_shapes where signature = ?",
                           [signature]).fetchone()
    if cache_ is not None:
        cache_[signature] = row[0]
    return row[0]


def rows_of(lot_id: int, lot: dict[str, Any], shape: int, announcement: str,
            intervals: list[tuple[str, str, str | None]], hs: Counter[str],
            control: Counter[str], headings: Counter[str] | None = None) -> list[tuple]:
    """The span rows of one lot but its overlaps: ``intervals`` its (state, start, end);
    ``hs`` and ``control`` each code with how many members carry it; ``headings`` each
    4-digit heading with how many members carry a longer code under it (and not the
    heading itself)."""
    if not intervals:
        return []
    n = len(lot["members"])
    materials = lot["materials"]
    terms: list[tuple[str, str, int, str | None]] = []
    if materials:  # a clause that controls nothing has none (timeline/items.py terms_of)
        found, through = material_keys(materials)
        terms += [("material", term, n, None) for term in found]
        terms += [("via", term, n, group) for term, group in through.items()]
    if lot["kind"] == "provision":
        terms += [("provision_material", term, n, None) for term in materials]
    terms += [("hs", code, k, None) for code, k in hs.items()]
    terms += [("control", code, k, None) for code, k in control.items()]
    terms += [("hs_heading", code, k, None) for code, k in (headings or {}).items()]
    mats = _ENCODE(materials) if materials else None
    first = min(start for _, start, _ in intervals)
    adate = lot["announcement_date"]
    return [(kind, term, start, lot_id, end, state, k, int(start == first), shape, via, adate,
             announcement, mats, None)
            for kind, term, k, via in terms for state, start, end in intervals]


def lot_headings(codes_per_member: list[list[str]]) -> Counter[str]:
    """Each 4-digit heading with how many members are under it by a longer code only (a
    member with the heading as its own code matches it exactly instead)."""
    out: Counter[str] = Counter()
    for codes in codes_per_member:
        own = {c for c in codes if len(c) == 4}
        out.update({c[:4] for c in codes if len(c) > 4} - own)
    return out


def lot_codes(codes_per_member: list[list[str]]) -> Counter[str]:
    """Each code with how many members carry it."""
    out: Counter[str] = Counter()
    for codes in codes_per_member:
        out.update(sorted(set(codes)))
    return out


def code_overlaps(codes_per_member: list[list[str]]) -> Counter[str]:
    """Prefix → members counted too many when the codes under it are added up."""
    out: Counter[str] = Counter()
    for codes in codes_per_member:
        out.update(overlaps(sorted(set(codes))))
    return out


def write(conn: Any, announcement: str, lots: list[tuple[int, dict[str, Any]]],
          intervals: dict[int, list[tuple[str, str, str | None]]],
          codes: dict[int, dict[str, list[list[str]]]]) -> int:
    """Add the spans of an announcement's lots (its old ones are gone with its old lots).

    :param lots: (lot id, lot) as timeline/lots.py makes them
    :param intervals: lot id → its representative's current (state, start, end)
    :param codes: lot id → ``{"hs": [codes of each member], "control": [...]}``
    :returns: rows written
    """
    shapes: dict[str, int] = {}
    rows: list[tuple] = []
    for lot_id, lot in lots:
        shape = shape_id(conn, lot, shapes)
        spans = intervals.get(lot_id) or []
        if not spans:
            continue
        member_codes = codes.get(lot_id, {})
        hs = member_codes.get("hs") or []
        control = member_codes.get("control") or []
        rows += rows_of(lot_id, lot, shape, announcement, spans, lot_codes(hs), lot_codes(control),
                        lot_headings(hs))
        for kind, per_member in (("hs_overlap", hs), ("control_overlap", control)):
            for prefix, k in code_overlaps(per_member).items():
                first = min(start for _, start, _ in spans)
                rows += [(kind, prefix, start, lot_id, end, state, -k, int(start == first),
                          shape, None, lot["announcement_date"], announcement, None, None)
                         for state, start, end in spans]
    rows += announcement_rows(announcement, lots, rows)
    conn.executemany(_INSERT, rows)
    return len(rows)


def announcement_rows(announcement: str, lots: list[tuple[int, dict[str, Any]]],
                      rows: list[tuple]) -> list[tuple]:
    """One ``announcement`` row per material question and HS heading its lots answer
    (terms ``material:NAME`` and ``hs:HEADING``; see the module's docstring); lots that
    cover every dual-use item to a destination are listed apart by status, so they do
    not count here."""
    by_id = dict(lots)
    found: dict[str, dict[str, Any]] = {}
    for kind, term, start, lot_id, _, _, n, first, *_ in rows:
        lot = by_id[lot_id]
        if not first or lot["destination_wide"]:
            continue
        if kind in ("material", "via"):
            question = "material:" + term
        elif kind == "hs_heading" or (kind == "hs" and len(term) == 4):
            question = "hs:" + term
        else:
            continue
        entry = found.setdefault(question, {"start": start, "lot": lot_id, "n": 0,
                                            "reach": set()})
        entry["start"] = min(entry["start"], start)
        entry["lot"] = min(entry["lot"], lot_id)
        entry["n"] += n
        entry["reach"] |= set((lot["destinations"] or ",*,").strip(",").split(","))
    adate = next(iter(by_id.values()))["announcement_date"] if by_id else None
    return [("announcement", term, e["start"], e["lot"], None, None, e["n"], 1, None, None,
             adate, announcement, None, "," + ",".join(sorted(e["reach"])) + ",")
            for term, e in found.items()]


def delete(conn: Any, announcement: str) -> None:
    """Remove the spans of an announcement's lots (before its lots are removed)."""
    if not available_table(conn):
        return
    conn.execute("delete from lot_spans where lot_id in "
                 "(select id from lots where announcement = ?)", [announcement])


def backfill(db: Database, chunk: int = 2000) -> int:
    """Spans for every lot a catalogue already has (the migration that adds them): the
    intervals of each lot's representative, its members' codes from ``items``; a chunk of
    whole announcements at a time."""
    written = 0
    conn = db.conn
    numbers = [r[0] for r in conn.execute("select distinct announcement from lots")]
    for begin in range(0, len(numbers), chunk):
        lots = conn.execute(
            "select id, rep, n, kind, provision, measure, destinations, scope, "
            "destination_wide, announcement_date, materials, members, announcement "
            "from lots where announcement in (select value from json_each(?)) order by id",
            [json.dumps(numbers[begin:begin + chunk])]).fetchall()
        reps = {row[1]: row[0] for row in lots}
        intervals: dict[int, list[tuple[str, str, str | None]]] = {}
        for sid, state, start, end in conn.execute(
                "select subject_id, state, start, end from intervals where retired_in is null "
                "and subject_id in (select value from json_each(?))", [json.dumps(list(reps))]):
            intervals.setdefault(reps[sid], []).append((state, start, end))
        members = {row[0]: json.loads(row[11]) for row in lots}
        every = [sid for ids in members.values() for sid in ids]
        item_codes = {sid: (json.loads(hs) if hs else [], [control.lower()] if control else [])
                      for sid, hs, control in conn.execute(
                          "select subject_id, hs_codes, control_code from items where "
                          "current = 1 and subject_id in (select value from json_each(?))",
                          [json.dumps(every)])}
        by_announcement: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        codes: dict[int, dict[str, list[list[str]]]] = {}
        for row in lots:
            lot = {"kind": row[3], "provision": row[4], "measure": row[5],
                   "destinations": row[6], "scope": row[7], "destination_wide": row[8],
                   "announcement_date": row[9], "materials": json.loads(row[10] or "[]"),
                   "members": members[row[0]]}
            by_announcement.setdefault(row[12], []).append((row[0], lot))
            per = [item_codes.get(sid, ([], [])) for sid in lot["members"]]
            codes[row[0]] = {"hs": [p[0] for p in per], "control": [p[1] for p in per]}
        for announcement, group in by_announcement.items():
            written += write(conn, announcement, group, intervals, codes)
    return written


def available_table(conn: Any) -> bool:
    """Whether the catalogue has the table (the writer of a catalogue migrated to it)."""
    return conn.execute("select 1 from sqlite_master where type = 'table' "
                        "and name = 'lot_spans'").fetchone() is not None


def available(db: Database) -> bool:
    """Whether spans are kept (a catalogue before timeline migration 4 has none)."""
    try:
        return db.execute("select 1 from lot_spans limit 1").fetchone() is not None
    except Exception:  # noqa: BLE001 - no such table: a catalogue before the migration
        return False
