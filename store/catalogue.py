"""The versioned catalogue: documents, their versions, crawl runs and source errors.

Every function takes a :class:`sqlite_utils.Database` first and returns plain dicts or
ids. Nothing is overwritten: a page whose main content changed gets a new version row;
the same content again only moves ``last_seen``.
"""

from __future__ import annotations

import difflib
import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core import clock
from store.errors import CatalogueError, NotFound
from store.migrations import pending
from store.schema import migrate

BUSY_TIMEOUT_MS = 30_000


def now() -> str:
    """When something is recorded: the wall clock as sortable UTC text (core/clock.py)."""
    return clock.stamp()


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes cannot wait for the lock in WAL
    mode once another writer has committed ("database is locked" at once); taking it
    first makes concurrent writers queue on the busy timeout instead. Nested use falls
    back to a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():  # a savepoint inside the open transaction
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.conn.commit()


def in_chunks(values: Any, size: int = 500) -> Iterator[tuple[list[Any], str]]:
    """``values`` sorted, in lists of at most ``size`` with their ``?, ?, …`` marks: an
    ``in (…)`` list stays under SQLite's limit on bound variables."""
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        chunk = ordered[start:start + size]
        yield chunk, ",".join("?" for _ in chunk)


_beside = {"reads": 0}  # reads on two connections at once, in two threads, now
_beside_lock = threading.Lock()


@contextmanager
def reading_beside() -> Iterator[None]:
    """Two threads read at once (one on a second connection): :func:`rows_at_once` then
    reads each result in one step."""
    with _beside_lock:
        _beside["reads"] += 1
    try:
        yield
    finally:
        with _beside_lock:
            _beside["reads"] -= 1


def rows_at_once(db: Database, columns: str, rest: str, params: Any) -> list[tuple]:
    """The rows of ``select {columns} {rest}`` (the columns as a select list) as tuples;
    while two threads read (:func:`reading_beside`), read in one step as one JSON text,
    as tuples of JSON values (text, integers, reals, nulls).

    A thread reading row by row takes Python's lock back after every row, and beside a
    thread busy in Python it waits its turn for each (0.5 s for 5,000 rows that take 7 ms
    alone): read at once it takes the lock once, and the other thread runs while SQLite
    works. ``timeline/batch.py`` reads on two connections at once this way, inside
    :func:`reading_beside`. Outside, no thread waits on another: the rows are read as
    they are, without the JSON text (a fifth of the read, at 15,000 rows)."""
    if not _beside["reads"]:
        return db.execute(f"select {columns} {rest}", params).fetchall()
    exprs = _select_list(columns)
    names = [f"c{n}" for n in range(len(exprs))]
    inner = ", ".join(f"{expr} as {name}" for expr, name in zip(exprs, names, strict=True))
    text = db.execute(f"select json_group_array(json_array({', '.join(names)})) from "
                      f"(select {inner} {rest})", params).fetchone()[0]
    return [tuple(row) for row in json.loads(text)]


def _select_list(columns: str) -> list[str]:
    """``"a, max(b, c), d"`` → ``["a", "max(b, c)", "d"]``."""
    out, depth, start = [], 0, 0
    for at, char in enumerate(columns):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            out.append(columns[start:at].strip())
            start = at + 1
    out.append(columns[start:].strip())
    return out


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) the catalogue at ``path``: WAL, busy timeout, migrated."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    _enable_wal(db)
    db.execute("pragma foreign_keys = on")
    migrate(db)
    close_dead_runs(db)
    return db


def _enable_wal(db: Database) -> None:
    """Switch a catalogue to WAL, waiting as a busy write would: switching needs the file
    to itself, and SQLite may answer "locked" without waiting when another process opening
    a fresh catalogue at the same moment holds it (its busy timeout does not apply)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def connect_readonly(path: str | Path) -> Database:
    """A read-only connection (``mode=ro``) to the catalogue file at ``path``, usable from
    another thread, with the catalogue's busy timeout; nothing is checked or migrated."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                           check_same_thread=False)
    db = Database(conn)
    db.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


def open_readonly(path: str | Path) -> Database:
    """Open the catalogue at ``path`` for reading only (``mode=ro``): nothing is migrated,
    derived or created, so a read never takes the write lock a crawl holds.

    :raises NotFound: when there is no catalogue at ``path``
    :raises CatalogueError: when the file's schema is behind this regwatch's (a writer,
        e.g. ``regwatch crawl``, brings it up to date)
    """
    path = Path(path)
    if not path.exists():
        raise NotFound(f"no catalogue at {path} (run `regwatch crawl` first)")
    db = connect_readonly(path)
    behind = pending(db)
    if behind:
        db.close()
        raise CatalogueError(f"catalogue {path} needs migrating ({', '.join(sorted(behind))}): "
                             "run a command that writes, e.g. `regwatch crawl`")
    return db


