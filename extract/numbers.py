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
        return None
    mention = mentions[0]
    target = mention["targets"][0]
    if not target.get("year") or target.get("no") is None:
        return None
    series = (mention.get("issuers") or [None])[0]
    if series is None:
        series = "GACC" if BRACKET.search(text) else (default_series or "MOFCOM")
    return f"{series}-{target['year']}-{int(target['no'])}"
