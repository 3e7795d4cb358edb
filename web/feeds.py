"""Datasette plugin: Atom feeds of catalogue changes — all, per material, per subscription.

Entries are the change events the alerts stage records (``events``: new, changed,
suspended, repealed, amended, reminders, source health), newest first:

- ``/-/feeds/changes.atom``: every event;
- ``/-/feeds/material/gallium.atom`` (or ``镓``): events whose announcement concerns the
  material, or, for a group such as rare earths, one of its members;
- ``/-/feeds/subscription/TOKEN.atom``: the events the alerts stage matched to one
  subscription (its outbox), behind a token issued by ``regwatch feeds token``
  (web/tokens.py). An unknown or revoked token is a plain 404, the same as a wrong path.

The subscription lookup reads private tables, so it runs on a read-only connection of
its own: Datasette's connections cannot read those tables (web/guard.py).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from urllib.parse import quote, unquote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from alerts.kinds import label
from alerts.labels import expand_material, material_code
from web.atom import atom_response, feed_xml
from web.tokens import subscription_for

DATABASE = "regwatch"
ENTRIES = 100
ID_PREFIX = "tag:regwatch,2025:event/"
EVENT_COLUMNS = ("id", "kind", "dedupe_key", "created_at", "baseline", "number", "title",
                 "url", "document_id", "source", "payload")
SELECT_EVENTS = "select " + ", ".join(f"e.{c}" for c in EVENT_COLUMNS) + " from events e"
CONTENT_LINES = 40


def _join(values: Any) -> str:
    return ", ".join(str(v) for v in values or [] if v not in (None, ""))


def summary(kind: str, payload: dict[str, Any]) -> str:
    """What an entry says, as plain text (the feed escapes it)."""
    lines: list[str] = []
    by = payload.get("by") or {}
    relation = payload.get("relation") or {}
    if by:
        when = " from " + relation["from"] if relation.get("from") else ""
        until = " until " + relation["until"] if relation.get("until") else ""
        clause = f" (clause {relation['clause']})" if relation.get("clause") else ""
        lines.append(f"{label(kind, 'en')} by {by.get('number') or '?'}{clause}{when}{until}"
                     + (f": {by['title']}" if by.get("title") else ""))
    for key, name in (("issue_date", "Issued"), ("effective_dates", "Effective"),
                      ("issuers", "Issuers"), ("materials", "Materials"),
                      ("control_codes", "Control codes"), ("hs_codes", "HS codes")):
        value = payload.get(key)
        text = _join(value) if isinstance(value, list) else value
        if text:
            lines.append(f"{name}: {text}")
    for field, change in (payload.get("changes") or {}).items():
        if isinstance(change, dict):
            lines.append(f"{field}: {json.dumps(change.get('before'), ensure_ascii=False)} → "
                         f"{json.dumps(change.get('after'), ensure_ascii=False)}")
    diff = payload.get("text_diff") or []
    if diff:
        lines.append("Text changes:")
        lines.extend(str(line) for line in diff)
    if payload.get("reason"):
        lines.append(str(payload["reason"]))
    reminder = payload.get("reminder") or {}
    if reminder.get("date"):
        lines.append(f"Date: {reminder['date']} ({reminder.get('days_left')} days left)")
    return "\n".join(lines[:CONTENT_LINES])


def entry(row: dict[str, Any], base: str) -> dict[str, Any]:
    """An event row as an Atom entry (``atom_*`` keys, the web/atom.py contract)."""
    try:
        payload = json.loads(row["payload"] or "{}")
    except ValueError:
        payload = {}
    if row["number"]:
        link = f"{base}/announcement/{quote(row['number'])}"
    elif row["document_id"]:
        link = f"{base}/document/{row['document_id']}"
    else:
        link = f"{base}/regwatch/changes?id={row['id']}"
    what = row["number"] or row["source"] or ""
    title = f"{label(row['kind'], 'en')}: {what} {row['title'] or ''}".strip()
    return {
        "atom_id": ID_PREFIX + row["dedupe_key"].encode("utf-8").hex(),
        "atom_updated": row["created_at"], "atom_title": title, "atom_link": link,
        # dated by the announcement (its issue date, in Beijing); updated = when seen
        "atom_published": f"{row['issue_date']}T00:00:00+08:00" if row.get("issue_date")
        else None,
        "atom_content": summary(row["kind"], payload),
    }


def _rows(conn: sqlite3.Connection, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    rows = [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in conn.execute(sql, args).fetchall()]
    _dates(conn, rows)
    return rows


def _dates(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    """Each row's announcement issue date (the timeline's ``announcements``), when known."""
    numbers = sorted({r["number"] for r in rows if r["number"]})
    found: dict[str, str] = {}
    if numbers:
        marks = ",".join("?" for _ in numbers)
        try:
            found = dict(conn.execute(
                "select number, coalesce(issue_date, effective_date) from announcements "
                f"where number in ({marks})", numbers).fetchall())
        except sqlite3.OperationalError:  # no timeline in this catalogue yet
            found = {}
    for row in rows:
        row["issue_date"] = found.get(row["number"]) if row["number"] else None


def all_events(conn: sqlite3.Connection, limit: int = ENTRIES) -> list[dict[str, Any]]:
    return _rows(conn, f"{SELECT_EVENTS} order by e.id desc limit ?", [limit])


def material_events(conn: sqlite3.Connection, material: str, limit: int = ENTRIES
                    ) -> list[dict[str, Any]]:
    """Events whose announcement lists the material (or a member of the group)."""
    names = sorted(set(expand_material(material_code(material))))
    marks = ",".join("?" for _ in names)
    return _rows(conn, f"{SELECT_EVENTS} where e.payload is not null and exists (select 1 "
                 f"from json_each(e.payload, '$.materials') m where m.value in ({marks})) "
                 f"order by e.id desc limit ?", [*names, limit])


def subscription_events(conn: sqlite3.Connection, subscription_id: int, limit: int = ENTRIES
                        ) -> list[dict[str, Any]]:
    """Events the alerts stage queued for the subscription (cancelled ones left out)."""
    return _rows(conn, f"{SELECT_EVENTS} join outbox o on o.event_id = e.id "
                 f"where o.subscription_id = ? and o.status != 'cancelled' "
                 f"order by e.id desc limit ?", [subscription_id, limit])


def private_connection(datasette: Any) -> sqlite3.Connection:
    """A read-only connection without Datasette's authorizer, for the token lookup."""
    db = datasette.get_database(DATABASE)
    mode = "mode=ro" if db.is_mutable else "immutable=1"
    return sqlite3.connect(f"file:{db.path}?{mode}", uri=True, check_same_thread=False)


