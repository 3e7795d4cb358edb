"""Score :mod:`extract.cases` against hand-labelled decisions, field by field.

Same counting as :mod:`extract.evaluate`: per field, precision and recall over the set of
values (a scalar is one value, ``None`` is none, a boolean is always a value), and an
overall micro-average with counts summed before dividing. Gold lines are JSON objects
with ``html`` (read through ``documents.content.parse_page``, as a crawl would) or
``text`` (a PDF's text or a plain copy) and a flat ``gold`` object with :data:`FIELDS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .cases import extract_case
from .evaluate import prf, read_jsonl

FIELDS = (
    "case_number", "case_type", "office", "party_name", "party_uscc", "party_address",
    "declaration_date", "trade_mode", "declaration_number", "goods_name", "hs_code",
    "actual_hs_code", "control_code", "goods_value", "controlled_value", "legal_basis",
    "circumstances", "leniency", "fine", "confiscation", "category", "material",
    "export_control", "decision_date",
)
LISTS = ("legal_basis", "circumstances")
AMOUNTS = ("goods_value", "controlled_value", "fine")
BOOLEANS = ("confiscation", "export_control")


def flat(case: dict[str, Any]) -> dict[str, Any]:
    """A case dict in the gold file's flat shape."""
    party, decl, goods = case["party"], case["declaration"], case["goods"]
    circ = case["circumstances"]
    return {
        "case_number": case["case_number"], "case_type": case["case_type"], "office": case["office"],
        "party_name": party["name"], "party_uscc": party["uscc"], "party_address": party["address"],
        "declaration_date": decl["date"], "trade_mode": decl["trade_mode"],
        "declaration_number": decl["number"], "goods_name": goods["name"], "hs_code": goods["hs_code"],
        "actual_hs_code": goods["actual_hs_code"], "control_code": goods["control_code"],
        "goods_value": case["values"]["goods_value"],
        "controlled_value": case["values"]["controlled_value"],
        "legal_basis": case["legal_basis"], "circumstances": circ["mitigating"] + circ["aggravating"],
        "leniency": case["leniency"], "fine": case["penalty"]["fine"],
        "confiscation": case["penalty"]["confiscation"], "category": case["category"],
        "material": case["material"], "export_control": case["export_control"],
        "decision_date": case["decision_date"],
    }


def values(field: str, value: Any) -> set[str]:
    if field in BOOLEANS:
        return {str(bool(value)).lower()}
    if value is None or value == "":
        return set()
    if field in LISTS:
        return {str(v) for v in value}
    if field in AMOUNTS:
        return {f"{float(value):.2f}"}
    return {str(value)}


def compare(gold: dict[str, Any], pred: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for field in FIELDS:
        if field not in gold:
            continue
        g, p = values(field, gold[field]), values(field, pred.get(field))
        out[field] = {"tp": len(g & p), "fp": len(p - g), "fn": len(g - p),
                      "missing": sorted(g - p), "extra": sorted(p - g)}
    return out


def document_text(doc: dict[str, Any]) -> str:
    if doc.get("html"):
        from documents.content import parse_page

        return parse_page(doc["html"], doc.get("url"))["text"]
    return doc.get("text") or ""


def score(path: str | Path, details: bool = False) -> dict[str, Any]:
    """Per-field and overall P/R/F1 of the case extractor on a gold file."""
    totals = {f: [0, 0, 0] for f in FIELDS}
    docs = []
    for _, doc in read_jsonl(path):
        result = compare(doc["gold"], flat(extract_case(document_text(doc))))
        for field, c in result.items():
            for i, key in enumerate(("tp", "fp", "fn")):
                totals[field][i] += c[key]
        wrong = {f: c for f, c in result.items() if c["fp"] or c["fn"]}
        docs.append({"id": doc.get("id"), "errors": wrong})
    fields = {f: prf(*totals[f]) for f in FIELDS}
    out: dict[str, Any] = {"documents": len(docs), "fields": fields,
                           "overall": prf(*(sum(t[i] for t in totals.values()) for i in range(3)))}
    if details:
        out["documents_detail"] = [d for d in docs if d["errors"]]
    return out


def table(result: dict[str, Any]) -> str:
    """The scores as a plain-text table, one field per line."""
    lines = [f"{'field':<20} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for field, s in [*result["fields"].items(), ("overall", result["overall"])]:
        lines.append(f"{field:<20} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
                     f"{s['tp']:>4} {s['fp']:>4} {s['fn']:>4}")
    return "\n".join(lines)
