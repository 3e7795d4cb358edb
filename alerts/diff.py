"""What changed between two extractions of one announcement, field by field.

Plain functions over extraction dicts (the extraction contract), so they are tested
without a crawl. Lists are compared as sets; items are compared on what a reader
cares about (code, text, HS codes, materials, effective date), not on their character
offsets, which move whenever anything above them is edited.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

# Field -> how it is compared. Order is the order changes are reported in.
LIST_FIELDS = ("effective_dates", "control_codes", "hs_codes", "materials", "issuers")
SCALAR_FIELDS = ("number", "issue_date", "title")
ITEM_KEYS = ("control_code", "text", "hs_codes", "materials", "effective_date", "provision")
REFERENCE_KEYS = ("target", "relation", "from", "until", "clause")
CONDITION_KEYS = ("kind", "value")
MAX_TEXT_DIFF_LINES = 12


def as_date(value: Any) -> str | None:
    """A date from the contract: ``"2025-12-01"`` or ``{"date": "2025-12-01", ...}``."""
    if isinstance(value, dict):
        value = value.get("date") or value.get("value")
    if isinstance(value, str) and len(value) >= 10:
        return value[:10]
    return None


def dates(extraction: dict[str, Any]) -> list[str]:
    """Every effective date of an extraction, item dates included, sorted."""
    found = {as_date(v) for v in extraction.get("effective_dates") or []}
    found |= {as_date(item.get("effective_date")) for item in items(extraction)}
    return sorted(d for d in found if d)


def strings(values: Any) -> list[str]:
    out = []
    for value in values or []:
        if isinstance(value, dict):
            value = value.get("code") or value.get("value") or value.get("date")
        if value not in (None, ""):
            out.append(str(value))
    return sorted(set(out))


def items(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in extraction.get("items") or [] if isinstance(i, dict)]


def compact_item(item: dict[str, Any]) -> dict[str, Any]:
    """An item as reported and compared: no offsets, lists sorted."""
    out: dict[str, Any] = {}
    for key in ITEM_KEYS:
        value = item.get(key)
        if key == "effective_date":
            value = as_date(value)
        elif isinstance(value, list):
            value = strings(value)
        if value not in (None, "", []):
            out[key] = value
    return out


def _key(value: dict[str, Any], keys: tuple[str, ...]) -> str:
    return json.dumps({k: value.get(k) for k in keys if value.get(k) not in (None, "", [])},
                      ensure_ascii=False, sort_keys=True)


def _set_change(before: list, after: list, key=lambda v: json.dumps(v, ensure_ascii=False,
                                                                         sort_keys=True)):
    b = {key(v): v for v in before}
    a = {key(v): v for v in after}
    added = [a[k] for k in a if k not in b]
    removed = [b[k] for k in b if k not in a]
    return added, removed


def extraction_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"before", "after", "added", "removed"}}`` for every field that differs."""
    changes: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        old, new = before.get(name), after.get(name)
        if old != new and (old or new):
            changes[name] = {"before": old, "after": new}
    old_dates, new_dates = dates(before), dates(after)
    for name in LIST_FIELDS:
        old = old_dates if name == "effective_dates" else strings(before.get(name))
        new = new_dates if name == "effective_dates" else strings(after.get(name))
        if old != new:
            changes[name] = {"before": old, "after": new,
                             "added": [v for v in new if v not in old],
                             "removed": [v for v in old if v not in new]}
    for name, keys, getter in (
        ("items", ITEM_KEYS, lambda e: [compact_item(i) for i in items(e)]),
        ("references", REFERENCE_KEYS,
         lambda e: [{k: r.get(k) for k in REFERENCE_KEYS if r.get(k)} for r in
                    e.get("references") or [] if isinstance(r, dict)]),
        ("conditions", CONDITION_KEYS,
         lambda e: [{k: c.get(k) for k in ("kind", "value", "text") if c.get(k)} for c in
                    e.get("conditions") or [] if isinstance(c, dict)]),
    ):
        added, removed = _set_change(getter(before), getter(after), key=lambda v, k=keys: _key(v, k))
        if added or removed:
            changes[name] = {"added": added, "removed": removed}
    return changes


def text_diff(before: str, after: str, limit: int = MAX_TEXT_DIFF_LINES) -> list[str]:
    """The added (+) and removed (-) lines between two page texts, at most ``limit``."""
    lines = []
    for line in difflib.unified_diff((before or "").splitlines(), (after or "").splitlines(),
                                     lineterm="", n=0):
        if line.startswith(("+++", "---", "@@")):
            continue
        if line.strip("+- \u3000"):
            lines.append(line[:300])
    if len(lines) > limit:
        lines = lines[:limit] + [f"… ({len(lines) - limit} more lines)"]
    return lines
