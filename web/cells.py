"""Datasette plugin: table cells and headers people can read.

List columns stored as JSON (``["MOFCOM"]``, ``[]``) show as chips (materials link to
their page); states and event kinds show in words (``in force``, not ``in_force``);
titles are clipped to one line with the full text on hover; column headers carry a
human label (templates/_table.html reads ``column_labels``), their description on hover
instead of a block of documentation above the table. Every value is escaped by
``Markup.format``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from markupsafe import Markup

DATABASE = "regwatch"
LIST_COLUMNS = frozenset({"issuers", "materials", "hs_codes", "control_codes", "destinations",
                          "effective_dates", "changed"})
STATE_COLUMNS = frozenset({"state", "from_state", "to_state", "prev_state"})
CLIP_COLUMNS = frozenset({"title", "text", "reason", "text_en"})
WORDS = {"in_force": "in force", "not_issued": "not issued", "in_force_again": "in force again",
         "took_effect": "took effect", "source_health": "source health",
         "entity_listed": "entity listed"}
COLUMN_LABELS = {
    "id": "ID", "number": "Announcement", "source": "Site", "title": "Title",
    "issuers": "Issued by", "materials": "Materials", "year": "Year",
    "issue_date": "Issued", "effective_date": "Takes effect", "state": "State today",
    "versions": "Versions", "first_seen": "First seen", "last_changed": "Last changed",
    "url": "Official page", "announcement": "Announcement", "control_code": "Control code",
    "hs_codes": "HS codes", "control_codes": "Control codes", "measure": "Measure",
    "text": "Text", "provision": "Clause", "date": "Date", "subject_kind": "Applies to",
    "subject": "Subject", "label": "Label", "from_state": "From", "to_state": "To",
    "until": "Until", "cause": "Because of", "relation": "How", "clause": "Clause",
    "reason": "Why", "created_at": "Noticed (UTC)", "kind": "Change", "priority": "Priority",
    "baseline": "First crawl", "document_id": "Document", "version_id": "Version",
    "destinations": "Destinations", "scope": "Scope", "effective_dates": "Takes effect",
}
MEASURES = {"licence": "licence required", "denied": "denied", "strict_review": "strict review",
            "state_trading": "state trading"}


def label(column: str) -> str:
    return COLUMN_LABELS.get(column, column.replace("_", " ").capitalize())


def _list(value: str) -> list[Any] | None:
    if not value.startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def chips(column: str, values: list[Any]) -> Markup:
    """List values as chips; a material links to its page; an empty list shows nothing
    (an empty element: Datasette falls back to the raw value on an empty string)."""
    out = Markup("" if values else '<span class="empty"></span>')
    for value in values:
        text = str(value)
        if column == "materials":
            out += Markup('<a class="chip" href="/material/{0}">{1}</a>').format(
                quote(text, safe=""), text)
        else:
            out += Markup('<span class="chip">{0}</span>').format(text)
    return out


@hookimpl
def render_cell(value: Any, column: str, database: str) -> Markup | None:
    if database != DATABASE or not isinstance(value, str):
        return None
    if column in LIST_COLUMNS:
        values = _list(value)
        if values is not None:
            return chips(column, values)
    if column in STATE_COLUMNS and value:
        return Markup('<span class="state state-{0}">{1}</span>').format(
            value, WORDS.get(value, value.replace("_", " ")))
    if column == "kind" and value in WORDS:
        return Markup("{0}").format(WORDS[value])
    if column == "measure" and value in MEASURES:
        return Markup("{0}").format(MEASURES[value])
    if column in CLIP_COLUMNS and len(value) > 40:
        return Markup('<span class="clip" title="{0}">{0}</span>').format(value)
    return None


@hookimpl
def extra_template_vars() -> dict[str, Any]:
    return {"column_labels": COLUMN_LABELS, "column_label": label}
