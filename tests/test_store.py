"""The catalogue file: schema, migrations, versioning rules."""

import pytest

from store import NotFound, catalogue
from store.schema import SCHEMA_VERSION, migrate, schema_version


def _page(text: str, url: str = "https://www.mofcom.gov.cn/a.html") -> dict:
    return {"source": "mofcom", "url": url, "title": "t", "text": text, "content_hash": str(hash(text)),
            "raw": text.encode(), "encoding": "utf-8", "http_status": 200}


def test_open_sets_wal_busy_timeout_and_schema(db_path):
    db = catalogue.open_db(db_path)
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma busy_timeout").fetchone()[0] == catalogue.BUSY_TIMEOUT_MS
    assert schema_version(db) == SCHEMA_VERSION
    assert migrate(db) == SCHEMA_VERSION  # idempotent


def test_same_content_adds_no_version_changed_content_keeps_old(db_path):
    db = catalogue.open_db(db_path)
    run = catalogue.start_run(db, "mofcom")
    assert catalogue.record_page(db, run, _page("a"))["outcome"] == "new_document"
    assert catalogue.record_page(db, run, _page("a"))["outcome"] == "unchanged"
    assert catalogue.record_page(db, run, _page("b"))["outcome"] == "new_version"
    assert catalogue.record_page(db, run, _page("a"))["outcome"] == "new_version"  # a revert is a change
    rows = catalogue.history(db, 1)
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert [r["text"] for r in rows] == ["a", "b", "a"]
    assert "-a" in rows[1]["diff"] and "+b" in rows[1]["diff"]
    assert catalogue.raw_html(db, rows[0]["id"]) == b"a"


def test_newer_schema_is_refused(db_path):
    db = catalogue.open_db(db_path)
    db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION + 1)}, pk="key")
    with pytest.raises(RuntimeError, match="newer"):
        migrate(db)


def test_missing_document_is_not_found(db_path):
    db = catalogue.open_db(db_path)
    with pytest.raises(NotFound):
        catalogue.get_document(db, 42)


def test_interrupted_runs_are_closed(db_path):
    db = catalogue.open_db(db_path)
    run = catalogue.start_run(db, "gacc")
    assert catalogue.mark_interrupted_runs(db) == 1
    assert catalogue.get_run(db, run)["status"] == "interrupted"


def test_nested_transactions_use_a_savepoint(db_path):
    db = catalogue.open_db(db_path)
    with catalogue.transaction(db):
        db["meta"].insert({"key": "outer", "value": "1"})
        try:
            with catalogue.transaction(db):
                db["meta"].insert({"key": "inner", "value": "1"})
                raise ValueError("roll the inner part back")
        except ValueError:
            pass
    keys = {r["key"] for r in db["meta"].rows}
    assert "outer" in keys and "inner" not in keys
