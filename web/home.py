"""What the morning page and the material pages show, read from the writer's tables.

Everything here reads what the timeline writer keeps up to date (``intervals``,
``material_deltas``, ``announcements``, ``events``, ``source_health``): indexed lookups
and sums, never a derivation or a scan of page texts per request. Plain dicts; the
templates render them, every crawled string autoescaped. Nothing writes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

from core import clock
from web.gantt import chart, word

# the order states take when a cell has several: what a compliance officer must see first
STRENGTH = ("in_force", "suspended", "pending", "superseded", "repealed", "expired")
MEASURE_WORDS = {"licence": "licence", "denied": "denied", "strict_review": "strict review",
                 "state_trading": "state trading", "ban": "ban", "prohibited": "prohibited"}
COMING_DAYS = 90
ENTITY_ACTIONS = {"add": "entity listed", "remove": "entity delisted", "suspend": "listing suspended"}
ROW_GROUPS = (
    ("battery materials", ("lithium", "graphite", "cobalt", "nickel", "manganese",
                           "lithium iron phosphate", "cathode materials", "anode materials")),
    ("minor metals", ("gallium", "germanium", "antimony", "indium", "bismuth", "tellurium",
                      "molybdenum", "tungsten", "rhenium", "cadmium", "selenium", "hafnium",
                      "zirconium", "niobium", "tantalum", "beryllium")),
    ("superhard materials", ("superhard materials", "diamond", "synthetic diamond")),
    ("precious metals", ("silver", "gold", "platinum", "palladium", "rhodium", "iridium")),
)


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _tables(db: Database) -> set[str]:
    return set(db.table_names()) | set(db.view_names())


def transition(prev: str | None, state: str) -> str:
    """A state change in words: "suspended", "in force again", "takes effect"."""
    if prev == "suspended" and state == "in_force":
        return "in force again"
    if state == "in_force" and prev in (None, "pending"):
        return "takes effect"
    if state == "pending" and prev is None:
        return "issued, pending"
    if prev == state:
        return f"{word(state)} (clause changed)"
    return word(state)


def _state_moves(db: Database, since: str, until: str, materials: list[str] | None = None
                 ) -> list[dict[str, Any]]:
    """State changes starting in [since, until], one per announcement, day and change.

    With ``materials``, only announcements with an item (any version) naming one of them:
    tested per interval of the window (a few hundred, through ``items_announcement``),
    not as a list built from every item's materials (1.2M rows, a second at 100k)."""
    where, args = "", [since, until]
    if materials:
        marks = ", ".join("?" for _ in materials)
        where = (" and exists (select 1 from items it, json_each(it.materials) m "
                 f"where it.announcement = i.announcement and m.value in ({marks}))")
        args += materials
    rows = db.execute(
        "select i.announcement, i.start, i.state, i.prev_state, i.cause, i.relation, "
        "i.\"end\", count(*), (select a.title from announcements a "
        "where a.number = i.announcement) "
        "from intervals i where i.retired_in is null and i.subject_kind in ('announcement', "
        f"'provision') and i.start >= ? and i.start <= ?{where} "
        "group by i.announcement, i.start, i.state, i.prev_state, i.cause "
        "order by i.start, i.announcement", args).fetchall()
    out = []
    for number, start, state, prev, cause, relation, end, parts, title in rows:
        if prev == state:  # a clause's own change inside an unchanged whole
            continue
        out.append({"announcement": number, "date": start, "state": state,
                    "state_word": word(state), "from": prev, "change": transition(prev, state),
                    "cause": cause, "relation": relation, "until": end, "parts": parts,
                    "title": title or ""})
    return out


def coming_up(db: Database, today: str | None = None, days: int = COMING_DAYS,
              materials: list[str] | None = None) -> list[dict[str, Any]]:
    """Dates after today, within ``days``, on which a state changes (a clause takes
    effect, a suspension ends), with the announcement that causes each."""
    today = today or clock.today()
    if "intervals" not in _tables(db):
        return []
    return _state_moves(db, _shift(today, 1), _shift(today, days), materials)


