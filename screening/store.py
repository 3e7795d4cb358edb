"""The entity lists in the catalogue: saved from a lists file or a crawl, read back for
the screener and the ``regwatch entities`` / ``entity`` / ``screen`` commands.

Functions take a ``Database`` first and return plain dicts, like ``store/``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from screening import lists
from screening.schema import ensure_tables
from screening.state import history, state_on


class NoLists(LookupError):
    """The catalogue holds no entity lists yet."""


def save_lists(db: Database, data: dict[str, Any], source: str) -> dict[str, int]:
    """Store a lists file's announcements, entities, listings and events (upsert).

    Events are rebuilt from the whole file, so a notice edited in the file is replaced.

    :returns: counts of announcements, entities, listings and events written.
    """
    ensure_tables(db)
    announcements = data["announcements"]
    rows = lists.listings(data)
    entity_rows = lists.entities(data)
    event_map = lists.events(data)
    problems = {p["announcement"]: p for p in lists.reconcile(data)}
    fictional = {n["id"] for n in data.get("changes", []) if n.get("fictional")}
    with db.conn:
        db["list_announcements"].upsert_all(
            [{"id": a["id"], "number": a.get("number"), "list": a["list"],
              "issued": str(a.get("issued")), "applies_from": str(a["applies_from"]),
              "stated_count": a.get("stated_count"), "carried": len(a["entities"]),
              "count_ok": _count_ok(a, problems),
              "names_verified": int(a.get("names_verified", True)),
              "fictional": int(a["id"] in fictional), "source": source}
             for a in announcements], pk="id")
        db["list_entities"].upsert_all(
            [{"id": e["id"], "zh": e["zh"], "en": e["en"],
              "aliases": json.dumps(e["aliases"], ensure_ascii=False),
              "country": e.get("country"), "kind": e.get("kind"), "address": e.get("address")}
             for e in entity_rows], pk="id")
        db["entity_listings"].upsert_all(
            [{"entity_id": r["entity_id"], "list": r["list"], "announcement": r["announcement"],
              "applies_from": r["applies_from"], "source": source} for r in rows],
            pk=("entity_id", "list", "announcement"))
        keys = list(event_map)
        for entity_id, list_name in keys:
            db.execute("delete from entity_events where entity_id = ? and list = ? and source = ?",
                       [entity_id, list_name, source])
        events = [{"entity_id": entity_id, "list": list_name, "date": e["date"],
                   "action": e["action"], "until": e.get("until"), "announcement": e["announcement"],
                   "about": e.get("about"), "fictional": int(e.get("fictional", False)),
                   "source": source}
                  for (entity_id, list_name), evs in event_map.items() for e in evs]
        db["entity_events"].insert_all(events, replace=True)
    return {"announcements": len(announcements), "entities": len(entity_rows),
            "listings": len(rows), "events": len(events)}


def _count_ok(announcement: dict[str, Any], problems: dict[str, dict[str, Any]]) -> int | None:
    """1 when the carried entities match the stated count, 0 when not, None when unknown."""
    problem = problems.get(announcement["id"])
    if announcement.get("stated_count") is None or (problem and problem["reason"] == "names not verified"):
        return None
    return int(problem is None)


def _ready(db: Database) -> None:
    """The tables, created only when missing: a reader (the read-only web) never writes."""
    if not {"list_entities", "entity_listings", "entity_events",
            "list_announcements"} <= set(db.table_names()):
        ensure_tables(db)


def stored_listings(db: Database) -> list[dict[str, Any]]:
    """Listings in the shape ``screening.lists.listings`` gives (for the screener)."""
    _ready(db)
    rows = db.execute(
        "select l.entity_id, e.zh, e.en, e.aliases, e.country, e.kind, l.list, l.announcement, "
        "a.number as announcement_number, l.applies_from from entity_listings l "
        "join list_entities e on e.id = l.entity_id "
        "left join list_announcements a on a.id = l.announcement "
        "order by l.applies_from, l.announcement, l.entity_id").fetchall()
    columns = ["entity_id", "zh", "en", "aliases", "country", "kind", "list", "announcement",
               "announcement_number", "applies_from"]
    out = []
    for row in rows:
        item = dict(zip(columns, row, strict=True))
        item["aliases"] = json.loads(item["aliases"] or "[]")
        out.append(item)
    return out


def stored_events(db: Database) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Events keyed by (entity id, list), oldest first (``screening.lists.events`` shape)."""
    _ready(db)
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in db.query("select * from entity_events order by date, action != 'add', id"):
        event = {k: row[k] for k in ("date", "action", "announcement", "about")}
        event["fictional"] = bool(row["fictional"])
        if row["until"]:
            event["until"] = row["until"]
        out[(row["entity_id"], row["list"])].append(event)
    return dict(out)


def screener(db: Database, config: dict[str, Any] | None = None):
    """A ``Screener`` over the stored lists.

    :raises NoLists: when nothing is stored.
    """
    from screening.match import Screener

    rows = stored_listings(db)
    if not rows:
        raise NoLists("no entity lists in the catalogue: run `regwatch lists load` or crawl")
    return Screener(rows, stored_events(db), config)


def entities_on(db: Database, on: str, list_name: str | None = None,
                include_not_listed: bool = False) -> list[dict[str, Any]]:
    """Every (entity, list) with its state on a date and the announcement behind it
    (entities listed only after ``on`` are left out unless asked for)."""
    events = stored_events(db)
    seen = set()
    out = []
    for row in stored_listings(db):
        key = (row["entity_id"], row["list"])
        if key in seen or (list_name and row["list"] != list_name):
            continue
        seen.add(key)
        state = state_on(events.get(key, []), on)
        if state["state"] == "not_listed" and not include_not_listed:
            continue
        out.append({"entity_id": row["entity_id"], "name_zh": row["zh"], "name_en": row["en"],
                    "country": row["country"], "list": row["list"],
                    "listed_by": row["announcement"], "state": state["state"],
                    "since": state["since"], "until": state["until"],
                    "by": state["announcement"]})
    return out


def entity_detail(db: Database, entity_id: str) -> dict[str, Any]:
    """One entity: names, listings, and its history on each list.

    :raises KeyError: for an unknown id.
    """
    from sqlite_utils.db import NotFoundError

    ensure_tables(db)
    try:
        entity = dict(db["list_entities"].get(entity_id))
    except NotFoundError:
        raise KeyError(f"no listed entity with id {entity_id!r}") from None
    entity["aliases"] = json.loads(entity["aliases"] or "[]")
    events = stored_events(db)
    listings = [r for r in stored_listings(db) if r["entity_id"] == entity_id]
    entity["listings"] = [{k: r[k] for k in ("list", "announcement", "announcement_number",
                                             "applies_from")} for r in listings]
    entity["history"] = {lst: history(events.get((entity_id, lst), []))
                         for lst in sorted({r["list"] for r in listings})}
    return entity
