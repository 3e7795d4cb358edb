"""Summary tables the web reads instead of scanning the catalogue per request.

At 100k announcements (1.2M items) a facet over the catalogue or item table, or the
home page's state-today matrix, is a scan of every row per request (seconds). The
writer keeps the answers instead:

- ``summary_facets``: (view, facet, value) → rows, for the facets of the web's
  ``items_current`` view (``materials``, ``measure``: kept by triggers on ``items``)
  and ``catalogue`` view (``source``, ``year``, ``issuers``, ``materials``: from
  ``summary_documents``);
- ``summary_documents``: per document, the catalogue view's facet values and its
  state on the day it was summarised, with the day that state may next change
  (``state_next``), so a reader knows whether it still holds today;
- ``summary_materials``: the matrix's running sums of ``material_deltas`` up to the
  day in ``meta`` ``summary.materials_as_of`` (valid until ``summary.materials_until``,
  the next day a delta falls on); triggers on ``material_deltas`` keep it exact.

Triggers on documents, extractions, announcements and intervals only mark what changed
(``summary_dirty``); :func:`refresh`, called by the writer after each timeline build,
recomputes the marked documents (``regwatch serve`` runs it too before serving, as
the one write it makes). A reader uses a summary only when nothing is marked
and its day is still valid, otherwise it computes the live answer (slow, never wrong).
The SQL of a document's facts mirrors web/views.py's ``catalogue`` view (tested equal).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from core import clock
from store.migrations import register
from timeline.summary_items import _v2_items, _v3_document_groups, refresh_items

AS_OF, UNTIL = "summary.materials_as_of", "summary.materials_until"
FULL_REFRESH = 5000  # marked documents past which a whole recount is cheaper

# A document's catalogue facts (as the web's catalogue view computes them).
_ISSUE = ("coalesce((select a.issue_date from announcements a where a.number = d.number), "
          "(select y.issue_date from extractions y where y.version_id = d.current_version_id "
          "order by y.id desc limit 1))")
_EXTRACTION = ("(select json_extract(e.result, '$.{key}') from extractions e where e.id = "
               "(select max(y.id) from extractions y where y.version_id = d.current_version_id))")
_SUBJECT = "(select s.id from subjects s where s.key = d.number and s.kind = 'announcement')"
_COVERING = ("select {what} from intervals i where i.subject_id = " + _SUBJECT +
             " and i.retired_in is null and i.start <= :day and (i.\"end\" is null or "
             "i.\"end\" >= :day) order by i.start desc limit 1")
FACTS_SQL = (
    "select d.id, d.number, d.source, cast(substr(" + _ISSUE + ", 1, 4) as integer), "
    "coalesce((select a.issuers from announcements a where a.number = d.number), "
    + _EXTRACTION.format(key="issuers") + "), "
    "coalesce((select a.materials from announcements a where a.number = d.number), "
    + _EXTRACTION.format(key="materials") + "), "
    "case when d.number is not null then coalesce((" + _COVERING.format(what="i.state")
    + "), 'unknown') end, "
    # the day the state may change: the covering interval's end + 1, or the next start
    "case when d.number is not null then min(coalesce((" + _COVERING.format(
        what="date(i.\"end\", '+1 day')") + "), '9999-12-31'), coalesce((select min(i.start) "
    "from intervals i where i.subject_id = " + _SUBJECT + " and i.retired_in is null and "
    "i.start > :day), '9999-12-31')) end "
    "from documents d"
)
CATALOGUE_FACETS = (("source", False), ("year", False), ("issuers", True),
                    ("materials", True))


def _v1_summary(db: Database) -> None:
    """The summary tables, their triggers, and their first contents."""
    db.execute("create table if not exists summary_facets (view text not null, "
               "facet text not null, value not null, count integer not null, "
               "primary key (view, facet, value)) without rowid")
    db.execute("create table if not exists summary_documents (id integer primary key, "
               "number text, source text, year integer, issuers text, materials text, "
               "state text, state_as_of text, state_next text)")
    db.execute("create table if not exists summary_dirty (kind text not null, "
               "key text not null, primary key (kind, key)) without rowid")
    db.execute("create table if not exists summary_materials (term text not null, "
               "measure text not null, dest text not null, state text not null, "
               "count integer not null, primary key (term, measure, dest, state)) without rowid")
    db.execute("create index if not exists summary_documents_number on documents(number)")
    for sql in _triggers():
        db.execute(sql)
    _recount_items(db)
    _mark_all(db)  # summarised by the first refresh (the writer's, or regwatch serve's)


def _item_facets(row: str, sign: str) -> list[str]:
    """Statements adding (sign '+') or taking away ('-') one item row's facet values."""
    upsert = ("insert into summary_facets (view, facet, value, count) {select} "
              f"on conflict (view, facet, value) do update set count = count {sign} 1")
    start = 1 if sign == "+" else -1
    return [
        upsert.format(select=f"select 'items_current', 'measure', {row}.measure, {start} "
                             f"where {row}.current = 1 and {row}.measure is not null"),
        upsert.format(select=f"select 'items_current', 'materials', value, {start} from "
                             f"(select distinct value from json_each(case when "
                             f"json_valid({row}.materials) then {row}.materials end)) "
                             f"where {row}.current = 1"),
    ]


