"""A spaCy scorer for the extraction fields, so ``nlp.evaluate`` reports P/R/F.

Each rule component names the FORMAT.md fields it is responsible for in its
``scorer`` config (``regwatch.field_scorer.v1``). Gold values travel on the reference
doc as ``example.reference.user_data["gold"]`` (the ``gold`` object of a FORMAT.md
line); :func:`examples_from_gold` builds such examples from a gold file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from .evaluate import aggregate, compare, read_jsonl
from .lexicon import state


def doc_prediction(doc: Any) -> dict[str, Any]:
    """The FORMAT.md ``pred`` fields of one processed doc (text part only)."""
    st = state(doc)
    issue = st.get("issue_date")
    return {
        "number": st.get("number"),
        "issuers": list(st.get("issuers", [])),
        "issue_date": issue["date"] if issue else None,
        "effective_dates": sorted({c["date"] for c in st.get("effective", [])}),
        "control_codes": sorted({c["code"] for c in st.get("control_codes", [])
                                 if not c["excluded"]}),
        "hs_codes": sorted({h["code"] for h in st.get("hs", [])}),
        "materials": list(st.get("materials", [])),
        "references": [{"target": r["target"], "relation": r["relation"]}
                       for r in st.get("references", [])],
    }


def score_fields(examples: Iterable[Example], fields: list[str]) -> dict[str, float]:
    """``{field}_p/_r/_f`` for the named fields over the examples."""
    per_doc = []
    for eg in examples:
        gold = eg.reference.user_data.get("gold") or {}
        pred = doc_prediction(eg.predicted)
        per_doc.append(compare({f: gold[f] for f in fields if f in gold}, pred))
    scores = aggregate(per_doc)["fields"]
    out: dict[str, float] = {}
    for field in fields:
        s = scores.get(field)
        if s is not None:
            out[f"{field}_p"], out[f"{field}_r"], out[f"{field}_f"] = (
                s["precision"], s["recall"], s["f1"])
    return out


@registry.scorers("regwatch.field_scorer.v1")
def make_field_scorer(fields: list[str]) -> Callable[..., dict[str, float]]:
    """Config hook: ``scorer = {"@scorers": "regwatch.field_scorer.v1", "fields": [...]}``."""

    def scorer(examples: Iterable[Example], **kwargs: Any) -> dict[str, float]:
        return score_fields(examples, fields)

    return scorer


def examples_from_gold(nlp: Language, path: str | Path) -> list[Example]:
    """Examples for ``nlp.evaluate`` from a FORMAT.md gold file (HTML via parse_page)."""
    from documents.content import parse_page

    examples = []
    for _, doc in read_jsonl(path):
        if not isinstance(doc.get("gold"), dict):
            continue
        text = parse_page(doc["html"], doc.get("url"))["text"] if doc.get("html") else (
            doc.get("text") or "")
        predicted = nlp.make_doc(text)
        reference = nlp.make_doc(text)
        reference.user_data["gold"] = doc["gold"]
        examples.append(Example(predicted, reference))
    return examples
