"""The one catalogue writer for crawling nodes that do not hold the catalogue.

Scrapyd nodes on other machines write feed files (JSON lines, crawler/spool.py) into a
shared spool directory; :func:`ingest` is the only process that stores them. Each feed is
read once its ``.done`` marker exists, and is recorded by the SHA-256 of its bytes in
``meta``, so ingesting a spool twice (or a copy of a feed) adds nothing. After storing,
the writer publishes ``snapshot.json`` in the spool: per source, the pages it knows (URL,
ETag, Last-Modified, …) and its stored attachments, which the nodes read at spider start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawler.sources import get_source, load_sources
from documents.attachments import read_attachment
from store import attachments, catalogue
from store.catalogue import transaction as write_transaction

SNAPSHOT = "snapshot.json"
OUTCOME_COUNTERS = {"new_document": "new_documents", "new_version": "new_versions",
                    "unchanged": "unchanged"}


def _item(line: str) -> dict[str, Any]:
    item = json.loads(line)
    if item.pop("raw_encoding", None) == "base64":
        item["raw"] = base64.b64decode(item["raw"])
    return item


def _store(db: Database, run_id: int, item: dict[str, Any]) -> None:
    """One spooled item into the catalogue, as crawler/pipelines.py stores a live one."""
    kind = item["kind"]
    if kind == "page":
        stored = catalogue.record_page(db, run_id, item)
        if stored["outcome"] == "new_version":
            attachments.carry_forward(db, stored["version_id"],
                                      [a["url"] for a in item.get("attachments") or []])
        catalogue.count(db, run_id, "fetched")
        catalogue.count(db, run_id, OUTCOME_COUNTERS[stored["outcome"]])
        if stored["outcome"] == "new_document":
            catalogue.count(db, run_id, "new_versions")
    elif kind == "not_modified":
        catalogue.record_not_modified(db, item["url"])
        catalogue.count(db, run_id, "not_modified")
    elif kind == "error":
        catalogue.record_error(db, run_id, item["source"], item["url"], item["reason"],
                               item.get("detail") or "", item.get("http_status"))
        catalogue.count(db, run_id, "errors")
    elif kind == "attachment":
        read = read_attachment(item["raw"], item["name"], item.get("content_type"))
        attachments.record_attachment(db, run_id, item["page_url"], item["name"], item["url"],
                                      item["raw"], read, item.get("content_type"))
    elif kind == "attachment_error":
        attachments.record_failed_attachment(db, run_id, item["page_url"], item["name"],
                                             item["url"], item["reason"])


def ingest_feed(db: Database, feed: Path, marker: dict[str, Any]) -> dict[str, Any] | None:
    """Store one finished feed as one crawl run; None when these bytes were ingested before."""
    body = feed.read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    key = f"spool_feed:{digest}"
    if db.execute("select 1 from meta where key = ?", [key]).fetchone():
        return None
    source = marker["source"]
    catalogue.ensure_source(db, get_source(source))
    run_id = catalogue.start_run(db, source, None, marker.get("pid"))
    for line in body.decode("utf-8").splitlines():
        if line.strip():
            _store(db, run_id, _item(line))
    reason = marker.get("reason") or "finished"
    status = "ok" if reason == "finished" else "interrupted" if reason == "shutdown" else reason
    run = catalogue.finish_run(db, run_id, status=status, requests=marker.get("requests"))
    with write_transaction(db):
        db["meta"].upsert({"key": key, "value": json.dumps({"feed": feed.name, "run": run_id})},
                          pk="key")
    return run


def publish_snapshot(db: Database, spool: Path) -> Path:
    """Write what the catalogue knows per source, atomically (write, then rename)."""
    sources = {}
    for name in load_sources():
        known = catalogue.known_pages(db, name)
        if known:
            sources[name] = {"known": known,
                             "known_attachments": attachments.known_attachments(db, name)}
    target = spool / SNAPSHOT
    partial = spool / f".{SNAPSHOT}.{os.getpid()}"
    partial.write_text(json.dumps({"version": 1, "published_at": catalogue.now(),
                                   "sources": sources}, ensure_ascii=False), encoding="utf-8")
    partial.replace(target)
    return target


def ingest(db_path: str, spool: str) -> dict[str, Any]:
    """Store every finished feed in ``spool`` not stored before, then publish the snapshot."""
    folder = Path(spool)
    db = catalogue.open_db(db_path)
    try:
        runs, skipped = [], 0
        for done in sorted(folder.glob("*.done")):
            feed = done.with_name(done.name[:-len(".done")])
            if not feed.exists():
                continue
            run = ingest_feed(db, feed, json.loads(done.read_text(encoding="utf-8")))
            if run is None:
                skipped += 1
            else:
                runs.append(run)
        snapshot = publish_snapshot(db, folder)
    finally:
        db.close()
    return {"runs": runs, "feeds_ingested": len(runs), "feeds_already_ingested": skipped,
            "snapshot": str(snapshot)}
