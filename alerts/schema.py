"""Tables of the alerts stage: ``alerts`` migration 1, registered with the store's runner.

| table | one row per |
|---|---|
| ``events`` | change event (unique ``dedupe_key``: the same change is never recorded twice) |
| ``subscriptions`` | subscription: filters, channel, mode, language; names of secrets, never values; watched counterparties (migration 2) |
| ``outbox`` | alert: a (subscription, event) pair to deliver, unique per pair |
| ``alert_attempts`` | try to deliver one message (an alert, or a digest of several) |
| ``events_processed`` | version or crawl run already turned into events (the cursor) |
| ``source_health`` | source: healthy or unhealthy, since when, why |
| ``alert_state`` | key/value: the catalogue's random instance token for idempotency keys |
| ``reminder_dates`` | date a document's current extraction names (effective dates, item dates, suspension ends): where reminders look (migration 3) |
"""

from __future__ import annotations

import secrets

from sqlite_utils import Database

from store.migrations import register


def create_tables(db: Database) -> None:
    db["events"].create(
        {
            "id": int, "kind": str, "dedupe_key": str, "created_at": str, "baseline": int,
            "priority": str, "source": str, "document_id": int, "version_id": int,
            "previous_version_id": int, "crawl_run_id": int, "number": str, "title": str,
            "url": str, "payload": str,
        },
        pk="id", not_null={"kind", "dedupe_key", "created_at"},
        if_not_exists=True,
    )
    db["events"].create_index(["dedupe_key"], unique=True, if_not_exists=True)
    db["events"].create_index(["document_id"], if_not_exists=True)
    db["events"].create_index(["kind", "created_at"], if_not_exists=True)

    db["subscriptions"].create(
        {
            "id": int, "name": str, "channel": str, "target": str, "secret_env": str,
            "materials": str, "hs_prefixes": str, "control_code_prefixes": str,
            "issuers": str, "sources": str, "keywords": str, "event_kinds": str,
            "mode": str, "digest_at": str, "timezone": str, "lang": str,
            "reminder_days": str, "include_baseline": int, "active": int,
            "origin": str, "created_at": str, "updated_at": str,
        },
        pk="id", not_null={"channel", "target", "mode", "lang", "active"},
        defaults={"active": 1, "include_baseline": 0, "mode": "immediate", "lang": "en"},
        if_not_exists=True,
    )
    db["subscriptions"].create_index(["name"], unique=True, if_not_exists=True)

    db["outbox"].create(
        {
            "id": int, "subscription_id": int, "event_id": int, "idempotency_key": str,
            "delivery_key": str, "status": str, "mode": str, "matched": str,
            "created_at": str, "due_at": str, "next_attempt_at": str, "attempts": int,
            "last_attempt_at": str, "last_error": str, "claimed_until": str,
            "claim_token": str, "sent_at": str,
        },
        pk="id", not_null={"subscription_id", "event_id", "idempotency_key", "status"},
        defaults={"attempts": 0, "status": "pending"},
        foreign_keys=[("subscription_id", "subscriptions", "id"), ("event_id", "events", "id")],
        if_not_exists=True,
    )
    db["outbox"].create_index(["subscription_id", "event_id"], unique=True, if_not_exists=True)
    db["outbox"].create_index(["status", "next_attempt_at"], if_not_exists=True)
    db["outbox"].create_index(["delivery_key"], if_not_exists=True)

    db["alert_attempts"].create(
        {
            "id": int, "delivery_key": str, "subscription_id": int, "alerts": int,
            "channel": str, "at": str, "ok": int, "retry": int, "detail": str,
        },
        pk="id", if_not_exists=True,
    )
    db["alert_attempts"].create_index(["delivery_key"], if_not_exists=True)

    db["events_processed"].create(
        {"kind": str, "ref_id": int, "processed_at": str}, pk=("kind", "ref_id"),
        if_not_exists=True,
    )
    db["source_health"].create(
        {
            "source": str, "state": str, "since": str, "reason": str,
            "consecutive_failures": int, "last_ok_run_id": int, "last_ok_at": str,
            "last_run_id": int,
        },
        pk="source", if_not_exists=True,
    )
    db["alert_state"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db["alert_state"].insert({"key": "instance", "value": secrets.token_hex(16)},
                             pk="key", ignore=True)


def add_counterparties(db: Database) -> None:
    """Migration 2: a subscription's watched counterparties (JSON rows of its CSV)."""
    if "counterparties" not in db["subscriptions"].columns_dict:
        db["subscriptions"].add_column("counterparties", str)


def add_reminder_dates(db: Database) -> None:
    """Migration 3: the dates reminders are about, per document, so a reminder pass reads
    the few documents with a date in the coming days instead of every extraction; and
    documents by number, which every event about a referenced announcement looks up."""
    db.execute("create table if not exists reminder_dates (document_id integer not null, "
               "day text not null, target text not null default '')")
    db.execute("create unique index if not exists reminder_dates_key "
               "on reminder_dates(document_id, day, target)")
    db.execute("create index if not exists reminder_dates_day on reminder_dates(day)")
    db.execute("create index if not exists reminder_dates_target on reminder_dates(target) "
               "where target != ''")
    # events look announcements up by number (alerts/events.py document_by_number)
    db.execute("create index if not exists documents_number on documents(number)")


# Append-only: a change to these tables is a new function at the end of this list.
register("alerts", [create_tables, add_counterparties, add_reminder_dates])
