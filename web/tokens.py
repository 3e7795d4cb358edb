"""Feed tokens: the secret in a per-subscription feed URL.

A token is ``secrets.token_urlsafe(32)`` (256 random bits), shown once when issued and
stored only as its SHA-256, so whoever reads the catalogue (a backup, the web's own SQL
page) cannot rebuild a usable URL. A lookup hashes the presented token, finds the row
by hash and compares the hashes with :func:`hmac.compare_digest`. The ``feed_tokens``
table is private (web/guard.py): Datasette never lists or reads it.

Issuing and revoking write, so they are CLI operations (regwatch/cli_web.py); the web
server only calls :func:`subscription_for`, on a read-only connection of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from typing import Any

from sqlite_utils import Database

from store.catalogue import now, transaction
from store.errors import NotFound

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 128


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ensure_table(db: Database) -> None:
    """Create ``feed_tokens`` when the catalogue lacks it (idempotent)."""
    db["feed_tokens"].create(
        {"id": int, "subscription_id": int, "token_sha256": str, "label": str,
         "created_at": str, "revoked_at": str},
        pk="id", not_null={"subscription_id", "token_sha256", "created_at"},
        if_not_exists=True,
    )
    db["feed_tokens"].create_index(["token_sha256"], unique=True, if_not_exists=True)


def issue(db: Database, subscription_id: int, label: str | None = None) -> dict[str, Any]:
    """A new token for a subscription; the token itself is in the answer and nowhere else.

    :raises NotFound: when there is no such subscription
    """
    ensure_table(db)
    if db.execute("select 1 from subscriptions where id = ?", [subscription_id]).fetchone() is None:
        raise NotFound(f"no subscription {subscription_id}")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction(db):
        token_id = db["feed_tokens"].insert({
            "subscription_id": subscription_id, "token_sha256": digest(token), "label": label,
            "created_at": now(), "revoked_at": None,
        }).last_pk
    return {"id": token_id, "subscription_id": subscription_id, "token": token,
            "path": f"/-/feeds/subscription/{token}.atom"}


def listing(db: Database) -> list[dict[str, Any]]:
    """Issued tokens without the tokens (they are not stored): id, subscription, dates."""
    if "feed_tokens" not in db.table_names():
        return []
    return [dict(r) for r in db.query(
        "select t.id, t.subscription_id, s.name as subscription, t.label, t.created_at, "
        "t.revoked_at from feed_tokens t left join subscriptions s on s.id = t.subscription_id "
        "order by t.id")]


def revoke(db: Database, token_id: int) -> None:
    """:raises NotFound: when there is no such token"""
    ensure_table(db)
    with transaction(db):
        cursor = db.execute("update feed_tokens set revoked_at = ? where id = ? "
                            "and revoked_at is null", [now(), token_id])
    if not cursor.rowcount and db.execute("select 1 from feed_tokens where id = ?",
                                          [token_id]).fetchone() is None:
        raise NotFound(f"no feed token {token_id}")


def subscription_for(conn: sqlite3.Connection, token: str) -> dict[str, Any] | None:
    """The active subscription a live token opens, else None (unknown, revoked, inactive)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    presented = digest(token)
    try:
        row = conn.execute(
            "select t.token_sha256, s.id, s.name, s.materials, s.hs_prefixes, "
            "s.control_code_prefixes, s.keywords from feed_tokens t "
            "join subscriptions s on s.id = t.subscription_id "
            "where t.token_sha256 = ? and t.revoked_at is null and s.active = 1",
            [presented]).fetchone()
    except sqlite3.OperationalError:  # no feed_tokens table yet: no token is valid
        return None
    if row is None or not hmac.compare_digest(row[0], presented):
        return None
    keys = ("id", "name", "materials", "hs_prefixes", "control_code_prefixes", "keywords")
    return dict(zip(keys, row[1:], strict=True))
