"""Attachment files of announcement pages: versioned by content hash, never replaced.

A file is stored once per (URL, content hash) and linked to every page version that
lists it. A file that could not be fetched or read safely is stored as a flagged row
with its reason (no content), so the gap is visible and the run goes on.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlite_utils import Database

from store.catalogue import now, transaction


def record_attachment(db: Database, run_id: int | None, page_url: str, name: str, url: str,
                      raw: bytes, read: dict[str, Any], content_type: str | None = None) -> dict[str, Any]:
    """Store a fetched attachment and link it to its page's current version.

    ``read`` is what documents.attachments.read_attachment made of it (status, reason,
    kind, text, tables, pages, sha256). Returns ``{"outcome", "attachment_id"}``;
    outcome is ``new`` or ``unchanged``.
    """
    sha = read.get("sha256") or ""
    with transaction(db):
        row = db.execute("select id from attachments where url = ? and sha256 = ?", [url, sha]).fetchone()
        if row:
            attachment_id, outcome = row[0], "unchanged"
        else:
            attachment_id = db["attachments"].insert({
                "url": url, "sha256": sha, "name": name, "size": len(raw),
                "content_type": content_type, "kind": read.get("kind"), "status": read.get("status"),
                "reason": read.get("reason"), "pages": read.get("pages"), "text": read.get("text"),
                "tables": json.dumps(read.get("tables") or [], ensure_ascii=False),
                # flagged files are not kept: a zip bomb or a 100 MB blob has no place in the catalogue
                "raw_gz": zlib.compress(raw, 6) if read.get("status") == "ok" else None,
                "fetched_at": now(), "crawl_run_id": run_id,
            }).last_pk
            outcome = "new"
        _link(db, page_url, attachment_id, name)
    return {"outcome": outcome, "attachment_id": attachment_id}


def record_failed_attachment(db: Database, run_id: int | None, page_url: str, name: str,
                             url: str, reason: str) -> int:
    """An attachment that could not even be downloaded (too large, 404, network)."""
    with transaction(db):
        attachment_id = db["attachments"].insert({
            "url": url, "sha256": f"failed:{now()}", "name": name, "size": None, "kind": None,
            "status": "flagged", "reason": reason, "fetched_at": now(), "crawl_run_id": run_id,
        }).last_pk
        _link(db, page_url, attachment_id, name)
    return attachment_id


def _link(db: Database, page_url: str, attachment_id: int, name: str) -> None:
    version = db.execute("select current_version_id from documents where url = ?", [page_url]).fetchone()
    if version and version[0]:
        db["version_attachments"].insert(
            {"version_id": version[0], "attachment_id": attachment_id, "name": name}, replace=True)


def carry_forward(db: Database, version_id: int, urls: list[str]) -> int:
    """Link a page's new version to the stored attachments its previous version had and it still lists."""
    if not urls:
        return 0
    marks = ",".join("?" * len(urls))
    with transaction(db):
        cursor = db.execute(
            f"insert or ignore into version_attachments (version_id, attachment_id, name) "
            f"select ?, va.attachment_id, va.name from version_attachments va "
            f"join attachments a on a.id = va.attachment_id "
            f"join versions prev on prev.id = va.version_id "
            f"join versions cur on cur.id = ? and cur.document_id = prev.document_id "
            f"and prev.seq = cur.seq - 1 where a.url in ({marks})",
            [version_id, version_id, *urls])
    return cursor.rowcount


def attachments_of(db: Database, version_id: int) -> list[dict[str, Any]]:
    """A version's attachments, readable ones with their text."""
    return [dict(r) for r in db.query(
        "select a.id, va.name, a.url, a.sha256, a.kind, a.status, a.reason, a.pages, a.size, "
        "a.text, a.tables "
        "from version_attachments va join attachments a on a.id = va.attachment_id "
        "where va.version_id = ? order by a.id", [version_id])]


def point_items_at_rows(result: dict[str, Any], files: list[dict[str, Any]]) -> None:
    """Give each item read from an attachment a pointer to its file and table row.

    The pointer (attachment id, URL, content hash, table, row index) is found by the
    item's control code, else its first HS code, in the rows of the named file's tables.
    """
    by_name = {f["name"]: f for f in files}
    for item in result.get("items") or []:
        source = item.get("source") or ""
        if not source.startswith("attachment:"):
            continue
        file = by_name.get(source.removeprefix("attachment:"))
        if file is None:
            continue
        keys = [k for k in [item.get("control_code"), *(item.get("hs_codes") or [])[:1]] if k]
        item["attachment"] = {"url": file["url"], "sha256": file["sha256"],
                              "where": None, "row": None}
        for table in json.loads(file.get("tables") or "[]"):
            for index, row in enumerate(table.get("rows") or []):
                cells = "".join(str(c) for c in row).replace(" ", "").replace(".", "")
                if keys and any(k.replace(".", "") in cells for k in keys):
                    item["attachment"].update(where=table.get("where"), row=index)
                    break
            if item["attachment"]["row"] is not None:
                break


def known_attachments(db: Database, source: str) -> dict[str, str]:
    """URL → sha256 of the attachments already stored for a source's pages."""
    return {url: sha for url, sha in db.execute(
        "select a.url, a.sha256 from attachments a join version_attachments va on va.attachment_id = a.id "
        "join versions v on v.id = va.version_id join documents d on d.id = v.document_id "
        "where d.source = ? and a.status = 'ok'", [source]).fetchall()}
