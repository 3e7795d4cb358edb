"""Lots: the items of one announcement that every status query sees alike, stored once.

Items of one announcement with the same part (kind, clause, measure, scope, destinations),
the same materials and the same intervals differ, for ``status``, only in their HS codes.
A lot keeps them as one row with their count and one representative subject (its
intervals are every member's), so a question about a material with 250,000 items adds up
a few thousand lots instead of joining every item to its intervals (timeline/status.py).

``lot_terms`` (kind, term, lot, n) looks lots up:

- ``material``: the lot's materials (every member has them; ``n`` is the lot's size);
- ``hs``: each code with how many members carry it;
- ``hs_overlap``: for a prefix under which some member has two or more codes, how many
  times too many those members are counted when the codes under the prefix are added
  up, so that a prefix range counts distinct items.

A lot also says whether it can name goods a product is (``goods``, timeline migration
6): a clause always can; an item can unless every coded item of its clause is
equipment, software or technology (control codes ?B, ?D, ?E), which a portfolio's
products are not. Kept here so a portfolio's batched question reads it with the spans
instead of every clause's control codes.

The writer (timeline/build.py) replaces an announcement's lots whenever it derives it, in
the same transaction as its items and intervals.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlite_utils import Database

from timeline.spans import overlaps

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


NOT_GOODS = ("b", "d", "e")  # control-code categories: equipment, software, technology


def names_goods(code: str | None) -> bool:
    """Whether an item with this control code can be goods (not ?B, ?D or ?E)."""
    code = code or ""
    return not (len(code) > 1 and code[1].lower() in NOT_GOODS)


def clause_goods(rows: list[dict[str, Any]]) -> dict[str | None, bool]:
    """Clause → whether its items can name goods: no coded item, or one that can."""
    codes: dict[str | None, list[str]] = {}
    for row in rows:
        if row.get("kind") == "item" and row.get("control_code"):
            codes.setdefault(row.get("provision"), []).append(row["control_code"])
    return {clause: any(names_goods(c) for c in found) for clause, found in codes.items()}


def create(db: Database) -> None:
    """The two tables and their indexes (idempotent)."""
    db.execute("create table if not exists lots (id integer primary key, announcement text "
               "not null, rep integer not null, n integer not null, ordinal integer, "
               "kind text, provision text, measure text, destinations text, scope text, "
               "destination_wide integer, announcement_date text, materials text, "
               "members text)")
    db.execute("create index if not exists lots_announcement on lots(announcement)")
    db.execute("create table if not exists lot_terms (kind text not null, term text not null, "
               "lot_id integer not null, n integer not null, primary key (kind, term, lot_id)) "
               "without rowid")
    db.execute("create index if not exists lot_terms_lot on lot_terms(lot_id)")


def lots_of(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group one announcement's current rows into lots.

    :param members: per row ``subject_id``, ``kind``, ``provision``, ``measure``,
        ``destinations``, ``scope`` (JSON text), ``destination_wide``, ``ordinal``,
        ``announcement_date``, ``materials`` (its material terms), ``hs`` (its HS terms),
        ``signature`` (equal for rows with equal intervals) and ``goods`` (its clause's,
        :func:`clause_goods`)
    """
    lots: dict[tuple, dict[str, Any]] = {}
    for row in sorted(members, key=lambda r: (r["ordinal"] is None, r["ordinal"] or 0,
                                              r["subject_id"])):
        materials = sorted(set(row["materials"]))
        key = (row["kind"], row["provision"], row["measure"], row["destinations"],
               row["scope"], row["destination_wide"], tuple(materials), row["signature"])
        lot = lots.get(key)
        if lot is None:
            lot = lots[key] = {
                "rep": row["subject_id"], "ordinal": row["ordinal"], "kind": row["kind"],
                "provision": row["provision"], "measure": row["measure"],
                "destinations": row["destinations"], "scope": row["scope"],
                "destination_wide": row["destination_wide"],
                "announcement_date": row["announcement_date"], "materials": materials,
                "goods": row.get("goods", True), "members": [], "hs": Counter(),
                "overlap": Counter()}
        lot["members"].append(row["subject_id"])
        codes = sorted(set(row["hs"]))
        lot["hs"].update(codes)
        lot["overlap"].update(overlaps(codes))
    return list(lots.values())


def delete(conn: Any, number: str) -> None:
    """Remove an announcement's lots and their spans (before it is written again, or when
    it is gone)."""
    from timeline import spans

    spans.delete(conn, number)
    conn.execute("delete from lot_terms where lot_id in "
                 "(select id from lots where announcement = ?)", [number])
    conn.execute("delete from lots where announcement = ?", [number])


