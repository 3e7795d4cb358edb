"""``regwatch_announcements``: every announcement number printed in a document.

Finds 商务部 海关总署公告2025年第18号, 公告2025第61号, …2025年第58 (no 号),
公告〔2025〕123号, 2025年第18号公告, enumerations (第55号、56号、57号; 第55号至第58号)
and English forms ("Announcement No. 18 [2025] of the Ministry of Commerce…",
"MOFCOM Announcement No. 61 of 2025", "Announcements Nos. 55, 56 and 57 of 2025").
Also the forms of documents that report on announcements: numbers in Chinese numerals
(2026年第一号公告, 公告2025年第六十二號), numbers without a year whose year (and series)
come from the mention before them or the document's date (公告第61、62号, 第62号公告,
（第56号）, "(No. 56)", "Announcement No. 62"), a number in brackets after a 公告 named
by its issuer earlier in the sentence (发布公告（2025年第123号）), and the informal
"4号文件". Each mention records the issuers printed with it; the number component picks
the document's own number, fills in inherited years and the references component
classifies the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..datetext import zh_number
from ..issuer_table import IssuerTable
from ..lexicon import RuleComponent, state, view

# A year in digits, or in Chinese numerals (二〇二五年, as in 商务部公告二〇二五年第七十二号).
YEAR_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
DIGIT_YEAR = r"(?:19|20)[0-9]{2}"
YEAR = rf"(?:{DIGIT_YEAR}|[一二][〇零九][〇零一二三四五六七八九]{{2}})"
ZH_DIGITS = "一二三四五六七八九十百零〇"
NUM = rf"(?:[0-9]{{1,4}}(?![0-9])|[{ZH_DIGITS}]{{1,5}})"
KW = r"公\s*告"
ZH_FORMS = [
    # 公告2025年第18号 / 公告2025第61号 / 公告2025年第58 / 公告2025年28号
    re.compile(rf"{KW}\s*(?P<y>{YEAR})\s*(?P<nian>年)?\s*(?P<di>第)?\s*(?P<n>{NUM})(?P<hao>\s*号)?"),
    # 公告〔2025〕123号 / 公告[2025]第4号
    re.compile(rf"{KW}\s*[〔\[(【]\s*(?P<y>{YEAR})\s*[〕\])】]\s*(?P<di>第)?\s*(?P<n>{NUM})(?P<hao>\s*号)"),
    # 2025年第18号公告 / 商务部2025年第18号 (issuers, if any, stand before the year)
    re.compile(rf"(?=[12])(?<!公告)(?<!告)(?P<y>{DIGIT_YEAR})\s*年\s*(?P<di>第)\s*(?P<n>{NUM})(?P<hao>\s*号)?"),
]
# The same form with a year in Chinese numerals (二〇二六年第一号公告), searched only when
# the text holds such a year: 一 and 二 are too common to open a search at each of them.
ZH_NUMERAL_YEAR = re.compile(rf"(?=[一二])(?:{YEAR})\s*年")
ZH_FORM_ZH_YEAR = re.compile(rf"(?=[一二])(?<!公告)(?<!告)(?P<y>{YEAR})\s*年\s*(?P<di>第)\s*(?P<n>{NUM})"
                             rf"(?P<hao>\s*号)?")
CONT_ZH = re.compile(
    rf"\s*(?P<sep>、|,|和|及|与|以及|至|到|-|~)\s*(?:(?P<y>{YEAR})\s*年\s*)?(?:第\s*)?"
    rf"(?P<n>{NUM})(?!\s*[年月日.%])(?P<hao>\s*号)?"
)
# Numbers printed without a year: 公告第61、62号 / 第62号公告 / （第56号） / 4号文件.
BARE_KW_ZH = re.compile(rf"{KW}\s*(?P<di>第)\s*(?P<n>{NUM})(?P<hao>\s*号)?")
BARE_DI_ZH = re.compile(rf"(?=第)(?<![0-9年〕\]）)])(?<!公告)(?<!告)(?P<di>第)\s*(?P<n>{NUM})(?P<hao>\s*号)")
FILE_ZH = re.compile(rf"(?=[0-9])(?:(?P<y>{YEAR})\s*年\s*)?(?<![0-9第])(?P<n>[0-9]{{1,3}})\s*号\s*文件")
# （2025年第123号） after a 公告 (or 《…公告》) whose issuer is named earlier in the sentence.
PAREN_ZH = re.compile(rf"(?=[\s（(])(?:(?<=告)|(?<=告》)|(?<=告”)|(?<=告\"))\s*[（(]\s*(?P<y>{YEAR})"
                      rf"\s*年\s*(?P<di>第)?\s*(?P<n>{NUM})(?P<hao>\s*号)\s*[)）]")
PAREN_HINT = re.compile(r"告[》”\"]?\s*[（(]")
# 〔2025〕5号 without 公告 before it: read only when a 公告 is named earlier in the sentence
# (…工作机制公告〔2025〕7号…，〔2025〕5号、6号…), never after 字/令 (a case or decree number).
BRACKET_ZH = re.compile(rf"(?=[〔\[])(?<!告)(?<![字令])[〔\[]\s*(?P<y>{YEAR})\s*[〕\]]\s*(?P<di>第)?"
                        rf"\s*(?P<n>{NUM})(?P<hao>\s*号)")
# "(No. 56)" in English, read only beside other announcement mentions.
PAREN_EN = re.compile(r"(?=\()\(\s*(?i:nos?)\s*\.?\s*(?P<n>\d{1,4})(?P<more>(?:\s*(?:,|and|&)\s*"
                      r"\d{1,4})*)\s*\)")
EN_CORE = re.compile(
    r"(?=[AaJjPp])(?i:(?:(?:joint|public)\s+)?announcements?)"
    r"(?P<mid>\s*(?:\[\s*(?P<y1>(?:19|20)\d\d)\s*\]|\(\s*(?P<y2>(?:19|20)\d\d)\s*\)|"
    r"〔\s*(?P<y3>(?:19|20)\d\d)\s*〕|(?i:of|for|in)\s+(?P<y4>(?:19|20)\d\d))?\s*,?\s*)"
    r"(?i:no|nos|number)\s*\.?\s*(?P<n>\d{1,4})(?![0-9])"
    r"(?P<more>(?:\s*(?:,\s*(?i:and|&)|,|(?i:and)|&|(?i:to)|(?i:through)|-|–)\s*(?:(?i:nos?)\s*\.?\s*)?"
    r"\d{1,4}(?![0-9]))*)"
    r"(?P<tail>\s*(?:\[\s*(?P<y5>(?:19|20)\d\d)\s*\]|\(\s*(?P<y6>(?:19|20)\d\d)\s*\)|"
    r"〔\s*(?P<y7>(?:19|20)\d\d)\s*〕|,?\s*(?i:of|in|for)\s+(?:(?i:the\s+year)\s+)?"
    r"(?P<y8>(?:19|20)\d\d)(?![0-9])))?"
)
# "Nos. 55 to 58 and 61, 62 of 2025": a plural list stands for announcements on its own.
EN_NOS = re.compile(EN_CORE.pattern.replace(
    r"(?=[AaJjPp])(?i:(?:(?:joint|public)\s+)?announcements?)", r"(?=Nos\b)(?<![A-Za-z])", 1))
EN_YEAR_AFTER = re.compile(r"\s*,?\s*(?i:in|of|for)\s+(?P<y>(?:19|20)\d\d)(?![0-9])"
                           r"|\s*\[\s*(?P<y2>(?:19|20)\d\d)\s*\]")
# "…No. 39 of 2023 and No. 33 of 2024 of the Ministry…": a further number with its own year.
EN_CONT = re.compile(r"\s*,?\s*(?i:and|&|,)\s*(?i:nos?)\s*\.?\s*(?P<n>\d{1,4})(?![0-9])"
                     r"(?P<more>(?:\s*(?:,|(?i:and)|&)\s*(?:(?i:nos?)\s*\.?\s*)?\d{1,4}(?![0-9]))*)"
                     r"\s*,?\s*(?i:of|in|for)\s+(?P<y>(?:19|20)\d\d)(?![0-9])")
MAX_RANGE = 30


def year_of(printed: str | None) -> int | None:
    """A printed year as a number: 2025, or 二〇二五 digit by digit."""
    if not printed:
        return None
    if printed.isdigit():
        return int(printed)
    return int("".join(str(YEAR_DIGIT[c]) for c in printed))


class Announcements(RuleComponent):
    """Finds announcement-number mentions and the issuers printed with them."""

    data_name = "issuers.jsonl"

    def _compile(self) -> None:
        self.table = IssuerTable(self.patterns)
        self.en_after = re.compile(
            rf"\s*,?\s*(?:issued\s+|jointly\s+issued\s+|published\s+)?(?i:of|by|from)\s+"
            rf"(?P<iss>{self.table.en_run})"
        )

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        text = view(doc)
        mentions = self.find(text)
        state(doc)["mentions"] = mentions
        return doc

    # -- finding -------------------------------------------------------------------
    def find(self, text: str) -> list[dict[str, Any]]:
        """All mentions in ``text``, left to right, overlaps resolved (longest wins)."""
        found: list[dict[str, Any]] = []
        if "公" in text or "告" in text:
            forms = ZH_FORMS + [ZH_FORM_ZH_YEAR] if ZH_NUMERAL_YEAR.search(text) else ZH_FORMS
            for rx in forms:
                for m in rx.finditer(text):
                    mention = self._zh(text, m)
                    if mention:
                        found.append(mention)
            if PAREN_HINT.search(text):
                for m in PAREN_ZH.finditer(text):
                    mention = self._zh(text, m, context_issuers=True)
                    if mention:
                        found.append(mention)
            if "〔" in text or "[" in text:
                for m in BRACKET_ZH.finditer(text):
                    mention = self._bracket(text, m)
                    if mention:
                        found.append(mention)
        if "第" in text:
            for rx in (BARE_KW_ZH, BARE_DI_ZH):
                for m in rx.finditer(text):
                    mention = self._zh(text, m, bare=rx is BARE_DI_ZH)
                    if mention:
                        found.append(mention)
        if "文件" in text:
            for m in FILE_ZH.finditer(text):
                found.append(self._file(text, m))
        if re.search(r"(?i)announcement", text):
            for rx in (EN_CORE, EN_NOS) if "Nos" in text else (EN_CORE,):
                for m in rx.finditer(text):
                    mention = self._en(text, m)
                    if mention:
                        found.append(mention)
            if "(No" in text or "( No" in text:
                for m in PAREN_EN.finditer(text):
                    found.append(self._paren_en(m))
        found.sort(key=lambda x: (x["start"], -(x["end"] - x["start"])))
        out: list[dict[str, Any]] = []
        for mention in found:
            if out and mention["start"] < out[-1]["end"]:
                continue
            out.append(mention)
        return out

    def _prefix_zh(self, text: str, start: int) -> tuple[int, list[str]]:
        window = text[max(0, start - 120):start]
        m = self.table.zh_run_end.search(window)
        if not m:
            return start, []
        codes = self.table.codes_in(m.group(0), "zh")
        return start - (len(window) - m.start()), codes

    def _sentence_issuers(self, text: str, start: int) -> list[str]:
        """Issuers named earlier in the same sentence (海关总署日前发布…的公告（2025年第123号）)."""
        lo = max(0, start - 160)
        cut = max(text.rfind(c, lo, start) for c in "。\n;!?")
        return self.table.codes_in(text[max(lo, cut + 1):start])

    def _zh(self, text: str, m: re.Match[str], *, bare: bool = False,
            context_issuers: bool = False) -> dict[str, Any] | None:
        has_di = bool(m["di"])
        has_hao = bool(m["hao"])
        after = text[m.end():m.end() + 2]
        if not (has_di or has_hao) or re.match(r"\s*[月日]", after):
            return None
        first = zh_number(m["n"])
        if not first or (not m["n"].isdigit() and not has_hao):
            return None  # 2025年第一季度 is not a number; 第一号 must say 号
        year = year_of(m["y"]) if "y" in m.re.groupindex else None
        numbers = [(year, first, m.start("n"), m.end())]
        pos = m.end()
        cont = []
        while True:
            c = CONT_ZH.match(text, pos)
            if not c or c.end() == pos or zh_number(c["n"]) is None:
                break
            cont.append(c)
            pos = c.end()
        # Trailing enumeration items must be closed by 号 somewhere (第55、56、57号).
        while cont and not cont[-1]["hao"] and (has_hao or not any(x["hao"] for x in cont)):
            cont.pop()
        if not has_hao and not cont and not has_di:
            return None
        if year is None and not has_hao and not cont:
            return None  # 公告第61 without 号 or a list is not a number
        last_n = numbers[0][1]
        last_start = m.start("n")
        end = m.end()
        for c in cont:
            n = zh_number(c["n"]) or 0
            if c["y"]:
                year = year_of(c["y"])  # 2023年第23号、2024年第33号: each keeps its own year
            if c["sep"] in ("至", "到", "-", "~") and last_n < n <= last_n + MAX_RANGE:
                # 第55号至第58号: 56 and 57 are not printed; their evidence is the range
                numbers += [(year, k, last_start if k < n else c.start("n"), c.end())
                            for k in range(last_n + 1, n + 1)]
            else:
                numbers.append((year, n, c.start("n"), c.end()))
            last_n = n
            last_start = c.start("n")
            end = c.end()
        tail = re.match(r"\s*公\s*告", text[end:end + 6])
        if bare:
            # 第62号公告 / （第56号）: a number on its own only with 公告 after it or in brackets.
            opened = text[max(0, m.start() - 1):m.start()] in ("(", "（")
            closed = re.match(r"\s*[)）]", text[end:end + 2])
            if not tail and not (opened and closed):
                return None
        start, issuers = self._prefix_zh(text, m.start())
        if m.re is ZH_FORMS[2] or m.re is ZH_FORM_ZH_YEAR:
            # Without 公告 before the year, 公告 must follow, or issuers precede (not 令).
            if not tail and (not issuers or re.match(r"\s*令", text[end:end + 3])):
                return None
        if tail:
            end += tail.end()
        if context_issuers and not issuers:
            issuers = self._sentence_issuers(text, m.start())
            start = m.start()
        return {
            "start": start, "end": end, "core_start": m.start(), "lang": "zh",
            "issuers": issuers, "bare": not issuers, "inherit": year is None,
            "targets": [{"year": y, "no": n, "start": s, "end": e} for y, n, s, e in numbers],
        }

    def _bracket(self, text: str, m: re.Match[str]) -> dict[str, Any] | None:
        """〔2025〕5号 after a 公告 earlier in the same sentence; its issuers from there."""
        lo = max(0, m.start() - 160)
        cut = max(text.rfind(c, lo, m.start()) for c in "。\n;!?")
        sentence = text[max(lo, cut + 1):m.start()]
        if not re.search(KW, sentence):
            return None
        mention = self._zh(text, m, context_issuers=True)
        if mention and mention["issuers"]:
            return mention
        return None

    def _file(self, text: str, m: re.Match[str]) -> dict[str, Any]:
        """The informal 4号文件: its issuer from the sentence, its year printed or inherited."""
        year = year_of(m["y"])
        issuers = self._sentence_issuers(text, m.start())
        return {"start": m.start(), "end": m.end(), "core_start": m.start(), "lang": "zh",
                "issuers": issuers, "bare": not issuers, "inherit": year is None,
                "informal": True,
                "targets": [{"year": year, "no": int(m["n"]), "start": m.start("n"),
                             "end": m.end("n")}]}

    def _paren_en(self, m: re.Match[str]) -> dict[str, Any]:
        base = m.start("more")
        numbers = [(int(m["n"]), m.start("n"), m.end("n"))] + [
            (int(d.group(0)), base + d.start(), base + d.end())
            for d in re.finditer(r"\d{1,4}", m["more"] or "")]
        return {"start": m.start(), "end": m.end(), "core_start": m.start(), "lang": "en",
                "issuers": [], "bare": True, "inherit": True,
                "targets": [{"year": None, "no": n, "start": s, "end": e} for n, s, e in numbers]}

    def _en(self, text: str, m: re.Match[str]) -> dict[str, Any] | None:
        years = [m[g] for g in ("y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8") if m[g]]
        numbers = [(int(m["n"]), m.start("n"), m.end("n"))]
        last, last_start = numbers[0][0], m.start("n")
        base = m.start("more")
        for part in re.finditer(r"(?P<sep>,|and|&|to|through|-|–)\s*(?:nos?\s*\.?\s*)?(?P<n>\d{1,4})",
                                m["more"] or "", re.I):
            n = int(part["n"])
            s, e = base + part.start("n"), base + part.end("n")
            if 1990 <= n <= 2099 and n > last + MAX_RANGE:
                years.append(part["n"])  # "Announcement No. 18, 2025"
                continue
            if part["sep"].lower() in ("to", "through", "-", "–") and last < n <= last + MAX_RANGE:
                numbers += [(k, last_start if k < n else s, e) for k in range(last + 1, n + 1)]
            else:
                numbers.append((n, s, e))
            last, last_start = n, s
        year = int(years[0]) if years else None
        targets = [{"year": year, "no": n, "start": s, "end": e} for n, s, e in numbers]
        end = m.end()
        while year is not None and (c := EN_CONT.match(text, end)):
            more = [(int(c["n"]), c.start("n"), c.end("n"))] + [
                (int(d.group(0)), c.start("more") + d.start(), c.start("more") + d.end())
                for d in re.finditer(r"\d{1,4}", c["more"] or "")]
            targets += [{"year": int(c["y"]), "no": n, "start": s, "end": e} for n, s, e in more]
            end = c.end()
        after = self.en_after.match(text, end)
        issuers_after: list[str] = []
        if after:
            issuers_after = self.table.codes_in(after["iss"], "en")
            end = after.end()
            y = EN_YEAR_AFTER.match(text, end)
            if y:
                years.append(y["y"] or y["y2"])
                end = y.end()
        window = text[max(0, m.start() - 200):m.start()]
        before = self.table.en_run_end.search(window)
        start = m.start()
        issuers_before: list[str] = []
        if before:
            issuers_before = self.table.codes_in(before.group(0), "en")
            start = m.start() - (len(window) - before.start())
        issuers = issuers_before + [c for c in issuers_after if c not in issuers_before]
        if year is None and years:  # the year printed after the issuers ("… of MOFCOM, 2025")
            year = int(years[0])
            targets = [dict(t, year=year) for t in targets]
        return {
            "start": start, "end": end, "core_start": m.start(), "lang": "en",
            "issuers": issuers, "bare": not issuers, "inherit": year is None,
            "targets": targets,
        }


@Language.factory(
    "regwatch_announcements",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": []}},
    default_score_weights={},
)
def make_announcements(nlp: Language, name: str,
                       scorer: Callable[..., dict[str, float]] | None) -> Announcements:
    return Announcements(nlp, name, scorer=scorer)
