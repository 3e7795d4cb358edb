"""Probing a catalogue must not drop the locks this process holds on it.

POSIX record locks belong to the process and the file: closing *any* handle on the file
releases them all. A probe that opened the catalogue with plain file I/O while a
connection of the same process held a write lock let another process write at once.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from store.probe import problem


def _other_process_can_write(path: str) -> bool:
    script = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({path!r}, timeout=0, isolation_level=None)\n"
        "try:\n"
        "    c.execute('BEGIN IMMEDIATE'); c.execute('ROLLBACK'); print('wrote')\n"
        "except sqlite3.OperationalError as e:\n"
        "    print('locked' if 'locked' in str(e) else e)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out in {"wrote", "locked"}, out
    return out == "wrote"


def test_probe_keeps_a_held_write_lock(tmp_path):
    path = str(tmp_path / "catalogue.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("create table t (x)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("insert into t values (1)")
    assert not _other_process_can_write(path)
    assert problem(path) is None
    assert not _other_process_can_write(path), "the probe released this process's lock"
    conn.execute("COMMIT")
    assert _other_process_can_write(path)
    conn.close()


def test_probe_names_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are not the pages you are looking for\n" * 10)
    assert problem(path) == f"{path} is not an SQLite database"
    empty = tmp_path / "empty.db"
    empty.touch()
    assert problem(empty) == f"{empty} is an empty file, not a catalogue"
    assert problem(empty, create=True) is None