def replace(conn: Any, number: str, lots: list[dict[str, Any]]) -> list[tuple[int, dict]]:
    """Make ``lots`` the announcement's lots; returns them with their ids."""
    delete(conn, number)
    if not lots:
        return []
    first = (conn.execute("select max(id) from lots").fetchone()[0] or 0) + 1
    goods = has_goods(conn)
    rows, terms = [], []
    for lot_id, lot in enumerate(lots, first):
        n = len(lot["members"])
        rows.append((lot_id, number, lot["rep"], n, lot["ordinal"], lot["kind"],
                     lot["provision"], lot["measure"], lot["destinations"], lot["scope"],
                     lot["destination_wide"], lot["announcement_date"],
                     _ENCODE(lot["materials"]), _ENCODE(lot["members"]))
                    + ((int(bool(lot.get("goods", True))),) if goods else ()))
        terms += [("material", m, lot_id, n) for m in lot["materials"]]
        terms += [("hs", code, lot_id, k) for code, k in lot["hs"].items()]
        terms += [("hs_overlap", prefix, lot_id, k) for prefix, k in lot["overlap"].items()]
    conn.executemany("insert into lots (id, announcement, rep, n, ordinal, kind, provision, "
                     "measure, destinations, scope, destination_wide, announcement_date, "
                     f"materials, members{', goods' if goods else ''}) values "
                     f"({', '.join('?' for _ in rows[0])})", rows)
    conn.executemany("insert into lot_terms (kind, term, lot_id, n) values (?, ?, ?, ?)", terms)
    return list(enumerate(lots, first))


def write(conn: Any, number: str, issue: str | None, rows: list[dict[str, Any]],
          per_row: list[list[Any]], ids: dict[str, int]) -> None:
    """The writer's call: the lots of the catalogue rows it just derived (``per_row`` are
    their intervals; rows that share an interval list share it as one object), and their
    spans (timeline/spans.py)."""
    from timeline import spans
    from timeline.items import destinations, terms_of

    goods = clause_goods(rows)
    members = []
    by_subject: dict[int, tuple[list[str], list[str], list[Any]]] = {}
    for row, intervals in zip(rows, per_row, strict=True):
        terms = terms_of(row)
        members.append({
            "subject_id": ids[row["key"]], "kind": row["kind"], "provision": row["provision"],
            "measure": row["measure"], "destinations": destinations(row),
            "scope": _ENCODE(row.get("scope") or {}),
            "destination_wide": int(bool(row.get("destination_wide"))),
            "ordinal": row["ordinal"], "announcement_date": issue,
            "materials": [t for k, t in terms if k == "material"],
            "hs": [t for k, t in terms if k == "hs"], "signature": id(intervals),
            "goods": row["kind"] == "provision" or goods.get(row["provision"], True)})
        by_subject[ids[row["key"]]] = ([t for k, t in terms if k == "hs"],
                                       [t for k, t in terms if k == "control"], intervals)
    written = replace(conn, number, lots_of(members))
    if written and spans.available_table(conn):
        spans.write(conn, number, written,
                    {lot_id: [(i.state, i.start, i.end) for i in by_subject[lot["rep"]][2]]
                     for lot_id, lot in written},
                    {lot_id: {"hs": [by_subject[sid][0] for sid in lot["members"]],
                              "control": [by_subject[sid][1] for sid in lot["members"]]}
                     for lot_id, lot in written})


def has_goods(conn: Any) -> bool:
    """Whether the lots table has its ``goods`` column (timeline migration 6)."""
    return any(row[1] == "goods" for row in conn.execute("pragma table_info(lots)"))


def backfill_goods(db: Database) -> None:
    """``goods`` of the lots a catalogue has, from its current items (the migration that
    adds the column; as :func:`clause_goods` decides it)."""
    db.execute("drop table if exists temp.clause_goods")
    db.execute("create temp table clause_goods (announcement text, clause text, goods integer, "
               "primary key (announcement, clause))")
    db.execute("insert into temp.clause_goods select announcement, coalesce(provision, ''), "
               "max(case when length(control_code) > 1 and lower(substr(control_code, 2, 1)) "
               f"in ({', '.join(repr(c) for c in NOT_GOODS)}) then 0 else 1 end) from items "
               "where current = 1 and kind = 'item' and control_code is not null "
               "and control_code != '' group by announcement, coalesce(provision, '')")
    db.execute("update lots set goods = case when kind = 'provision' then 1 else coalesce("
               "(select g.goods from temp.clause_goods g where g.announcement = "
               "lots.announcement and g.clause = coalesce(lots.provision, '')), 1) end")
    db.execute("drop table temp.clause_goods")


def available(db: Database) -> bool:
    """Whether the catalogue's lots are built (a catalogue migrated to them but not yet
    derived again has none: status then reads items one by one)."""
    try:
        return db.execute("select 1 from lots limit 1").fetchone() is not None
    except Exception:  # noqa: BLE001 - no such table: a catalogue before timeline migration 3
        return False