def _triggers() -> list[str]:
    prune = "delete from summary_facets where view = 'items_current' and count <= 0;"
    add, take = _item_facets("new", "+"), _item_facets("old", "-")
    mark_number = ("insert or ignore into summary_dirty (kind, key) select 'number', {0} "
                   "where {0} is not null;")
    return [
        "create trigger if not exists summary_items_insert after insert on items begin "
        + ";".join(add) + "; end",
        "create trigger if not exists summary_items_delete after delete on items begin "
        + ";".join(take) + "; " + prune + " end",
        "create trigger if not exists summary_items_update after update of current, measure, "
        "materials on items begin " + ";".join(take + add) + "; " + prune + " end",
        "create trigger if not exists summary_documents_insert after insert on documents begin "
        "insert or ignore into summary_dirty (kind, key) values ('doc', new.id); end",
        "create trigger if not exists summary_documents_update after update of number, source, "
        "current_version_id on documents begin insert or ignore into summary_dirty (kind, key) "
        "values ('doc', new.id); end",
        "create trigger if not exists summary_documents_delete after delete on documents begin "
        "insert or ignore into summary_dirty (kind, key) values ('doc', old.id); end",
        "create trigger if not exists summary_extractions_insert after insert on extractions "
        "begin insert or ignore into summary_dirty (kind, key) select 'doc', v.document_id "
        "from versions v where v.id = new.version_id; end",
        "create trigger if not exists summary_announcements_insert after insert on "
        "announcements begin " + mark_number.format("new.number") + " end",
        "create trigger if not exists summary_announcements_update after update on "
        "announcements begin " + mark_number.format("new.number")
        + mark_number.format("old.number") + " end",
        "create trigger if not exists summary_announcements_delete after delete on "
        "announcements begin " + mark_number.format("old.number") + " end",
        "create trigger if not exists summary_intervals_insert after insert on intervals "
        "when new.subject_kind = 'announcement' begin " + mark_number.format(
            "(select s.key from subjects s where s.id = new.subject_id)") + " end",
        "create trigger if not exists summary_intervals_update after update on intervals "
        "when new.subject_kind = 'announcement' or old.subject_kind = 'announcement' begin "
        + mark_number.format("(select s.key from subjects s where s.id = new.subject_id)")
        + mark_number.format("(select s.key from subjects s where s.id = old.subject_id)")
        + " end",
        "create trigger if not exists summary_intervals_delete after delete on intervals "
        "when old.subject_kind = 'announcement' begin " + mark_number.format(
            "(select s.key from subjects s where s.id = old.subject_id)") + " end",
        # the matrix: a delta on or before the summarised day changes the sums; a later
        # one shortens the time they hold
        "create trigger if not exists summary_deltas_insert after insert on material_deltas "
        "begin " + _delta("new", "+") + " end",
        "create trigger if not exists summary_deltas_delete after delete on material_deltas "
        "begin " + _delta("old", "-") + " end",
    ]


def _delta(row: str, sign: str) -> str:
    as_of = f"(select value from meta where key = '{AS_OF}')"
    return (
        "insert into summary_materials (term, measure, dest, state, count) "
        f"select {row}.term, {row}.measure, {row}.dest, {row}.state, {sign}{row}.delta "
        f"where {row}.day <= {as_of} on conflict (term, measure, dest, state) "
        f"do update set count = count {sign} {row}.delta; "
        f"update meta set value = {row}.day where key = '{UNTIL}' and {row}.day > {as_of} "
        f"and {row}.day < value; "
        f"insert or ignore into meta (key, value) select '{UNTIL}', {row}.day "
        f"where {row}.day > {as_of};"
    )


def _recount_items(db: Database) -> None:
    db.execute("delete from summary_facets where view = 'items_current'")
    db.execute("insert into summary_facets (view, facet, value, count) "
               "select 'items_current', 'measure', measure, count(*) from items "
               "where current = 1 and measure is not null group by measure")
    db.execute("insert into summary_facets (view, facet, value, count) "
               "select 'items_current', 'materials', value, count(*) from (select distinct "
               "it.id, j.value from items it, json_each(case when json_valid(it.materials) "
               "then it.materials end) j where it.current = 1) group by value")


