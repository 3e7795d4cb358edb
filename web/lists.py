"""Datasette plugin: the entity lists (#16 item 6), read only.

``/lists`` shows every entity per list (control, watch, unreliable) with its state today,
its history (state, from, until, the notice behind each) and links to the announcements;
``/-/screen?names=…`` screens a pasted list of names (one per line, ``name, CC`` for a
country) with the screening matcher and shows each hit's score, list, state and why.
Both are GET pages: the web stays read-only. Every name is autoescaped by the templates.
"""

from __future__ import annotations

import re
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlite_utils import Database

from core import clock
from screening.state import history, state_on
from screening.store import NoLists, screener, stored_events, stored_listings
from web.announcement import NUMBER

DATABASE = "regwatch"
MAX_NAMES = 200  # a pasted list longer than this is cut, and the page says so
LIST_LABELS = {"control": "Export control list (出口管制管控名单)",
               "watch": "Watch list (关注名单)",
               "unreliable": "Unreliable Entity List (不可靠实体清单)"}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COUNTRY = re.compile(r"^(.*\S)\s*[,;|\t]\s*([A-Za-z]{2})$")


def link(announcement: str | None) -> str | None:
    """The page of an announcement id: a number's page, or a crawled notice's document."""
    if not announcement:
        return None
    if NUMBER.match(announcement):
        return f"/announcement/{announcement}"
    found = re.fullmatch(r"document-(\d+)", announcement)
    return f"/document/{found.group(1)}" if found else None


def lists_page(db: Database, on: str) -> dict[str, Any]:
    """Entities per list: names, state on ``on``, history with the notices behind it."""
    if "entity_listings" not in db.table_names():
        return {"on": on, "lists": []}
    events = stored_events(db)
    seen: set[tuple[str, str]] = set()
    by_list: dict[str, list[dict[str, Any]]] = {}
    for row in stored_listings(db):
        key = (row["entity_id"], row["list"])
        if key in seen:
            continue
        seen.add(key)
        evs = events.get(key, [])
        state = state_on(evs, on)
        steps = [{**s, "link": link(s["announcement"])} for s in history(evs)]
        by_list.setdefault(row["list"], []).append({
            "id": row["entity_id"], "zh": row["zh"], "en": row["en"], "country": row["country"],
            "announcement": row["announcement"], "link": link(row["announcement"]),
            "state": state["state"], "since": state["since"], "until": state["until"],
            "history": steps})
    return {"on": on, "lists": [{"list": name, "label": LIST_LABELS.get(name, name),
                                 "entities": sorted(rows, key=lambda r: (r["en"] or r["zh"]))}
                                for name, rows in sorted(by_list.items())]}


def why_text(why: dict[str, Any]) -> str:
    """Why a name matched, in one line: the rule and the token pairs (or Han cores)."""
    if why.get("script") == "han":
        return f"{why.get('rule')}: {why.get('query_core')} ~ {why.get('listed_core')}"
    pairs = ", ".join(q if q == lt else f"{q}~{lt}" for q, lt, _s in why.get("matched", []))
    text = f"{why.get('rule')}: {pairs}"
    if why.get("extra"):
        text += f"; extra {' '.join(why['extra'])}"
    if why.get("missing"):
        text += f"; missing {' '.join(why['missing'])}"
    if why.get("country_mismatch"):
        text += f"; country {'/'.join(why['country_mismatch'])}"
    return text


def parse_names(text: str) -> list[dict[str, Any]]:
    """One name per line; ``name, CC`` (or a tab) gives a country."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        found = COUNTRY.match(line)
        out.append({"name": found.group(1), "country": found.group(2).upper()} if found
                   else {"name": line, "country": None})
    return out


def screen_page(db: Database, names_text: str, on: str) -> dict[str, Any]:
    """Each pasted name with its hits (score, band, list, state on ``on``, why)."""
    names = parse_names(names_text)
    page: dict[str, Any] = {"on": on, "names": names_text, "rows": [], "no_lists": False,
                            "cut": max(0, len(names) - MAX_NAMES)}
    if not names:
        return page
    try:
        if "entity_listings" not in db.table_names():
            raise NoLists("no entity lists")
        matcher = screener(db)
    except NoLists:
        page["no_lists"] = True
        return page
    for query in names[:MAX_NAMES]:
        hits = [{"score": h["score"], "band": h["band"], "entity_id": h["entity_id"],
                 "en": h["name_en"], "zh": h["name_zh"], "list": h["list"],
                 "announcement": h["announcement"], "link": link(h["announcement"]),
                 "state": (h.get("state") or {}).get("state"),
                 "until": (h.get("state") or {}).get("until"), "why": why_text(h["why"])}
                for h in matcher.screen(query["name"], query["country"], on)]
        page["rows"].append({**query, "hits": hits})
    return page


def _on(request: Any) -> str:
    value = (request.args.get("on") or "").strip()
    return value if DAY.match(value) else clock.today()


async def lists_view(datasette: Any, request: Any) -> Response:
    on = _on(request)
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(lambda conn: lists_page(Database(conn), on))
    return Response.html(await datasette.render_template(
        "regwatch_lists.html", {"page": page}, request=request))


async def screen_view(datasette: Any, request: Any) -> Response:
    on = _on(request)
    names = request.args.get("names") or ""
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(lambda conn: screen_page(Database(conn), names, on))
    return Response.html(await datasette.render_template(
        "regwatch_screen.html", {"page": page}, request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/lists$", lists_view), (r"^/-/screen$", screen_view)]
