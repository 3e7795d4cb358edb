"""Reading many rows in one step (store.catalogue.rows_at_once): the rows a plain read
gives, in its order, with its types, and a second thread left free while SQLite works."""

from __future__ import annotations

import threading
import time

from sqlite_utils import Database

from store.catalogue import rows_at_once


def _db() -> Database:
    db = Database(memory=True)
    db.execute("create table t (k text, n integer, x real, note text)")
    db.conn.executemany("insert into t values (?, ?, ?, ?)",
                        [(f"k{i % 7}", i, i / 4, None if i % 3 else f"a, b ({i})")
                         for i in range(3000)])
    return db


def test_the_rows_of_a_plain_read_in_its_order_and_types() -> None:
    db = _db()
    for columns, rest, params in (
            ("k, n, x, note", "from t where n >= ? order by k, n desc", [10]),
            ("k, count(*), max(n), note, min(coalesce(note, 'z') || '|' || n)",
             "from t group by 1 order by 1", []),
            ("k, n", "from t where n < 0", [])):
        plain = [tuple(row) for row in db.execute(f"select {columns} {rest}", params)]
        assert rows_at_once(db, columns, rest, params) == plain
    assert rows_at_once(db, "n, x, note", "from t where n = 3", []) == [(3, 0.75, "a, b (3)")]


def test_a_thread_busy_in_python_does_not_hold_the_read_up(tmp_path) -> None:
    """Read row by row beside a thread busy in Python, 20,000 rows wait their turn for
    Python's lock row after row; read at once, they come back while the other runs."""
    path = tmp_path / "t.db"
    db = Database(path)
    db.execute("create table t (n integer)")
    db.conn.executemany("insert into t values (?)", [(i,) for i in range(20000)])
    db.conn.commit()

    def busy(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    reader = Database(str(path))
    worker = threading.Thread(target=busy, args=(1.5,))
    worker.start()
    started = time.perf_counter()
    rows = rows_at_once(reader, "n", "from t", [])
    took = time.perf_counter() - started
    worker.join()
    assert len(rows) == 20000 and rows[-1] == (19999,)
    assert took < 0.5, took