def _base(datasette: Any, request: Any) -> str:
    return datasette.absolute_url(request, "/").rstrip("/")


def _feed(datasette: Any, request: Any, title: str, rows: list[dict[str, Any]],
          alternate: str, subtitle: str | None = None) -> Response:
    base = _base(datasette, request)
    self_url = base + request.path
    body = feed_xml(title, self_url, self_url, [entry(r, base) for r in rows],
                    alternate_url=base + alternate, subtitle=subtitle)
    if "text/html" in request.headers.get("accept", ""):
        # a browser (feed readers ask for Atom): as XML, so it applies web/static/feed.xsl
        return Response(body, content_type="application/xml; charset=utf-8")
    return atom_response(body)


async def changes_feed(datasette: Any, request: Any) -> Response:
    db = datasette.get_database(DATABASE)
    rows = await db.execute_fn(all_events)
    return _feed(datasette, request, "regwatch: all changes", rows, "/regwatch/changes",
                 "New, changed, suspended, repealed and amended export-control announcements")


async def material_feed(datasette: Any, request: Any) -> Response:
    material = unquote(request.url_vars["material"]).strip()
    if not material or len(material) > 60:
        raise NotFound("no such material")
    code = material_code(material)
    db = datasette.get_database(DATABASE)
    rows = await db.execute_fn(lambda conn: material_events(conn, code))
    return _feed(datasette, request, f"regwatch: {code}", rows,
                 "/regwatch/catalogue?" + "_facet_array=materials&materials__arraycontains="
                 + quote(code))


async def subscription_feed(datasette: Any, request: Any) -> Response:
    token = request.url_vars["token"]

    def read(_: sqlite3.Connection) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        conn = private_connection(datasette)
        try:
            sub = subscription_for(conn, token)
            return sub, (subscription_events(conn, sub["id"]) if sub else [])
        finally:
            conn.close()

    sub, rows = await datasette.get_database(DATABASE).execute_fn(read)
    if sub is None:
        raise NotFound("no such feed")
    name = sub["name"] or f"subscription {sub['id']}"
    return _feed(datasette, request, f"regwatch: {name}", rows, "/regwatch/changes",
                 "Changes matched to one subscription")


async def feeds_page(datasette: Any, request: Any) -> Response:
    db = datasette.get_database(DATABASE)

    def materials(conn: sqlite3.Connection) -> list[tuple[str, int]]:
        return conn.execute(
            "select m.value, count(*) from events e, json_each(e.payload, '$.materials') m "
            "where e.payload is not null group by m.value order by count(*) desc, m.value "
            "limit 100").fetchall()

    counts = await db.execute_fn(materials)
    return Response.html(await datasette.render_template(
        "regwatch_feeds.html", {"materials": [(m, n, quote(m)) for m, n in counts]},
        request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/feeds$", feeds_page),
        (r"^/-/feeds/changes\.atom$", changes_feed),
        (r"^/-/feeds/material/(?P<material>[^/]+)\.atom$", material_feed),
        (r"^/-/feeds/subscription/(?P<token>[A-Za-z0-9_-]{16,128})\.atom$", subscription_feed),
    ]
