"""``regwatch_structure``: lines, labelled fields, clauses and the title of a document.

Every other component reads this layout instead of re-splitting the text: the number
component looks at the first lines and the 文号 field, the dates component at the
发文日期 field and the signature lines, the codes component at clause boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from core.han import has_han

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..datetext import zh_number
from ..lexicon import RuleComponent, en_pattern, raw, state, view, zh_pattern

ZH_NUM = "一二三四五六七八九十"
TOP_ZH = re.compile(rf"(?m)^[ \t]*(?:(?P<a>[{ZH_NUM}]{{1,3}})\s*[、.]"
                    rf"|第(?P<b>[{ZH_NUM}]{{1,3}})条)")
SUB_ZH = re.compile(rf"(?=[ \t(])(?:^|(?<=[\s;。:,]))[ \t]*\((?P<a>[{ZH_NUM}]{{1,3}})\)")
TOP_EN = re.compile(r"(?m)^[ \t]*(?:Article\s+(?P<a>\d{1,2})\b|(?P<b>\d{1,2})\.\s)")
SUB_EN = re.compile(r"(?=[ \t(])(?:^|(?<=[\s;.:,]))[ \t]*\((?P<a>\d{1,2}|[ivx]{1,4})\)")
NUMBER_ONLY = re.compile(
    r"^\s*[^\n]{0,30}?(?:公\s*告\s*\S{2,16}?号?|(?i:announcement)[^\n]{0,40}?(?i:no)\.?\s*\d+[^\n]{0,60}?)\s*$")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
LINE = re.compile(r"[^\n]+")
# A sentence ends at 。;!? or at a line break after closing punctuation or a blank line;
# a line broken in the middle of a sentence (暂停\n实施) stays one sentence.
SENTENCE_END = re.compile(r"(?=[。;!?.\n])(?:[。;!?]"
                          r"|(?<!\bNo)(?<!\bNos)(?<!\bArt)(?<![A-Z])(?<![0-9])\.(?=\s+[A-Z(\[])"
                          r"|(?<=[。;:!?)\]】])\n|\n(?=[ \t]*\n)|\n(?=[ \t]*(?:[(【\[]|"
                          r"[一二三四五六七八九十]{1,3}[、.]|[0-9]{1,2}[.、]\D|第[一二三四五六七八九十]+条)))")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (see ``SENTENCE_END``)."""
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[start:m.end()].strip():
            out.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def clause_int(text: str) -> int | None:
    """``三`` / ``3`` / ``iii`` → 3."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text.lower() in ROMAN:
        return ROMAN[text.lower()]
    return zh_number(text)


def clause_label(top: int | None, sub: int | None, lang: str) -> str:
    """Canonical provision label: ``一(三)`` in Chinese documents, ``1(3)`` in English."""
    def zh(n: int) -> str:
        digits = "零一二三四五六七八九"
        if n <= 10:
            return "十" if n == 10 else digits[n]
        return ("" if n < 20 else digits[n // 10]) + "十" + (digits[n % 10] if n % 10 else "")

    fmt = zh if lang == "zh" else str
    parts = []
    if top is not None:
        parts.append(fmt(top))
    if sub is not None:
        parts.append(f"({fmt(sub)})")
    return "".join(parts)


class Structure(RuleComponent):
    """Finds lines, ``【发文日期】``-style fields, numbered clauses and the title."""

    data_name = "fields.jsonl"

    def _compile(self) -> None:
        self.label_key: dict[str, tuple[str, int]] = {}
        labels = []
        for row in self.patterns:
            for rank, label in enumerate(row.get("labels", [])):
                self.label_key[self._key(label)] = (row["key"], rank)
                labels.append(label)
        alt = "|".join(
            zh_pattern(lbl) if has_han(lbl) else en_pattern(lbl)
            for lbl in sorted(set(labels), key=lambda t: (-len(t), t))
        ) or "(?!)"
        # 【发文日期】2025年10月09日 / [Issuing Date] April 4, 2025
        self.bracket = re.compile(
            rf"(?i)[【\[]\s*(?P<label>{alt})\s*[】\]]\s*:?\s*(?P<value>[^\n【\[]*)")
        # 发文日期：2025年10月9日 / Date: April 4, 2025 (at the start of a line)
        self.colon = re.compile(rf"(?im)^[ \t]*(?P<label>{alt})\s*:\s*(?P<value>[^\n]*)")
        # 发文日期：2025年10月9日　实施日期：2025年11月8日 holds two fields on one line.
        self.next_label = re.compile(rf"(?i)\s(?=(?:{alt})\s*:)")
        self.inline = re.compile(rf"(?i)(?<=\s)(?P<label>{alt})\s*:\s*(?P<value>[^\n]*)")

    @staticmethod
    def _key(label: str) -> str:
        return "".join(label.split()).lower()

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        lang = st["ctx"].get("lang", "zh")
        lines = [(m.start(), m.end()) for m in LINE.finditer(text) if m.group(0).strip()]
        st["structure"] = {
            "lines": lines,
            "fields": self._fields(text, st["ctx"].get("fields") or {}),
            "clauses": self._clauses(text, lang),
            "sentences": sentences(text),
            "title": self._title(raw(doc), text, lines, st["ctx"].get("title")),
        }
        return doc

    def _fields(self, text: str, page_fields: dict[str, str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        field_lines = []
        for rx in (self.bracket, self.colon, self.inline):
            if rx is self.inline:
                matches = (m for lo, hi in field_lines for m in rx.finditer(text, lo, hi))
            else:
                matches = rx.finditer(text)
            for m in matches:
                if rx is self.colon:
                    line_end = text.find("\n", m.start())
                    field_lines.append((m.start(), len(text) if line_end < 0 else line_end))
                key, rank = self.label_key.get(self._key(m["label"]), (None, 99))
                value = m["value"]
                cut = self.next_label.search(value)
                if cut:
                    value = value[:cut.start()]
                value = value.rstrip()
                if key is None or not value.strip():
                    continue
                if key in found and found[key]["rank"] <= rank:
                    continue
                start = m.start("value") + (len(value) - len(value.lstrip()))
                found[key] = {"value": value.strip(), "start": start,
                              "end": m.start("value") + len(value), "rank": rank,
                              "label": m["label"]}
        for key, value in page_fields.items():
            # parse_page saw the same text; only fields it found and we did not are added.
            if key not in found and value:
                pos = text.find(value)
                found[key] = {"value": value, "start": pos, "end": pos + len(value) if pos >= 0
                              else -1, "rank": 50, "label": key}
        return found

    @staticmethod
    def _clauses(text: str, lang: str) -> list[dict[str, Any]]:
        marks: list[tuple[int, int, int, int]] = []  # start, marker end, level, number
        top_rx, sub_rx = (TOP_EN, SUB_EN) if lang == "en" else (TOP_ZH, SUB_ZH)
        for m in top_rx.finditer(text):
            num = clause_int(m["a"] or m["b"])
            if num:
                marks.append((m.start(), m.end(), 1, num))
        for m in sub_rx.finditer(text):
            num = clause_int(m["a"])
            if num:
                marks.append((m.start(), m.end(), 2, num))
        marks.sort()
        clauses: list[dict[str, Any]] = []
        top: int | None = None
        for i, (start, mend, level, num) in enumerate(marks):
            end = len(text)
            for later in marks[i + 1:]:
                if later[2] <= level:
                    end = later[0]
                    break
            if level == 1:
                top = num
            clauses.append({
                "top": num if level == 1 else top,
                "sub": num if level == 2 else None,
                "level": level, "start": start, "end": end, "body": mend,
                "label": clause_label(num if level == 1 else top,
                                      num if level == 2 else None, lang),
            })
        return clauses

    @staticmethod
    def _title(raw: str, text: str, lines: list[tuple[int, int]],
               page_title: str | None) -> dict[str, Any] | None:
        if page_title:
            pos = raw.find(page_title)
            return {"text": page_title, "start": pos, "end": pos + len(page_title) if pos >= 0
                    else -1}
        for i, (start, end) in enumerate(lines[:3]):
            line = raw[start:end].strip()
            if len(line) < 4 or re.match(r"^[【\[]", line):
                continue
            lead = start + (len(raw[start:end]) - len(raw[start:end].lstrip()))
            if NUMBER_ONLY.match(text[start:end]) and i + 1 < len(lines):
                # 商务部 海关总署公告2025年第58号 / 公布对…的决定: the title is both lines.
                nxt_start, nxt_end = lines[i + 1]
                nxt = raw[nxt_start:nxt_end].strip()
                if nxt and not re.match(r"^[【\[(]|.*(?:日期|Date|来源)", nxt) and len(nxt) <= 120:
                    return {"text": line + " " + nxt, "start": lead, "end": nxt_end}
            return {"text": line, "start": lead, "end": end}
        return None


def sentence_at(doc: Doc, pos: int) -> tuple[int, int]:
    """The sentence span that contains offset ``pos``."""
    spans = state(doc)["structure"]["sentences"]
    lo, hi = 0, len(spans) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        s, e = spans[mid]
        if pos < s:
            hi = mid - 1
        elif pos >= e:
            lo = mid + 1
        else:
            return s, e
    return pos, pos


def clause_at(doc: Doc, pos: int, level: int | None = None) -> dict[str, Any] | None:
    """The innermost clause (or the clause at ``level``) that contains offset ``pos``."""
    best = None
    for clause in state(doc)["structure"]["clauses"]:
        if clause["start"] <= pos < clause["end"] and (level is None or clause["level"] == level):
            if best is None or clause["level"] >= best["level"]:
                best = clause
    return best


@Language.factory(
    "regwatch_structure",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": []}},
    default_score_weights={},
)
def make_structure(nlp: Language, name: str,
                   scorer: Callable[..., dict[str, float]] | None) -> Structure:
    return Structure(nlp, name, scorer=scorer)
