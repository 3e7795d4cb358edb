"""Score extraction against gold annotations, exactly as ``shared/eval/FORMAT.md`` says.

Per field: precision, recall and F1 over the set of values (a scalar field is one
value, ``null`` is no value); a field missing from a gold object is not scored for
that document. The overall figure is the micro-average over all fields (counts
summed before dividing). References compare on ``(target, relation)``.

Gold objects may also carry ``kind`` (announcement / statement / news / other), which
FORMAT.md's scorer does not know: it is scored apart, as accuracy, and the field
figures are also given per gold kind, so that a set of reports is not hidden by a set
of announcements.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import Errors, ExtractError, Warnings, warn

FIELDS = ("number", "issuers", "issue_date", "effective_dates", "control_codes", "hs_codes",
          "materials", "references")
SCALARS = ("number", "issue_date")
KINDS = ("announcement", "statement", "news", "other")


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-empty line; bad lines are warned about (bytes
    that are not UTF-8 make their line a bad one, not the file a crash)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for i, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                warn(Warnings.W007.format(line=i))
                continue
            if isinstance(obj, dict):
                yield i, obj
            else:
                warn(Warnings.W007.format(line=i))


def values(field: str, value: Any) -> set[Any]:
    """The set of comparable values of one field, in canonical form."""
    if value is None:
        return set()
    if field in SCALARS:
        return {str(value).strip()} if str(value).strip() else set()
    out: set[Any] = set()
    for item in value or []:
        if field == "references":
            if isinstance(item, dict) and item.get("target"):
                out.add((str(item["target"]).strip(), str(item.get("relation") or "cites").strip()))
        elif field == "hs_codes":
            digits = re.sub(r"[^0-9]", "", str(item))
            if digits:
                out.add(digits)
        elif item is not None and str(item).strip():
            out.add(str(item).strip())
    return out


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Precision, recall and F1; nothing to find and nothing found scores 1.0."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def compare(gold: dict[str, Any], pred: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-field tp/fp/fn and the differing values for one document."""
    out: dict[str, dict[str, Any]] = {}
    for field in FIELDS:
        if field not in gold:
            continue
        g, p = values(field, gold[field]), values(field, pred.get(field))
        out[field] = {"tp": len(g & p), "fp": len(p - g), "fn": len(g - p),
                      "missing": sorted(map(str, g - p)), "extra": sorted(map(str, p - g))}
    return out