def _mark_all(db: Database) -> None:
    db.execute("insert or ignore into summary_dirty (kind, key) select 'doc', id from documents")
    db.execute("insert or ignore into summary_dirty (kind, key) select 'doc', id "
               "from summary_documents")


def _facet_rows(db: Database, where: str, args: list[Any], sign: int) -> None:
    """Add (sign 1) or take away (-1) the catalogue facet values of summary rows."""
    for facet, array in CATALOGUE_FACETS:
        if array:
            select = (f"select value, count(*) from (select distinct s.id, j.value from "
                      f"summary_documents s, json_each(case when json_valid(s.{facet}) "
                      f"then s.{facet} end) j where {where}) group by value")
        else:
            select = (f"select s.{facet}, count(*) from summary_documents s where {where} "
                      f"and s.{facet} is not null group by s.{facet}")
        rows = db.execute(select, args).fetchall()
        db.conn.executemany(
            "insert into summary_facets (view, facet, value, count) values ('catalogue', ?, ?, ?) "
            "on conflict (view, facet, value) do update set count = count + excluded.count",
            [(facet, value, sign * n) for value, n in rows])
    db.execute("delete from summary_facets where view = 'catalogue' and count <= 0")


def _refresh_documents(db: Database, ids: list[int], day: str) -> None:
    """Recompute the catalogue facts of documents ``ids`` (all when more than
    FULL_REFRESH) as of ``day``, and their facet counts."""
    whole = len(ids) > FULL_REFRESH
    if whole:
        db.execute("delete from summary_facets where view = 'catalogue'")
        db.execute("delete from summary_documents")
        where, args = "1", []
    else:
        db.execute("create temp table if not exists summary_ids (id integer primary key)")
        db.execute("delete from temp.summary_ids")
        db.conn.executemany("insert or ignore into temp.summary_ids (id) values (?)",
                            [(i,) for i in ids])
        where, args = "s.id in (select id from temp.summary_ids)", []
        _facet_rows(db, where, args, -1)
        db.execute("delete from summary_documents where id in (select id from temp.summary_ids)")
    rows_where = "" if whole else " where d.id in (select id from temp.summary_ids)"
    db.execute("insert into summary_documents (id, number, source, year, issuers, materials, "
               "state, state_next, state_as_of) select *, :day from (" + FACTS_SQL
               + rows_where + ")", {"day": day})
    _facet_rows(db, where, args, 1)


def _refresh_materials(db: Database, day: str) -> None:
    """Recount the matrix's sums as of ``day`` when the summarised day is another."""
    found = db.execute("select value from meta where key = ?", [AS_OF]).fetchone()
    if found and found[0] == day:
        return
    db.execute("delete from summary_materials")
    db.execute("insert into summary_materials (term, measure, dest, state, count) "
               "select term, measure, dest, state, sum(delta) from material_deltas "
               "where day <= ? group by term, measure, dest, state having sum(delta) != 0", [day])
    until = db.execute("select min(day) from material_deltas where day > ?", [day]).fetchone()[0]
    db.execute("insert or replace into meta (key, value) values (?, ?)", [AS_OF, day])
    db.execute("delete from meta where key = ?", [UNTIL])
    if until:
        db.execute("insert into meta (key, value) values (?, ?)", [UNTIL, until])


def refresh(db: Database, day: str | None = None) -> dict[str, int]:
    """Bring the summaries up to date as of ``day`` (the regulator's today): the marked
    documents, the documents whose state may have changed since they were summarised,
    and the matrix's sums. Run inside the writer's transaction; returns what it did."""
    day = day or clock.today()
    numbers = [r[0] for r in db.execute(
        "select key from summary_dirty where kind = 'number'").fetchall()]
    ids = {int(r[0]) for r in db.execute(
        "select key from summary_dirty where kind = 'doc'").fetchall()}
    if numbers:
        for chunk in range(0, len(numbers), 500):
            part = numbers[chunk:chunk + 500]
            marks = ",".join("?" for _ in part)
            ids.update(r[0] for r in db.execute(
                f"select id from documents where number in ({marks})", part).fetchall())
            ids.update(r[0] for r in db.execute(
                f"select id from summary_documents where number in ({marks})", part).fetchall())
    ids.update(r[0] for r in db.execute(
        "select id from summary_documents where number is not null and "
        "(state_next <= ? or state_as_of > ?)", [day, day]).fetchall())
    if ids:
        _refresh_documents(db, sorted(ids), day)
    db.execute("delete from summary_dirty")
    _refresh_materials(db, day)
    items = refresh_items(db, day) if "summary_items" in db.table_names() else 0
    return {"documents": len(ids), "items": items}


register("summary", [_v1_summary, _v2_items, _v3_document_groups], after=("timeline",))
