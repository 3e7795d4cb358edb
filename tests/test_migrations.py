"""Migrations are append-only, and an old catalogue upgrades to head with its data kept.

Each package registers its own list with the store's runner (store/migrations.py). The
text of every shipped migration is pinned here by hash: editing one fails this test; a
schema change is a new function at the end of its package's list, plus a new pin.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import subprocess
import sys
import textwrap
import types

import pytest
from sqlite_utils import Database

import alerts  # noqa: F401  (registers its migrations)
import enforcement  # noqa: F401
import portfolio  # noqa: F401
import screening  # noqa: F401
import timeline  # noqa: F401
import web  # noqa: F401
from store import catalogue
from store.migrations import registered, version
from store.schema import _v1_foundation

# (package, number) → sha256 of the migration's text (see migration_text).
PINNED = {
    ("store", 1): "6ae20289929728b2344ce6bf0a45cc564b1c622c040d08a5cb723bb6409aa233",
    ("store", 2): "8f666180385ee2d0889de2202520d2169ab3aa5d2650186df2094a0738bbe6f4",
    ("store", 3): "dbe4bf720102dd476743d743952d5635b315aed2349297f40f17c5b98c59393b",
    ("store", 4): "51529173fea7aaf6ac267998d8aca3e64d130fb45515e881a325c66e8c4a71e9",
    ("store", 5): "2bf14a9876889208eced4fe1a8ce0546040eca1cccc19ec3269ae067dc98532a",
    ("store", 6): "07c6a7294be5c51343d6ff3d13c823c752b225becddeb3f1db2a69faa16f93d5",
    ("store", 7): "ff2ced13596d122b5b2f0ebd0addf96fabaf6d5f0ab6fbb6111ab7731208d541",
    ("alerts", 1): "c6e363565576e850d26738fc2e228ca858bad2d5c5932c4e6c969fad1b69277e",
    ("alerts", 2): "35f1a767559e7b69dc55dfea8cf3cc1a6c98dfc1e493e222c6dfa03f548fc011",
    ("alerts", 3): "46b744ee3a1fe9f244708431ec99ac448e2d0bd8c2f47690fadf3e9fcbde3307",
    ("timeline", 1): "03fe826eb5b9700e2f5b4347b94e35257629254273efd0fc9c70b1ebfb09257b",
    ("timeline", 2): "e90cdd578e13936424c3dc714f72ef042854fc3ded6626cd2e516a453c7cad4a",
    ("timeline", 3): "76c315717277269e5143ded8aa111ab05274b67d77a70ae9aa7ea635d60c9cf3",
    ("timeline", 4): "fd4fdebd6f1a8bf3ec63a8a5f07978154044f7d2e11d5a6959d9496f39a7f4de",
    ("timeline", 5): "ab5550a8e8648c45bcb1385bfe3a8568f2a4dc418a68768a244282fe4c1715f3",
    ("timeline", 6): "0e96234227adaacd60f367f6087e29705b11d73ca6281d8c71635c6400da186c",
    ("timeline", 7): "ac510c4f63c041497f2bf5f58c66e5d17eca6de657da76f15ed7ed691adbbf94",
    ("web", 1): "35e2daeaa2a0aec22f7b514ea207bce2965b2e8cdb49da07e384f0efd7560a03",
    ("enforcement", 1): "1aef010c6b88db5231a570cd0da208527491b2ee5ebdcb3166b457a643872e9b",
    ("screening", 1): "bb07ca124053d0be855f9f33d3f4f92b86b808cf5de905202d9f01ba659a404d",
    ("screening", 2): "e74bee11ecd865533a6006c070fb9cd2075c526606f7f83c42242825789be559",
    ("portfolio", 1): "d71667c67be35dacbbacf5f8af316c1edd95e83d3e47227f879b465df934a534",
    ("portfolio", 2): "12336b9180f47211db71724c2f7067b34e4c705e58c45fa1bec4f92815833e5c",
    ("summary", 1): "526ff3580f1230109e70abd0ff6fbe3ff4c8a471e0c3b6353b5cbee94ffc0974",
    ("summary", 2): "d60ca7d839f81b47d68b28031a43e61ea4ce58c0dda2731935e63b6060cf36d5",
    ("summary", 3): "3e344a977477dd5b08d25fb6cd1a17d9790e8b207b3c1fe42ecd0918789b584e",
    ("alerts_portfolio", 1): "489caa2ba77d6f115390d08739aaa1180035016e11256cc9f45411277277576c",
}
PROJECT = ("core", "store", "alerts", "timeline", "web")


def migration_text(fn: types.FunctionType, seen: set[str] | None = None) -> str:
    """The source of ``fn`` and of every project function it calls (transitively), with
    the plain constants (numbers, strings, tuples) they read: what decides what it does."""
    seen = set() if seen is None else seen
    name = f"{fn.__module__}.{fn.__qualname__}"
    if name in seen:
        return ""
    seen.add(name)
    source = textwrap.dedent(inspect.getsource(fn))
    parts = [source]
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Name) or node.id not in fn.__globals__:
            continue
        value = fn.__globals__[node.id]
        if isinstance(value, types.FunctionType) and value.__module__.split(".")[0] in PROJECT:
            parts.append(migration_text(value, seen))
        elif isinstance(value, int | str | tuple) and not isinstance(value, bool):
            parts.append(f"{node.id} = {value!r}")
    return "\n".join(parts)


def digest(fn: types.FunctionType) -> str:
    return hashlib.sha256(migration_text(fn).encode("utf-8")).hexdigest()


def test_shipped_migrations_keep_their_text():
    found = {(package, number): digest(fn) for package, steps in registered().items()
             for number, fn in enumerate(steps, start=1)}
    assert {key: found.get(key) for key in PINNED} == PINNED
    unpinned = sorted(set(found) - set(PINNED))
    assert unpinned == [], f"pin each new migration's hash in PINNED: {unpinned}"


def test_store_runs_first_and_web_after_the_tables_it_reads():
    order = list(registered())
    assert order[0] == "store"
    assert order.index("web") > max(order.index("alerts"), order.index("timeline"))


def _catalogue_at_v1(path) -> Database:
    """A catalogue as regwatch wrote it when schema v1 had shipped, with data in it."""
    db = Database(path)
    db["meta"].create({"key": str, "value": str}, pk="key")
    _v1_foundation(db)
    db["meta"].insert({"key": "schema_version", "value": "1"})
    db["sources"].insert({"id": "mofcom", "name": "MOFCOM", "authority": "商务部",
                          "base_url": "https://www.mofcom.gov.cn"})
    db["crawl_runs"].insert({"id": 1, "source": "mofcom", "started_at": "2025-10-09T01:00:00Z",
                             "finished_at": "2025-10-09T01:01:00Z", "status": "ok",
                             "requests": 3, "fetched": 2, "new_documents": 1,
                             "new_versions": 1, "unchanged": 0, "not_modified": 0,
                             "errors": 0})
    db["documents"].insert({"id": 1, "source": "mofcom", "url": "https://www.mofcom.gov.cn/a.html",
                            "title": "商务部公告2025年第61号", "number": "MOFCOM-2025-61",
                            "first_seen": "2025-10-09T01:00:30Z", "version_count": 1,
                            "current_version_id": 1})
    db["versions"].insert({"id": 1, "document_id": 1, "seq": 1, "crawl_run_id": 1,
                           "content_hash": "abc", "title": "商务部公告2025年第61号",
                           "text": "公布对境外相关稀土物项实施出口管制的决定", "http_status": 200})
    db["extractions"].insert({"id": 1, "version_id": 1, "extractor_version": "old",
                              "number": "MOFCOM-2025-61", "issue_date": "2025-10-09",
                              "result": '{"number": "MOFCOM-2025-61"}'})
    return db


TABLES = ("sources", "crawl_runs", "documents", "versions", "extractions")


def test_a_v1_catalogue_upgrades_to_head_with_its_data(tmp_path):
    path = tmp_path / "v1.db"
    old = _catalogue_at_v1(path)
    before = {t: [dict(r) for r in old[t].rows] for t in TABLES}
    old.close()

    db = catalogue.open_db(path)
    heads = {package: len(steps) for package, steps in registered().items()}
    assert {package: version(db, package) for package in heads} == heads
    for table in TABLES:
        after = [{k: v for k, v in row.items() if k in before[table][0]}
                 for row in db[table].rows]
        assert after == before[table], table
    # the upgraded file works: tables of every stage exist and take rows
    assert {"attachments", "translation_mismatches", "events", "outbox", "intervals",
            "search_fts", "feed_tokens"} <= set(db.table_names())
    assert catalogue.source_languages(db) == {"mofcom": "zh"}
    assert db.execute("select count(*) from alert_state where key = 'instance'").fetchone()[0] == 1


def test_a_catalogue_whose_v2_was_the_empty_stub_gets_the_alerts_tables(tmp_path):
    path = tmp_path / "stub.db"
    old = _catalogue_at_v1(path)
    old["meta"].upsert({"key": "schema_version", "value": "2"}, pk="key")  # v2: a no-op then
    old.close()
    db = catalogue.open_db(path)
    assert {"events", "subscriptions", "outbox"} <= set(db.table_names())
    assert [dict(r)["id"] for r in db["documents"].rows] == [1]


def test_opening_an_up_to_date_catalogue_writes_nothing(tmp_path):
    path = tmp_path / "c.db"
    catalogue.open_db(path).close()
    db = catalogue.open_db(path)
    assert db.conn.total_changes == 0


OPEN = ("import sys, regwatch; from store.catalogue import open_db; "
        "db = open_db(sys.argv[1]); print(db.execute(\"select count(*) from alert_state\")"
        ".fetchone()[0])")


def test_processes_opening_a_fresh_catalogue_at_once_migrate_it_once(tmp_path):
    path = str(tmp_path / "fresh.db")
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["1"] * 4
    db = Database(path)
    heads = {package: len(steps) for package, steps in registered().items()}
    assert {package: version(db, package) for package in heads} == heads


def test_a_newer_package_version_is_refused(tmp_path):
    db = catalogue.open_db(tmp_path / "c.db")
    db["meta"].upsert({"key": "schema_version.alerts", "value": "99"}, pk="key")
    with pytest.raises(RuntimeError, match="newer"):
        catalogue.migrate(db)


def test_switching_to_wal_waits_when_another_opener_holds_the_file(tmp_path, monkeypatch):
    """SQLite may answer "locked" to the switch to WAL without waiting while another process
    opening the same fresh catalogue holds it: the opener waits and tries again; any
    other error is raised at once."""
    import sqlite3

    real = Database.enable_wal
    calls = []

    def busy_twice(self):
        calls.append(1)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("database is locked")
        return real(self)

    monkeypatch.setattr(Database, "enable_wal", busy_twice)
    db = catalogue.open_db(tmp_path / "fresh.db")
    assert len(calls) == 3
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"

    def broken(self):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Database, "enable_wal", broken)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        catalogue.open_db(tmp_path / "other.db")
