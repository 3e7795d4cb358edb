"""Datasette plugin: iCalendar feeds of the dates on which a state will change.

``/-/calendar.ics`` (all), ``/-/calendar/material/gallium.ics`` (a material or group) and
``/-/calendar/subscription/TOKEN.ics`` (one subscription's materials, behind the same
token as its Atom feed) hold an all-day event for each coming date a clause takes
effect or a suspension ends (web/home.py ``coming_up``), so Outlook or Google Calendar
can subscribe. The text is written by hand to RFC 5545: CRLF lines folded at 75 octets,
TEXT values escaped, a stable UID per (announcement, date, change) so a calendar updates
an event instead of adding it twice.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from typing import Any
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from sqlite_utils import Database

from alerts.labels import expand_material, material_code
from core import clock
from web.home import coming_up
from web.tokens import subscription_for

DATABASE = "regwatch"
HORIZON_DAYS = 365
PRODID = "-//regwatch//export-control calendar//EN"


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """One content line cut into lines of at most 75 octets (continuations start with a
    space), never inside a UTF-8 character."""
    out, current = [], ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0]] + [" " + piece for piece in out[1:]]


def _stamp() -> str:
    return clock.wall().strftime("%Y%m%dT%H%M%SZ")


def event_lines(move: dict[str, Any], base: str, stamp: str) -> list[str]:
    """One VEVENT: an all-day event on the date the state changes."""
    day = date.fromisoformat(move["date"])
    summary = f"{move['announcement']}: {move['change']}"
    if move.get("cause"):
        summary += f" (by {move['cause']})"
    description = (f"{move['title']}\nFrom {move['date']}: {move['change']}"
                   + (f" — {move['parts']} clauses" if move.get("parts", 1) > 1 else "")
                   + (f"\nBecause of {move['cause']}" if move.get("cause") else ""))
    uid = (f"{move['announcement']}-{move['date']}-{move['state']}-"
           f"{move.get('from') or 'new'}@regwatch")
    return [
        "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{_escape(summary)}", f"DESCRIPTION:{_escape(description)}",
        f"URL:{base}/announcement/{move['announcement']}",
        "TRANSP:TRANSPARENT", "END:VEVENT",
    ]


def calendar(moves: list[dict[str, Any]], name: str, base: str) -> str:
    """The VCALENDAR text of ``moves`` (CRLF line ends, folded)."""
    stamp = _stamp()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}",
             "X-PUBLISHED-TTL:PT6H"]
    for move in moves:
        lines += event_lines(move, base, stamp)
    lines.append("END:VCALENDAR")
    return "".join(piece + "\r\n" for line in lines for piece in _fold(line))


def _response(text: str) -> Response:
    return Response(text, content_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


def _base(datasette: Any, request: Any) -> str:
    return datasette.absolute_url(request, "/").rstrip("/")


async def all_calendar(datasette: Any, request: Any) -> Response:
    db = datasette.get_database(DATABASE)
    moves = await db.execute_fn(lambda conn: coming_up(Database(conn), None, HORIZON_DAYS))
    return _response(calendar(moves, "regwatch: coming dates", _base(datasette, request)))


async def material_calendar(datasette: Any, request: Any) -> Response:
    material = unquote(request.url_vars["material"]).strip()
    if not material or len(material) > 60:
        raise NotFound("no such material")
    code = material_code(material)
    names = sorted(set(expand_material(code)) | {code})
    db = datasette.get_database(DATABASE)
    moves = await db.execute_fn(
        lambda conn: coming_up(Database(conn), None, HORIZON_DAYS, materials=names))
    return _response(calendar(moves, f"regwatch: {code}", _base(datasette, request)))


async def subscription_calendar(datasette: Any, request: Any) -> Response:
    from web.feeds import private_connection

    token = request.url_vars["token"]

    def read(conn: sqlite3.Connection) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        private = private_connection(datasette)
        try:
            sub = subscription_for(private, token)
        finally:
            private.close()
        if sub is None:
            return None, []
        wanted = json.loads(sub["materials"] or "[]")
        names = sorted({n for m in wanted for n in expand_material(material_code(m))}
                       | {material_code(m) for m in wanted})
        return sub, coming_up(Database(conn), None, HORIZON_DAYS, materials=names or None)

    sub, moves = await datasette.get_database(DATABASE).execute_fn(read)
    if sub is None:
        raise NotFound("no such calendar")
    name = sub["name"] or f"subscription {sub['id']}"
    return _response(calendar(moves, f"regwatch: {name}", _base(datasette, request)))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/calendar\.ics$", all_calendar),
        (r"^/-/calendar/material/(?P<material>[^/]+)\.ics$", material_calendar),
        (r"^/-/calendar/subscription/(?P<token>[A-Za-z0-9_-]{16,128})\.ics$",
         subscription_calendar),
    ]
