"""``regwatch_issuers``: the bodies that issue the document.

Issuers come from the own number (商务部 海关总署公告… → MOFCOM, GACC), from the
signature block at the end (商务部　海关总署 / 2025年10月9日), and, when neither is
printed, from the body that "决定"/"has decided" or from the 发布单位 field (a bureau
stands for its ministry). Only the codes in FORMAT.md are reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from core.han import CHAR

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..issuer_table import IssuerTable
from ..lexicon import RuleComponent, state, view

SIGNATURE_LINES = 15
LATIN = re.compile(r"[A-Za-z]{3}")
# A signature by a department: 商务部配额许可证事务局, 海关总署统计分析司.
DEPARTMENT = re.compile(rf"^{CHAR}{{2,16}}(?:局|司|厅|办公室|中心|处)$")
GLUE_WORDS = re.compile(r"(?i)\b(?:the|and|of|[a-z]+ \d{1,2}, \d{4})\b")
SEPARATORS = re.compile(r"[\s、,，&()（）]+")
DEPT_HINT = re.compile(r"[局司厅室心处]")
DATE_BITS = re.compile(r"[0-9〇零一二三四五六七八九十年月日号\-/., ]+")
# Characters no signature line holds (sentence and quote punctuation): such a line is
# skipped before any name is searched in it.
NOT_SIGNATURE = re.compile(r"[。：:；;！？!?《》“”\"]")


class Issuers(RuleComponent):
    """Collects issuer codes from the number, the signature and decision sentences."""

    data_name = "issuers.jsonl"

    def _compile(self) -> None:
        self.table = IssuerTable(self.patterns)
        run_zh = rf"{self.table.zh_alt}(?:\s*[、,，和与及]\s*{self.table.zh_alt})*"
        self.decide_zh = re.compile(
            rf"(?P<run>{run_zh})\s*(?:依法|联合|共同|经研究)?\s*(?:决定|发布|公布|宣布|发出)")
        self.decide_en = re.compile(
            rf"(?P<run>{self.table.en_run})\s+(?:has\s+|have\s+|had\s+)?(?:jointly\s+)?"
            rf"(?:decided|decides|announced|announces|issued|issues|published|publishes|"
            rf"hereby)", re.I)

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        if st.get("kind") in ("statement", "news"):
            # a spokesperson or a reporter speaks about documents; nobody issues this one
            st["issuers"], st["issuer_spans"] = [], []
            return doc
        codes: list[str] = []
        spans: list[list[int]] = []
        own = st.get("own_mention")
        if own:
            codes += st.get("own_issuers") or own["issuers"]
            spans.append([own["start"], own["core_start"]])
        sig_codes, sig_spans = self._signature(st, text)
        codes += sig_codes
        spans += sig_spans
        if not codes and own:
            codes, more = self._decision(text)
            spans += more
        if not codes:
            field = st["structure"]["fields"].get("issuing_unit")
            if field:
                codes = self.table.codes_in(field["value"])
                bureau = self.table.bureau(field["value"])
                if not codes and bureau:
                    codes = [bureau]
        if not codes and st.get("number"):
            codes = [st["number"].split("-")[0]]
        out: list[str] = []
        for code in codes:
            if code in self.table.reported and code not in out:
                out.append(code)
        st["issuers"] = out
        st["issuer_spans"] = self._name_spans(text, spans, out)
        return doc

    def _name_spans(self, text: str, spans: list[list[int]],
                    codes: list[str]) -> list[dict[str, Any]]:
        """Each reported issuer with the span of a name that stands for it (商务部, GACC,
        安全与管制局) inside the number, signature or decision it was read from."""
        out: list[dict[str, Any]] = []
        seen: set[tuple[int, int]] = set()
        for lo, hi in spans:
            named = set()
            for rx in (self.table.zh_re, self.table.en_re, self.table.bureau_re):
                if rx is self.table.bureau_re and named >= set(codes):
                    continue  # every code already has its name; a bureau adds nothing
                for m in rx.finditer(text, lo, hi):
                    code = self.table.code(m.group(0)) or self.table.bureau(m.group(0))
                    if code in codes and m.span() not in seen:
                        seen.add(m.span())
                        named.add(code)
                        out.append({"value": code, "start": m.start(), "end": m.end()})
        return sorted(out, key=lambda sp: (sp["start"], sp["value"]))

    def _signature(self, st: dict[str, Any], text: str) -> tuple[list[str], list[list[int]]]:
        """Lines near the end made only of issuer names (and perhaps the date)."""
        codes: list[str] = []
        spans: list[list[int]] = []
        lines = st["structure"]["lines"]
        for start, end in reversed(lines[-SIGNATURE_LINES:]):
            if end - start > 120:
                continue  # a signature line is short; a paragraph is not one
            line = text[start:end]
            if NOT_SIGNATURE.search(line):
                continue
            dept = DEPARTMENT.match(DATE_BITS.sub(" ", line).strip()) if DEPT_HINT.search(
                line) else None
            if dept:
                code = self.table.bureau(dept.group(0)) or (
                    self.table.codes_in(dept.group(0))[:1] or [None])[0]
                if code:
                    if code not in codes:
                        codes.append(code)
                    spans.append([start, end])
                    continue
            names = list(self.table.zh_re.finditer(line))
            if LATIN.search(line):
                names += list(self.table.en_re.finditer(line))
            if not names:
                continue
            rest = line
            for m in sorted(names, key=lambda m: -m.start()):
                rest = rest[:m.start()] + rest[m.end():]
            rest = SEPARATORS.sub("", DATE_BITS.sub("", GLUE_WORDS.sub("", rest)))
            if rest:
                continue
            found = [self.table.code(m.group(0)) for m in sorted(names, key=lambda m: m.start())]
            for code in found:
                if code and code not in codes:
                    codes.append(code)
            spans.append([start, end])
        return codes, spans

    def _decision(self, text: str) -> tuple[list[str], list[list[int]]]:
        for rx, lang in ((self.decide_zh, "zh"), (self.decide_en, "en")):
            m = rx.search(text)
            if m:
                return self.table.codes_in(m["run"], lang), [[m.start("run"), m.end("run")]]
        return [], []


@Language.factory(
    "regwatch_issuers",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": ["issuers"]}},
    default_score_weights={"issuers_f": 1.0},
)
def make_issuers(nlp: Language, name: str,
                 scorer: Callable[..., dict[str, float]] | None) -> Issuers:
    return Issuers(nlp, name, scorer=scorer)
