"""Write transactions for the alerts tables, safe next to the crawler and the scheduler.

``BEGIN IMMEDIATE`` takes SQLite's write lock up front, so a transaction that reads and
then writes waits on the busy timeout behind another writer instead of failing at once
with "database is locked" (WAL mode cannot upgrade a reader whose snapshot is stale).
Nested use becomes a savepoint (sqlite-utils ``atomic``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    if db.conn.in_transaction:
        with db.atomic():
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
