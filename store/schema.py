"""The store's own tables, as numbered migrations (documents, versions, runs, extractions,
attachments, translation mismatches).

Each migration runs once, in order, inside a transaction; the number reached is kept in
``meta.schema_version``. Add a function to ``MIGRATIONS`` to change the schema; never edit
one that has shipped. Other packages register their own lists (store/migrations.py).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from store.migrations import STORE, register, version
from store.migrations import migrate as run_migrations


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
    """Handed to the alerts stage: its tables are ``alerts`` migration 1 (alerts/schema.py).

    Shipped as an import of alerts.schema; the catalogue no longer knows its consumers.
    """


def _v3_timeline(db: Database) -> None:
    """Handed to the timeline: its tables are ``timeline`` migration 1 (timeline/schema.py)."""


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
    """Handed to the web catalogue: feed tokens and views are ``web`` migration 1."""


def _v7_source_language(db: Database) -> None:
    """A source's language and its place in the declared list, so readers (translations,
    events) need not load the crawler's sources.yaml.

    Filled by :func:`store.catalogue.ensure_source` at the next crawl of each source.
    """
    db.execute("alter table sources add column lang text")
    db.execute("alter table sources add column position integer")


MIGRATIONS: list[Callable[[Database], None]] = [
    _v1_foundation, _v2_alerts, _v3_timeline, _v4_attachments, _v5_translations, _v6_web,
    _v7_source_language,
]
SCHEMA_VERSION = len(MIGRATIONS)


register(STORE, MIGRATIONS)


def schema_version(db: Database) -> int:
    """The store's own migration number (``meta.schema_version``)."""
    return version(db, STORE)


def migrate(db: Database) -> int:
    """Bring ``db`` up to :data:`SCHEMA_VERSION`, and every registered package to its
    head; return the store's version.

    :raises RuntimeError: when the file was written by a newer regwatch
    """
    return run_migrations(db)[STORE]