def ensure_source(db: Database, source: dict[str, Any]) -> None:
    row = {k: source.get(k) for k in ("id", "name", "authority", "base_url")}
    row.update(lang=source.get("lang") or "zh", position=source.get("position"))
    db["sources"].upsert(row, pk="id")


def source_languages(db: Database) -> dict[str, str]:
    """Each recorded source's language (``zh`` unless declared otherwise), in the order
    the sources are declared (sources.yaml)."""
    return {sid: lang or "zh" for sid, lang in db.execute(
        "select id, lang from sources order by position is null, position, rowid")}


# -- crawl runs -----------------------------------------------------------------------

RUN_COUNTERS = ("requests", "fetched", "new_documents", "new_versions", "unchanged",
                "not_modified", "errors")


def start_run(db: Database, source: str, mirror: str | None = None, pid: int | None = None) -> int:
    row = {"source": source, "started_at": now(), "status": "running", "mirror": mirror, "pid": pid}
    row.update({name: 0 for name in RUN_COUNTERS})
    with transaction(db):
        return db["crawl_runs"].insert(row).last_pk


def count(db: Database, run_id: int, counter: str, by: int = 1) -> None:
    if counter not in RUN_COUNTERS:
        raise ValueError(f"unknown counter {counter!r}")
    with transaction(db):
        db.execute(f"update crawl_runs set {counter} = {counter} + ? where id = ?", [by, run_id])


def finish_run(db: Database, run_id: int, status: str = "ok", requests: int | None = None) -> dict:
    update: dict[str, Any] = {"finished_at": now(), "status": status}
    if requests is not None:
        update["requests"] = requests
    with transaction(db):
        db["crawl_runs"].update(run_id, update)
    return get_run(db, run_id)


def get_run(db: Database, run_id: int) -> dict[str, Any]:
    try:
        run = dict(db["crawl_runs"].get(run_id))
    except Exception as exc:  # sqlite_utils.db.NotFoundError
        raise NotFound(f"no crawl run {run_id}") from exc
    run["error_list"] = list(db["source_errors"].rows_where("crawl_run_id = ?", [run_id]))
    return run


def mark_interrupted_runs(db: Database) -> int:
    """Runs left 'running' by a process that died are closed as 'interrupted'."""
    with transaction(db):
        cursor = db.execute(
            "update crawl_runs set status = 'interrupted', finished_at = ? where status = 'running'",
            [now()],
        )
    return cursor.rowcount


