"""Issue #14 finding 6 (CLI): a bad --db is one clear line and exit 2; only the commands
that create a catalogue create one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from store import catalogue


def regwatch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from regwatch.cli import cli; cli()", *args],
                          capture_output=True,
                          text=True, timeout=120)


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_missing_catalogue_is_not_created_by_a_query(tmp_path):
    path = tmp_path / "mistyped.db"
    for command in (["runs"], ["documents"], ["errors"]):
        one_line_error(regwatch(*command, "--db", str(path)), "no catalogue at", str(path))
    assert not path.exists()


def test_a_non_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a catalogue\n" * 20)
    one_line_error(regwatch("runs", "--db", str(path)), "not an SQLite database")
    one_line_error(regwatch("crawl", "--db", str(path), "mofcom"), "not an SQLite database")
    assert path.read_text().startswith("these are my notes")


def test_a_corrupt_catalogue(tmp_path):
    path = tmp_path / "corrupt.db"
    catalogue.open_db(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page, after the header
    path.write_bytes(bytes(data))
    one_line_error(regwatch("runs", "--db", str(path)), str(path))


def test_a_read_only_catalogue(tmp_path):
    path = tmp_path / "ro.db"
    catalogue.open_db(path).close()
    os.chmod(path, 0o444)
    os.chmod(tmp_path, 0o555)
    try:
        try:
            sqlite3.connect(path).execute("create table probe (x)")
        except sqlite3.OperationalError:
            pass
        else:
            pytest.skip("file permissions do not bind this user (root): cannot make it read-only")
        one_line_error(regwatch("reextract", "--db", str(path)), "read-only")
    finally:
        os.chmod(tmp_path, 0o755)
        os.chmod(path, 0o644)
