"""``regwatch_number``: which printed announcement number is the document's own.

The own number is the one in the 文号 field (【发布文号】, [Document No.]), else one that
opens the title or one of the first lines and is followed by nothing or by a title
(关于…, 公布…, "on …"), else a bare 公告〔2025〕123号 line. A number that opens a sentence
in a news report ("商务部公告2025年第61号发布后…") is a reference, not the own number.
The series is the first issuer printed with the number; a bare number takes the
series of the same number printed elsewhere, then the source/site, then the signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..issuer_table import IssuerTable
from ..lexicon import RuleComponent, state, view

LEAD = re.compile(r"[\s\"'“”《(]*(?:[【\[][^】\]\n]{1,8}[】\]]\s*)?[\s\"'“”《(【\[]*"
                  r"(?:中华人民共和国|中華人民共和國|PRC\s+|China's\s+)?", re.I)
TITLE_REST = re.compile(
    r"^\s*(?:$|[(:—\-–|/】\]]|关于|公布|发布《|《|印发|调整|暂停|对|决定|"
    r"(?i:on|regarding|concerning|about|of\s+the|announcing|publishing|suspending|"
    r"adding|imposing|implementing)\b)"
)
TITLE_END = re.compile(r"(?:公告|决定|通知|目录|清单|办法|规定)\s*[)）]?\s*$"
                       r"|(?i:announcement|decision|notice)\s*$")
# A news lead that hands over to the quoted text: "…发布公告，具体内容如下：".
QUOTE_MARK = re.compile(r"(?:具体内容如下|全文如下|原文如下|内容如下|以下为公告(?:原文|全文)?|公告(?:原文|全文)"
                        r"(?:如下)?|(?i:full\s+text|reads\s+as\s+follows|text\s+of\s+the\s+"
                        r"announcement))\s*[:：]?\s*$")
QUOTE_HINT = re.compile(r"如下|原文|全文|以下为|(?i:full\s+text|as\s+follows)")
SOURCE_SERIES = {"mofcom": "MOFCOM", "gacc": "GACC"}
HOST_SERIES = (("customs.gov.cn", "GACC"), ("mofcom.gov.cn", "MOFCOM"))
HEAD_LINES = 5


def target_id(series: str | None, year: int | None, no: int) -> str | None:
    if not series or not year:
        return None
    return f"{series}-{year}-{no}"


class Number(RuleComponent):
    """Picks the own number among the mentions and fixes the series of bare mentions."""

    data_name = "issuers.jsonl"

    def _compile(self) -> None:
        self.table = IssuerTable(self.patterns)

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        mentions = st.get("mentions", [])
        own = self._own(st, text, mentions)
        default = self._default_series(st, text, mentions, own)
        st["default_series"] = default
        self._inherit(st, mentions)
        for mention in mentions:
            series = mention["issuers"][0] if mention["issuers"] else default
            for target in mention["targets"]:
                target["id"] = target_id(series, target["year"], target["no"])
        st["own_mention"] = own
        st["number"] = None
        if own:
            target = own["targets"][0]
            year = target["year"]
            if year is None and st.get("issue_date"):
                year = int(st["issue_date"]["date"][:4])
            series = own["issuers"][0] if own["issuers"] else default
            st["number"] = target_id(series, year, target["no"])
            st["own_issuers"] = own["issuers"]
            st["own_key"] = (target["year"], target["no"])
        return doc

    @staticmethod
    def _inherit(st: Any, mentions: list[dict[str, Any]]) -> None:
        """A number printed without a year (第62号公告, "(No. 56)", "Announcement No. 62")
        takes the year of the nearest number before it that has one, and, when it names no
        issuer, that number's issuers; failing that, the year of the document's date."""
        issue = st.get("issue_date")
        fallback = int(issue["date"][:4]) if issue else None
        prev: dict[str, Any] | None = None
        for mention in mentions:
            years = [t["year"] for t in mention["targets"] if t["year"]]
            if years:
                prev = mention
                continue
            if not mention.get("inherit"):
                continue
            year = None
            if prev is not None:
                year = next(t["year"] for t in reversed(prev["targets"]) if t["year"])
                if not mention["issuers"] and prev["issuers"]:
                    mention["issuers"] = list(prev["issuers"])
            for target in mention["targets"]:
                target["year"] = year or fallback

    def _own(self, st: dict[str, Any], text: str,
             mentions: list[dict[str, Any]]) -> dict[str, Any] | None:
        single = [m for m in mentions if len(m["targets"]) == 1]
        if not single:
            return None
        structure = st["structure"]
        field = structure["fields"].get("document_number")
        if field and field["start"] >= 0:
            for m in single:
                if field["start"] <= m["core_start"] < field["end"] + 1:
                    return self._prefer_prefixed(m, single)
        lines = structure["lines"]
        if self.listing(text, lines, single):
            return None
        title = structure.get("title")
        head = lines[:HEAD_LINES]
        if len(lines) > HEAD_LINES and QUOTE_HINT.search(text, 0, lines[:30][-1][1]):
            for i, (start, end) in enumerate(lines[:30]):
                if QUOTE_MARK.search(text, start, end):
                    head = head + lines[i + 1:i + 3]
                    break
        if title and title["start"] >= 0:
            head = [ln for ln in lines if ln[0] <= title["start"] < ln[1] + 1] + head
        for start, end in head:
            for m in single:
                if not (start <= m["start"] < end):
                    continue
                lead = LEAD.match(text, start)
                if lead and m["start"] <= lead.end():
                    rest = text[m["end"]:end]
                    if TITLE_REST.match(rest) or TITLE_END.search(rest):
                        return self._prefer_prefixed(m, single)
        # 公告〔2025〕123号 standing on its own line (customs pages).
        for start, end in lines[:12]:
            for m in single:
                if start <= m["start"] and m["end"] <= end:
                    line = text[start:end].strip()
                    if len(line) - (m["end"] - m["start"]) <= 2:
                        return self._prefer_prefixed(m, single)
        return None

    @staticmethod
    def listing(text: str, lines: list[tuple[int, int]], single: list[dict[str, Any]]) -> bool:
        """A listing page: many lines open with a number (titles of other announcements)."""
        starts = {start for start, _ in lines}
        opening = 0
        for m in single:
            line_start = text.rfind("\n", 0, m["start"]) + 1
            lead = LEAD.match(text, line_start)
            if line_start in starts and lead and m["start"] <= lead.end():
                opening += 1
        return opening >= 3

    @staticmethod
    def _prefer_prefixed(own: dict[str, Any], single: list[dict[str, Any]]) -> dict[str, Any]:
        """A bare own number borrows issuers from the same number printed with them."""
        if own["issuers"]:
            return own
        key = (own["targets"][0]["year"], own["targets"][0]["no"])
        for m in single:
            if m["issuers"] and (m["targets"][0]["year"], m["targets"][0]["no"]) == key:
                return {**own, "issuers": m["issuers"], "bare": True}
        return own

    def _default_series(self, st: dict[str, Any], text: str, mentions: list[dict[str, Any]],
                        own: dict[str, Any] | None) -> str | None:
        if own and own["issuers"]:
            return own["issuers"][0]
        ctx = st["ctx"]
        if ctx.get("source") in SOURCE_SERIES:
            return SOURCE_SERIES[ctx["source"]]
        host = urlsplit(ctx.get("url") or "").netloc.lower()
        for suffix, series in HOST_SERIES:
            if host.endswith(suffix):
                return series
        lines = st["structure"]["lines"]
        for start, end in reversed(lines[-8:]):
            codes = self.table.codes_in(text[start:end])
            if codes and len(text[start:end].strip()) <= 60:
                return codes[0]
        title = st["structure"].get("title")
        if title:
            codes = self.table.codes_in(title["text"])
            if codes:
                return codes[0]
        return "MOFCOM"


@Language.factory(
    "regwatch_number",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": ["number"]}},
    default_score_weights={"number_f": 1.0},
)
def make_number(nlp: Language, name: str,
                scorer: Callable[..., dict[str, float]] | None) -> Number:
    return Number(nlp, name, scorer=scorer)
