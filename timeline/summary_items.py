"""Each current item's state today, kept by the writer, so the web filters 1.2M items by
state from an index instead of reading every item's intervals per request.

- ``summary_items``: per current item, its state on the day it was summarised
  (``state_as_of``), the day that state may next change (``state_next``), and the
  measure and materials the item table's facets count. A row holds while
  ``state_as_of <= today < state_next``; triggers on ``items`` and ``intervals`` mark an
  item's row stale (``state_next = ''``) when anything its state or facets depend on
  changes, and a new current item gets a stale row at once, so every current item has a
  row (the web's filters rely on it: an item without a row would never be a candidate).
- ``summary_item_groups``: how many summarised rows have each (state, measure,
  materials): a few hundred groups that the facets of an item page filtered by state or
  measure add up, instead of grouping a million rows per request.

:func:`refresh_items` (called by timeline/summary.py's ``refresh``) recomputes the stale
rows and those whose ``state_next`` has come, and moves their group counts; past
FULL_ITEMS stale rows it recounts everything. The state is web/views.py's item state
today, computed for ``:day`` (tested equal).
"""

from __future__ import annotations

from collections import Counter

from sqlite_utils import Database

FULL_ITEMS = 50000  # stale rows past which a whole recount is cheaper
_COVERING = ("select {what} from intervals i where i.subject_id = it.subject_id and "
             "i.retired_in is null and i.start <= :day and (i.\"end\" is null or "
             "i.\"end\" >= :day) order by i.start desc limit 1")
ITEM_FACTS_SQL = (
    "select it.id, (" + _COVERING.format(what="i.state") + "), it.measure, it.materials, "
    ":day, min(coalesce((" + _COVERING.format(what="date(i.\"end\", '+1 day')")
    + "), '9999-12-31'), coalesce((select min(i.start) from intervals i where "
    "i.subject_id = it.subject_id and i.retired_in is null and i.start > :day), "
    "'9999-12-31')) from items it where it.current = 1"
)
# the rows not valid on :day (stale, past their state_next, or summarised after it)
STALE_IDS = ("select id from summary_items where state_next <= :day union "
             "select id from summary_items where state_as_of > :day")


def _v2_items(db: Database) -> None:
    """Per-item state and group counts, indexes the web's filters read, their triggers."""
    db.execute("create table if not exists summary_items (id integer primary key, "
               "state text, measure text, materials text, state_as_of text, state_next text)")
    db.execute("create index if not exists summary_items_state on "
               "summary_items(state, state_next, state_as_of)")
    db.execute("create index if not exists summary_items_next on summary_items(state_next)")
    db.execute("create index if not exists summary_items_as_of on summary_items(state_as_of)")
    db.execute("create table if not exists summary_item_groups (state text, measure text, "
               "materials text, count integer not null)")
    # the catalogue's state filter reads summary_documents the same way
    db.execute("create index if not exists summary_documents_state on "
               "summary_documents(state, state_next, state_as_of)")
    db.execute("create index if not exists summary_documents_next on "
               "summary_documents(state_next)")
    db.execute("create index if not exists summary_documents_as_of on "
               "summary_documents(state_as_of)")
    # ?measure= on the item table: its rows and their count from an index
    db.execute("create index if not exists items_current_measure on items(measure) "
               "where current = 1")
    for sql in _item_triggers():
        db.execute(sql)
    db.execute("insert or ignore into summary_items (id, state_next) "
               "select id, '' from items where current = 1")  # counted by the first refresh


def _v3_document_groups(db: Database) -> None:
    """An index in the order a catalogue page filtered by state groups its facets."""
    db.execute("create index if not exists summary_documents_groups on "
               "summary_documents(state, source, year, issuers, materials)")


def _item_triggers() -> list[str]:
    mark = ("insert into summary_items (id, state_next) values ({0}, '') "
            "on conflict (id) do update set state_next = '';")
    by_subject = ("update summary_items set state_next = '' where id in (select it.id from "
                  "items it where it.subject_id = {0} and it.current = 1);")
    return [
        "create trigger if not exists summary_item_rows_insert after insert on items "
        "when new.current = 1 begin " + mark.format("new.id") + " end",
        "create trigger if not exists summary_item_rows_update after update of current, "
        "subject_id, measure, materials on items begin " + mark.format("new.id")
        + " end",
        "create trigger if not exists summary_item_rows_delete after delete on items begin "
        "update summary_items set state_next = '' where id = old.id; end",
        # any subject: an announcement's matches no item (one probe of an index)
        "create trigger if not exists summary_item_intervals_insert after insert on intervals "
        "begin " + by_subject.format("new.subject_id") + " end",
        "create trigger if not exists summary_item_intervals_update after update on intervals "
        "begin " + by_subject.format("new.subject_id") + by_subject.format("old.subject_id")
        + " end",
        "create trigger if not exists summary_item_intervals_delete after delete on intervals "
        "begin " + by_subject.format("old.subject_id") + " end",
    ]


def _groups(db: Database, where: str) -> Counter:
    return Counter({(s, m, t): n for s, m, t, n in db.execute(
        "select state, measure, materials, count(*) from summary_items "
        f"where state_as_of is not null and {where} group by 1, 2, 3").fetchall()})


def _move_groups(db: Database, delta: Counter) -> None:
    """Add ``delta`` ((state, measure, materials) → rows) to the group counts."""
    for (state, measure, materials), n in delta.items():
        if not n:
            continue
        moved = db.execute("update summary_item_groups set count = count + ? where state is ? "
                           "and measure is ? and materials is ?",
                           [n, state, measure, materials]).rowcount
        if not moved:
            db.execute("insert into summary_item_groups (state, measure, materials, count) "
                       "values (?, ?, ?, ?)", [state, measure, materials, n])
    db.execute("delete from summary_item_groups where count = 0")


def refresh_items(db: Database, day: str) -> int:
    """Recompute the rows not valid on ``day`` and move their group counts; return how
    many rows were recomputed. Run inside the writer's transaction."""
    ids = [r[0] for r in db.execute(STALE_IDS, {"day": day}).fetchall()]
    if not ids:
        return 0
    if len(ids) > FULL_ITEMS:
        db.execute("delete from summary_items")
        db.execute("delete from summary_item_groups")
        db.execute("insert into summary_items (id, state, measure, materials, state_as_of, "
                   "state_next) " + ITEM_FACTS_SQL, {"day": day})
        _move_groups(db, _groups(db, "1"))
        return len(ids)
    db.execute("create temp table if not exists summary_item_ids (id integer primary key)")
    db.execute("delete from temp.summary_item_ids")
    db.conn.executemany("insert or ignore into temp.summary_item_ids (id) values (?)",
                        [(i,) for i in ids])
    marked = "id in (select id from temp.summary_item_ids)"
    delta = Counter()
    delta.subtract(_groups(db, marked))
    db.execute(f"delete from summary_items where {marked}")
    db.execute("insert into summary_items (id, state, measure, materials, state_as_of, "
               "state_next) " + ITEM_FACTS_SQL
               + " and it.id in (select id from temp.summary_item_ids)", {"day": day})
    delta.update(_groups(db, marked))
    _move_groups(db, delta)
    return len(ids)
