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

from alerts import kinds
from alerts.matching import Facts, SubscriptionIndex
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


def gap_events(db: Database) -> list[dict[str, Any]]:
    """Events for gaps that opened or were filled since the last call (as plain dicts)."""
    from alerts.events import is_baseline

    current = {g["number"]: g for g in completeness.gaps(db)}
    already = open_gaps(db)
    seen = {n for (n,) in db.execute("select number from announcements where in_catalogue = 1")}
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


def copy_events(db: Database) -> list[dict[str, Any]]:
    """One event per copy whose text differs from the primary page (per difference)."""
    from alerts.events import is_baseline

    out = []
    for number, pages in sorted(completeness.copies(db).items()):
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


def record(db: Database, index: SubscriptionIndex, at: datetime, report: Counter[str]) -> None:
    """Write the completeness events and queue their alerts, in one transaction."""
    from alerts.events import Event, _write

    found = gap_events(db) + copy_events(db)
    if not found:
        return
    with write_transaction(db):
        for row in found:
            facts = Facts(kind=row["kind"], source=row["source"], baseline=row["baseline"])
            facts.text = "\n".join(str(v) for v in (row["number"], row["payload"].get("title"))
                                   if v)
            event = Event(row["kind"], row["key"], facts, row["payload"], source=row["source"],
                          number=row["number"], baseline=row["baseline"],
                          document_id=row.get("document_id"), version_id=row.get("version_id"),
                          url=row.get("url"), title=row.get("title"))
            _write(db, event, index, at, report)
