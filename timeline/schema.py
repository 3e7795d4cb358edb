"""Tables of the timeline and search stage: ``timeline`` migration 1, registered with the
store's runner (store/migrations.py).

Four groups, each appended to rather than overwritten where history matters:

- ``announcements`` / ``announcement_refs``: the current input of each announcement (which
  document, version and extraction it is read from) and its references to others;
- ``subjects`` / ``items`` / ``item_terms``: stable ids for what has a timeline (an
  announcement, one of its provisions, one of its items), the versioned item catalogue
  (one row per item per extraction) and the lookup terms of the current items;
- ``derivations`` / ``derivation_inputs`` / ``intervals``: every recomputation of the
  timeline, what it read, and the state intervals it produced. An interval is never
  deleted: when a derivation no longer produces it, ``retired_in`` names that derivation;
- ``search_docs`` / ``search_fts``: the full-text index (see timeline/search.py).
"""

from __future__ import annotations

from sqlite_utils import Database

from store.migrations import register

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# The shape of the derived tables; bump it when one changes (ensure_tables rebuilds).
LAYOUT = 2
DERIVED = ("announcements", "announcement_refs", "subjects", "items", "item_terms",
           "material_deltas", "derivations", "derivation_inputs", "intervals", "search_docs",
           "search_fts")


def create_tables(db: Database) -> None:
    """Create the timeline tables and indexes (idempotent) and record their layout."""
    db["announcements"].create(
        {
            "number": str, "series": str, "year": int, "seq": int, "in_catalogue": int,
            "document_id": int, "version_id": int, "extraction_id": int, "title": str,
            "issuers": str, "materials": str, "issue_date": str, "effective_date": str,
            "effective_dates": str, "has_controls": int, "derivation_id": int,
            "updated_at": str,
        },
        pk="number", if_not_exists=True,
    )
    db["announcement_refs"].create(
        {
            "id": int, "source": str, "target": str, "relation": str, "from_date": str,
            "until_date": str, "clause": str, "clause_label": str, "extraction_id": int,
        },
        pk="id", if_not_exists=True,
    )
    db["announcement_refs"].create_index(["source"], if_not_exists=True)
    db["announcement_refs"].create_index(["target"], if_not_exists=True)

    db["subjects"].create(
        {"id": int, "kind": str, "key": str, "announcement": str, "label": str},
        pk="id", if_not_exists=True,
    )
    db["subjects"].create_index(["key"], unique=True, if_not_exists=True)
    db["subjects"].create_index(["announcement"], if_not_exists=True)

    db["items"].create(
        {
            "id": int, "subject_id": int, "item_key": str, "kind": str, "announcement": str,
            "document_id": int, "version_id": int, "extraction_id": int, "ordinal": int,
            "control_code": str, "text": str, "text_en": str, "materials": str,
            "hs_codes": str, "provision": str, "clause": str, "effective_date": str,
            "conditions": str, "destinations": str, "measure": str, "source": str, "span": str,
            "announcement_date": str, "current": int,
        },
        pk="id", if_not_exists=True,
    )
    db["items"].create_index(["extraction_id", "ordinal"], unique=True, if_not_exists=True)
    db.execute("create index if not exists items_current_subject on items(subject_id) "
               "where current = 1")
    db.execute("create index if not exists items_announcement on items(announcement, current)")

    # The lookup table is its own index (kind, term → subject); deletes go by subject.
    db.execute("create table if not exists item_terms (kind text not null, term text not null, "
               "subject_id integer not null, primary key (kind, term, subject_id)) "
               "without rowid")
    db.execute("create index if not exists item_terms_subject on item_terms(subject_id)")

    # Per material, how many items enter (+) or leave (−) each state on each day, by
    # announcement: summing up to a date gives the counts on that date (NULLs stored as '').
    db.execute("create table if not exists material_deltas (term text not null, "
               "day text not null, announcement_sid integer not null, state text not null, "
               "measure text not null, dest text not null, delta integer not null, "
               "primary key (term, day, announcement_sid, state, measure, dest)) without rowid")
    db.execute("create index if not exists material_deltas_announcement "
               "on material_deltas(announcement_sid)")

    db["derivations"].create(
        {
            "id": int, "started_at": str, "finished_at": str, "status": str, "trigger": str,
            "announcements": int, "dirty": int, "items_added": int, "intervals_added": int,
            "intervals_retired": int, "inputs_hash": str,
        },
        pk="id", if_not_exists=True,
    )
    db["derivation_inputs"].create(
        {"derivation_id": int, "announcement": str, "extraction_id": int, "change": str},
        if_not_exists=True,
    )
    db["derivation_inputs"].create_index(["announcement"], if_not_exists=True)

    db["intervals"].create(
        {
            "id": int, "subject_id": int, "subject_kind": str, "announcement": str,
            "state": str, "start": str, "end": str, "prev_state": str, "cause": str,
            "relation": str, "clause": str, "reason": str, "chain": str,
            "derivation_id": int, "retired_in": int,
        },
        pk="id", if_not_exists=True,
    )
    # The current timeline is the rows not retired; partial indexes keep lookups on it small.
    db.execute("create index if not exists intervals_current on intervals(subject_id, start, "
               "end, state) where retired_in is null")
    db.execute("create index if not exists intervals_current_start on intervals(start) "
               "where retired_in is null")

    # The body is not copied: it is the text of ``version_id`` (versions never change).
    db["search_docs"].create(
        {
            "id": int, "version_id": int, "extraction_id": int, "number": str, "source": str,
            "url": str, "title": str, "terms": str, "updated_at": str,
        },
        pk="id", if_not_exists=True,
    )
    db.execute(
        "create virtual table if not exists search_fts using fts5("
        f"title, body, terms, content='', tokenize='{FTS_TOKENIZER}')"
    )
    if "meta" in db.table_names():
        db["meta"].upsert({"key": "timeline_layout", "value": str(LAYOUT)}, pk="key")


