"""Incremental benchmark: what one new announcement costs in a large catalogue.

A new announcement (50 items, references to 3 earlier announcements) arrives as a crawled
page in the 100k synthetic catalogue (bench/synthetic.py) and goes through what follows a
crawl: extraction (the real extractor, loaded beforehand as in the service), derivation of
the timeline, the search index, events, and alert queueing for 1,000 subscriptions.
Target: under 2 s in all, with the work proportional to the change: the figures include
the net rows per table, the rows written per stage (SQLite's change counter: inserts,
updates and deletes) and the derivation's own counts (inputs read, announcements re-derived).

Run: ``python -m bench.incremental_bench`` (needs ``bench/out/synthetic.db``, built once by
``make bench-timeline``; it is copied, never changed). ``--smoke``: the 300-announcement
catalogue, built in a temporary directory (seconds). Exits non-zero on a miss (full size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import regwatch  # noqa: F401  (every stage registers its tables)
from alerts import subscriptions
from alerts.events import record_events
from bench.alerts_bench import synthetic_subscription
from bench.synthetic import SMOKE, HsPool, Spec, build, document
from store import catalogue
from store.catalogue import transaction as write_transaction
from store.extractions import record_extraction
from timeline.build import update_timeline

TARGET_SECONDS = 2.0
TABLES = ("documents", "versions", "extractions", "announcements", "announcement_refs",
          "subjects", "items", "item_terms", "intervals", "material_deltas", "search_docs",
          "events", "outbox", "derivations", "derivation_inputs")


def prepare(db_path: str, n_subscriptions: int) -> dict[str, Any]:
    """Bring the copy to a settled state (untimed): timeline current, events all recorded."""
    started = time.perf_counter()
    db = catalogue.open_db(db_path)
    settle = update_timeline(db, trigger="bench")  # a full pass only if the item model moved
    with write_transaction(db):
        db.execute("insert or ignore into events_processed (kind, ref_id, processed_at) "
                   "select 'version', id, '2026-01-01T00:00:00Z' from versions")
        rng = random.Random(5)
        if not db.execute("select count(*) from subscriptions").fetchone()[0]:
            for i in range(n_subscriptions):
                subscriptions.add(db, synthetic_subscription(rng, i))
    run = catalogue.start_run(db, "mofcom")  # a first load, so the new page is not baseline
    catalogue.count(db, run, "new_documents")
    catalogue.finish_run(db, run)
    record_events(db, [])
    db.close()
    return {"seconds": round(time.perf_counter() - started, 1),
            "timeline_rebuilt": settle.get("changed", False)}


def new_page(db_path: str) -> tuple[dict[str, Any], list[str]]:
    """The new announcement's page, citing three announcements already in the catalogue."""
    db = catalogue.open_db(db_path)
    rows = db.execute("select number, issue_date from announcements where in_catalogue = 1 "
                      "and has_controls = 1 order by issue_date desc limit 3").fetchall()
    db.close()
    targets = [number for number, _ in rows]
    refs = [{"target": targets[0], "relation": "suspends", "from": "2026-07-01",
             "until": "2027-06-30", "clause": None},
            {"target": targets[1], "relation": "amends", "from": None, "until": None,
             "clause": None},
            {"target": targets[2], "relation": "cites", "from": None, "until": None,
             "clause": None}]
    rng = random.Random(21)
    spec = Spec(0, "MOFCOM-2026-901", "MOFCOM", 2026, 901, *_dates(), None, 50, [1, 2],
                "control", refs)
    title, text, _ = document(spec, rng, HsPool(rng))
    for target in targets:  # the synthetic text names targets by key; a page by their Chinese number
        series, year, seq = target.split("-")
        issuer = "海关总署" if series == "GACC" else "商务部"
        text = text.replace(f"{target}号公告", f"{issuer}公告{year}年第{seq}号")
    body = "".join(f"<p>{line}</p>" for line in text.splitlines())
    html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<div class='article'><h1>{title}</h1>{body}</div></body></html>")
    return {"source": "mofcom", "url": "https://www.mofcom.gov.cn/bench/incremental-901.html",
            "title": title, "text": text, "raw": html.encode(), "encoding": "utf-8",
            "content_hash": hashlib.sha256(text.encode()).hexdigest()}, targets


def _dates() -> tuple:
    from datetime import date

    return date(2026, 7, 1), date(2026, 7, 1)


def _counts(db: Any) -> dict[str, int]:
    """Rows per table, counted outside the timing."""
    return {t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def add_one(db_path: str, page: dict[str, Any]) -> dict[str, Any]:
    """The timed part: store the page, extract it, derive, index, record events and alerts."""
    from extract.pipeline import load_extractor

    extractor = load_extractor()  # loaded once per process in the service: not timed
    db = catalogue.open_db(db_path)
    before = _counts(db)
    stages: dict[str, float] = {}
    written: dict[str, int] = {}

    def stage(name: str, began: float, changes: int) -> None:
        stages[name] = round(time.perf_counter() - began, 3)
        written[name] = db.conn.total_changes - changes

    began, changes = time.perf_counter(), db.conn.total_changes
    run = catalogue.start_run(db, "mofcom")
    stored = catalogue.record_page(db, run, page)
    catalogue.count(db, run, "new_documents")
    catalogue.finish_run(db, run)
    stage("store_page", began, changes)
    began, changes = time.perf_counter(), db.conn.total_changes
    result = extractor.extract(html=page["raw"].decode(), url=page["url"], source="mofcom")
    record_extraction(db, stored["version_id"], extractor.version, result)
    stage("extraction", began, changes)
    began, changes = time.perf_counter(), db.conn.total_changes
    timeline = update_timeline(db, trigger="bench")
    stage("derivation_and_search_index", began, changes)
    began, changes = time.perf_counter(), db.conn.total_changes
    alerts = record_events(db, [catalogue.get_run(db, run)])
    stage("events_and_alerts", began, changes)
    after = _counts(db)
    db.close()
    return {"seconds": round(sum(stages.values()), 3), "stages": stages,
            "rows_written_per_stage": written,
            "rows_net_per_table": {t: after[t] - before[t] for t in TABLES},
            "extracted": {"number": result.get("number"), "items": len(result.get("items") or []),
                          "references": [r.get("target") for r in result.get("references") or []]},
            "timeline": {k: v for k, v in timeline.items() if k != "search"},
            "search": timeline.get("search"), "events": alerts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench/out/synthetic.db",
                        help="the synthetic catalogue (copied, never changed)")
    parser.add_argument("--work", default="bench/out/incremental.db", help="the copy")
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--smoke", action="store_true",
                        help="the 300-announcement catalogue, 50 subscriptions (seconds)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.smoke:
            args.db, args.work = str(Path(tmp) / "smoke.db"), str(Path(tmp) / "work.db")
            build(args.db, *SMOKE)
            args.subscriptions = 50
        elif not Path(args.db).exists():
            print(f"{args.db} is missing: build it once with make bench-timeline", file=sys.stderr)
            return 2
        for suffix in ("-wal", "-shm"):
            Path(args.work + suffix).unlink(missing_ok=True)
        shutil.copyfile(args.db, args.work)
        prepared = prepare(args.work, args.subscriptions)
        page, targets = new_page(args.work)
        figures = {"catalogue": args.db, "prepare": prepared, "references_to": targets,
                   **add_one(args.work, page), "target_seconds_below": TARGET_SECONDS}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if not args.smoke and figures["seconds"] >= TARGET_SECONDS:
        print(f"one new announcement took {figures['seconds']} s (target < {TARGET_SECONDS} s)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
