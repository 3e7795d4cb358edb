"""Find and parse dates in the normalised view: Chinese, ISO, compact and English forms.

Used by the dates and references components. Returns plain ``DateMention`` tuples with
character offsets; the components decide what a date *means* (issue, effective, until).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from typing import NamedTuple

from .lexicon import DATA_DIR


class DateMention(NamedTuple):
    start: int
    end: int
    iso: str | None  # None when the year is missing and could not be inferred
    kind: str  # zh | iso | compact | en | numeric | zh_noyear | en_noyear
    month: int
    day: int


@lru_cache(maxsize=1)
def tables() -> dict:
    return json.loads((DATA_DIR / "dates.json").read_text(encoding="utf-8"))


ZH_D = "〇零Oo0一二三四五六七八九两"
YEAR_ZH = rf"(?P<y>(?<![0-9])(?:19|20)[0-9]{{2}}|[{ZH_D}]{{4}})"
MONTH_ZH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
DAY_ZH = (r"(?P<d>3[01]|[12][0-9]|0?[1-9]|[二三]?十[一二三四五六七八九]?|廿[一二三四五六七八九]?"
          r"|卅一?|[一二三四五六七八九])")
# Each pattern opens with a one-character lookahead: re then skips most positions cheaply.
ZH_DATE = re.compile(rf"(?=[12{ZH_D}])" + YEAR_ZH + r"\s*年\s*" + MONTH_ZH + r"\s*月\s*" + DAY_ZH + r"\s*[日号]")
ZH_NOYEAR = re.compile(r"(?=[0-9一二三四五六七八九十])(?<![0-9年\s])(?<!年\s)" + MONTH_ZH + r"\s*月\s*" + DAY_ZH + r"\s*[日号]")
ISO_DATE = re.compile(
    r"(?=[12])(?<![0-9.])(?P<y>(?:19|20)[0-9]{2})\s?(?P<sep>[-/.])\s?(?P<m>1[0-2]|0?[1-9])\s?(?P=sep)\s?"
    r"(?P<d>3[01]|[12][0-9]|0?[1-9])(?![0-9])"
)
COMPACT_DATE = re.compile(
    r"(?=[12])(?<![0-9])(?P<y>(?:19|20)[0-9]{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12][0-9]|3[01])(?![0-9])"
)
NUMERIC_DATE = re.compile(
    r"(?=[0-9])(?<![0-9./])(?P<a>[0-3]?[0-9])(?P<sep>[/.])(?P<b>[0-3]?[0-9])(?P=sep)(?P<y>(?:19|20)[0-9]{2})(?![0-9])"
)
_MON = (r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
        r"Sep(?:t(?:e(?:m|rn)ber)?)?|Oct(?:ober)?|Nov(?:e(?:m|rn)ber)?|Dec(?:e(?:m|rn)ber)?)\.?")
_DAY = r"(?P<d>3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)[0-9]{2})(?![0-9])"
# The English patterns open with a lookahead on their first character (a month's
# initial, a digit), so re skips most positions without trying the alternation.
_MON_FIRST = "JFMASONDjfmasond"
EN_MDY = re.compile(rf"(?=[{_MON_FIRST}])(?i:\b{_MON}\s+{_DAY}\b\s*,?\s*{_YEAR})")
EN_DMY = re.compile(rf"(?=[0-9])(?i:\b{_DAY}\s+(?:day\s+)?(?:of\s+)?{_MON}\s*,?\s*{_YEAR})")
EN_YMD = re.compile(rf"(?=[12])(?i:\b{_YEAR}\s*,?\s+{_MON}\s+{_DAY}\b)")
EN_NOYEAR_MD = re.compile(rf"(?=[{_MON_FIRST}])(?i:\b{_MON}\s+{_DAY}\b(?!\s*,?\s*[0-9]))")
EN_NOYEAR_DM = re.compile(rf"(?=[0-9])(?i:\b{_DAY}\s+(?:of\s+)?{_MON}(?!\s*,?\s*[0-9]))")


MONTH_HINT = re.compile(r"(?=[JFMASONDjfmasond])(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
                        r"nov|dec))")


def zh_number(text: str) -> int | None:
    """``十二`` → 12, ``二十一`` → 21, ``廿一`` → 21, ``09`` → 9."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    tab = tables()
    digits, tens = tab["zh_digits"], tab["zh_tens"]
    if len(text) == 4 and all(c in digits for c in text):  # a year: 二〇二五
        return int("".join(str(digits[c]) for c in text))
    total, cur = 0, None
    for char in text:
        if char in tens:
            if tens[char] == 10:
                total += (cur if cur is not None else 1) * 10
            else:
                total += tens[char]
            cur = None
        elif char in digits:
            cur = digits[char]
        else:
            return None
    return total + (cur or 0)


