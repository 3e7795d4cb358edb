"""Is there a usable catalogue at a path? Asked before a command opens it.

A mistyped ``--db`` must not silently create an empty catalogue (every listing would say
"(none)"), and a file that is not a catalogue must get one clear line, not a traceback.
Only the commands that create a catalogue (crawl, init, demo, run) may find nothing there.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def problem(path: str | Path, create: bool = False) -> str | None:
    """Why ``path`` cannot be used as the catalogue, or None.

    :param create: the command may create the catalogue when nothing is there
    """
    path = Path(path)
    if not path.exists():
        if not create:
            return (f"no catalogue at {path} (a mistyped --db? `regwatch crawl` or "
                    f"`regwatch init --db {path}` creates one)")
        parent = path.parent if str(path.parent) else Path(".")
        if parent.exists() and not os.access(parent, os.W_OK):
            return f"cannot create a catalogue at {path}: {parent} is not writable"
        return None
    if path.is_dir():
        return f"{path} is a directory, not a catalogue"
    # Only SQLite itself opens the file: closing a plain handle on it would drop every
    # POSIX lock this process holds on the catalogue through its open connections.
    if not os.access(path, os.R_OK):
        return f"cannot read {path}: permission denied"
    if path.stat().st_size == 0:
        return None if create else f"{path} is an empty file, not a catalogue"
    if not writable(path):
        return (f"catalogue {path} is read-only (every command may write: migrations, "
                "closing interrupted runs, SQLite's -wal and -shm files)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            return f"{path} is not an SQLite database"
        return f"{path} is not a usable catalogue ({exc})"
    return None


def writable(path: Path) -> bool:
    """Can this process write the catalogue: the file, and its -wal and -shm files (made
    next to it when missing, so the folder must then be writable too)?"""
    if not os.access(path, os.W_OK):
        return False
    companions = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    if all(c.exists() for c in companions):
        return all(os.access(c, os.W_OK) for c in companions)
    return os.access(path.parent if str(path.parent) else Path("."), os.W_OK)


def explain(exc: sqlite3.Error, path: str | Path | None = None) -> str:
    """One line for an SQLite error met after opening (corruption found late, a read-only
    file, a full disk)."""
    where = f" {path}" if path else ""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"catalogue{where} is read-only: {text}"
    if "malformed" in text or "not a database" in text:
        return f"catalogue{where} is corrupt: {text}"
    return f"catalogue{where}: {text}"
