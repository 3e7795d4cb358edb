"""What a user typed to name a document: a document id (19) or an announcement ID.

``show``, ``history`` and ``timeline`` take either, so a number copied from any other
command's output works in all three. An announcement with a Chinese original and an
English translation names the original (the page the regulator's text is binding in).
"""

from __future__ import annotations

from sqlite_utils import Database

from store import NotFound


def _number(ref: str) -> str:
    from timeline.queries import normalise_announcement

    return normalise_announcement(ref) or ref.strip().upper()


def document_id(db: Database, ref: str) -> int:
    """The document ``ref`` names: its id, or the original page of an announcement ID.

    :raises NotFound: when no document has that id or number
    """
    ref = str(ref).strip()
    if ref.isdigit():
        return int(ref)
    number = _number(ref)
    row = db.execute(
        "select d.id from documents d left join sources s on s.id = d.source "
        "where d.number = ? order by coalesce(s.lang, 'zh') != 'zh', d.id limit 1",
        [number]).fetchone()
    if row is None:
        raise NotFound(f"no document with the announcement ID {number} in the catalogue")
    return int(row[0])


def announcement_number(db: Database, ref: str) -> str:
    """The announcement ID ``ref`` names: itself, or the number of document ``ref``.

    :raises NotFound: for a document id that is unknown or has no announcement number
    """
    ref = str(ref).strip()
    if not ref.isdigit():
        return ref
    row = db.execute("select number from documents where id = ?", [int(ref)]).fetchone()
    if row is None:
        raise NotFound(f"no document {ref} in the catalogue")
    if not row[0]:
        raise NotFound(f"document {ref} has no announcement number (a notice or news page); "
                       "try `regwatch show` or `regwatch history`")
    return str(row[0])
