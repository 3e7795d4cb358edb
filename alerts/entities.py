"""Entity-list events (#16 item 5): an entity listed, its measures suspended, or removed,
for the subscriptions that watch a counterparty the screening matcher matches to it.

Each ``entity_events`` row (screening/schema.py, filled by ``regwatch lists load`` and by
crawled list announcements) is read once (cursor: ``events_processed`` kind
``entity_event``) and becomes one event, deduplicated on (kind, entity, list, date,
announcement), so the same listing read from the lists file and from the crawled page,
or read again by a re-crawl, is one event and at most one alert per subscription.

Baseline (recorded, not alerted): a row read from a page of a source's first load, as
for announcements, and every row of a lists file (history loaded in bulk, not news).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from alerts import kinds
from alerts.matching import Facts, SubscriptionIndex
from store.catalogue import transaction as write_transaction

BATCH = 200


def _unprocessed(db: Database) -> list[dict[str, Any]]:
    if "entity_events" not in db.table_names():
        return []
    return [dict(r) for r in db.query(
        "select v.*, e.zh, e.en, e.country from entity_events v "
        "join list_entities e on e.id = v.entity_id where not exists (select 1 from "
        "events_processed p where p.kind = 'entity_event' and p.ref_id = v.id) order by v.id")]


def _document(db: Database, source: str | None) -> dict[str, Any] | None:
    """The crawled page a row was read from (``source`` = ``document:N``), with the crawl
    run of its first version."""
    if not (source or "").startswith("document:"):
        return None
    row = db.execute(
        "select d.id, d.source, d.url, d.title, (select crawl_run_id from versions "
        "where document_id = d.id order by seq limit 1) from documents d where d.id = ?",
        [int(source.split(":", 1)[1])]).fetchone()
    if row is None:
        return None
    return dict(zip(("id", "source", "url", "title", "crawl_run_id"), row, strict=True))


def event_of(db: Database, row: dict[str, Any]):
    """The alerts ``Event`` for one ``entity_events`` row."""
    from alerts.events import Event, is_baseline

    kind = kinds.ENTITY_ACTIONS[row["action"]]
    doc = _document(db, row["source"])
    baseline = True if doc is None else is_baseline(db, doc["source"], doc["crawl_run_id"])
    payload = {"entity": {"id": row["entity_id"], "zh": row["zh"], "en": row["en"],
                          "country": row["country"]},
               "list": row["list"], "action": row["action"], "date": row["date"],
               "until": row["until"], "announcement": row["announcement"],
               "about": row["about"], "number": row["announcement"],
               "title": row["en"] or row["zh"], "url": doc["url"] if doc else None,
               "document_id": doc["id"] if doc else None}
    facts = Facts(kind=kind, source=doc["source"] if doc else None, baseline=baseline,
                  entities=[row["entity_id"]])
    key = (f"{kind}:{row['entity_id']}:{row['list']}:{row['action']}:{row['date']}:"
           f"{row['announcement']}")
    return Event(kind, key, facts, payload, baseline=baseline,
                 source=doc["source"] if doc else None, document_id=doc["id"] if doc else None,
                 number=row["announcement"], title=payload["title"],
                 url=payload["url"])


def record(db: Database, index: SubscriptionIndex, at: datetime, report: Counter[str]) -> None:
    """Turn every entity-list change not yet seen into an event; queue its alerts."""
    from alerts.events import _processed, _write

    rows = _unprocessed(db)
    if not rows:
        return
    if index.counterparties and index.screener is None:
        from screening.store import NoLists, screener

        try:
            index.screener = screener(db)
        except NoLists:
            index.screener = None
    for start in range(0, len(rows), BATCH):
        with write_transaction(db):
            for row in rows[start:start + BATCH]:
                _write(db, event_of(db, row), index, at, report)
                _processed(db, "entity_event", row["id"], at)
