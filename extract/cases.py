"""Customs penalty decisions (行政处罚决定书) read into case dicts, with source spans.

A decision is a short formal text whose parts always come in the same order: case
number, party, the declaration, what inspection found, the legal basis, the
circumstances, the penalty, the signature and its date. Rules over a normalised view
read each part; no model is needed, and every value keeps the character offsets of the
text it was read from (``spans``), so a reviewer can check it against the page.

The text is read through two views. :func:`extract.normalise.normalise_view` folds
full-width characters, repairs OCR digits (``2O25``) and converts Traditional
characters while keeping every offset. A *compact* view then drops whitespace, because
OCR and PDF line wrapping put spaces and line breaks inside words and numbers; an index
maps each compact position back to the original text.

Tables (offices, trade modes, circumstances, material groups) are data:
``extract/data/penalties.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from core import han

from .normalise import normalise_view

CASE_EXTRACTOR_VERSION = "cases-1"
DATA = Path(__file__).parent / "data" / "penalties.json"

HAN = han.RANGES
CN_NUM = "〇零一二三四五六七八九十百两"
CN_MONEY = "零〇壹贰叁肆伍陆柒捌玖拾佰仟万亿一二三四五六七八九十百千两"
AMOUNT = r"(\d[\d,]*(?:\.\d+)?|[" + CN_MONEY + r"]+)(万)?元"
DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
CN_DATE = re.compile(r"([〇零○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
CASE_NO = re.compile(r"(缉违|缉查|缉私|违|查)字[〔\[(【]?(\d{4})[〕\])】]?第?(\d{1,5})号")
PREFIX_STOP = re.compile(r"[^" + HAN + r"]|书|号|为|是")
OFFICE_HEAD = re.compile(r"(?:中华人民共和国)?([" + HAN + r"]{2,12}?海关)(?=关于|行政处罚决定书|不予行政处罚决定书)")
OFFICE_SIGN = re.compile(r"中华人民共和国([" + HAN + r"]{2,12}?海关)(?=\d{4}年|[〇零○一二]{4}年|$)")
PARTY = re.compile(r"当事人(?!基本情况|有以下|委托|以|的|为|已|系|配合|认错|未|在|于)(?:名称|姓名)?:?(.{2,40}?)(?=,|;|。|法定代表人|负责人|经营者|统一社会|社会信用|身份证|地址|住址|住所|"
                   r"经营场所|注册地|经我关|我关|经查|$)")
PARTY_TRIM = ",;:(（[【 "
USCC = re.compile(r"(?:统一)?社会信用(?:代码|编码)(?:为)?:?([0-9A-Za-z*]{18})")
ADDRESS = re.compile(r"(?:地址|住址|住所地|住所|经营场所|注册地址)(?:为|在)?:?(.{4,80}?)(?=,法定|;|。|法定代表人|负责人|统一社会|"
                     r"社会信用|经我关|我关|经查|经调查|当事人|[一二三四]、|\d{4}年\d{1,2}月|$)")
DECL_NO = re.compile(r"报关单(?:号码|编号|号)?(?:为|是)?:?(\d{18})")
TRADE = re.compile(r"以([" + HAN + r"A-Za-z0-9]{2,16}?)方式")
TRADE_FIELD = re.compile(r"(?:贸易方式|监管方式)(?:为)?:?([" + HAN + r"]{2,10})")
GOODS = (
    re.compile(r"申报品名(?:为|是)?:?[“\"「]?([^,。;“”\"」]{1,30}?)[”\"」]?(?=,|。|;|$)"),
    re.compile(r"申报(?:出口|进口)(?:货物)?[“\"「]?([^,。;“”\"」()]{1,30}?)[”\"」]?(?:一批|一票|\d+(?:票|批|千克|公斤|吨|件|套|台|个|辆|箱|kg|KG|Kg))"),
)
HS = re.compile(r"申报(?:的)?(?:商品|税则)?(?:编码|编号|税号|号列)(?:为|是)?:?(\d{8,10})(?!\d)")
HS_ACTUAL = re.compile(r"(?:应|应当|实际应|应该)(?:当)?归入(?:商品)?(?:编码|编号|税号|税则号列)?(\d{8,10})(?!\d)|"
                       r"实际(?:商品)?(?:编码|编号)(?:应)?为(\d{8,10})(?!\d)")
CONTROL = re.compile(r"(?<![0-9A-Za-z])(\d[A-Ea-e][\dOo]{3}(?:\.[a-z](?:\.\d{1,2})?)?)(?![0-9A-Za-z])")
CONTROLLED_VALUE = re.compile(r"管制物项(?:的)?(?:总)?(?:货值|价值)(?:人民币)?(?:共计|合计|为|计)?(?:人民币)?" + AMOUNT)
GOODS_VALUES = (
    re.compile(r"货物(?:的)?(?:总)?(?:价值|货值|总价)(?:人民币)?(?:共计|合计|为|计)?(?:人民币)?" + AMOUNT),
    re.compile(r"(?<!物项)(?:涉案|违法)?货值(?:人民币)?(?:共计|合计|为|计)?(?:人民币)?" + AMOUNT),
    re.compile(r"折合人民币" + AMOUNT),
    re.compile(r"申报(?:总)?(?:价格|金额|总价|价)(?:为)?人民币" + AMOUNT),
)
LAW = re.compile(r"《(?:中华人民共和国)?([^》]{2,30})》|(同法|该法|本法)")
ARTICLE = re.compile(r"第([" + CN_NUM + r"\d]+)条(?:第([" + CN_NUM + r"\d]+)款)?(?:第\(?([" + CN_NUM + r"\d]+)\)?项)?")
FINE = re.compile(r"(?:罚款|罚金)(?:人民币)?(?:共计|合计)?" + AMOUNT)
OCR_DIGITS = str.maketrans("Oo", "00")
NEGATION = re.compile(r"(?:无|不|未|没有|不具有|不予)$")
EXPORT_CONTROL = re.compile(r"出口管制法|两用物项|军品|管制物项")
FACTS_END = re.compile(r"以上(?:事实|违法事实|行为)")


@cache
def tables(path: Path = DATA) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["circumstance_res"] = [(c["key"], c["kind"], re.compile(c["pattern"]))
                                for c in data["circumstances"]]
    data["material_res"] = [(m["group"], re.compile(m["pattern"])) for m in data["materials"]]
    return data


@dataclass
class View:
    """The text, its normalised compact view, and the way back to original offsets."""

    text: str
    compact: str
    index: list[int]

    @classmethod
    def of(cls, text: str) -> View:
        view = normalise_view(text)
        chars, index = [], []
        for i, ch in enumerate(view):
            if not ch.isspace():
                chars.append(ch)
                index.append(i)
        return cls(text, "".join(chars), index)

    def span(self, start: int, end: int) -> list[int]:
        """Original offsets of compact ``[start, end)``."""
        if start >= end or not self.index:
            return [0, 0]
        return [self.index[start], self.index[end - 1] + 1]


def cn_int(text: str) -> int | None:
    """Arabic or Chinese numerals (up to 999) as an int: 三十四 → 34, 十 → 10."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2, "○": 0, "O": 0}
    total, current = 0, 0
    for ch in text:
        if ch in digits:
            current = digits[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def amount(number: str, wan: str | None) -> float:
    """Yuan from a printed amount: 3348.25 + 元 → 3348.25; 13 + 万元 → 130000.0;
    贰万伍仟 + 元 → 25000.0 (capital numerals, as on cheques and some decisions)."""
    value = float(number.replace(",", "")) if number[0].isdigit() else float(cn_money(number))
    return round(value * 10000 if wan else value, 2)


CAPITAL = {"零": 0, "〇": 0, "壹": 1, "一": 1, "贰": 2, "二": 2, "两": 2, "叁": 3, "三": 3, "肆": 4,
           "四": 4, "伍": 5, "五": 5, "陆": 6, "六": 6, "柒": 7, "七": 7, "捌": 8, "八": 8, "玖": 9,
           "九": 9}
UNITS = {"拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}


def cn_money(text: str) -> int:
    """贰万伍仟 → 25000, 壹佰叁拾万 → 1300000, 十二万 → 120000."""
    total = section = digit = 0
    for ch in text:
        if ch in CAPITAL:
            digit = CAPITAL[ch]
        elif ch in UNITS:
            section += (digit or 1) * UNITS[ch]
            digit = 0
        elif ch in "万亿":
            total += (section + digit) * (10000 if ch == "万" else 10 ** 8)
            section = digit = 0
    return total + section + digit


def _dates(compact: str) -> list[tuple[str, int, int]]:
    out = [(f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}", m.start(), m.end())
           for m in DATE.finditer(compact)]
    for m in CN_DATE.finditer(compact):
        year = "".join(str(cn_int(c)) for c in m[1])
        month, day = cn_int(m[2]), cn_int(m[3])
        if month and day and year.isdigit():
            out.append((f"{year}-{month:02d}-{day:02d}", m.start(), m.end()))
    return sorted(out, key=lambda d: d[1])


class _Reader:
    """One extraction: fields and their spans, read from a :class:`View`."""

    def __init__(self, view: View) -> None:
        self.v = view
        self.c = view.compact
        self.spans: dict[str, list[int]] = {}
        self.t = tables()

    def keep(self, field: str, value: Any, start: int, end: int) -> Any:
        if value not in (None, "", []):
            self.spans[field] = self.v.span(start, end)
        return value

    def first(self, field: str, pattern: re.Pattern[str], group: int = 1,
              text: str | None = None, offset: int = 0) -> str | None:
        m = pattern.search(self.c if text is None else text)
        if not m:
            return None
        return self.keep(field, m.group(group), offset + m.start(group), offset + m.end(group))

    # -- parts -----------------------------------------------------------------------------

    def case_number(self) -> dict[str, Any]:
        for m in CASE_NO.finditer(self.c):
            before = self.c[max(0, m.start() - 8): m.start()]
            cut = 0
            for stop in PREFIX_STOP.finditer(before):
                cut = stop.end()
            prefix = before[cut:]
            known = [p for p in self.t["prefixes"] if before.endswith(p)]
            if known:
                prefix = max(known, key=len)
            if not prefix.endswith("关"):
                continue
            word = {"违": "缉违", "查": "缉查"}.get(m[1], m[1])
            number = f"{prefix}{word}字〔{m[2]}〕{int(m[3])}号"
            self.keep("case_number", number, m.start() - len(prefix), m.end())
            return {"case_number": number, "prefix": prefix, "word": word}
        return {"case_number": None, "prefix": None, "word": None}

    def office(self, prefix: str | None) -> str | None:
        head = OFFICE_HEAD.search(self.c[:160])
        found = None
        if head:
            found = (head[1].removeprefix("中华人民共和国"), head.end(1))
        else:
            signs = list(OFFICE_SIGN.finditer(self.c, max(0, len(self.c) - 200)))
            if signs:
                found = (signs[-1][1], signs[-1].end(1))
        if found is None:
            return self.t["prefixes"].get(prefix or "")
        name, end = found
        # "青岛大港海关": a known office under its regional city's name
        known = [o for o in self.t["offices"] if name.endswith(o)]
        if name not in self.t["offices"] and known:
            name = max(known, key=len)
        return self.keep("office", name, end - len(name), end)

    def party(self) -> dict[str, Any]:
        name = self.first("party.name", PARTY)
        if name:
            name = name.strip(PARTY_TRIM) or None
        m = USCC.search(self.c)
        uscc = None
        if m:
            raw = m[1].translate(str.maketrans("lIoO", "1100")).upper()
            uscc = self.keep("party.uscc", raw, m.start(1), m.end(1))
        address = self.first("party.address", ADDRESS)
        return {"name": name, "uscc": uscc, "address": address.rstrip(",") if address else None}

    def declaration(self, dates: list[tuple[str, int, int]]) -> dict[str, Any]:
        when = None
        for iso, start, end in dates:
            if "申报" in self.c[end:end + 80]:
                when = self.keep("declaration.date", iso, start, end)
                break
        number = self.first("declaration.number", DECL_NO)
        mode = None
        modes = self.t["trade_modes"]
        for pattern in (TRADE, TRADE_FIELD):
            for m in pattern.finditer(self.c):
                printed = m[1]
                hit = next((k for k in sorted(modes, key=len, reverse=True) if printed.startswith(k)), None)
                if hit:
                    mode = self.keep("declaration.trade_mode", modes[hit], m.start(1), m.start(1) + len(hit))
                    break
            if mode:
                break
        if mode is None and when:  # "…一般贸易项下…": a known mode named in the declaration
            start = next(s for iso, s, _ in dates if iso == when)
            found = [(m.start(), k) for k in modes
                     for m in re.compile(re.escape(k)).finditer(self.c, start, start + 160)]
            if found:
                start, key = min(found, key=lambda f: (f[0], -len(f[1])))
                mode = self.keep("declaration.trade_mode", modes[key], start, start + len(key))
        return {"date": when, "trade_mode": mode, "number": number}

    def goods(self) -> dict[str, Any]:
        name = None
        for pattern in GOODS:
            for m in pattern.finditer(self.c):
                if m[1] in ("货物", "商品"):
                    continue
                # "申报出口至越南一般贸易项下稀土永磁体…": the goods follow 项下
                cut = m[1].rfind("项下") + 2 if "项下" in m[1] else 0
                name = self.keep("goods.name", m[1][cut:], m.start(1) + cut, m.end(1))
                break
            if name:
                break
        hs = self.first("goods.hs_code", HS)
        actual = None
        m = HS_ACTUAL.search(self.c)
        if m:
            g = 1 if m[1] else 2
            actual = self.keep("goods.actual_hs_code", m[g], m.start(g), m.end(g))
        code = None
        m = CONTROL.search(self.c)
        if m:
            printed = m[1]
            printed = printed[0] + printed[1].upper() + printed[2:5].translate(OCR_DIGITS) + printed[5:]
            code = self.keep("goods.control_code", printed,
                             m.start(1), m.end(1))
        return {"name": name, "hs_code": hs, "actual_hs_code": actual, "control_code": code}

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"goods_value": None, "controlled_value": None}
        m = CONTROLLED_VALUE.search(self.c)
        if m:
            out["controlled_value"] = self.keep("values.controlled_value", amount(m[1], m[2]),
                                                m.start(1), m.end())
        for pattern in GOODS_VALUES:
            m = pattern.search(self.c)
            if m:
                out["goods_value"] = self.keep("values.goods_value", amount(m[1], m[2]),
                                               m.start(1), m.end())
                break
        return out

    def legal_basis(self) -> list[str]:
        tokens = sorted([("law", m) for m in LAW.finditer(self.c)]
                        + [("art", m) for m in ARTICLE.finditer(self.c)],
                        key=lambda t: t[1].start())
        law, law_end, found = None, 0, []
        for kind, m in tokens:
            if kind == "law":
                if m[1]:
                    law = m[1]
                law_end = m.end()
                continue
            if law is None or "。" in self.c[law_end:m.start()]:
                continue
            law_end = m.end()
            if law != "出口管制法":
                continue
            parts = [f"第{cn_int(m[1])}条"]
            if m[2]:
                parts.append(f"第{cn_int(m[2])}款")
            if m[3]:
                parts.append(f"第{cn_int(m[3])}项")
            ref = "出口管制法" + "".join(parts)
            if ref not in found:
                found.append(ref)
                self.spans[f"legal_basis.{ref}"] = self.v.span(m.start(), m.end())
        return found

    def circumstances(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"mitigating": [], "aggravating": []}
        for key, kind, pattern in self.t["circumstance_res"]:
            m = pattern.search(self.c)
            if m:
                out[kind].append(key)
                self.spans[f"circumstances.{key}"] = self.v.span(m.start(), m.end())
        return out

    def leniency(self) -> str:
        def said(pattern: str) -> re.Match[str] | None:
            for m in re.finditer(pattern, self.c):
                if not NEGATION.search(self.c[max(0, m.start() - 4): m.start()].replace("、", "")
                                       .replace("从轻", "").replace("减轻", "")):
                    return m
            return None

        for level, pattern in (("not_punished", r"不予(?:行政)?处罚"),
                               ("aggravated", r"从重(?:处罚|处理|行政处罚)"),
                               ("mitigated", r"减轻(?:行政)?(?:处罚|处理)"),
                               ("lenient", r"从轻(?:行政)?(?:处罚|处理)")):
            m = said(pattern)
            if m:
                self.spans["leniency"] = self.v.span(m.start(), m.end())
                return level
        return "standard"

    def penalty(self, leniency: str) -> dict[str, Any]:
        fines = list(FINE.finditer(self.c))
        fine = None
        if fines and leniency != "not_punished":
            fine = round(sum(amount(m[1], m[2]) for m in fines), 2)
            self.spans["penalty.fine"] = self.v.span(fines[0].start(1), fines[-1].end())
        m = re.search(r"(?<!不予)没收", self.c)
        if m:
            self.spans["penalty.confiscation"] = self.v.span(m.start(), m.end())
        return {"fine": fine, "confiscation": bool(m), "not_punished": leniency == "not_punished"}

    def material(self) -> str | None:
        start = 0
        end_m = FACTS_END.search(self.c)
        facts = self.c[start: end_m.start() if end_m else len(self.c)]
        for group, pattern in self.t["material_res"]:
            m = pattern.search(facts)
            if m:
                self.spans["material"] = self.v.span(start + m.start(), start + m.end())
                return group
        return None


def extract_case(text: str) -> dict[str, Any]:
    """Read one decision's text into a case dict (plain values, ``spans`` into ``text``)."""
    reader = _Reader(View.of(text or ""))
    c = reader.c
    number = reader.case_number()
    office = reader.office(number["prefix"])
    dates = _dates(c)
    decided = None
    if dates:
        iso, start, end = dates[-1]
        decided = reader.keep("decision_date", iso, start, end)
    export_control = bool(EXPORT_CONTROL.search(c))
    if "军品" in c:
        category = "military"
    elif "两用物项" in c:
        category = "dual_use"
    else:
        category = "other" if export_control else None
    case_type = {"缉查": "smuggling", "缉私": "smuggling", "缉违": "violation"}.get(
        number["word"] or "", "smuggling" if "走私" in c else "violation")
    leniency = reader.leniency()
    goods = reader.goods()
    return {
        "version": CASE_EXTRACTOR_VERSION,
        "case_number": number["case_number"],
        "case_type": case_type,
        "office": office,
        "region": tables()["offices"].get(office or ""),
        "party": reader.party(),
        "declaration": reader.declaration(dates),
        "goods": goods,
        "hs_heading": (goods["actual_hs_code"] or goods["hs_code"] or "")[:4] or None,
        "values": reader.values(),
        "legal_basis": reader.legal_basis(),
        "circumstances": reader.circumstances(),
        "leniency": leniency,
        "penalty": reader.penalty(leniency),
        "category": category,
        "material": reader.material() if export_control else None,
        "export_control": export_control,
        "decision_date": decided,
        "spans": reader.spans,
    }


def decision_text(page_text: str, attachment_texts: list[str] | None = None) -> tuple[str, str]:
    """The text that holds the decision: the page, or the first attachment that has a
    case number when the page only links to a PDF. Returns (text, "page" | "attachment N")."""
    if CASE_NO.search(View.of(page_text).compact) and len(page_text) > 200:
        return page_text, "page"
    for i, text in enumerate(attachment_texts or [], 1):
        if CASE_NO.search(View.of(text).compact):
            return text, f"attachment {i}"
    return page_text, "page"


def case_from_page(page_text: str, attachment_texts: list[str] | None = None) -> dict[str, Any]:
    """:func:`extract_case` over :func:`decision_text`, noting where it read from."""
    text, source = decision_text(page_text, attachment_texts)
    case = extract_case(text)
    case["source"] = source
    return case

