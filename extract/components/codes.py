"""``regwatch_codes``: control-list codes, HS codes and the controlled items they belong to.

Control codes have the shape digit, category letter A–E, three digits, optional
``.letter`` (``1C902.a``; ``3C901.a.1`` is reported as ``3C901.a``, as FORMAT.md fixes
the shape); OCR look-alikes (``1C9O2``, ``lC902``) are read as digits. A code after
"除…" / "not controlled under" or before "…除外" is an exclusion, not a controlled item.

HS codes are 8 (税则号列) or 10 (海关商品编号) digits, also written with dots or spaces
(``2805.3019.10``, ``2805 30 19 10``); they count when the document has an HS label or
the number sits in a line with a control code, never when it reads as a date
(20251009) or follows a telephone label.

Items are table rows (one line each) or enumerated clauses (（一）… ；). A line that only
carries 参考海关商品编号 continues the item above it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from core.han import has_han

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..datetext import make_iso
from ..lexicon import RuleComponent, en_pattern, gate, raw, state, view, zh_pattern
from .structure import clause_at

# A leading row number cell of a table row: "12\t" or "3 " before the item itself.
ROW_NUMBER = re.compile(r"\s*\d{1,3}(?:\t|\s+)(?=[0-9][A-Z]\d{3}|[^\s\d])")

CONTROL = re.compile(
    r"(?=[0-9])(?<![A-Za-z0-9.\-])(?P<d>[0-9])(?P<cat>[A-Ea-e])(?P<num>[0-9OIl]{3})"
    r"(?:\.(?P<sub>[a-zA-Z])(?![A-Za-z])(?:\.[0-9]{1,2})*)?(?![A-Za-z0-9])"
)
CONTROL_OCR = re.compile(r"(?=[lI])(?<![A-Za-z0-9.\-])(?P<d>[lI])(?P<cat>[A-E])(?P<num>[0-9]{3})"
                         r"(?:\.(?P<sub>[a-z])(?![A-Za-z])(?:\.[0-9]{1,2})*)?(?![A-Za-z0-9])")
HS = re.compile(
    r"(?=[0-9])(?<![0-9A-Za-z.\-/])(?P<code>[0-9]{4}(?:[. ]?[0-9]{2}){2}(?:[. ]?[0-9]{2})?)"
    r"(?![0-9A-Za-z%]|\.[0-9])"
)
# 1C903.a/b/c, 1C910.b、.c — sub-items written after the first one.
SUB_LIST = re.compile(r"(?:\s*(?:/|、|,|，|&|\band\b|\bor\b|和|及)\s*\.?"
                      r"(?P<l>[a-z])(?![A-Za-z0-9]))")
# 1C904.a to 1C904.c / 1C904.a至c
SUB_RANGE = re.compile(r"\s*(?:to|through|至|到|-|~|—)\s*(?:(?P<stem>[0-9][A-Ea-e][0-9]{3})\.)?\.?"
                       r"(?P<l>[a-z])(?![A-Za-z0-9])")
SUB_LINE = re.compile(r"(?m)^[ \t]*\(?(?P<l>[a-h])[.)、．]")
# 1C909 Holmium: .a metal…; .b oxide…; .c compounds… — sub-items listed on the heading's line.
SUB_INLINE = re.compile(r"(?:^|(?<=[\s;:,，；：]))\.(?P<l>[a-h])(?=[\s)(])")


def _between(found: list[dict[str, Any]], starts: list[int], lo: int,
             hi: int) -> list[dict[str, Any]]:
    """The hits (sorted by start) that start in ``[lo, hi)``: a bisect, not a scan."""
    return found[bisect_left(starts, lo):bisect_left(starts, hi)]


class Codes(RuleComponent):
    """Finds control and HS codes and groups them into items."""

    data_name = "codes.jsonl"

    def _compile(self) -> None:
        terms: list[str] = []
        self.rx: dict[str, list[re.Pattern[str]]] = {}
        for row in self.patterns:
            if row["kind"] == "hs_label":
                terms += row["terms"]
            else:
                self.rx.setdefault(row["kind"], []).append(re.compile(row["pattern"]))
        alt = "|".join(
            zh_pattern(t) if has_han(t) else
            r"(?<![A-Za-z])" + en_pattern(t) + r"(?![A-Za-z])"
            for t in sorted(set(terms), key=lambda t: (-len(t), t))
        ) or "(?!)"
        self.hs_label = re.compile(gate(terms) + rf"(?i:{alt})")
        # The whole-text "is there any HS label?" search, split by script: Chinese labels
        # need no case folding, English ones are whole words; each runs only on its script.
        zh_terms = [t for t in terms if has_han(t)]
        en_terms = sorted({t for t in terms if t not in zh_terms}, key=lambda t: (-len(t), t))
        self.hs_label_zh = re.compile(gate(zh_terms) + "(?:" + "|".join(
            zh_pattern(t) for t in sorted(set(zh_terms), key=lambda t: (-len(t), t))) + ")"
            if zh_terms else "(?!)")
        self.hs_label_en = re.compile(gate(en_terms) + r"(?i:\b(?:" + "|".join(
            en_pattern(t) for t in en_terms) + r"))(?![A-Za-z])" if en_terms else "(?!)")
        self.marker = re.compile("|".join(p.pattern for p in self.rx.get("item_marker", [])) or
                                 "(?!)")

    def _hit(self, kind: str, text: str, match: bool = False) -> bool:
        return any((rx.match(text) if match else rx.search(text)) for rx in self.rx.get(kind, []))

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        controls = self.find_controls(text)
        has_label = bool(("HS" in text or "hs" in text or re.search(r"[A-Za-z]{6}", text))
                         and self.hs_label_en.search(text)) or bool(
            self.hs_label_zh.search(text))
        lines = st["structure"]["lines"]
        hs = self.find_hs(text, lines, controls, has_label)
        st["control_codes"] = controls
        st["hs"] = hs
        st["items"] = self.items(doc, st, text, lines, controls, hs)
        return doc

    # -- codes -------------------------------------------------------------------------
    def find_controls(self, text: str) -> list[dict[str, Any]]:
        out = []
        for rx in (CONTROL, CONTROL_OCR):
            for m in rx.finditer(text):
                num = m["num"].translate(str.maketrans("OIl", "011"))
                code = "1" if m["d"] in "lI" else m["d"]
                code += m["cat"].upper() + num
                if m["sub"]:
                    code += "." + m["sub"].lower()
                before = text[max(0, m.start() - 40):m.start()]
                after = text[m.end():m.end() + 30]
                excluded = self._hit("exclusion_before", before) or self._hit(
                    "exclusion_after", after, match=True)
                out.append({"code": code, "start": m.start(), "end": m.end(),
                            "excluded": excluded})
                if m["sub"]:
                    out += self._more_subs(text, m, code, excluded)
        out.sort(key=lambda c: (c["start"], c["code"]))
        return self._bare_headings(text, out)

    @staticmethod
    def _more_subs(text: str, m: re.Match[str], code: str,
                   excluded: bool) -> list[dict[str, Any]]:
        """Expand 1C903.a/b/c and 1C904.a to 1C904.c into their sub-items."""
        stem, first = code[:5], code[-1]
        extra: list[dict[str, Any]] = []
        rng = SUB_RANGE.match(text, m.end())
        if rng and (rng["stem"] is None or rng["stem"].upper() == stem.upper()) and \
                rng["l"] > first:
            for letter in map(chr, range(ord(first) + 1, ord(rng["l"]) + 1)):
                extra.append({"code": f"{stem}.{letter}", "start": m.start(), "end": rng.end(),
                              "excluded": excluded})
            return extra
        pos = m.end()
        while True:
            more = SUB_LIST.match(text, pos)
            if not more:
                break
            extra.append({"code": f"{stem}.{more['l']}", "start": m.start(), "end": more.end(),
                          "excluded": excluded})
            pos = more.end()
        return extra

    @staticmethod
    def _bare_headings(text: str, codes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A heading 2B902 whose sub-items are listed stands for 2B902.a, .b, … not itself."""
        with_sub = {c["code"][:5] for c in codes if "." in c["code"]}
        out: list[dict[str, Any]] = []
        for i, c in enumerate(codes):
            if "." in c["code"]:
                out.append(c)
                continue
            if c["code"] in with_sub:
                continue
            line_end = text.find("\n", c["end"])
            stop = len(text) if line_end < 0 else line_end
            if i + 1 < len(codes):
                stop = min(stop, codes[i + 1]["start"])
            inline = [m["l"] for m in SUB_INLINE.finditer(text, c["end"], stop)]
            if inline and inline == [chr(ord("a") + k) for k in range(len(inline))]:
                out += [{**c, "code": f"{c['code']}.{letter}"} for letter in inline]
                continue
            letters = []
            line_end = text.find("\n", c["end"])
            pos = line_end + 1 if line_end >= 0 else len(text)
            while pos < len(text):
                sub = SUB_LINE.match(text, pos)
                if not sub or sub["l"] != chr(ord("a") + len(letters)):
                    break
                letters.append(sub["l"])
                nxt = text.find("\n", pos)
                pos = nxt + 1 if nxt >= 0 else len(text)
            if letters:
                out += [{**c, "code": f"{c['code']}.{letter}"} for letter in letters]
            else:
                out.append(c)
        return out

    def find_hs(self, text: str, lines: list[tuple[int, int]], controls: list[dict[str, Any]],
                has_label: bool) -> list[dict[str, Any]]:
        out = []
        control_starts = [c["start"] for c in controls]
        for m in HS.finditer(text):
            raw = m["code"]
            digits = re.sub(r"[^0-9]", "", raw)
            if len(digits) not in (8, 10) or not (1 <= int(digits[:2]) <= 97):
                continue
            if " " in raw and not re.fullmatch(r"[0-9]{4}(?: [0-9]{2}){2,3}|[0-9]{4} [0-9]{4}"
                                               r"(?: [0-9]{2})?", raw):
                continue
            if len(digits) == 8 and make_iso(int(digits[:4]), int(digits[4:6]), int(digits[6:])) \
                    and digits[:2] in ("19", "20"):
                continue  # 20251009 is a date
            line_start = text.rfind("\n", 0, m.start()) + 1
            if self._hit("phone", text[line_start:m.start()]) or self._hit(
                    "hs_not_before", text[max(line_start, m.start() - 12):m.start()]):
                continue
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            in_code_line = bool(_between(controls, control_starts, line_start, line_end))
            if not (has_label or in_code_line):
                continue
            out.append({"code": digits, "start": m.start(), "end": m.end()})
        return out

    # -- items -------------------------------------------------------------------------
    def _units(self, text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Lines, cut again at enumeration markers inside a line (（一）…；（二）…)."""
        units: list[tuple[int, int]] = []
        for start, end in lines:
            cuts = [start]
            for m in self.marker.finditer(text, start, end):
                if m.start() == start:
                    continue
                prev = text[start:m.start()].rstrip()
                if prev and prev[-1] in ";。:：":
                    cuts.append(m.start())
            cuts.append(end)
            units += [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if text[a:b].strip()]
        return units

    def items(self, doc: Doc, st: dict[str, Any], text: str, lines: list[tuple[int, int]],
              controls: list[dict[str, Any]], hs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if not controls and not hs:
            return items  # an item is a unit that holds a code: none to look for
        source = st["ctx"].get("item_source", "text")
        prev: tuple[int, int] | None = None
        prev_was_item = False
        control_starts = [c["start"] for c in controls]
        hs_starts = [h["start"] for h in hs]
        for start, end in self._units(text, lines):
            unit_controls = [c for c in _between(controls, control_starts, start, end)
                             if not c["excluded"]]
            unit_hs = _between(hs, hs_starts, start, end)
            if not unit_controls and not unit_hs:
                prev, prev_was_item = (start, end), False
                continue
            lead = text[start:unit_hs[0]["start"]] if unit_hs else ""
            label_only = not unit_controls and (self.hs_label.match(lead.strip())
                                                or not lead.strip(" :：,、"))
            if label_only and prev is not None:
                if prev_was_item and items:
                    # 参考海关商品编号 on its own line continues the item above.
                    item = items[-1]
                    item["vspan"][1] = end
                    item["hs_codes"] = sorted(set(item["hs_codes"]) | {h["code"] for h in unit_hs})
                else:
                    # The item's name stood alone on the line above.
                    items.append({"control_code": None, "materials": [], "source": source,
                                  "hs_codes": sorted({h["code"] for h in unit_hs}),
                                  "vspan": [prev[0], end]})
                prev, prev_was_item = (start, end), True
                continue
            heads = self._heads(text, start, end, unit_controls)
            for i, (s, code) in enumerate(heads):
                e = heads[i + 1][0] if i + 1 < len(heads) else end
                part_hs = sorted({h["code"] for h in unit_hs if s <= h["start"] < e or
                                  (i == 0 and h["start"] < s)})
                items.append({"control_code": code, "hs_codes": part_hs, "materials": [],
                              "vspan": [s, e], "source": source})
            prev, prev_was_item = (start, end), True
        for item in items:
            s, e = item["vspan"]
            raw_text = raw(doc)[s:e]
            # a table row's 序号 cell ("1\t1C902.a …") is not part of the item
            row_number = ROW_NUMBER.match(raw_text)
            lead = row_number.end() if row_number else len(raw_text) - len(raw_text.lstrip())
            item["text"] = raw_text[lead:].strip()
            item["span"] = [s + lead, s + lead + len(item["text"])]
            clause = clause_at(doc, s)
            item["provision"] = clause["label"] if clause else None
            item["effective_date"] = self._item_date(st, clause)
        return items

    @staticmethod
    def _heads(text: str, start: int, end: int,
               controls: list[dict[str, Any]]) -> list[tuple[int, str | None]]:
        """Where items begin inside a unit: at each control code that opens a phrase."""
        if not controls:
            return [(start, None)]
        heads: list[tuple[int, str | None]] = []
        for c in controls:
            before = text[start:c["start"]].rstrip()
            opens = not before or before[-1] in ";。:：" or re.fullmatch(
                r"[\s(（）)\[\]0-9一二三四五六七八九十、.．①-⑳a-z]*", before) is not None
            if opens and not heads:
                heads.append((start, c["code"]))
            elif opens and before and before[-1] in ";。":
                heads.append((c["start"], c["code"]))
        if not heads:
            heads = [(start, controls[0]["code"])]
        return heads

    @staticmethod
    def _item_date(st: dict[str, Any], clause: dict[str, Any] | None) -> str | None:
        provisions = st.get("provisions") or []
        if clause and provisions:
            for p in provisions:
                if p["label"] == clause["label"]:
                    return p["effective_date"]
            top_label = clause["label"].split("(")[0]
            for p in provisions:
                if p["label"] == top_label:
                    return p["effective_date"]
        dates = sorted({c["date"] for c in st.get("effective", [])})
        return dates[0] if len(dates) == 1 else None


@Language.factory(
    "regwatch_codes",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": ["control_codes", "hs_codes"]}},
    default_score_weights={"control_codes_f": 1.0, "hs_codes_f": 1.0},
)
def make_codes(nlp: Language, name: str,
               scorer: Callable[..., dict[str, float]] | None) -> Codes:
    return Codes(nlp, name, scorer=scorer)
