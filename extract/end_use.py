"""An end use or end user as a company or a user writes it, read as the class of end use
a measure may be bound to.

Measures bind "military end uses" and "military end users" (No. 46 一); a portfolio or a
question writes "missile guidance", "defence prime contractor", "Ministry of Defense" or
"军用". :func:`end_use_class` reads either as ``military`` when it reads so (and not when
it says the opposite: "non-military", "民用"); ``portfolio status`` and ``status
--end-use`` read end uses through it, so both bind the same measures.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

# what makes an end use or an end user military, besides the phrases measures are
# written with (data/conditions.jsonl): a portfolio writes "defence contractor",
# "missile guidance", "军用", not "military end use"
MILITARY_WORDS = re.compile(
    r"(?i)\b(?:military|militaries|defen[cs]e|army|armies|navy|naval|air force|armed forces|"
    r"missiles?|weapons?|weaponry|munitions?|ammunition|armaments?|warheads?|warships?|"
    r"soldiers?|troops?)\b|(?-i:\b(?:PLA|MoD|DoD|MOD|DOD)\b)|军用|军事|军队|军方|军工|国防|"
    r"武器|导弹|弹药|部队|兵器|解放军|战斗机")
# a military word that says the opposite: "non-military", "civil use only", "民用"
NOT_MILITARY = re.compile(r"(?i)\bnon[\s-]*(?:military|defen[cs]e)\b|\bnot\s+(?:for\s+)?"
                          r"(?:military|defen[cs]e)\b|\bno\s+military\b|非军|民用")


@cache
def _military_phrases() -> tuple[str, ...]:
    """The military end-use and end-user phrases the extractor reads in measures."""
    from .lexicon import read_data

    return tuple(phrase.casefold() for row in read_data("conditions.jsonl")
                 if row.get("kind") in ("end_use", "end_user") and row.get("value") == "military"
                 for phrase in (*row.get("zh", []), *row.get("en", [])))


def military(value: object) -> bool:
    """Whether an end use or end user as a portfolio writes it is military (the only
    class of end use or user a measure is bound to): a measure's own phrase, or a word
    of the forces, weapons or defence (``missile guidance``, ``defence prime
    contractor``, ``军用``), unless it says the opposite (``non-military``, ``民用``)."""
    return _military("" if value is None else str(value).strip())


@lru_cache(maxsize=4096)
def _military(written: str) -> bool:
    """:func:`military`, kept per text: a lane's verdict is read on every day it may
    change, and the lane's end use is read with it."""
    written = unicodedata.normalize("NFKC", written)
    if not written or NOT_MILITARY.search(written):
        return False
    folded = written.casefold()
    return bool(MILITARY_WORDS.search(written)) or any(p in folded for p in _military_phrases())


def end_use_class(end_use: object, end_user: object = None) -> str | None:
    """The class of end use a measure may be bound to: ``military`` when the end use or
    the end user reads as military (:func:`military`), else the class before a colon
    (``civil: sensors``), else the end use as written, lower case; None for none."""
    if military(end_use) or military(end_user):
        return "military"
    text = "" if end_use is None else str(end_use).strip()
    if not text:
        return None
    return text.split(":", 1)[0].strip().lower() if ":" in text else text.lower()
