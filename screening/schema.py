"""Tables of the entity lists: ``screening`` migration 1, registered with the store's runner.

| table | one row per |
|---|---|
| ``list_announcements`` | list announcement (MOFCOM-2025-13, UEL-2025-7 …): list, dates, stated and carried counts |
| ``list_entities`` | entity (stable id), its Chinese and English names, aliases (JSON), country, address (migration 2) |
| ``entity_listings`` | entity on a list by an announcement, from a date |
| ``entity_events`` | change of an entity's state on a list: add, suspend (until), resume, remove |

Rows come from the lists file (``regwatch lists load``) or from crawled announcements;
``source`` says which. ``ensure_tables`` applies every step idempotently, so an in-memory
database (tests, the benchmark) can be given the tables without the runner.
"""

from __future__ import annotations

from sqlite_utils import Database

from store.migrations import register


def create_tables(db: Database) -> None:
    db["list_announcements"].create(
        {"id": str, "number": str, "list": str, "issued": str, "applies_from": str,
         "stated_count": int, "carried": int, "count_ok": int, "names_verified": int,
         "fictional": int, "source": str},
        pk="id", if_not_exists=True,
    )
    db["list_entities"].create(
        {"id": str, "zh": str, "en": str, "aliases": str, "country": str, "kind": str},
        pk="id", if_not_exists=True,
    )
    db["entity_listings"].create(
        {"entity_id": str, "list": str, "announcement": str, "applies_from": str, "source": str},
        pk=("entity_id", "list", "announcement"),
        foreign_keys=[("entity_id", "list_entities", "id")], if_not_exists=True,
    )
    db["entity_events"].create(
        {"id": int, "entity_id": str, "list": str, "date": str, "action": str, "until": str,
         "announcement": str, "about": str, "fictional": int, "source": str},
        pk="id", foreign_keys=[("entity_id", "list_entities", "id")], if_not_exists=True,
    )
    db.execute("create unique index if not exists entity_events_key on entity_events "
               "(entity_id, list, date, action, announcement)")
    db["entity_events"].create_index(["entity_id", "list", "date"], if_not_exists=True)


def add_address(db: Database) -> None:
    """Migration 2: an entity's address, when a listing gives one."""
    if "address" not in db["list_entities"].columns_dict:
        db["list_entities"].add_column("address", str)


def ensure_tables(db: Database) -> None:
    """Every screening table at head, without the runner (in-memory databases)."""
    create_tables(db)
    add_address(db)


register("screening", [create_tables, add_address])
