"""Where reminders look: the dates each document's current extraction names.

A reminder (``effective_soon``, ``period_ending``) is due when one of a document's dates
falls within the coming days. Finding those documents by parsing every extraction costs
minutes in a 100k catalogue, so the dates are kept in ``reminder_dates`` (alerts migration
3): one row per (document, day, suspended target or ''), refreshed for the documents whose
version or extraction arrived since the last pass (a cursor in ``alert_state``). The rows
are a superset of what :mod:`alerts.events` accepts as a date; it re-reads the few
documents a window query returns and decides exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from alerts import diff, kinds
from store.catalogue import transaction as write_transaction

CURSOR = "reminder_dates"  # alert_state key: "max version id:max extraction id" indexed
BATCH = 2000  # documents per transaction when the whole catalogue is indexed
# The parts of the current extraction that carry dates, read with JSON functions in SQL so
# a large result (hundreds of items) is not parsed in Python.
DATES_SQL = (
    "select d.id, json_extract(e.result, '$.effective_dates'), "
    "(select json_group_array(coalesce(nullif(json_extract(i.value, '$.effective_date.date'), ''), "
    "json_extract(i.value, '$.effective_date.value'), json_extract(i.value, '$.effective_date'))) "
    "from json_each(e.result, '$.items') i where i.type = 'object'), "
    "json_extract(e.result, '$.references') "
    "from documents d join extractions e on e.id = (select max(x.id) from extractions x "
    "where x.version_id = d.current_version_id) where d.id in ({marks})"
)
CHANGED_SQL = (
    "select document_id from versions where id > ? union select v.document_id "
    "from extractions e join versions v on v.id = e.version_id where e.id > ?"
)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, str):
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


def rows_of(document_id: int, effective: Any, item_dates: Any,
            references: Any) -> set[tuple[int, str, str]]:
    """(document, day, target) for every date the reminders read: effective dates and item
    dates (target ''), and the end of each suspension (target: the suspended number)."""
    out = {(document_id, day, "") for day in
           {diff.as_date(v) for v in [*_list(effective), *_list(item_dates)]} if day}
    for ref in _list(references):
        if (isinstance(ref, dict) and ref.get("relation") in kinds.RELATION_KINDS
                and ref.get("target")):
            until = diff.as_date(ref.get("until"))
            if until:
                out.add((document_id, until, str(ref["target"])))
    return out


def marks(db: Database) -> tuple[int, int]:
    """The newest version and extraction ids now."""
    row = db.execute("select (select max(id) from versions), (select max(id) from extractions)"
                     ).fetchone()
    return row[0] or 0, row[1] or 0


def read_cursor(db: Database, key: str = CURSOR) -> tuple[int, int] | None:
    row = db.execute("select value from alert_state where key = ?", [key]).fetchone()
    try:
        versions, extractions = (int(v) for v in row[0].split(":"))
    except (TypeError, ValueError, AttributeError):
        return None
    return versions, extractions


def changed_since(db: Database, cursor: tuple[int, int]) -> set[int]:
    """Documents with a version or an extraction newer than ``cursor``."""
    return {r[0] for r in db.execute(CHANGED_SQL, list(cursor))}


def _refresh(db: Database, documents: Iterable[int]) -> int:
    """Replace the rows of ``documents`` (inside the caller's transaction)."""
    documents = sorted(set(documents))
    written = 0
    for start in range(0, len(documents), 500):
        chunk = documents[start:start + 500]
        places = ",".join("?" for _ in chunk)
        db.execute(f"delete from reminder_dates where document_id in ({places})", chunk)
        rows: set[tuple[int, str, str]] = set()
        for row in db.execute(DATES_SQL.format(marks=places), chunk):
            rows |= rows_of(*row)
        db.conn.executemany("insert or ignore into reminder_dates (document_id, day, target) "
                            "values (?, ?, ?)", sorted(rows))
        written += len(rows)
    return written


def sync(db: Database) -> dict[str, Any]:
    """Bring ``reminder_dates`` up to the newest extraction; the documents refreshed.

    Incremental: one short transaction reads the cursor, refreshes the documents changed
    since and moves the cursor, so two processes never index from different states. The
    first pass over a catalogue indexes every document, in batches.
    """
    with write_transaction(db):
        cursor = read_cursor(db)
        now = marks(db)
        if cursor is not None:
            changed = changed_since(db, cursor) if now != cursor else set()
            rows = _refresh(db, changed) if changed else 0
            _save(db, now)
            return {"full": False, "documents": sorted(changed), "rows": rows}
    documents = [r[0] for r in db.execute("select id from documents order by id")]
    rows = 0
    for start in range(0, len(documents), BATCH):
        with write_transaction(db):
            rows += _refresh(db, documents[start:start + BATCH])
    with write_transaction(db):
        if read_cursor(db) is None:  # what arrived meanwhile is refreshed by the next pass
            _save(db, now)
    return {"full": True, "documents": None, "rows": rows}


def _save(db: Database, cursor: tuple[int, int], key: str = CURSOR) -> None:
    db.execute("insert or replace into alert_state (key, value) values (?, ?)",
               [key, f"{cursor[0]}:{cursor[1]}"])


def save_cursor(db: Database, key: str, cursor: tuple[int, int]) -> None:
    """Store another pass's cursor in ``alert_state`` (its own transaction)."""
    with write_transaction(db):
        _save(db, cursor, key)


def in_window(db: Database, first: str, last: str) -> set[int]:
    """Documents with a date from ``first`` to ``last`` (ISO days, both included)."""
    return {r[0] for r in db.execute(
        "select distinct document_id from reminder_dates where day >= ? and day <= ?",
        [first, last])}


def citing(db: Database, numbers: Iterable[str], first: str, last: str) -> set[int]:
    """Documents whose suspension of one of ``numbers`` ends from ``first`` to ``last``."""
    numbers = sorted({n for n in numbers if n})
    found: set[int] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        found |= {r[0] for r in db.execute(
            f"select distinct document_id from reminder_dates where target in "
            f"({','.join('?' for _ in chunk)}) and day >= ? and day <= ?",
            [*chunk, first, last])}
    return found
