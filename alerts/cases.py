"""Penalty-decision events (#19 item 5): a customs decision newly read into ``cases``
becomes one ``case_new`` event for the subscriptions whose materials, HS prefixes or
control codes it touches (and, as for any event, those without topics).

Each ``cases`` row is read once (cursor: ``events_processed`` kind ``case``); the event is
deduplicated on the case number, so a re-crawl, a second extractor version or the same
decision on another page is one event and at most one alert per subscription. Decisions
from a source's first load are baseline (recorded, not alerted), as for announcements.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from alerts import kinds
from alerts.matching import Facts, SubscriptionIndex
from store.catalogue import transaction as write_transaction

BATCH = 200


def _unprocessed(db: Database) -> list[dict[str, Any]]:
    if "cases" not in db.table_names():
        return []
    return [dict(r) for r in db.query(
        "select c.id, c.document_id, c.data, d.source, d.url, (select crawl_run_id from versions "
        "where document_id = d.id order by seq limit 1) as crawl_run_id from cases c "
        "join documents d on d.id = c.document_id where c.case_number is not null "
        "and not exists (select 1 from events_processed p where p.kind = 'case' "
        "and p.ref_id = c.id) order by c.id")]


def event_of(db: Database, row: dict[str, Any]):
    """The alerts ``Event`` for one ``cases`` row."""
    from alerts.events import Event, is_baseline

    case = json.loads(row["data"])
    goods = case.get("goods") or {}
    hs_codes = sorted({c for c in (goods.get("hs_code"), goods.get("actual_hs_code")) if c})
    control = [goods["control_code"]] if goods.get("control_code") else []
    baseline = is_baseline(db, row["source"], row["crawl_run_id"])
    number = case["case_number"]
    title = f"{case.get('office') or ''}行政处罚决定书（{number}）"
    payload = {"case_number": number, "office": case.get("office"),
               "decision_date": case.get("decision_date"), "goods": goods.get("name"),
               "hs_codes": hs_codes, "control_codes": control,
               "category": case.get("category"), "material": case.get("material"),
               "fine": (case.get("penalty") or {}).get("fine"), "number": number,
               "title": title, "url": row["url"], "document_id": row["document_id"]}
    facts = Facts(kind=kinds.CASE_NEW, source=row["source"], baseline=baseline,
                  materials=[case["material"]] if case.get("material") else [],
                  hs_codes=hs_codes, control_codes=control,
                  text=" ".join(filter(None, [goods.get("name"), goods.get("note")])))
    return Event(kinds.CASE_NEW, f"{kinds.CASE_NEW}:{number}", facts, payload,
                 baseline=baseline, source=row["source"], document_id=row["document_id"],
                 number=number, title=title, url=row["url"])


def record(db: Database, index: SubscriptionIndex, at: datetime, report: Counter[str]) -> None:
    """Turn every case not yet seen into an event; queue its alerts."""
    from alerts.events import _processed, _write

    rows = _unprocessed(db)
    for start in range(0, len(rows), BATCH):
        with write_transaction(db):
            for row in rows[start:start + BATCH]:
                _write(db, event_of(db, row), index, at, report)
                _processed(db, "case", row["id"], at)