def what_changed(db: Database, today: str | None = None, days: int = 30
                 ) -> list[dict[str, Any]]:
    """The last ``days`` days, newest first: state changes of the timeline, pages regwatch
    found new or changed, entities listed; one line each with its announcement."""
    today = today or clock.today()
    since = _shift(today, -days)
    tables = _tables(db)
    lines: list[dict[str, Any]] = []
    if "intervals" in tables:
        for move in _state_moves(db, since, today):
            lines.append({**move, "kind": "state", "what": move["change"]})
    if "events" in tables:
        for kind, created, number, title, doc, payload in db.execute(
                "select kind, created_at, number, title, document_id, payload from events "
                "where kind in ('new', 'changed') and baseline = 0 and created_at >= ? "
                "order by created_at desc limit 200", [since]).fetchall():
            changed = ""
            try:
                changed = ", ".join(json.loads(payload or "{}").get("changed") or [])
            except (ValueError, AttributeError):
                changed = ""
            lines.append({"kind": kind, "date": created[:10], "announcement": number,
                          "document_id": doc, "title": title or "",
                          "what": "new page" if kind == "new" else
                          "page changed" + (f" ({changed.replace('_', ' ')})" if changed
                                            else ""), "cause": None})
    if "entity_events" in tables:
        for entity, action, day, number, listname in db.execute(
                "select coalesce(le.en, le.zh, ee.entity_id), ee.action, ee.date, ee.announcement, "
                "ee.list from entity_events ee left join list_entities le "
                "on le.id = ee.entity_id where ee.date >= ? and ee.date <= ? "
                "order by ee.date desc limit 100", [since, today]).fetchall():
            lines.append({"kind": "entity", "date": day, "announcement": number,
                          "title": entity, "what": f"{ENTITY_ACTIONS.get(action, word(action))} "
                          f"({(listname or 'list').replace('_', ' ')})",
                          "cause": None})
    lines.sort(key=lambda r: (r["date"] or "", r["announcement"] or ""), reverse=True)
    week = _shift(today, -7)
    for line in lines:
        line["this_week"] = (line["date"] or "") > week
    return lines


def material_groups() -> list[tuple[str, tuple[str, ...]]]:
    """(row group, its materials) of the matrix: rare earths as the alerts stage expands
    them, the rest a reading aid (a material in none goes under "other materials")."""
    from alerts.labels import GROUPS

    return [("rare earths", tuple(GROUPS["rare earths"])), *ROW_GROUPS]


def _group_of(term: str) -> str:
    for group, members in material_groups():
        if term == group or term in members:
            return group
    return "other materials"


def _summed(db: Database, today: str) -> list[tuple]:
    """(term, measure, dest, state, items) on ``today``: the writer's sums as of a day
    (timeline/summary.py) when no delta falls between that day and today, else summed
    here from every delta (a scan of the table)."""
    if "summary_materials" in _tables(db):
        marks = dict(db.execute("select key, value from meta where key in "
                                "('summary.materials_as_of', 'summary.materials_until')"))
        as_of, until = marks.get("summary.materials_as_of"), marks.get("summary.materials_until")
        if as_of and as_of <= today and (until is None or today < until):
            return db.execute("select term, measure, dest, state, count from summary_materials "
                              "where count > 0").fetchall()
    return db.execute(
        "select term, measure, dest, state, sum(delta) from material_deltas where day <= ? "
        "group by term, measure, dest, state having sum(delta) > 0", [today]).fetchall()


def state_matrix(db: Database, today: str | None = None) -> dict[str, Any]:
    """Materials (rows, grouped) × measure and destination (columns): the state today of
    the items each cell counts, from the writer's running sums (``material_deltas``)."""
    today = today or clock.today()
    if "material_deltas" not in _tables(db):
        return {"columns": [], "groups": []}
    sums = _summed(db, today)
    cells: dict[tuple[str, str], dict[str, int]] = {}
    columns: dict[str, dict[str, str]] = {}
    for term, measure, dest, state, count in sums:
        dests = [d for d in (dest or "").split(",") if d]
        key = measure + ("|" + ",".join(dests) if dests else "")
        columns.setdefault(key, {
            "key": key, "measure": measure,
            "label": MEASURE_WORDS.get(measure, measure.replace("_", " "))
            + (f" — to {', '.join(dests)}" if dests else ""),
            "destination": ",".join(dests)})
        cell = cells.setdefault((term, key), {})
        cell[state] = cell.get(state, 0) + count
    ordered = sorted(columns.values(), key=lambda c: (c["destination"] != "", c["label"]))
    rows: dict[str, list[dict[str, Any]]] = {}
    for term in sorted({t for t, _ in cells}):
        row_cells = []
        for column in ordered:
            states = cells.get((term, column["key"]), {})
            top = next((s for s in STRENGTH if states.get(s)), None)
            row_cells.append({"state": top, "word": word(top) if top else "",
                              "count": states.get(top, 0) if top else 0,
                              "states": {word(s): n for s, n in states.items()},
                              "href": f"/material/{term}" + (
                                  f"?destination={column['destination']}"
                                  if column["destination"] else "")})
        if any(c["state"] in ("in_force", "suspended", "pending") for c in row_cells):
            rows.setdefault(_group_of(term), []).append({"material": term, "cells": row_cells})
    order = [g for g, _ in material_groups()] + ["other materials"]
    groups = [{"group": g, "rows": rows[g]} for g in order if g in rows]
    return {"columns": ordered, "groups": groups, "today": today}


