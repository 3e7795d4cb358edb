"""``regwatch_references``: the other announcements a document names, and what it does to them.

Every announcement mention except the document's own number becomes a reference,
once per target (enumerations are already expanded). The relation comes from the
cue word nearest to the mention in the same sentence (``data/relations.jsonl``):
暂停实施 → suspends, 废止/停止执行 → repeals, 修改/调整 → amends, else cites. For a
suspension the window is read from the same sentence (自即日起至2026年11月10日 →
from the issue date until 2026-11-10), and a clause after the number (…第46号第二款)
is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..datetext import find_dates, infer_year
from ..lexicon import RuleComponent, gate, state, view, zh_pattern
from .structure import sentence_at

CLAUSE_ZH = re.compile(
    r"\s*(?:的)?\s*(?P<c>第\s*[一二三四五六七八九十0-9]+\s*[条款项](?:\s*第?\s*\(?\s*"
    r"[一二三四五六七八九十0-9]+\s*\)?\s*[项款])?|第\s*\(\s*[一二三四五六七八九十0-9]+\s*\)\s*项)"
)
CLAUSE_EN = re.compile(
    r"(?i)(?:paragraph|clause|article|item|section|point)\s+(?P<c>\(?\w{1,4}\)?)\s+(?:of\s+)?"
    r"(?:the\s+)?$"
)
# A sentence that states a suspension period on its own (三、上述暂停期限为自即日起至…).
SUSPENSION_PERIOD = re.compile(r"暂停|暫停|(?i:\bsuspen)")
UNTIL = re.compile(r"(?:至|到|直至|截至|(?i:\buntil\b|\btill\b|\bthrough\b|\bto\b))\s*$")
FROM = re.compile(r"(?:自|从|于|(?i:\bfrom\b|\bas\s+of\b|\bstarting\b|\bbeginning\b))\s*$")
IMMEDIATE = re.compile(r"即日|公布之日|发布之日|(?i:\bfrom\s+today\b|\bimmediately\b|"
                       r"date\s+of\s+(?:its\s+)?(?:publication|promulgation|issuance|announcement)|"
                       r"\bas\s+of\s+today\b)")
LIST_ITEM = re.compile(r"^\s*(?:[(（]?[0-9一二三四五六七八九十]{1,3}[)）.、．]|[①-⑳]|[-•·])")
PRIORITY = {"repeals": 0, "suspends": 1, "amends": 2, "cites": 3}


class References(RuleComponent):
    """Turns announcement mentions into ``{"target", "relation", ...}`` references."""

    data_name = "relations.jsonl"

    def _compile(self) -> None:
        parts = []
        cues = []
        self.cue_relation: dict[str, str] = {}
        for row in self.patterns:
            cues += row["cues"]
            for cue in row["cues"]:
                self.cue_relation[re.sub(r"\s+", "", cue).lower()] = row["relation"]
                if row["lang"] == "zh":
                    parts.append(zh_pattern(cue))
                else:
                    parts.append(r"\b" + r"\s+".join(map(re.escape, cue.split())) + r"\b")
        parts.sort(key=len, reverse=True)
        self.cue_re = re.compile(gate(cues) + "(?i:" + "|".join(parts) + ")" if parts else "(?!)")

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        own = st.get("own_mention")
        own_id = st.get("number")
        issue = (st.get("issue_date") or {}).get("date")
        refs: dict[str, dict[str, Any]] = {}
        spans: list[dict[str, Any]] = []
        # A document without a number of its own (news, a listing, a Q&A) acts on nothing.
        acts = own is not None
        for mention in st.get("mentions", []):
            if mention is own:
                continue
            sentence = sentence_at(doc, mention["core_start"])
            relation, cue = self._relation(text, sentence, mention)
            if cue is None:
                lead = self._lead_in(doc, text, sentence)
                if lead:
                    relation, cue = self._relation(text, lead, None)
                    sentence = lead if cue else sentence
            if not acts:
                relation = "cites"
            for target in mention["targets"]:
                tid = target.get("id")
                if not tid or tid == own_id:
                    continue
                ref = {"target": tid, "relation": relation, "from": None, "until": None,
                       "clause": self._clause(text, mention, target)}
                if relation == "suspends":
                    ref["from"], ref["until"] = self._window(text, sentence, issue)
                old = refs.get(tid)
                if old is None or PRIORITY[relation] < PRIORITY[old["relation"]]:
                    refs[tid] = ref
                else:
                    # the same target named again (title, then body): keep what it adds
                    for key in ("clause", "from", "until"):
                        if old[key] is None and ref[key] and old["relation"] == relation:
                            old[key] = ref[key]
                spans.append({"value": tid, "start": target["start"], "end": target["end"]})
        self._fill_windows(doc, text, refs, issue)
        st["references"] = [refs[k] for k in sorted(refs)]
        for span in spans:
            span["relation"] = refs[span["value"]]["relation"]
        st["reference_spans"] = spans
        return doc

    def _fill_windows(self, doc: Doc, text: str, refs: dict[str, dict[str, Any]],
                      issue: str | None) -> None:
        """Suspensions whose own sentence gives no period take the document's stated one."""
        open_refs = [r for r in refs.values() if r["relation"] == "suspends" and r["until"] is None]
        if not open_refs:
            return
        for sentence in state(doc)["structure"]["sentences"]:
            if not SUSPENSION_PERIOD.search(text, sentence[0], sentence[1]):
                continue
            start, until = self._window(text, tuple(sentence), issue)
            if until:
                for ref in open_refs:
                    ref["until"] = until
                    ref["from"] = ref["from"] or start
                return

    @staticmethod
    def _lead_in(doc: Doc, text: str, sentence: tuple[int, int]) -> tuple[int, int] | None:
        """For an item of a list (1.商务部…公告…；), the sentence that introduces it (…废止：)."""
        spans = state(doc)["structure"]["sentences"]
        idx = next((i for i, sp in enumerate(spans) if sp[0] == sentence[0]), None)
        if idx is None:
            return None
        for back in range(idx - 1, max(-1, idx - 30), -1):
            s, e = spans[back]
            body = text[s:e].strip()
            if body.endswith(":"):
                return s, e
            if not LIST_ITEM.match(body):
                return None
        return None

    def _relation(self, text: str, sentence: tuple[int, int],
                  mention: dict[str, Any] | None) -> tuple[str, tuple[int, int] | None]:
        best: tuple[int, int, str, tuple[int, int]] | None = None
        for m in self.cue_re.finditer(text, sentence[0], sentence[1]):
            if mention and mention["start"] <= m.start() < mention["end"]:
                continue
            relation = self.cue_relation.get(re.sub(r"\s+", "", m.group(0)).lower(), "cites")
            if mention is None:
                dist = 0
            elif m.end() <= mention["start"]:
                dist = mention["start"] - m.end()
            else:
                dist = m.start() - mention["end"]
            key = (dist, PRIORITY[relation], relation, m.span())
            if best is None or key < best:
                best = key
        return (best[2], best[3]) if best else ("cites", None)

    @staticmethod
    def _clause(text: str, mention: dict[str, Any], target: dict[str, Any]) -> str | None:
        if target is mention["targets"][-1]:
            m = CLAUSE_ZH.match(text, mention["end"])
            if m:
                return re.sub(r"\s+", "", m["c"])
        m = CLAUSE_EN.search(text, max(0, mention["start"] - 40), mention["start"])
        if m:
            return m["c"].strip("()")
        return None

    @staticmethod
    def _window(text: str, sentence: tuple[int, int], issue: str | None) -> tuple[str | None,
                                                                                 str | None]:
        seg = text[sentence[0]:sentence[1]]
        start, until = None, None
        for d in find_dates(seg):
            iso = infer_year(d, issue)
            if not iso:
                continue
            before = seg[max(0, d.start - 12):d.start]
            if UNTIL.search(before) and until is None:
                until = iso
            elif FROM.search(before) and start is None:
                start = iso
        if start is None and issue and IMMEDIATE.search(seg):
            start = issue
        return start, until


@Language.factory(
    "regwatch_references",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": ["references"]}},
    default_score_weights={"references_f": 1.0},
)
def make_references(nlp: Language, name: str,
                    scorer: Callable[..., dict[str, float]] | None) -> References:
    return References(nlp, name, scorer=scorer)