def close_dead_runs(db: Database) -> int:
    """Runs still 'running' whose crawl process is gone (kill -9, a crash, a power cut) are
    closed as 'interrupted' by the next process that opens the catalogue to write. A run of a
    live process is left alone: another crawl may be running right now."""
    dead = [run_id for run_id, pid in db.execute(
        "select id, pid from crawl_runs where status = 'running' and pid is not null")
        if not _alive(pid)]
    if not dead:
        return 0
    with transaction(db):
        for run_id in dead:
            db.execute("update crawl_runs set status = 'interrupted', finished_at = ? "
                       "where id = ? and status = 'running'", [now(), run_id])
            db["source_errors"].insert({
                "crawl_run_id": run_id, "source": db.execute(
                    "select source from crawl_runs where id = ?", [run_id]).fetchone()[0],
                "url": "", "reason": "interrupted", "http_status": None, "at": now(),
                "detail": "the crawl process ended without closing its run (killed or crashed)"})
    return len(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- documents and versions -------------------------------------------------------------

def known_pages(db: Database, source: str) -> dict[str, dict[str, Any]]:
    """What the crawler already knows of a source's pages, for incremental crawls."""
    rows = db.execute(
        "select url, etag, last_modified, last_checked, version_count, first_seen from documents "
        "where source = ?",
        [source],
    ).fetchall()
    return {
        url: {"etag": etag, "last_modified": lm, "last_checked": checked, "versions": n,
              "first_seen": first}
        for url, etag, lm, checked, n, first in rows
    }


def record_page(db: Database, run_id: int | None, page: dict[str, Any]) -> dict[str, Any]:
    """Store a fetched announcement page; return ``{"outcome", "document_id", "version_id"}``.

    ``page`` holds source, url (canonical), title, text, fields, meta, attachments,
    content_hash, raw (bytes), encoding, http_status, etag, last_modified, content_type.
    Outcome is ``new_document``, ``new_version`` or ``unchanged``.
    """
    stamp = now()
    with transaction(db):
        existing = db.execute(
            "select d.id, v.content_hash, d.version_count from documents d "
            "left join versions v on v.id = d.current_version_id where d.url = ?",
            [page["url"]],
        ).fetchone()
        doc_update = {
            "last_seen": stamp, "last_checked": stamp, "title": page.get("title"),
            "etag": page.get("etag"), "last_modified": page.get("last_modified"),
        }
        if existing and existing[1] == page["content_hash"]:
            db["documents"].update(existing[0], doc_update)
            return {"outcome": "unchanged", "document_id": existing[0], "version_id": None}
        if existing:
            document_id, seq, outcome = existing[0], (existing[2] or 0) + 1, "new_version"
        else:
            document_id = db["documents"].insert(
                {"source": page["source"], "url": page["url"], "first_seen": stamp,
                 "version_count": 0, **doc_update}
            ).last_pk
            seq, outcome = 1, "new_document"
        raw = page.get("raw") or b""
        version_id = db["versions"].insert({
            "document_id": document_id, "seq": seq, "crawl_run_id": run_id, "fetched_at": stamp,
            "content_hash": page["content_hash"], "title": page.get("title"),
            "text": page.get("text"), "fields": json.dumps(page.get("fields") or {}, ensure_ascii=False),
            "meta": json.dumps(page.get("meta") or {}, ensure_ascii=False),
            "attachments": json.dumps(page.get("attachments") or [], ensure_ascii=False),
            "raw_html_gz": zlib.compress(raw, 6), "encoding": page.get("encoding"),
            "http_status": page.get("http_status"), "etag": page.get("etag"),
            "last_modified": page.get("last_modified"), "content_type": page.get("content_type"),
            "size": len(raw),
        }).last_pk
        db["documents"].update(document_id, {
            **doc_update, "version_count": seq, "current_version_id": version_id,
            "last_changed": stamp,
        })
    return {"outcome": outcome, "document_id": document_id, "version_id": version_id}


def record_not_modified(db: Database, url: str) -> None:
    """A conditional request answered 304: the page was checked and is as stored."""
    stamp = now()
    with transaction(db):
        db.execute("update documents set last_seen = ?, last_checked = ? where url = ?",
                   [stamp, stamp, url])


def record_error(db: Database, run_id: int | None, source: str, url: str, reason: str,
                 detail: str = "", http_status: int | None = None) -> int:
    """A response that is not an announcement page: kept with its reason, never as a version."""
    with transaction(db):
        return db["source_errors"].insert({
            "crawl_run_id": run_id, "source": source, "url": url, "reason": reason,
            "http_status": http_status, "detail": detail[:2000], "at": now(),
        }).last_pk


def documents(db: Database, source: str | None = None) -> list[dict[str, Any]]:
    where, args = ("where source = ?", [source]) if source else ("", [])
    return [dict(row) for row in db.query(
        f"select id, source, number, title, url, version_count, first_seen, last_seen, "
        f"last_changed from documents {where} order by id", args)]


def get_document(db: Database, document_id: int) -> dict[str, Any]:
    try:
        doc = dict(db["documents"].get(document_id))
    except Exception as exc:
        raise NotFound(f"no document {document_id}") from exc
    return doc


def versions(db: Database, document_id: int) -> list[dict[str, Any]]:
    """A document's versions, oldest first, without the raw page."""
    get_document(db, document_id)
    return [dict(row) for row in db.query(
        "select id, seq, fetched_at, crawl_run_id, content_hash, title, text, http_status, "
        "etag, encoding, size from versions where document_id = ? order by seq", [document_id])]


def raw_html(db: Database, version_id: int) -> bytes:
    row = db.execute("select raw_html_gz from versions where id = ?", [version_id]).fetchone()
    if row is None:
        raise NotFound(f"no version {version_id}")
    return zlib.decompress(row[0])


def history(db: Database, document_id: int) -> list[dict[str, Any]]:
    """Versions with a unified diff of each against the one before it."""
    rows = versions(db, document_id)
    previous: dict[str, Any] | None = None
    for row in rows:
        if previous is None:
            row["diff"] = ""
        else:
            row["diff"] = "\n".join(difflib.unified_diff(
                (previous["text"] or "").splitlines(), (row["text"] or "").splitlines(),
                fromfile=f"version {previous['seq']}", tofile=f"version {row['seq']}", lineterm="",
            ))
        previous = row
    return rows