def aggregate(per_doc: Iterable[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Micro-averaged per-field and overall scores."""
    totals = {f: [0, 0, 0] for f in FIELDS}
    seen: set[str] = set()
    n = 0
    for doc in per_doc:
        n += 1
        for field, c in doc.items():
            seen.add(field)
            totals[field][0] += c["tp"]
            totals[field][1] += c["fp"]
            totals[field][2] += c["fn"]
    fields = {f: prf(*totals[f]) for f in FIELDS if f in seen}
    overall = prf(*(sum(totals[f][i] for f in fields) for i in range(3)))
    return {"documents": n, "fields": fields, "overall": overall}


def predict(doc: dict[str, Any], extractor: Any) -> dict[str, Any]:
    """Run the extractor on one gold line (HTML through parse_page, as for a crawl)."""
    if "html" not in doc and "text" not in doc:
        raise ExtractError(Errors.E006.format(id=doc.get("id")))
    result = extractor.extract(html=doc.get("html"), text=doc.get("text"), url=doc.get("url"),
                               source=doc.get("source"), lang=doc.get("lang"),
                               attachments=doc.get("attachments"))
    return extractor.prediction(result)


def score(gold_path: str | Path, predictions_path: str | Path | None = None, *,
          extractor: Any = None, write_predictions: str | Path | None = None,
          details: bool = False) -> dict[str, Any]:
    """Score a gold file.

    :param gold_path: JSONL in the FORMAT.md shape
    :param predictions_path: score these ``{"id", "pred"}`` lines instead of running
        the extractor (any author's predictions)
    :param extractor: the extractor to run (default: :func:`load_extractor`)
    :param write_predictions: also write what the extractor produced, one line per doc
    :param details: add per-document differences under ``"documents_detail"``
    :raises ExtractError: when the gold file holds no document with a gold object
    """
    given: dict[str, dict[str, Any]] | None = None
    if predictions_path:
        given = {str(o.get("id")): o.get("pred") or {} for _, o in read_jsonl(predictions_path)}
    elif extractor is None:
        from .pipeline import load_extractor

        extractor = load_extractor()
    per_doc = []
    detail = []
    by_kind: dict[str, list[dict[str, dict[str, Any]]]] = {}
    kinds_seen = kinds_right = 0
    confusion: dict[str, dict[str, int]] = {}
    out = open(write_predictions, "w", encoding="utf-8") if write_predictions else None
    try:
        for _, doc in read_jsonl(gold_path):
            gold = doc.get("gold")
            if not isinstance(gold, dict):
                continue
            doc_id = str(doc.get("id"))
            pred = given.get(doc_id, {}) if given is not None else predict(doc, extractor)
            if out:
                out.write(json.dumps({"id": doc.get("id"), "pred": pred}, ensure_ascii=False,
                                     sort_keys=True) + "\n")
            cmp = compare(gold, pred)
            per_doc.append(cmp)
            gold_kind = gold.get("kind")
            if gold_kind:
                kinds_seen += 1
                kinds_right += pred.get("kind") == gold_kind
                row = confusion.setdefault(gold_kind, {})
                row[str(pred.get("kind"))] = row.get(str(pred.get("kind")), 0) + 1
                by_kind.setdefault(gold_kind, []).append(cmp)
            if details:
                diffs = {f: {"missing": c["missing"], "extra": c["extra"]} for f, c in cmp.items()
                         if c["missing"] or c["extra"]}
                if gold_kind and pred.get("kind") != gold_kind:
                    diffs["kind"] = {"missing": [gold_kind], "extra": [str(pred.get("kind"))]}
                if diffs:
                    detail.append({"id": doc_id, "diff": diffs})
    finally:
        if out:
            out.close()
    if not per_doc:
        raise ExtractError(Errors.E005.format(path=gold_path))
    result = aggregate(per_doc)
    if kinds_seen:
        result["kind"] = {"accuracy": kinds_right / kinds_seen, "documents": kinds_seen,
                          "confusion": confusion}
        result["by_kind"] = {k: aggregate(by_kind[k]) for k in KINDS if k in by_kind}
    if details:
        result["documents_detail"] = detail
    return result


def format_table(scores: dict[str, Any]) -> str:
    """The text table printed by ``regwatch eval``; the last line is ``overall F1 0.xxx``."""
    lines = [f"{'field':<16}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]
    for field, s in scores["fields"].items():
        lines.append(f"{field:<16}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                     f"{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}")
    o = scores["overall"]
    lines.append(f"{'(micro)':<16}{o['precision']:>7.3f}{o['recall']:>7.3f}{o['f1']:>7.3f}"
                 f"{o['tp']:>6}{o['fp']:>6}{o['fn']:>6}")
    lines.append(f"documents {scores['documents']}")
    if "kind" in scores:
        k = scores["kind"]
        lines.append(f"kind accuracy {k['accuracy']:.3f} ({k['documents']} documents)")
        for kind, sub in scores["by_kind"].items():
            so = sub["overall"]
            low = min(sub["fields"].items(), key=lambda kv: kv[1]["f1"])
            lines.append(f"  {kind:<13} {sub['documents']:>3} docs  P {so['precision']:.3f}"
                         f"  R {so['recall']:.3f}  F1 {so['f1']:.3f}"
                         f"  (lowest {low[0]} {low[1]['f1']:.3f})")
    lines.append(f"overall F1 {o['f1']:.3f}")
    return "\n".join(lines)
