"""Atom 1.0 documents, and a Datasette ``.atom`` renderer for any table, view or query.

As in datasette-atom, column names are the contract: a result with ``atom_id``,
``atom_updated`` and ``atom_title`` can be rendered as a feed (optional:
``atom_content``, ``atom_link``, ``atom_author``). The feed routes (web/feeds.py) write
their entries with the same keys. The XML is built with ElementTree, so every crawled
string is escaped; characters XML 1.0 forbids (control characters from a broken page)
are dropped, so a feed always parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from datasette import hookimpl
from datasette.utils.asgi import Response

ATOM_NS = "http://www.w3.org/2005/Atom"
REQUIRED = ("atom_id", "atom_updated", "atom_title")
STYLESHEET = "/regwatch-assets/feed.xsl"  # web/static/feed.xsl
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EPOCH = "1970-01-01T00:00:00Z"

ET.register_namespace("", ATOM_NS)


class FeedError(ValueError):
    """Rows that cannot make a feed (a required column is missing)."""


def clean(text: Any) -> str:
    """Text fit for XML 1.0: str, without the control characters XML forbids."""
    return _INVALID_XML.sub("", "" if text is None else str(text))


def rfc3339(value: Any) -> str:
    """An ISO date or timestamp as RFC 3339 in UTC (a bare date is its midnight)."""
    text = clean(value).strip()
    if not text:
        return EPOCH
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return EPOCH
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def feed_xml(title: str, feed_id: str, self_url: str, entries: Iterable[Mapping[str, Any]],
             alternate_url: str | None = None, subtitle: str | None = None,
             author: str = "regwatch", stylesheet: str | None = STYLESHEET) -> bytes:
    """An Atom feed document; ``entries`` carry the ``atom_*`` keys, newest first.

    An entry with ``atom_published`` (the announcement's date) carries it as
    ``<published>``; ``atom_updated`` stays when regwatch saw it. Entries with an id
    already written are left out. ``stylesheet`` (an XSLT address) makes a browser show
    the feed as a page instead of raw XML; feed readers ignore it.

    :raises FeedError: when an entry lacks ``atom_id``, ``atom_updated`` or ``atom_title``
    """
    seen: set[str] = set()
    entries = [e for e in entries
               if not (e.get("atom_id") in seen or seen.add(e.get("atom_id")))]
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "title", title)
    if subtitle:
        _sub(feed, "subtitle", subtitle)
    _sub(feed, "id", feed_id)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    if alternate_url:
        _sub(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    stamps = [rfc3339(e.get("atom_updated")) for e in entries]
    _sub(feed, "updated", max(stamps) if stamps else EPOCH)
    _sub(_sub(feed, "author"), "name", author)
    _sub(feed, "generator", "regwatch")
    for entry, stamp in zip(entries, stamps, strict=True):
        missing = [k for k in REQUIRED if not entry.get(k)]
        if missing:
            raise FeedError(f"an entry lacks {', '.join(missing)}")
        node = _sub(feed, "entry")
        _sub(node, "id", entry["atom_id"])
        _sub(node, "title", entry["atom_title"], type="text")
        _sub(node, "updated", stamp)
        if entry.get("atom_published"):
            _sub(node, "published", rfc3339(entry["atom_published"]))
        if entry.get("atom_link"):
            _sub(node, "link", rel="alternate", type="text/html", href=entry["atom_link"])
        if entry.get("atom_author"):
            _sub(_sub(node, "author"), "name", entry["atom_author"])
        if entry.get("atom_content"):
            _sub(node, "content", entry["atom_content"], type="text")
    head = b'<?xml version="1.0" encoding="utf-8"?>\n'
    if stylesheet:
        head += f'<?xml-stylesheet type="text/xsl" href="{stylesheet}"?>\n'.encode()
    return head + ET.tostring(feed, encoding="utf-8")


def atom_response(body: bytes) -> Response:
    return Response(body, content_type=CONTENT_TYPE)


# -- the .atom renderer ------------------------------------------------------------------

def can_render_atom(columns: list[str]) -> bool:
    return all(c in columns for c in REQUIRED)


def render_atom(datasette: Any, request: Any, columns: list[str], rows: list[Any],
                database: str, table: str | None, query_name: str | None) -> Response:
    """Any result with the contract columns as a feed; 400 without them."""
    if not can_render_atom(columns):
        return Response.text(f"an Atom feed needs the columns {', '.join(REQUIRED)}",
                             status=400)
    entries = []
    for row in rows:
        entry = dict(zip(columns, row, strict=False))
        link = entry.get("atom_link")
        if link and str(link).startswith("/"):
            entry["atom_link"] = datasette.absolute_url(request, str(link))
        elif link and not str(link).startswith(("http://", "https://")):
            entry["atom_link"] = None
        entries.append(entry)
    name = query_name or table or database
    url = datasette.absolute_url(request, request.full_path)
    try:
        body = feed_xml(f"regwatch: {name}", url, url, entries)
    except FeedError as exc:
        return Response.text(str(exc), status=400)
    return atom_response(body)


@hookimpl
def register_output_renderer() -> dict[str, Any]:
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}
