"""One canonical announcement number, for the whole project: ``SERIES-YEAR-NO``.

A user, a subscription or a reference may write an announcement ``MOFCOM-2025-61``,
``商务部公告2025年第61号``, ``公告〔2025〕123号``, ``不可靠实体清单工作机制公告〔2025〕4号``
or "MOFCOM Announcement No. 61 of 2025". The extractor already reads every one of these
forms (its announcements component and issuer table); this module asks it, so a query,
a stored extraction and a reference always agree: the UEL mechanism's 〔2025〕4号 is
``UEL-2025-4``, never ``MOFCOM-2025-4``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from .lexicon import read_data

ID = re.compile(r"^\s*(?P<series>[A-Za-z]+(?:-[A-Za-z]+)*)-(?P<year>\d{4})-(?P<no>\d+)\s*$")
BRACKET = re.compile(r"[〔\[]\s*\d{4}\s*[〕\]]")


@cache
def _finder() -> Any:
    from .components.announcements import Announcements

    component = Announcements(None, "regwatch_announcements")  # type: ignore[arg-type]
    component.set_patterns(read_data("issuers.jsonl"))
    return component


def canonical(text: str | None, default_series: str | None = None) -> str | None:
    """``SERIES-YEAR-NO`` for one announcement as written, or None when ``text`` is not one.

    The series is the first issuer printed with the number; a bare ``公告〔2025〕123号``
    (the customs form) is GACC; otherwise ``default_series`` (MOFCOM when not given).
    """
    if not text or not text.strip():
        return None
    match = ID.match(text)
    if match:
        return f"{match['series'].upper()}-{match['year']}-{int(match['no'])}"
    mentions = [m for m in _finder().find(text.strip()) if m.get("targets")]
    if not mentions:
        return _as_typed(text, default_series)
    mention = mentions[0]
    target = mention["targets"][0]
    if not target.get("year") or target.get("no") is None:
        return None
    series = (mention.get("issuers") or [None])[0]
    if series is None:
        series = "GACC" if BRACKET.search(text) or CUSTOMS.search(text) \
            else (default_series or "MOFCOM")
    return f"{series}-{target['year']}-{int(target['no'])}"


# the forms a user types that no published text prints: an issuer (or none), then a year
# and a number in either order. "MOFCOM 2025/61", "MOFCOM 2025-61", "No. 61 (2025)",
# "61/2025", "GACC 2023/39", "2025年61号". A year and a number with nothing between
# but a space ("gallium 2025 61") stay text: neither a separator nor a word says so.
YEAR_NO = re.compile(r"(?P<year>(?:19|20)\d\d)\s*(?:/|-|年\s*第?|\s+(?:no\.?|number|#)\s*)"
                     r"\s*(?P<no>\d{1,4})\s*号?", re.I)
NO_YEAR = re.compile(r"(?:no\.?|number|#|第)?\s*(?P<no>\d{1,4})\s*号?\s*(?:/|-|of|,)?\s*"
                     r"[(（\[〔]?\s*(?P<year>(?:19|20)\d\d)\s*[)）\]〕]?", re.I)
FILLER = re.compile(r"(?i)\b(?:announcement|notice|no|number|of|the|and|joint)\b|公告|联合|"
                    r"[\s.,:;#/()（）\[\]〔〕-]")
CUSTOMS = re.compile(r"(?i)\bcustoms\b|海关")


def _as_typed(text: str, default_series: str | None) -> str | None:
    """:func:`canonical` of an announcement as a query writes it (see :data:`YEAR_NO`):
    the whole text must be an issuer, filler words and one year and number."""
    written = unicodedata.normalize("NFKC", text).strip()
    for pattern in (YEAR_NO, NO_YEAR):
        found = pattern.search(written)
        if found is None:
            continue
        rest = (written[:found.start()] + " " + written[found.end():]).strip()
        if pattern is NO_YEAR and not re.search(r"(?i)no|number|#|第|/|of|[(（\[〔]", found[0]):
            continue  # "61 2025": two numbers and nothing saying which is which
        series = _issuer_of(FILLER.sub(" ", rest))
        if series is None:
            continue
        return f"{series or default_series or 'MOFCOM'}-{found['year']}-{int(found['no'])}"
    return None


def _issuer_of(words: str) -> str | None:
    """The series code the words left around a year and number name ("" for none: the
    default; the first of a joint announcement's issuers), or None when they are
    something else (a material, a sentence)."""
    rest = " ".join(words.split()).casefold()
    names = _issuer_names()
    found = []
    while rest:
        name = max((n for n in names if rest == n or rest.startswith(n + " ")
                    or (not n.isascii() and rest.startswith(n))), key=len, default=None)
        if name is None:
            return None
        found.append(names[name])
        rest = rest[len(name):].strip()
    return found[0] if found else ""


@cache
def _issuer_names() -> dict[str, str]:
    """Every name, Chinese or English, and abbreviation of an issuer → its series code
    (its filler words set aside, as :func:`_as_typed` sets them aside in a query); and
    "customs" or 海关 alone, as a user names the GACC."""
    names = {" ".join(FILLER.sub(" ", name).split()).casefold(): row["code"]
             for row in read_data("issuers.jsonl")
             for name in (*row.get("zh", []), *row.get("en", []), *row.get("abbr", []),
                          row["code"])}
    return {**names, "customs": "GACC", "海关": "GACC"}