def source_health(db: Database) -> list[dict[str, Any]]:
    """Each source: state, last successful crawl, failures in a row, the last error."""
    tables = _tables(db)
    if "source_health" not in tables:
        return []
    out = []
    for source, state, since, reason, failures, last_ok in db.execute(
            "select source, state, since, reason, consecutive_failures, last_ok_at "
            "from source_health order by source").fetchall():
        error = None
        if "source_errors" in tables:
            found = db.execute("select reason, url from source_errors where source = ? "
                               "order by id desc limit 1", [source]).fetchone()
            error = f"{found[0]}: {found[1]}" if found else None
        out.append({"source": source, "state": state, "healthy": state == "healthy",
                    "since": since, "reason": reason, "failures": failures or 0,
                    "last_ok": (last_ok or "")[:16].replace("T", " "),
                    "last_error": error})
    return out


def home(db: Database, today: str | None = None) -> dict[str, Any]:
    """The morning page: what changed, what is coming up, the state today, source health."""
    today = today or clock.today()
    changed = what_changed(db, today, 30)
    return {"today": today, "changed": changed,
            "changed_week": sum(1 for c in changed if c["this_week"]),
            "coming": coming_up(db, today), "coming_days": COMING_DAYS,
            "matrix": state_matrix(db, today), "health": source_health(db)}


# -- charts -----------------------------------------------------------------------------

def _intervals(rows: list[tuple]) -> list[dict[str, Any]]:
    return [{"state": r[0], "since": r[1], "until": r[2], "cause": r[3]} for r in rows]


def announcement_chart(number: str, intervals: list[dict[str, Any]],
                       parts: list[dict[str, Any]], today: str) -> dict[str, Any] | None:
    """The announcement's own bar, then one bar per group of parts sharing a history."""
    rows = [{"label": number, "href": None, "intervals": intervals,
             "title": f"{number} as a whole"}]
    groups: dict[tuple, list[str]] = {}
    shapes: dict[tuple, list[dict[str, Any]]] = {}
    for part in parts:
        shape = tuple((i["state"], i["since"], i["until"], i["cause"])
                      for i in part["intervals"])
        groups.setdefault(shape, []).append(str(part.get("control_code") or part.get("provision")
                                                or part.get("subject")))
        shapes[shape] = part["intervals"]
    for shape, labels in groups.items():
        labels = list(dict.fromkeys(labels))
        label = ", ".join(labels[:2]) + (f" +{len(labels) - 2}" if len(labels) > 2 else "")
        rows.append({"label": label, "href": None, "intervals": shapes[shape],
                     "title": f"{len(labels)} parts: {', '.join(labels)}"})
    return chart(rows, today)


def material_chart(db: Database, numbers: list[str], today: str) -> dict[str, Any] | None:
    """One bar per announcement that concerns the material, each with its own states."""
    rows = []
    for number in numbers:
        # Through the announcement's subject: intervals are indexed by subject, and a
        # scan by announcement column took 50 ms a bar at 100k (40 s a material page).
        found = db.execute(
            "select state, start, \"end\", cause from intervals where subject_id in "
            "(select id from subjects where key = ?) and announcement = ? and "
            "subject_kind = 'announcement' and retired_in is null order by start",
            [number, number]).fetchall()
        rows.append({"label": number, "href": f"/announcement/{number}",
                     "intervals": _intervals(found)})
    return chart(rows, today)


def material_page(db: Database, name: str, today: str | None = None,
                  destination: str | None = None) -> dict[str, Any] | None:
    """A material's page: the status answer (timeline.queries.status), its chart, and
    what is coming up for it. None when the query is not a material, group or code."""
    from timeline.queries import QueryError, status

    today = today or clock.today()
    try:
        result = status(db, name, on=today, destination=destination or None, limit=200)
    except QueryError:
        return None
    if not result.get("found"):
        return None
    numbers = [a["number"] for a in result["announcements"]]
    members = result.get("members") or [result.get("value") or name]
    return {"name": name, "today": today, "status": result, "destination": destination,
            "chart": material_chart(db, numbers, today),
            "coming": coming_up(db, today, 365, materials=list(members) + [name])}