def make_iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _month(name: str) -> int:
    return tables()["months"][name.lower().rstrip(".").replace("rn", "m")]


def find_dates(text: str, *, lang: str = "zh", compact: bool = False) -> list[DateMention]:
    """Every full date in ``text`` (and year-less ones, ``iso=None``), left to right.

    :param compact: also accept ``20251009`` (only safe inside a labelled field)
    """
    found: list[DateMention] = []
    for m in _at_marks(ZH_DATE, text, "年", (4,)):
        y, mo, d = zh_number(m["y"]), zh_number(m["m"]), zh_number(m["d"])
        if y and mo and d:
            iso = make_iso(y, mo, d)
            if iso:
                found.append(DateMention(m.start(), m.end(), iso, "zh", mo, d))
    for m in ISO_DATE.finditer(text):
        iso = make_iso(int(m["y"]), int(m["m"]), int(m["d"]))
        if iso:
            found.append(DateMention(m.start(), m.end(), iso, "iso", int(m["m"]), int(m["d"])))
    if compact:
        for m in COMPACT_DATE.finditer(text):
            iso = make_iso(int(m["y"]), int(m["m"]), int(m["d"]))
            if iso:
                found.append(DateMention(m.start(), m.end(), iso, "compact", int(m["m"]),
                                         int(m["d"])))
    order = tables()["numeric_order_en" if lang == "en" else "numeric_order_zh"]
    for m in NUMERIC_DATE.finditer(text) if ("/" in text or "." in text) else ():
        a, b = int(m["a"]), int(m["b"])
        mo, d = (a, b) if (order == "mdy" and a <= 12) or b > 12 else (b, a)
        iso = make_iso(int(m["y"]), mo, d)
        if iso:
            found.append(DateMention(m.start(), m.end(), iso, "numeric", mo, d))
    if MONTH_HINT.search(text):
        for rx in (EN_MDY, EN_DMY, EN_YMD):
            for m in rx.finditer(text):
                mo, d = _month(m["mon"]), int(m["d"])
                iso = make_iso(int(m["y"]), mo, d)
                if iso:
                    found.append(DateMention(m.start(), m.end(), iso, "en", mo, d))
        for rx in (EN_NOYEAR_MD, EN_NOYEAR_DM):
            for m in rx.finditer(text):
                if m["mon"].lower() == "may" and m["mon"][0].islower():
                    continue  # the verb "may"
                found.append(DateMention(m.start(), m.end(), None, "en_noyear",
                                         _month(m["mon"]), int(m["d"])))
    for m in _at_marks(ZH_NOYEAR, text, "月", (2, 1)):
        mo, d = zh_number(m["m"]), zh_number(m["d"])
        if mo and d and 1 <= mo <= 12 and 1 <= d <= 31:
            found.append(DateMention(m.start(), m.end(), None, "zh_noyear", mo, d))
    return _dedupe(found)


def _at_marks(rx: re.Pattern[str], text: str, mark: str,
              widths: tuple[int, ...]) -> list[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern whose match holds ``mark`` after a head of one
    of ``widths`` characters (and spaces): tried only just before each ``mark``.

    A Chinese date opens with a digit or a numeral, so a scan tries the pattern at every
    one of them; anchoring on 年/月 tries it a few times per date instead. Matches come
    left to right and do not overlap, as with ``finditer``.
    """
    out: list[re.Match[str]] = []
    pos = text.find(mark)
    floor = 0
    while pos >= 0:
        head = pos
        while head > 0 and text[head - 1].isspace():
            head -= 1
        for width in widths:
            start = head - width
            if start < floor:
                continue
            m = rx.match(text, start)
            if m:
                out.append(m)
                floor = m.end()
                break
        pos = text.find(mark, max(pos + 1, floor))
    return out


def _dedupe(found: list[DateMention]) -> list[DateMention]:
    """Drop mentions inside a longer one; full dates win over year-less ones."""
    found.sort(key=lambda d: (d.start, -(d.end - d.start), d.iso is None))
    out: list[DateMention] = []
    for mention in found:
        if out and mention.start < out[-1].end:
            continue
        out.append(mention)
    return out


def infer_year(mention: DateMention, anchor: str | None) -> str | None:
    """A year-less date read against the document date: the same year, or the next
    one when the month/day would otherwise fall well before the anchor."""
    if mention.iso or not anchor:
        return mention.iso
    year = int(anchor[:4])
    iso = make_iso(year, mention.month, mention.day)
    if iso and iso < anchor:
        gap = (dt.date.fromisoformat(anchor) - dt.date.fromisoformat(iso)).days
        if gap > 31:
            iso = make_iso(year + 1, mention.month, mention.day)
    return iso
