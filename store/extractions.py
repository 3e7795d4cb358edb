"""Extraction results, one row per (document version, extractor version), never replaced."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from store.catalogue import now, transaction


def versions_without_extraction(db: Database, extractor_version: str) -> list[dict[str, Any]]:
    return [dict(row) for row in db.query(
        "select v.id, v.document_id, v.encoding, d.url, d.source from versions v "
        "join documents d on d.id = v.document_id "
        "where not exists (select 1 from extractions e where e.version_id = v.id "
        "and e.extractor_version = ?) order by v.id", [extractor_version])]


def record_extraction(db: Database, version_id: int, extractor_version: str,
                      result: dict[str, Any]) -> int | None:
    """Store one extraction; an existing (version, extractor version) row is kept as it is.

    Returns the new row id, or None when the row already existed.
    """
    body = json.dumps(result, ensure_ascii=False, sort_keys=True)
    with transaction(db):
        exists = db.execute("select id from extractions where version_id = ? and extractor_version = ?",
                            [version_id, extractor_version]).fetchone()
        if exists:
            return None
        row_id = db["extractions"].insert({
            "version_id": version_id, "extractor_version": extractor_version, "created_at": now(),
            "number": result.get("number"), "issue_date": result.get("issue_date"), "result": body,
        }).last_pk
        if result.get("number"):
            db.execute("update documents set number = ? where id = "
                       "(select document_id from versions where id = ?)", [result["number"], version_id])
    return row_id


def latest_extraction(db: Database, version_id: int) -> dict[str, Any] | None:
    row = db.execute("select extractor_version, result from extractions where version_id = ? "
                     "order by id desc limit 1", [version_id]).fetchone()
    if row is None:
        return None
    return {"extractor_version": row[0], **json.loads(row[1])}


def extraction_history(db: Database, document_id: int) -> list[dict[str, Any]]:
    """Every extraction of every version of a document, oldest first."""
    return [{"version_seq": r["seq"], "extractor_version": r["extractor_version"],
             "created_at": r["created_at"], "result": json.loads(r["result"])}
            for r in db.query(
                "select v.seq, e.extractor_version, e.created_at, e.result from extractions e "
                "join versions v on v.id = e.version_id where v.document_id = ? order by e.id",
                [document_id])]
