"""Datasette plugin: full-text search in Chinese and English, on Datasette's own search box.

The catalogue's index (``search_fts``, built by timeline/search.py) holds every Han
character as its own token and folds Traditional to Simplified, so a query must be
rewritten the same way before FTS5 sees it (稀土 → ``"稀 土"``). Datasette's table
search runs ``match escape_fts(:search)``, with ``escape_fts`` an SQL function it
registers on each connection; this plugin registers the catalogue's own rewrite
(:func:`timeline.search.fts_query`) under that name on the catalogue's connections only,
after Datasette's (``trylast``). So ``/regwatch/catalogue?_search=镓`` works with
facets, filters and CSV/JSON export, and the box shows what the reader typed.

``/-/search?q=`` is the ranked page (bm25, title first, snippets) from
:func:`timeline.search.search`, with a link to the same search as a faceted table.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlite_utils import Database

from timeline.search import fold, fts_query, search

DATABASE = "regwatch"
MAX_RESULTS = 50
NO_MATCH = '""'  # the empty phrase: finds nothing, where FTS5 rejects an empty query


def catalogue_fts(text: str | None) -> str:
    """The FTS5 expression for what a reader typed; never empty (FTS5 rejects '')."""
    return fts_query(text or "") or NO_MATCH


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    if database == DATABASE:
        conn.create_function("escape_fts", 1, catalogue_fts, deterministic=True)


MARKED = re.compile(r"\[([^\[\]]{1,60})\]")


def snippet_parts(snippet: str | None, text: str) -> list[dict[str, Any]]:
    """A snippet as text pieces, the query's matches flagged (shown as <mark>, escaped).

    timeline/search.py marks matches with [brackets]; brackets a page itself holds (「[2025]」)
    stay as text unless their content is a query word.
    """
    words = [w for w in fold(text).split() if w]
    parts: list[dict[str, Any]] = []
    for index, piece in enumerate(MARKED.split(snippet or "")):
        hit = index % 2 == 1
        if hit and not any(w in fold(piece) for w in words):
            piece, hit = f"[{piece}]", False
        if piece:
            parts.append({"text": piece, "hit": hit})
    return parts


def ranked(conn: sqlite3.Connection, text: str, source: str | None = None,
           limit: int = MAX_RESULTS) -> dict[str, Any]:
    """Ranked results with snippets, or an empty answer when the index is not built."""
    db = Database(conn)
    if "search_fts" not in db.table_names():
        return {"query": text, "total": 0, "results": [], "missing_index": True}
    answer = search(db, text, limit=limit, source=source)
    for result in answer["results"]:
        result["parts"] = snippet_parts(result.get("snippet"), text)
    return answer


async def search_page(datasette: Any, request: Any) -> Response:
    text = (request.args.get("q") or "").strip()[:200]
    source = request.args.get("source") or None
    answer: dict[str, Any] = {"query": text, "total": 0, "results": []}
    if text:
        db = datasette.get_database(DATABASE)
        answer = await db.execute_fn(lambda conn: ranked(conn, text, source))
    table_link = "/regwatch/catalogue?" + urlencode({"_search": text}) if text else None
    return Response.html(await datasette.render_template(
        "regwatch_search.html",
        {"q": text, "answer": answer, "table_link": table_link, "source": source},
        request=request,
    ))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/search$", search_page)]
