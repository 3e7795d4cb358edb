"""Reading many rows in one step (store.catalogue.rows_at_once) while two threads read:
the rows a plain read gives, in its order, with its types, and a second thread left free
while SQLite works; with no read beside, a plain read."""

from __future__ import annotations

import contextlib
import threading
import time

from sqlite_utils import Database

from store.catalogue import reading_beside, rows_at_once


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
        with reading_beside():
            assert rows_at_once(db, columns, rest, params) == plain
    for beside in (False, True):
        with reading_beside() if beside else contextlib.nullcontext():
            assert rows_at_once(db, "n, x, note", "from t where n = 3", []) == [
                (3, 0.75, "a, b (3)")]


class _Counted:
    """A connection that counts the statements it runs."""

    def __init__(self, db: Database) -> None:
        self.db, self.sql = db, []

    def execute(self, sql: str, params: object = None):  # noqa: ANN201
        self.sql.append(sql)
        return self.db.execute(sql, params or [])


def test_with_no_read_beside_the_rows_are_read_plainly_and_reals_kept_whole() -> None:
    """The JSON text of a read in one step costs a fifth of the read at 15,000 rows, and
    keeps 15 digits of a real: it is made only while two threads read."""
    db = _db()
    db.execute("insert into t values ('third', -1, 1.0 / 3, null)")
    counted = _Counted(db)
    assert rows_at_once(counted, "x", "from t where n = -1", []) == [(1 / 3,)]
    assert counted.sql == ["select x from t where n = -1"]
    with reading_beside():
        rows_at_once(counted, "x", "from t where n = -1", [])
    assert "json_group_array" in counted.sql[-1]
    assert rows_at_once(counted, "n", "from t where n = -1", []) == [(-1,)]
    assert "json_group_array" not in counted.sql[-1]  # the mark ends with its block


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
    with reading_beside():
        rows = rows_at_once(reader, "n", "from t", [])
    took = time.perf_counter() - started
    worker.join()
    assert len(rows) == 20000 and rows[-1] == (19999,)
    assert took < 0.5, took
