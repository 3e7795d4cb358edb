"""Tables of the timeline and search stage (created by migration v3 in store/schema.py).

Four groups, each appended to rather than overwritten where history matters:

- ``announcements`` / ``announcement_refs``: the current input of each announcement (which
  document, version and extraction it is read from) and its references to others;
- ``subjects`` / ``items`` / ``item_terms``: stable ids for what has a timeline (an
  announcement, one of its provisions, one of its items), the versioned item catalogue
  (one row per item per extraction) and the lookup terms of the current items;
- ``derivations`` / ``derivation_inputs`` / ``intervals``: every recomputation of the
  timeline, what it read, and the state intervals it produced. An interval is never
  deleted: when a derivation no longer produces it, ``retired_in`` names that derivation;
- ``search_docs`` / ``search_fts``: the full-text index (see store/search.py).
"""

from __future__ import annotations

from sqlite_utils import Database

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


def create_tables(db: Database) -> None:
    """Create the timeline tables and indexes (idempotent)."""
    db["announcements"].create(
        {
            "number": str, "series": str, "year": int, "seq": int, "in_catalogue": int,
            "document_id": int, "version_id": int, "extraction_id": int, "title": str,
            "issuers": str, "issue_date": str, "effective_date": str, "effective_dates": str,
            "has_controls": int, "derivation_id": int, "updated_at": str,
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
            "conditions": str, "measure": str, "source": str, "span": str, "current": int,
        },
        pk="id", if_not_exists=True,
    )
    db["items"].create_index(["extraction_id", "ordinal"], unique=True, if_not_exists=True)
    db.execute("create index if not exists items_current_subject on items(subject_id) "
               "where current = 1")
    db.execute("create index if not exists items_announcement on items(announcement, current)")

    db.execute("create table if not exists item_terms (kind text not null, term text not null, "
               "subject_id integer not null, announcement text not null)")
    db.execute("create index if not exists item_terms_lookup on item_terms(kind, term, subject_id)")
    db.execute("create index if not exists item_terms_announcement on item_terms(announcement)")

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
    db.execute("create index if not exists intervals_current on intervals(subject_id, start) "
               "where retired_in is null")
    db.execute("create index if not exists intervals_current_start on intervals(start) "
               "where retired_in is null")
    db.execute("create index if not exists intervals_announcement on intervals(announcement)")

    db["search_docs"].create(
        {
            "id": int, "version_id": int, "extraction_id": int, "number": str, "source": str,
            "url": str, "title": str, "body": str, "terms": str, "updated_at": str,
        },
        pk="id", if_not_exists=True,
    )
    db.execute(
        "create virtual table if not exists search_fts using fts5("
        f"title, body, terms, content='', tokenize='{FTS_TOKENIZER}')"
    )


def ensure_tables(db: Database) -> None:
    """Create the tables when a catalogue reached schema v3 before they existed."""
    if "search_fts" not in db.table_names():
        with db.atomic():
            create_tables(db)
