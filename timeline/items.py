"""The item catalogue: controlled items (and provisions) of each announcement version.

An extraction result lists ``items`` and ``provisions``. Each becomes a catalogue row
keyed by the extraction it came from, so a new page version or a new extractor version
adds rows instead of changing old ones (``current`` marks the rows of the extraction the
timeline reads). Across versions an item keeps its *subject*: a stable key made of the
announcement number, provision label, control code and its rank among items sharing
those, so its timeline survives a page correction.

Provisions that carry no items of their own (e.g. clause 二 of MOFCOM 2024 No. 46, "in
principle no licence for gallium, germanium, … to the United States") are catalogued too,
with the materials named in their text, so a query for gallium finds them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from timeline.derive import clause_covers, clause_parts, clause_text, iso_or_none

MATERIALS_FILE = Path(__file__).resolve().parent.parent / "extract" / "data" / "materials.jsonl"
MATERIAL_KINDS = ("element", "material", "group", "alias")

# How strict a provision is, from its wording; strictest first. "未经许可，不得出口" is
# the ordinary licence requirement, so a bare 不得 is not a prohibition.
MEASURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("prohibited", re.compile(r"禁止|(?i:\bprohibit)")),
    ("denied", re.compile(r"不予许可|(?i:den(?:y|ied)\b)")),
    ("case_by_case", re.compile(r"逐案|(?i:case[- ]by[- ]case)")),
    ("strict_review", re.compile(r"严格[^。；;]{0,12}审查|(?i:stricter)")),
)
MEASURE_ANY = re.compile("|".join(f"(?:{p.pattern})" for _, p in MEASURES))
MEASURE_RANK = {"prohibited": 4, "denied": 3, "case_by_case": 2, "strict_review": 1, "licence": 0}


@lru_cache(maxsize=1)
def material_lexicon() -> dict[str, str]:
    """Names (Chinese, English, aliases; lower-case) → the material's vocabulary name.

    Read from the extractor's data file so both stages share one vocabulary; empty when
    the file is absent.
    """
    names: dict[str, str] = {}
    if not MATERIALS_FILE.exists():
        return names
    for line in MATERIALS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        material = row.get("material")
        if not material or row.get("kind") not in MATERIAL_KINDS:
            continue
        names.setdefault(material.lower(), material)
        for name in (*row.get("zh", []), *row.get("en", [])):
            names.setdefault(name.lower(), material)
    return names


@lru_cache(maxsize=1)
def _zh_material_pattern() -> re.Pattern[str] | None:
    zh = sorted((n for n in material_lexicon() if re.search(r"[\u4e00-\u9fff]", n)),
                key=lambda n: (-len(n), n))
    return re.compile("|".join(map(re.escape, zh))) if zh else None


def materials_in(text: str) -> list[str]:
    """Materials named in a Chinese text (a provision without items of its own)."""
    pattern = _zh_material_pattern()
    if not pattern or not text:
        return []
    lexicon = material_lexicon()
    found: list[str] = []
    for match in pattern.finditer(text):
        material = lexicon[match.group(0).lower()]
        if material not in found:
            found.append(material)
    return found


def measure_of(*texts: str | None) -> str:
    """The strictest measure worded in the first text that words one (item, then provision)."""
    for text in texts:
        if not text or not MEASURE_ANY.search(text):
            continue
        for name, pattern in MEASURES:
            if pattern.search(text):
                return name
    return "licence"


def _codes(values: Any) -> list[str]:
    out: list[str] = []
    for value in values or []:
        if isinstance(value, dict):
            value = value.get("code") or value.get("value")
        if value and str(value) not in out:
            out.append(str(value))
    return out


def _label(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value).replace("（", "(").replace("）", ")").strip() or None


def _conditions_for(conditions: list[dict[str, Any]], provision: str | None) -> list[dict]:
    """Conditions stated for the provision an item belongs to (or for a parent clause)."""
    out = []
    for condition in conditions:
        where = _label(condition.get("provision"))
        if where is None or (provision and clause_covers(where, provision)):
            out.append({k: condition.get(k) for k in ("kind", "value", "text", "provision")})
    return out


TOP_LINE = re.compile(r"^\s*(?:第)?(?P<n>[一二三四五六七八九十]{1,3})(?:、|条)")
SUB_LINE = re.compile(r"^\s*[（(](?P<n>[一二三四五六七八九十]{1,3})[）)]")


def text_provisions(text: str | None) -> list[dict[str, Any]]:
    """Numbered clauses read from the text's line starts (一、… and （一）… under it).

    The extractor lists a provision only when it has a date of its own; a clause
    suspension (第二款 of 2024 No. 46) needs every clause as a subject.
    """
    found: list[dict[str, Any]] = []
    top: str | None = None
    for line in (text or "").splitlines():
        head = TOP_LINE.match(line)
        if head:
            top = head["n"]
            found.append({"label": top, "effective_date": None, "text": line.strip()})
            continue
        sub = SUB_LINE.match(line)
        if sub and top:
            found.append({"label": f"{top}({sub['n']})", "effective_date": None,
                          "text": line.strip()})
    return found


def catalogue_rows(number: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalogue rows of one extraction: items first, then item-less provisions.

    Each row has ``key`` (stable across versions), ``kind`` (item|provision) and the
    item's fields; dates are ``YYYY-MM-DD`` or None.
    """
    provisions: dict[str, dict[str, Any]] = {}
    for provision in [*(result.get("provisions") or []), *text_provisions(result.get("text"))]:
        label = _label(provision.get("label"))
        if label and not any(clause_parts(label) == clause_parts(have) for have in provisions):
            provisions[label] = provision
    by_parts = {clause_parts(label): p for label, p in provisions.items() if clause_parts(label)}

    def provision_date(label: str | None) -> str | None:
        """The effective date of a provision or, failing that, of its nearest parent."""
        parts = clause_parts(label)
        while parts:
            found = iso_or_none((by_parts.get(parts) or {}).get("effective_date"))
            if found:
                return found
            parts = parts[:-1]
        return None
    conditions = [c for c in (result.get("conditions") or []) if isinstance(c, dict)]
    rows: list[dict[str, Any]] = []
    seen: Counter[tuple[str | None, str | None]] = Counter()
    for ordinal, item in enumerate(result.get("items") or []):
        provision = _label(item.get("provision"))
        code = item.get("control_code") or None
        rank = seen[(provision, code)]
        seen[(provision, code)] += 1
        parent = provisions.get(provision or "") or {}
        item_conditions = item.get("conditions")
        if item_conditions is None:
            item_conditions = _conditions_for(conditions, provision)
        rows.append({
            "key": f"{number}/{provision or '-'}/{code or '-'}/{rank}",
            "kind": "item", "ordinal": ordinal, "control_code": code,
            "text": item.get("text") or "", "text_en": item.get("text_en"),
            "materials": [m.lower() for m in item.get("materials") or []],
            "hs_codes": _codes(item.get("hs_codes")), "provision": provision,
            "clause": clause_text(clause_parts(provision)[:1]),
            "effective_date": iso_or_none(item.get("effective_date")) or provision_date(provision),
            "conditions": item_conditions,
            "measure": measure_of(item.get("text"), parent.get("text")),
            "source": item.get("source"), "span": item.get("span"),
        })
    covered = {row["provision"] for row in rows if row["provision"]}
    base = len(rows)
    ordered = sorted(provisions.items(), key=lambda kv: (clause_parts(kv[0]), kv[0]))
    for index, (label, provision) in enumerate(ordered):
        if any(clause_covers(label, have) for have in covered):
            continue  # its items stand for it
        parts = clause_parts(label)
        if any(len(other) > len(parts) and other[: len(parts)] == parts for other in by_parts):
            continue  # its sub-provisions stand for it
        text = provision.get("text") or ""
        rows.append({
            "key": f"{number}/§{label}", "kind": "provision", "ordinal": base + index,
            "control_code": None, "text": text, "text_en": provision.get("text_en"),
            "materials": materials_in(text), "hs_codes": [], "provision": label,
            "clause": clause_text(clause_parts(label)[:1]),
            "effective_date": provision_date(label),
            "conditions": _conditions_for(conditions, label),
            "measure": measure_of(text), "source": "provision", "span": provision.get("span"),
        })
    return rows


def terms_of(row: dict[str, Any]) -> list[tuple[str, str]]:
    """Lookup terms of a catalogue row: (kind, lower-case term), kinds material|hs|control,
    and measure for the few rows stricter than a licence requirement."""
    terms = {("material", m.lower()) for m in row.get("materials") or []}
    terms.update(("hs", code) for code in row.get("hs_codes") or [])
    if row.get("control_code"):
        terms.add(("control", row["control_code"].lower()))
    if row.get("measure") and row["measure"] != "licence":
        terms.add(("measure", row["measure"]))
    return sorted(terms)


def destinations(row: dict[str, Any]) -> str | None:
    """``,US,JP,`` for a row limited to those destinations; None when it applies to all."""
    wanted = sorted({str(c.get("value") or "").upper() for c in row.get("conditions") or []
                     if c.get("kind") == "destination" and c.get("value")})
    return "," + ",".join(wanted) + "," if wanted else None
