"""Events of completeness (#20 items 3 and 4): a number a series skipped, the day it is
filled, and a copy of a notice whose text differs from the page the timeline reads.

The state lives in the events themselves: a gap is open while its latest
``possibly_missed`` event has no ``gap_filled`` after it, so a gap is reported once, cleared
once, and reported again only if it opens again. A gap between two announcements of a
source's first load is baseline (old news), as the announcements around it are.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from alerts import kinds, reminder_dates
from alerts.matching import Facts, SubscriptionIndex
from store.catalogue import in_chunks
from store.catalogue import transaction as write_transaction
from timeline import completeness


def _count(db: Database, kind: str, number: str) -> int:
    return db.execute("select count(*) from events where kind = ? and number = ?",
                      [kind, number]).fetchone()[0]


def open_gaps(db: Database) -> set[str]:
    """Numbers whose latest possibly-missed event has not been filled since."""
    return {number for number, opened, filled in db.execute(
        "select number, sum(kind = ?), sum(kind = ?) from events where kind in (?, ?) "
        "group by number", [kinds.POSSIBLY_MISSED, kinds.GAP_FILLED, kinds.POSSIBLY_MISSED,
                            kinds.GAP_FILLED]) if opened > filled}


def gap_events(db: Database, numbers: set[str] | None = None) -> list[dict[str, Any]]:
    """Events for gaps that opened or were filled since the last call (as plain dicts);
    ``numbers``: gaps only in the series and years of those numbers."""
    from alerts.events import is_baseline

    current = {g["number"]: g for g in completeness.gaps(db, numbers=numbers)}
    already = open_gaps(db)
    seen: set[str] = set()
    for chunk, marks in in_chunks(already):
        seen |= {n for (n,) in db.execute(
            "select number from announcements where in_catalogue = 1 and number in "
            f"({marks})", chunk)}
    out = []
    for number, gap in sorted(current.items()):
        if number in already:
            continue
        run = db.execute("select crawl_run_id from versions where document_id = ? "
                         "order by seq limit 1", [gap["after_document_id"]]).fetchone()
        baseline = bool(run and gap["source"] and is_baseline(db, gap["source"], run[0]))
        n = _count(db, kinds.GAP_FILLED, number)
        payload = {"reason": "possibly-missed", "number": number, "between": gap["between"],
                   "source": gap["source"],
                   "detail": f"{number} not seen between {gap['between'][0]} and "
                             f"{gap['between'][1]}"}
        out.append({"kind": kinds.POSSIBLY_MISSED, "key": f"possibly_missed:{number}:{n}",
                    "number": number, "source": gap["source"], "payload": payload,
                    "baseline": baseline})
    for number in sorted(already & seen):
        n = _count(db, kinds.GAP_FILLED, number)
        source = db.execute("select d.source from announcements a join documents d "
                            "on d.id = a.document_id where a.number = ?", [number]).fetchone()
        payload = {"reason": "gap-filled", "number": number,
                   "source": source[0] if source else None,
                   "detail": f"{number} is in the catalogue now"}
        out.append({"kind": kinds.GAP_FILLED, "key": f"gap_filled:{number}:{n}",
                    "number": number, "source": payload["source"], "payload": payload,
                    "baseline": False})
    return out


def copy_events(db: Database, numbers: set[str] | None = None) -> list[dict[str, Any]]:
    """One event per copy whose text differs from the primary page (per difference);
    ``numbers``: only the copies of those numbers."""
    from alerts.events import is_baseline

    out = []
    for number, pages in sorted(completeness.copies(db, numbers=numbers).items()):
        primary = pages[0]
        for page in pages[1:]:
            if not page["differs"]:
                continue
            digest = hashlib.sha256(json.dumps(page["difference"], ensure_ascii=False)
                                    .encode()).hexdigest()[:16]
            payload = {"reason": "copy-differs", "number": number, "url": page["url"],
                       "source": page["source"], "document_id": page["document_id"],
                       "primary_url": primary["url"], "title": page["title"],
                       "text_diff": page["difference"]}
            run = db.execute("select crawl_run_id from versions where document_id = ? "
                             "order by seq limit 1", [page["document_id"]]).fetchone()
            out.append({"kind": kinds.COPY_DIFFERS,
                        "key": f"copy_differs:{number}:{page['document_id']}:{digest}",
                        "number": number, "source": page["source"], "payload": payload,
                        "document_id": page["document_id"], "version_id": page["version_id"],
                        "url": page["url"], "title": page["title"],
                        "baseline": bool(run and is_baseline(db, page["source"], run[0]))})
    return out


CURSOR = "completeness"  # alert_state: the catalogue and timeline marks of the last pass


def _timeline_mark(db: Database) -> str | None:
    row = db.execute("select value from meta where key = 'timeline_watermark'").fetchone()
    return row[0] if row else None


def touched(db: Database, index: SubscriptionIndex) -> tuple[set[str] | None, dict[str, Any]]:
    """The numbers whose pages or derived rows changed since the last pass (None: all, on
    a first pass or when the subscriptions changed), and the state to store after this
    one. A page counts when it arrived (new version or extraction) and again when the
    timeline derives it."""
    subs = hashlib.sha256(json.dumps(index.subs, sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]
    state = {"marks": list(reminder_dates.marks(db)), "timeline": _timeline_mark(db),
             "subscriptions": subs}
    row = db.execute("select value from alert_state where key = ?", [CURSOR]).fetchone()
    try:
        last = json.loads(row[0]) if row else None
        if last["subscriptions"] != subs:
            return None, state
        documents = reminder_dates.changed_since(db, tuple(last["marks"]))
        if state["timeline"] != last["timeline"]:
            if last["timeline"] is not None:
                versions, extractions, _ = (int(v) for v in last["timeline"].split(":"))
                documents |= reminder_dates.changed_since(db, (versions, extractions))
            else:
                return None, state
    except (TypeError, ValueError, KeyError):
        return None, state
    numbers: set[str] = set()
    for chunk, marks in in_chunks(documents):
        numbers |= {r[0] for r in db.execute(
            f"select number from documents where id in ({marks}) and number is not null", chunk)}
        numbers |= {r[0] for r in db.execute(
            "select e.number from documents d join extractions e on e.id = (select max(x.id) "
            "from extractions x where x.version_id = d.current_version_id) "
            f"where d.id in ({marks}) and e.number is not null", chunk)}
    from timeline.build import normalise_number

    return {n for n in (normalise_number(v) for v in numbers) if n} | numbers, state


def record(db: Database, index: SubscriptionIndex, at: datetime, report: Counter[str]) -> None:
    """Write the completeness events and queue their alerts, in one transaction.

    Only the numbers touched since the last pass are looked at (:func:`touched`): a copy or
    a gap can only appear or close where a page arrived or the timeline changed.
    """
    from alerts.events import Event, _write

    numbers, state = touched(db, index)
    found = gap_events(db, numbers) + copy_events(db, numbers)
    with write_transaction(db):
        db.execute("insert or replace into alert_state (key, value) values (?, ?)",
                   [CURSOR, json.dumps(state)])
        for row in found:
            facts = Facts(kind=row["kind"], source=row["source"], baseline=row["baseline"])
            facts.text = "\n".join(str(v) for v in (row["number"], row["payload"].get("title"))
                                   if v)
            event = Event(row["kind"], row["key"], facts, row["payload"], source=row["source"],
                          number=row["number"], baseline=row["baseline"],
                          document_id=row.get("document_id"), version_id=row.get("version_id"),
                          url=row.get("url"), title=row.get("title"))
            _write(db, event, index, at, report)
