"""Entity rows from a list announcement: body lines, tables and annex text.

A list announcement names its entities as numbered lines ``1. 中文名（English name）``
(sometimes the other way round, sometimes with an ``地址：`` line), or as table rows
(序号 / 中文名称 / 英文名称 / 地址), in the body or in an annex. It usually states how
many ("15家美国实体"). This module reads the rows and the stated count and says whether
they agree; a notice whose count disagrees is flagged by the caller.

Plain functions over plain text and lists of rows; no spaCy (the rows are layout, not
language).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from core import han

HAN = han.HAN
# "1. ", "1、", "(1)", "（一）" and the like at the start of a line.
NUMBER = re.compile(r"^\s*(?:[(（]?\s*(\d{1,3})\s*[)）]|(\d{1,3})\s*[.、．:：)）]|[(（]([一二三四五六七八九十]+)[)）])\s*")
STATED = re.compile(r"(\d{1,4})\s*(?:家|个)\s*(美国|日本|加拿大|欧盟|台湾地区|外国|境外)?\s*(?:实体|企业|机构)")
ADDRESS = re.compile(r"^\s*(?:地址|Address)\s*[:：]\s*(.+)$", re.IGNORECASE)
LISTS = (
    ("unreliable", ("不可靠实体清单",)),
    ("watch", ("关注名单",)),
    ("control", ("出口管制管控名单", "管控名单")),
)
HEADERS = {
    "order": ("序号", "编号", "No.", "No"),
    "zh": ("中文名称", "中文名", "实体名称", "名称"),
    "en": ("英文名称", "英文名", "English name", "English"),
    "address": ("地址", "Address"),
}


def fold(text: str) -> str:
    """NFKC for matching, but keep the full-width brackets' meaning (they become ASCII)."""
    return unicodedata.normalize("NFKC", text)


def stated_count(text: str) -> int | None:
    """The count a notice states ("将15家美国实体列入…"), the first one found."""
    match = STATED.search(fold(text))
    return int(match.group(1)) if match else None


def list_kind(text: str) -> str | None:
    """Which list a notice is about, from its words."""
    for kind, words in LISTS:
        if any(word in text for word in words):
            return kind
    return None


def split_name(text: str) -> dict[str, str] | None:
    """``中文名（English name）`` or ``English name（中文名）`` → zh and en.

    The last top-level bracket pair holds the other-language name; brackets inside it
    (``Arrow Electronics (Hong Kong)``) stay in it.
    """
    text = fold(text).strip().rstrip(";；,，。.")
    if not text.endswith(")"):
        return {"zh": text, "en": ""} if HAN.search(text) else {"zh": "", "en": text}
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                outer, inner = text[:i].strip(), text[i + 1 : -1].strip()
                break
    else:
        return None
    if not outer:
        return None
    if HAN.search(outer) and not _mostly_han(inner):
        return {"zh": outer, "en": inner}
    if _mostly_han(inner) and not HAN.search(outer):
        return {"zh": inner, "en": outer}
    return {"zh": text, "en": ""} if HAN.search(text) else {"zh": "", "en": text}


def _mostly_han(text: str) -> bool:
    han = len(HAN.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return han > 0 and han >= latin


def rows_from_lines(text: str) -> list[dict[str, Any]]:
    """Numbered entity lines of a body or annex text, with any ``地址：`` line after each."""
    rows: list[dict[str, Any]] = []
    for raw in fold(text).splitlines():
        line = raw.strip()
        if not line:
            continue
        address = ADDRESS.match(line)
        if address and rows:
            rows[-1]["address"] = address.group(1).strip()
            continue
        number = NUMBER.match(line)
        if not number:
            continue
        rest = line[number.end():]
        name = split_name(rest)
        if not name or not (name["zh"] or name["en"]) or len(rest) > 200:
            continue
        if not (HAN.search(rest) and re.search(r"[A-Za-z]", rest)) and not _looks_like_name(rest):
            continue
        order = number.group(1) or number.group(2) or number.group(3)
        rows.append({"order": _order(order), **name, "address": ""})
    return rows


def _looks_like_name(text: str) -> bool:
    """A one-language numbered line is a name if it ends like one (公司, Inc., LLC …)."""
    return bool(re.search(r"(公司|集团|株式会社|研究所|大学|机构|论坛|Inc\.?|LLC|Corp(oration)?\.?|"
                          r"Ltd\.?|Company|L\.P\.|GmbH|Limited)$", text.strip().rstrip("。.;；")))


CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九", start=0)}


def _order(token: str) -> int:
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + CHINESE_DIGITS[token[1]]
    if token.endswith("十"):
        return CHINESE_DIGITS[token[0]] * 10
    if "十" in token:
        tens, ones = token.split("十")
        return CHINESE_DIGITS[tens] * 10 + CHINESE_DIGITS[ones]
    return CHINESE_DIGITS[token]


def rows_from_table(table: list[list[str]]) -> list[dict[str, Any]]:
    """Entity rows of a table with a header row (序号/中文名称/英文名称/地址) among its first
    three rows (a title row may come first, as in a spreadsheet).

    A table with one name column holding ``中文名（English）`` is read as lines are.
    """
    found = [(i, _header_columns([fold(str(cell)).strip() for cell in row]))
             for i, row in enumerate(table[:3])]
    found = [(i, cols) for i, cols in found if "zh" in cols or "en" in cols]
    if not found:
        return []
    start, columns = found[0]
    rows = []
    for n, raw in enumerate(table[start + 1 :], 1):
        cells = [fold(str(c)).strip() for c in raw]
        zh, en = _cell(cells, columns, "zh"), _cell(cells, columns, "en")
        if "en" not in columns and zh:
            name = split_name(zh) or {"zh": zh, "en": ""}
            zh, en = name["zh"], name["en"]
        if not (zh or en):
            continue
        order = _cell(cells, columns, "order")
        rows.append({"order": int(order) if order.isdigit() else n, "zh": zh, "en": en,
                     "address": _cell(cells, columns, "address")})
    return rows


def _header_columns(header: list[str]) -> dict[str, int]:
    """Which column holds the order, Chinese name, English name and address."""
    columns: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, cell in enumerate(header):
            if i not in columns.values() and any(cell == n or cell.startswith(n) for n in names):
                columns[key] = i
                break
    return columns


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    i = columns.get(key)
    return cells[i] if i is not None and i < len(cells) else ""


def extract_entities(
    text: str, tables: list[list[list[str]]] | None = None, annexes: list[str] | None = None
) -> dict[str, Any]:
    """All entity rows a list announcement gives, its stated count and whether they agree.

    :param text: the body text (title and body).
    :param tables: tables of the page or its annexes (first row a header).
    :param annexes: plain text of annexes (PDF, DOCX, XLSX rendered to text).
    :returns: ``{"list", "stated_count", "entities", "count_ok"}``; ``count_ok`` is None
        when no count is stated.
    """
    rows = rows_from_lines(text)
    for annex in annexes or []:
        rows.extend(rows_from_lines(annex))
    for table in tables or []:
        rows.extend(rows_from_table(table))
    seen: set[tuple[str, str]] = set()
    unique = []
    for row in rows:
        key = (row["zh"], row["en"])
        if key in seen:
            continue
        seen.add(key)
        unique.append(row)
    stated = stated_count(text)
    everything = "\n".join([text, *(annexes or [])])
    return {
        "list": list_kind(everything),
        "stated_count": stated,
        "entities": unique,
        "count_ok": None if stated is None else stated == len(unique),
    }