def ensure_tables(db: Database) -> None:
    """Make the tables match this code's layout, rebuilding them if they do not.

    Everything here is derived from the stored extractions, so a catalogue whose timeline
    tables have an older layout (``meta.timeline_layout``) gets them dropped and made
    again; the next :func:`timeline.build.update_timeline` refills them in one build.
    Earlier derivation history is lost with them.
    """
    row = db.execute("select value from meta where key = 'timeline_layout'").fetchone() \
        if "meta" in db.table_names() else None
    if row is not None and row[0] == str(LAYOUT) and "search_fts" in db.table_names():
        return
    with db.atomic():
        if row is None or row[0] != str(LAYOUT):
            for table in DERIVED:
                db.execute(f"drop table if exists {table}")
            db.execute("delete from meta where key = 'timeline_watermark'")
        create_tables(db)


def item_model(db: Database) -> None:
    """Rows of the extractor's item model (extract/items.py): their scope, whether they
    cover every dual-use item to a destination, and the model version that made them (a
    new model adds rows for an extraction, as a new extraction does)."""
    for table, columns in (("items", {"scope": str, "destination_wide": int, "model": str}),
                           ("announcements", {"model": str})):
        have = set(db[table].columns_dict)
        for name, kind in columns.items():
            if name not in have:
                db[table].add_column(name, kind)
    db.execute("drop index if exists idx_items_extraction_id_ordinal")
    db.execute("create unique index if not exists items_extraction_model on "
               "items(extraction_id, model, ordinal)")


def lots(db: Database) -> None:
    """Lots, the summary ``status`` adds up instead of items (timeline/lots.py). The writer
    keeps them; a catalogue derived before has none, so its announcements are marked as
    built by no item model: the next update derives every one again and writes its lots
    (until then ``status`` reads the items one by one)."""
    from timeline.lots import create

    create(db)
    if "announcements" in db.table_names():
        db.execute("update announcements set model = null")


def spans(db: Database) -> None:
    """Spans, each lot's intervals filed under the terms status asks by (timeline/spans.py),
    made for the lots the catalogue already has; the writer keeps them from then on."""
    from timeline import spans as lot_spans

    lot_spans.create(db)
    if "lots" in db.table_names():
        lot_spans.backfill(db)


def span_headings(db: Database) -> None:
    """Spans filed again, now also under each 4-digit HS heading and with one row per
    announcement and heading (timeline/spans.py)."""
    from timeline import spans as lot_spans

    db.execute("delete from lot_spans")
    if "lots" in db.table_names():
        lot_spans.backfill(db)


def lot_goods(db: Database) -> None:
    """Whether each lot can name goods a product is (timeline/lots.py ``goods``): a
    portfolio reads it with the spans instead of every clause's control codes."""
    from timeline import lots as lot_table

    if "lots" not in db.table_names():
        return
    if "goods" not in db["lots"].columns_dict:
        db.execute("alter table lots add column goods integer not null default 1")
    lot_table.backfill_goods(db)


def lots_not_goods(db: Database) -> None:
    """An index of the lots that cannot name goods, so a portfolio's batch (timeline/
    batch.py) lists them from the index instead of reading every lot."""
    if "lots" in db.table_names():
        db.execute("create index if not exists lots_not_goods on lots(id) where goods = 0")


# Append-only from here on: a change of layout is a new function at the end of this list
# (altering the tables in place), not a new LAYOUT that drops them.
register("timeline", [ensure_tables, item_model, lots, spans, span_headings, lot_goods,
                      lots_not_goods])
