"""The catalogue's schema, as numbered migrations.

Each migration runs once, in order, inside a transaction; the number reached is kept in
``meta.schema_version``. Add a function to ``MIGRATIONS`` to change the schema; never edit
one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database


def _v1_foundation(db: Database) -> None:
    db["sources"].create(
        {"id": str, "name": str, "authority": str, "base_url": str}, pk="id", if_not_exists=True
    )
    db["crawl_runs"].create(
        {
            "id": int, "source": str, "started_at": str, "finished_at": str, "status": str,
            "mirror": str, "requests": int, "fetched": int, "new_documents": int,
            "new_versions": int, "unchanged": int, "not_modified": int, "errors": int,
            "pid": int,
        },
        pk="id",
    )
    db["documents"].create(
        {
            "id": int, "source": str, "url": str, "title": str, "number": str,
            "first_seen": str, "last_seen": str, "last_checked": str, "last_changed": str,
            "etag": str, "last_modified": str, "version_count": int, "current_version_id": int,
        },
        pk="id",
    )
    db["documents"].create_index(["url"], unique=True)
    db["documents"].create_index(["source", "last_checked"])
    db["versions"].create(
        {
            "id": int, "document_id": int, "seq": int, "crawl_run_id": int, "fetched_at": str,
            "content_hash": str, "title": str, "text": str, "fields": str, "meta": str,
            "attachments": str, "raw_html_gz": bytes, "encoding": str, "http_status": int,
            "etag": str, "last_modified": str, "content_type": str, "size": int,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id")],
    )
    db["versions"].create_index(["document_id", "seq"], unique=True)
    db["source_errors"].create(
        {
            "id": int, "crawl_run_id": int, "source": str, "url": str, "reason": str,
            "http_status": int, "detail": str, "at": str,
        },
        pk="id",
    )
    db["source_errors"].create_index(["crawl_run_id"])
    db["extractions"].create(
        {
            "id": int, "version_id": int, "extractor_version": str, "created_at": str,
            "number": str, "issue_date": str, "result": str,
        },
        pk="id",
        foreign_keys=[("version_id", "versions", "id")],
    )
    db["extractions"].create_index(["version_id", "extractor_version"], unique=True)


def _v2_alerts(db: Database) -> None:
    """Change events, subscriptions and the alert outbox (owned by alerts/)."""
    from alerts.schema import create_tables

    create_tables(db)


def _v3_timeline(db: Database) -> None:
    """Items, item/announcement state intervals and full-text search (owned by store/timeline.py)."""
    from store.timeline_schema import create_tables

    create_tables(db)


def _v4_attachments(db: Database) -> None:
    """Attachment files, versioned by content hash, linked to the page versions that list them."""
    db["attachments"].create(
        {
            "id": int, "url": str, "sha256": str, "name": str, "size": int, "content_type": str,
            "kind": str, "status": str, "reason": str, "pages": int, "text": str, "tables": str,
            "raw_gz": bytes, "fetched_at": str, "crawl_run_id": int,
        },
        pk="id",
    )
    db["attachments"].create_index(["url", "sha256"], unique=True)
    db["version_attachments"].create(
        {"version_id": int, "attachment_id": int, "name": str},
        pk=("version_id", "attachment_id"),
        foreign_keys=[("version_id", "versions", "id"), ("attachment_id", "attachments", "id")],
    )


def _v5_translations(db: Database) -> None:
    """English and Chinese versions of one announcement, and where they disagree."""
    db["translation_mismatches"].create(
        {
            "id": int, "number": str, "field": str, "original_document_id": int,
            "translation_document_id": int, "original_version_id": int,
            "translation_version_id": int, "original": str, "translation": str,
            "detected_at": str,
        },
        pk="id",
    )
    db["translation_mismatches"].create_index(
        ["original_version_id", "translation_version_id", "field"], unique=True)


def _v6_web(db: Database) -> None:
    """Private feed tokens (hashed) and the views the web catalogue shows (owned by web/)."""
    from web.tokens import ensure_table
    from web.views import ensure_views

    ensure_table(db)
    ensure_views(db)


MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_foundation, _v2_alerts, _v3_timeline, _v4_attachments, _v5_translations, _v6_web,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    if "meta" not in db.table_names():
        return 0
    row = db.execute("select value from meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(db: Database) -> int:
    """Bring ``db`` up to :data:`SCHEMA_VERSION`; return the version reached.

    :raises RuntimeError: when the file was written by a newer regwatch
    """
    if "meta" not in db.table_names():
        db["meta"].create({"key": str, "value": str}, pk="key")
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"catalogue schema {current} is newer than this regwatch ({SCHEMA_VERSION})"
        )
    for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
        with db.atomic():
            step(db)
            db["meta"].upsert({"key": "schema_version", "value": str(number)}, pk="key")
    return SCHEMA_VERSION
