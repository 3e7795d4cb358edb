"""``regwatch_kind``: is the document an announcement, a statement, a news report or other?

Only an announcement has a number of its own and acts (issue and effective dates,
materials, suspensions). A page that *reports on* announcements (a news lead, a law-firm
note, a spokesperson's Q&A) names numbers too, often in the first lines, and must not
take them as its own. The kind is decided from structure and wording, in Chinese and
English (``data/kinds.jsonl``):

- **announcement**: the number component found an own-number candidate (文号 field,
  the title, a number line at the top or right after "具体内容如下"), and the text acts:
  a signature (issuers and date at the end), a 文号/发文日期 field, or an act cue
  (本公告, 特此公告, 经国务院批准, "this announcement", "hereby"); or, with no cue of a
  report or a Q&A anywhere, the number opens the text (a fragment or a bare reprint);
- **statement**: a spokesperson's Q&A, a press conference or an interpretation: cues in
  the title or first lines (答记者问, 新闻发布会, "spokesperson", "transcript"), or two or
  more question/answer lines (问：/答：, "Q:"/"A:", 【…记者】);
- **other**: listings (several lines open with numbers), events and notices;
- **news**: everything else that reports (a dateline, 记者, "said", "client alert"), and
  what is left when something is reported about announcements.

For every kind but announcement the own number is dropped (its mention becomes a
citation), and so are effective dates and provisions; statements and news have no issuers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..lexicon import RuleComponent, state, view
from .number import Number

HEAD_LINES = 3
KINDS = ("announcement", "statement", "news", "other")


class Kind(RuleComponent):
    """Classifies the document and withdraws what only an announcement can have."""

    data_name = "kinds.jsonl"

    def _compile(self) -> None:
        self.rx: dict[tuple[str, str], list[re.Pattern[str]]] = {}
        for row in self.patterns:
            flags = re.M if row["where"] == "line" else 0
            self.rx.setdefault((row["kind"], row["where"]), []).append(
                re.compile(row["pattern"], flags))

    def _hits(self, kind: str, where: str, text: str, lo: int = 0,
              hi: int | None = None) -> list[re.Match[str]]:
        hi = len(text) if hi is None else hi
        return [m for rx in self.rx.get((kind, where), []) for m in rx.finditer(text, lo, hi)]

    def _first(self, kind: str, where: str, text: str) -> re.Match[str] | None:
        hits = [m for rx in self.rx.get((kind, where), []) if (m := rx.search(text))]
        return min(hits, key=lambda m: m.start()) if hits else None

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        kind, evidence = self.classify(st, text)
        st["kind"] = kind
        st["kind_evidence"] = evidence
        if kind != "announcement":
            self._withdraw(st)
        return doc

    def classify(self, st: Any, text: str) -> tuple[str, list[dict[str, Any]]]:
        structure = st["structure"]
        lines = structure["lines"]
        title = structure.get("title")
        head_end = lines[min(HEAD_LINES, len(lines)) - 1][1] if lines else 0
        heads = [(0, head_end)]
        if title and title["start"] >= 0:
            heads.append((title["start"], title["end"]))
        elif title:
            heads.append((-1, -1))
        head_text = title["text"] if title and title["start"] < 0 else ""

        def ev(cue: str, m: re.Match[str] | None = None) -> dict[str, Any]:
            return {"cue": cue, "start": m.start() if m else -1, "end": m.end() if m else -1}

        own = st.get("own_mention")
        fields = structure.get("fields", {})
        issue = st.get("issue_date")
        if own is not None:
            acts: list[dict[str, Any]] = []
            if "document_number" in fields or "issue_date" in fields:
                acts.append(ev("field"))
            if issue and issue.get("how") == "signature":
                acts.append({"cue": "signature", "start": issue["start"], "end": issue["end"]})
            if not acts:
                first = self._first("act", "body", text)
                acts = [ev("act", first)] if first else []
            if acts:
                return "announcement", [ev("own_number"), *acts]
        statement = [ev("statement_head", m) for lo, hi in heads if lo >= 0
                     for m in self._hits("statement", "head", text, lo, hi)]
        if head_text:
            statement += [ev("statement_title") for rx in self.rx.get(("statement", "head"), [])
                          if rx.search(head_text)]
        qa = self._hits("statement", "line", text)
        news = [ev("news", m) for m in self._hits("news", "body", text)[:4]]
        if own is not None and not (statement or qa or news):
            # A bare text that opens with its number (a fragment, a reprint without its
            # signature) is that announcement; a number further down is a subheading.
            first = lines[0] if lines else (0, 0)
            in_title = bool(title) and title["start"] >= 0 and (
                title["start"] <= own["start"] < title["end"])
            if first[0] <= own["start"] < first[1] or in_title:
                return "announcement", [ev("own_number_heading")]
        if statement or len(qa) >= 2:
            return "statement", statement + [ev("qa_line", m) for m in qa[:4]]
        if Number.listing(text, lines, [m for m in st.get("mentions", [])
                                        if len(m["targets"]) == 1]):
            return "other", [ev("listing")]
        other = [ev("other_head", m) for lo, hi in heads if lo >= 0
                 for m in self._hits("other", "head", text, lo, hi)]
        if head_text:
            other += [ev("other_title") for rx in self.rx.get(("other", "head"), [])
                      if rx.search(head_text)]
        if other:
            return "other", other
        if news or st.get("mentions"):
            return "news", news or [ev("reports_on_announcements")]
        return "other", []

    @staticmethod
    def _withdraw(st: Any) -> None:
        """What only an announcement has: its own number, effective dates and provisions."""
        st["number"] = None
        st["own_mention"] = None
        st["own_issuers"] = []
        st["own_key"] = None
        st["effective"] = []
        st["provisions"] = []


@Language.factory(
    "regwatch_kind",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1", "fields": []}},
    default_score_weights={},
)
def make_kind(nlp: Language, name: str,
              scorer: Callable[..., dict[str, float]] | None) -> Kind:
    return Kind(nlp, name, scorer=scorer)
