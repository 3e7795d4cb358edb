"""Datasette plugin: the announcement page, the document page, and links to them.

``/announcement/MOFCOM-2025-61`` shows an announcement's pages with their versions and
diffs, its items and codes, its references both ways and its timeline
(web/announcement.py gathers it; templates/regwatch_announcement.html shows it, every
crawled string autoescaped). ``/document/ID`` does the same for a page without a number.
Announcement numbers in the catalogue's tables and views link to their page.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup
from sqlite_utils import Database

from web.announcement import NUMBER, announcement_page, document_page

DATABASE = "regwatch"
# Columns whose values are announcement numbers, in the tables and views people browse.
NUMBER_COLUMNS = frozenset({"number", "announcement", "cause", "source", "target"})


async def _render(datasette: Any, request: Any, page: dict[str, Any] | None,
                  what: str) -> Response:
    if page is None:
        raise NotFound(f"{what} is not in the catalogue")
    return Response.html(await datasette.render_template(
        "regwatch_announcement.html", {"page": page}, request=request))


async def announcement_view(datasette: Any, request: Any) -> Response:
    number = request.url_vars["number"]
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(lambda conn: announcement_page(Database(conn), number))
    return await _render(datasette, request, page, f"announcement {number}")


async def document_view(datasette: Any, request: Any) -> Response:
    document_id = int(request.url_vars["id"])
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(lambda conn: document_page(Database(conn), document_id))
    if page is not None and page["number"]:
        return Response.redirect(f"/announcement/{page['number']}")
    return await _render(datasette, request, page, f"document {document_id}")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/announcement/(?P<number>[A-Za-z][A-Za-z-]*-\d{4}-\d+)$", announcement_view),
        (r"^/document/(?P<id>\d{1,12})$", document_view),
    ]


@hookimpl
def render_cell(value: Any, column: str, database: str) -> Markup | None:
    """An announcement number links to its page (the value escaped by Markup.format)."""
    if database != DATABASE or column not in NUMBER_COLUMNS or not isinstance(value, str):
        return None
    if not NUMBER.match(value):
        return None
    return Markup('<a href="/announcement/{0}">{0}</a>').format(value)


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/regwatch-assets/regwatch.css"]
