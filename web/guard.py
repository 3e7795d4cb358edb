"""Datasette plugin: no write path, and private tables unreadable through the web.

Layers, each enough on its own for one threat:

- the catalogue is opened ``mode=ro`` (or ``immutable``) by web/app.py, and no regwatch
  plugin calls ``execute_write``;
- :func:`asgi_wrapper` answers every method but GET, HEAD and OPTIONS with 405, so no
  form, API or canned query can be posted to;
- :func:`permission_allowed` denies every write action and the download of the whole
  database file, and denies viewing the private tables (so they are not listed either);
- an SQLite authorizer on every Datasette connection (:func:`prepare_connection`) reads
  every column of a private table as NULL and refuses any statement that would write,
  so arbitrary SQL (``?sql=``, ``_where=``, a canned query, a view) cannot read
  subscribers' addresses or feed-token hashes. The per-subscription feed reads those
  tables through its own connection (web/feeds.py), never through Datasette's;
- the same connection caps any string or blob at ``MAX_VALUE_BYTES`` (``printf('%.*c',
  200000000, 'x')``, ``zeroblob``, ``randomblob`` fail instead of taking a gigabyte),
  refuses recursive CTEs (a few of them held every SQL thread for seconds) and hides
  other visitors' statements (``sqlite_stmt``) and the file's path
  (``pragma_database_list`` in SQL), which :func:`asgi_wrapper` also keeps out of
  ``/-/databases.json``. The ``PRAGMA database_list`` statement itself stays allowed:
  Datasette's own database page runs it, and a visitor's ``?sql=`` may only be a SELECT.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from datasette import hookimpl

DATABASE = "regwatch"
# Subscriber addresses and webhook URLs, who was sent what, delivery errors, the
# idempotency salt, and feed-token hashes.
PRIVATE_TABLES = frozenset({"subscriptions", "outbox", "alert_attempts", "alert_state",
                            "feed_tokens"})
WRITE_ACTIONS = frozenset({
    "insert-row", "delete-row", "update-row", "create-table", "drop-table", "alter-table",
    "upsert-row", "view-database-download",
})
MAX_VALUE_BYTES = 10_000_000  # a string or blob any web query may build
HIDDEN_SOURCES = frozenset({"sqlite_stmt", "sqlite_dbpage", "pragma_database_list",
                            "sqlite_dbstat", "dbstat"})
HIDDEN_PATHS = frozenset({"/-/databases", "/-/databases.json"})
_ROW_WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})
_DENIED_OPS = frozenset({
    sqlite3.SQLITE_CREATE_TABLE, sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_CREATE_VIEW,
    sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_CREATE_TEMP_TABLE,
    sqlite3.SQLITE_CREATE_TEMP_INDEX, sqlite3.SQLITE_CREATE_TEMP_VIEW,
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER, sqlite3.SQLITE_CREATE_VTABLE,
    sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_DROP_INDEX, sqlite3.SQLITE_DROP_VIEW,
    sqlite3.SQLITE_DROP_TRIGGER, sqlite3.SQLITE_DROP_TEMP_TABLE, sqlite3.SQLITE_DROP_TEMP_INDEX,
    sqlite3.SQLITE_DROP_TEMP_VIEW, sqlite3.SQLITE_DROP_TEMP_TRIGGER,
    sqlite3.SQLITE_DROP_VTABLE, sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_ATTACH,
    sqlite3.SQLITE_DETACH, sqlite3.SQLITE_REINDEX, sqlite3.SQLITE_ANALYZE,
})


def authorizer(action: int, arg1: str | None, arg2: str | None, dbname: str | None,
               source: str | None) -> int:
    """SQLite authorizer: private columns read as NULL; writes and schema changes denied.

    A private column is ignored (NULL) rather than denied, so a query that touches one
    answers without its data instead of failing; naming a private table alone (SQLite
    asks with an empty column, e.g. for ``count(*)``) stays allowed, so Datasette's table
    counts work and reveal only how many rows there are. Names compare in lower case. Virtual tables (FTS5, json_each) update ``sqlite_master`` in memory when they
    declare their schema; that is not a write to the file and stays allowed.
    """
    if action == sqlite3.SQLITE_READ and arg2 and (arg1 or "").lower() in PRIVATE_TABLES:
        return sqlite3.SQLITE_IGNORE
    if action in _ROW_WRITES and (arg1 or "").lower() != "sqlite_master":
        return sqlite3.SQLITE_DENY
    if action in _DENIED_OPS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and arg2 in ("load_extension", "readfile",
                                                      "writefile", "fts3_tokenizer"):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_RECURSIVE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in HIDDEN_SOURCES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    if database == DATABASE:
        conn.set_authorizer(authorizer)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sent with every answer: no MIME sniffing of a crawled page's bytes, no framing, and no
# Referer carrying a private feed address to another site.
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin")]


@hookimpl
def asgi_wrapper() -> Callable[[Any], Any]:
    """Refuse every request that is not a read (405) before Datasette sees it; add the
    security headers to every answer."""
    def wrap(app: Any) -> Any:
        async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            if scope.get("path", "").rstrip("/") in HIDDEN_PATHS:
                await send_with_headers({"type": "http.response.start", "status": 404,
                                         "headers": [(b"content-type", b"text/plain")]})
                await send_with_headers({"type": "http.response.body", "body": b"not here\n"})
                return
            if scope.get("method", "GET") not in SAFE_METHODS:
                await send_with_headers({"type": "http.response.start", "status": 405,
                                         "headers": [(b"content-type", b"text/plain"),
                                                     (b"allow", b"GET, HEAD, OPTIONS")]})
                await send_with_headers({"type": "http.response.body", "body": b"read-only\n"})
                return
            await app(scope, receive, send_with_headers)
        return guarded
    return wrap


@hookimpl
def permission_allowed(action: str, resource: Any) -> bool | None:
    """False for writes, the file download and private tables; no opinion otherwise."""
    if action in WRITE_ACTIONS:
        return False
    if action == "view-table" and isinstance(resource, tuple) and len(resource) == 2:
        database, table = resource
        if database == DATABASE and table in PRIVATE_TABLES:
            return False
    return None
