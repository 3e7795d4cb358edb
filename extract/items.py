"""The item model: what one announcement controls, item by item and clause by clause.

One model for the whole project, built from an extraction result and versioned with the
extractor's rules (:func:`model_version` hashes this module and the data it reads). The
catalogue and the timeline store these rows and query them; they do not re-derive
materials, clauses or measures with rules of their own.

A row is an *item* (a line of a control table the extractor read, with its control code,
HS codes and materials) or a *provision* (a numbered clause, or one part of it, that
says something of its own: 2024 No. 46 二 "in principle no licence for gallium … to the
US; stricter review for graphite" is two parts with two measures). Each row has:

- ``measure``: how strict it is (``data/measures.jsonl``, strictest first: prohibited,
  denied, case_by_case, strict_review, state_trading, licence); None for a clause that
  controls nothing (a definition, a date);
- ``scope``: destinations, end uses, end users and value thresholds (from the
  extractor's conditions, a clause's own first, else its clause's, else the title's);
- ``destination_wide``: a clause that covers *every* dual-use item to a destination
  (No. 46 一, 2026 No. 1), so it applies whatever the goods;
- materials as the extractor recognises them (its own vocabulary component, so 钕铁硼
  is not iron and 银行 is not silver); material groups (rare earths and their members)
  are data in ``data/groups.jsonl``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from core import han

from .clauses import clause_covers, clause_parts, clause_text
from .lexicon import DATA_DIR, read_data

MODEL_FILES = ("measures.jsonl", "groups.jsonl", "glossary.jsonl", "materials.jsonl")
DUAL_USE = ("两用物项", "dual-use item")
TOP_LINE = re.compile(r"^\s*(?:第)?(?P<n>[一二三四五六七八九十]{1,3})(?:、|条)")
SUB_LINE = re.compile(r"^\s*[（(](?P<n>[一二三四五六七八九十]{1,3})[）)]")
SEGMENT_END = re.compile(r"[；;。]")


# -- vocabulary -----------------------------------------------------------------------------

@cache
def model_version() -> str:
    """``items-1+<hash>``: changes whenever this module or the data it reads changes."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(__file__).with_name("clauses.py").read_bytes())
    for name in MODEL_FILES:
        path = DATA_DIR / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return "items-1+" + digest.hexdigest()[:12]


@cache
def _finder() -> Any:
    """The extractor's own material component, used to read a clause's materials."""
    from .components.materials import Materials

    component = Materials(None, "regwatch_materials")  # type: ignore[arg-type]
    component.set_patterns(read_data("materials.jsonl"))
    return component


@cache
def groups() -> dict[str, dict[str, Any]]:
    """Group name → ``{"members": [...], "parent": str | None, "zh": [...], "en": [...]}``."""
    return {row["group"]: {"members": list(row.get("members") or []),
                           "parent": row.get("parent"), "zh": row.get("zh") or [],
                           "en": row.get("en") or []}
            for row in read_data("groups.jsonl") if row.get("group")}


def members(group: str) -> list[str]:
    """The materials a group covers (a group that is itself a material covers itself)."""
    return list(groups().get(group, {}).get("members") or [])


def groups_of(material: str) -> list[str]:
    """Groups a material belongs to, widest last (dysprosium → medium…, rare earths)."""
    found = [name for name, g in groups().items() if material in g["members"] and name != material]
    return sorted(found, key=lambda name: (len(members(name)), name))


def subgroups(group: str) -> list[str]:
    """Groups whose members all belong to ``group`` (heavy rare earths ⊂ rare earths)."""
    own = set(members(group))
    return [name for name, g in groups().items()
            if name != group and g["members"] and set(g["members"]) <= own]


@cache
def lexicon() -> dict[str, str]:
    """Every name (Chinese, English, aliases; lower-case) → material or group name."""
    names: dict[str, str] = {}
    for row in read_data("materials.jsonl"):
        material = row.get("material")
        if not material or row.get("kind") not in ("element", "material", "group", "alias"):
            continue
        names.setdefault(material.lower(), material)
        for name in (*row.get("zh", []), *row.get("en", [])):
            names.setdefault(name.lower(), material)
    for name, group in groups().items():
        names[name.lower()] = name
        for alias in (*group["zh"], *group["en"]):
            names[alias.lower()] = name
    return names


def material_of(name: str) -> str | None:
    """``镓`` / ``Gallium`` / ``rare earth`` → ``gallium`` / ``rare earths``; None if unknown."""
    key = " ".join(name.lower().split())
    table = lexicon()
    if key in table:
        return table[key]
    if key.endswith("s") and key[:-1] in table:
        return table[key[:-1]]
    return None


@cache
def glossary() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(English terms, Chinese terms) for goods words: anode ↔ 负极, battery ↔ 电池."""
    return [(tuple(t.lower() for t in row.get("en") or []), tuple(row.get("zh") or []))
            for row in read_data("glossary.jsonl")]


def text_concepts(query: str) -> list[tuple[str, ...]]:
    """A free-text query as concepts, each a tuple of alternatives to find in an item's text.

    Chinese runs are kept whole (负极, 钕铁硼); English words are looked up longest
    phrase first in the glossary and the material vocabulary (graphite → 石墨), so
    "graphite anode" needs 石墨/graphite and 负极/anode in the same item.
    """
    concepts: list[tuple[str, ...]] = []
    words = re.findall(han.CHAR + r"+|[A-Za-z0-9][A-Za-z0-9.\-]*", query)
    i = 0
    while i < len(words):
        word = words[i]
        if han.HAN.match(word):
            concepts.append((word,))
            i += 1
            continue
        for size in (3, 2, 1):
            phrase = " ".join(w.lower() for w in words[i:i + size])
            alternatives = _alternatives(phrase) if len(words[i:i + size]) == size else None
            if alternatives:
                concepts.append(alternatives)
                i += size
                break
        else:
            if word.lower() not in STOP_WORDS:
                concepts.append((word.lower(),))
            i += 1
    return concepts


STOP_WORDS = {"the", "of", "and", "or", "for", "a", "an", "to", "in", "with", "related",
              "items", "item", "goods", "products", "product"}


def _alternatives(phrase: str) -> tuple[str, ...] | None:
    for english, chinese in glossary():
        if phrase in english:
            return (phrase, *chinese)
    material = material_of(phrase)
    if material:
        named = {material, *members(material)}  # a group is found by its members' names too
        zh = [name for name, value in lexicon().items()
              if value in named and han.HAN.match(name)]
        return (phrase, material, *zh)
    return None


# -- measures -------------------------------------------------------------------------------

@cache
def _measures() -> list[tuple[str, int, str, list[re.Pattern[str]]]]:
    rows = []
    for row in read_data("measures.jsonl"):
        patterns = [re.compile(p) for p in (*row.get("zh", []), *row.get("en", []))]
        rows.append((row["measure"], int(row["rank"]), row.get("label") or row["measure"],
                     patterns))
    return sorted(rows, key=lambda r: -r[1])


def measure_rank() -> dict[str, int]:
    return {name: rank for name, rank, _, _ in _measures()}


def measure_label(measure: str | None) -> str:
    return next((label for name, _, label, _ in _measures() if name == measure), measure or "")


def measure_of(text: str | None) -> str | None:
    """The strictest measure a text words, or None when it words none.

    "未经许可，不得出口" is the ordinary licence requirement, so a bare 不得 is not a
    prohibition.
    """
    if not text:
        return None
    for name, _, _, patterns in _measures():
        if any(p.search(text) for p in patterns):
            return name
    return None


# -- clauses --------------------------------------------------------------------------------

def provisions_of(text: str | None) -> list[dict[str, Any]]:
    """Numbered clauses of a text (一、… and （一）… under it) with their lines' offsets.

    An unnumbered line continues the clause above it (2025 No. 57's 镱 sentence after the
    table belongs to 一).
    """
    found: list[dict[str, Any]] = []
    top: str | None = None
    offset = 0
    for line in (text or "").split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        head = TOP_LINE.match(line)
        sub = SUB_LINE.match(line)
        if head:
            top = head["n"]
            found.append({"label": top, "lines": [(start, end)], "numbered": True})
        elif sub and top:
            found.append({"label": f"{top}({sub['n']})", "lines": [(start, end)],
                          "numbered": True})
        elif found and line.strip():
            found[-1]["lines"].append((start, end))
    return found


def _segments(text: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence-like parts of a clause (split at 。 and ；), as offsets."""
    out: list[tuple[int, int]] = []
    for start, end in lines:
        cut = start
        for match in SEGMENT_END.finditer(text, start, end):
            if text[cut:match.end()].strip():
                out.append((cut, match.end()))
            cut = match.end()
        if text[cut:end].strip():
            out.append((cut, end))
    return out


def _label(value: Any) -> str | None:
    if value is None or value == "":
        return None
    parts = clause_parts(str(value))
    return clause_text(parts) if parts else None


# -- the model ------------------------------------------------------------------------------

def catalogue(number: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one extraction: items first, then provisions (or parts of them)."""
    text = result.get("text") or ""
    reported = {m.lower() for m in result.get("materials") or []}
    conditions = [c for c in result.get("conditions") or [] if isinstance(c, dict)]
    title_scope = _scope([c for c in conditions if c.get("provision") in (None, "")
                          and c.get("kind") == "destination"])
    clauses = provisions_of(text)
    dated = {(_label(p.get("label"))): p for p in result.get("provisions") or []
             if isinstance(p, dict) and _label(p.get("label"))}
    by_label: dict[str, dict[str, Any]] = {}
    for clause in clauses:
        label = _label(clause["label"])
        if label and label not in by_label:
            own = " ".join(text[s:e] for s, e in clause["lines"][:1])
            by_label[label] = {**clause, "label": label, "head": own,
                               "effective_date": (dated.get(label) or {}).get("effective_date")}
    for label, provision in dated.items():
        by_label.setdefault(label, {"label": label, "lines": [], "head": provision.get("text"),
                                    "effective_date": provision.get("effective_date")})

    def up(label: str | None) -> list[dict[str, Any]]:
        """The clause and its parents, nearest first."""
        parts = clause_parts(label)
        chain = []
        while parts:
            found = by_label.get(clause_text(parts) or "")
            if found:
                chain.append(found)
            parts = parts[:-1]
        return chain

    def clause_measure(label: str | None) -> str | None:
        return next((m for c in up(label) if (m := measure_of(c["head"]))), None)

    def clause_date(label: str | None) -> str | None:
        return next((c["effective_date"] for c in up(label) if c.get("effective_date")), None)

    def clause_conditions(label: str | None) -> list[dict[str, Any]]:
        return [c for c in conditions if c.get("provision") not in (None, "")
                and clause_covers(_label(c["provision"]), label)]

    rows: list[dict[str, Any]] = []
    seen: Counter[tuple[str | None, str | None]] = Counter()
    item_starts: list[int] = []
    for ordinal, item in enumerate(result.get("items") or []):
        provision = _label(item.get("provision"))
        code = item.get("control_code") or None
        rank = seen[(provision, code)]
        seen[(provision, code)] += 1
        if item.get("source", "text") == "text" and item.get("span"):
            item_starts.append(int(item["span"][0]))
        own = clause_conditions(provision)
        rows.append(_row(
            key=f"{number}/{provision or '-'}/{code or '-'}/{rank}", kind="item",
            ordinal=ordinal, control_code=code, text=item.get("text") or "",
            text_en=item.get("text_en"), materials=item.get("materials") or [],
            hs_codes=_codes(item.get("hs_codes")), provision=provision,
            effective_date=item.get("effective_date") or clause_date(provision),
            conditions=own, scope=_scope(own, title_scope),
            measure=measure_of(item.get("text")) or clause_measure(provision) or "licence",
            source=item.get("source"), span=item.get("span")))
    covered: dict[str, set[str]] = {}
    for row in rows:
        if row["provision"]:
            covered.setdefault(row["provision"], set()).update(row["materials"])
    ordered = sorted(by_label.values(), key=lambda c: (clause_parts(c["label"]), c["label"]))
    for clause in ordered:
        label = clause["label"]
        parts = clause_parts(label)
        has_subs = any(len(clause_parts(o)) > len(parts) and clause_parts(o)[:len(parts)] == parts
                       for o in by_label)
        item_materials = {m for have, mats in covered.items() if clause_covers(label, have)
                          for m in mats}
        has_items = any(clause_covers(label, have) for have in covered)
        lines = [(s, e) for s, e in clause["lines"]
                 if not any(s <= start < e for start in item_starts)]
        if clause["lines"]:
            pieces = _parts(text, lines, reported, conditions, clause_measure(label))
        else:  # a clause the extractor listed with its own text, not found in the text
            own = str(clause.get("head") or "")
            pieces = _parts(own, [(0, len(own))], reported, [], clause_measure(label))
        if has_items or has_subs:
            # items (or sub-clauses) stand for the clause; keep only what they do not name
            pieces = [p for p in pieces if p["materials"] and not set(p["materials"]) <= item_materials]
            if not pieces:
                continue
            suffix = ["+"] if len(pieces) == 1 else [f"+{n}" for n in range(1, len(pieces) + 1)]
        else:
            if not pieces:
                pieces = [_piece(clause.get("head") or "", [], None, [])]
            pieces = _merge(pieces)
            suffix = [""] if len(pieces) == 1 else [str(n) for n in range(1, len(pieces) + 1)]
        provision_conditions = clause_conditions(label)
        for piece, tail in zip(pieces, suffix, strict=True):
            scope = _scope(piece["conditions"], _scope(provision_conditions, title_scope))
            wide = (not piece["materials"] and not has_items and piece["measure"] is not None
                    and bool(scope["destinations"])
                    and any(cue in piece["text"] or cue in (result.get("title") or "")
                            for cue in DUAL_USE))
            rows.append(_row(
                key=f"{number}/§{label}" + (f"/{tail}" if tail else ""), kind="provision",
                ordinal=len(rows), control_code=None, text=piece["text"],
                text_en=None, materials=piece["materials"], hs_codes=[], provision=label,
                effective_date=clause_date(label),
                conditions=piece["conditions"] or provision_conditions, scope=scope,
                measure=piece["measure"], source="provision",
                span=[piece["start"], piece["end"]] if piece["end"] else None,
                destination_wide=wide))
    return rows


def _parts(text: str, lines: list[tuple[int, int]], reported: set[str],
           conditions: list[dict[str, Any]], inherited: str | None) -> list[dict[str, Any]]:
    """A clause's segments with their own materials, measure and conditions."""
    out = []
    finder = _finder()
    for start, end in _segments(text, lines):
        piece_text = text[start:end]
        materials: list[str] = []
        for mention in finder.find(piece_text):
            if not mention["strong"]:
                continue
            for material in mention["materials"]:
                if (material in reported or material in groups()) and material not in materials:
                    materials.append(material)
        own = [c for c in conditions if c.get("span") and start <= int(c["span"][0]) < end]
        cue = measure_of(piece_text)
        out.append(_piece(piece_text.strip(), materials, cue or inherited, own, start, end, cue))
    return out


def _piece(text: str, materials: list[str], measure: str | None,
           conditions: list[dict[str, Any]], start: int = 0, end: int = 0,
           cue: str | None = None) -> dict[str, Any]:
    return {"text": text, "materials": materials, "measure": measure, "cue": cue,
            "conditions": conditions, "start": start, "end": end}


def _merge(pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One part per measure the clause words for named materials; the rest joins the part
    before it (or the first)."""
    parts: list[dict[str, Any]] = []
    for piece in pieces:
        starts_part = bool(piece["materials"]) and (
            not parts or (parts[-1]["materials"] and piece["measure"] != parts[-1]["measure"]))
        if starts_part or not parts:
            parts.append(dict(piece, conditions=list(piece["conditions"])))
            continue
        last = parts[-1]
        if not (piece["materials"] or piece["cue"] or piece["conditions"]):
            continue  # a date line or the signature: nothing to add to the part
        last["text"] = (last["text"] + piece["text"]).strip()
        last["end"] = piece["end"] or last["end"]
        last["conditions"] += piece["conditions"]
        for material in piece["materials"]:
            if material not in last["materials"]:
                last["materials"].append(material)
        rank = measure_rank()  # only a measure the joining sentence words itself counts
        if rank.get(piece["cue"] or "", -1) > rank.get(last["measure"] or "", -1):
            last["measure"] = piece["cue"]
    return parts


def _scope(conditions: list[dict[str, Any]], fallback: dict[str, list] | None = None
           ) -> dict[str, list]:
    """Destinations, end uses, end users and value thresholds, each falling back."""
    def values(kind: str) -> list[str]:
        return sorted({str(c.get("value")) for c in conditions
                       if c.get("kind") == kind and c.get("value")})
    scope = {"destinations": [v.upper() for v in values("destination")],
             "end_uses": values("end_use"), "end_users": values("end_user"),
             "value_thresholds": values("value_threshold")}
    if fallback:  # what a part does not say, its clause (or the title) does
        for key in scope:
            if not scope[key]:
                scope[key] = list(fallback.get(key) or [])
    return scope


def _codes(values: Any) -> list[str]:
    out: list[str] = []
    for value in values or []:
        if isinstance(value, dict):
            value = value.get("code") or value.get("value")
        if value and str(value) not in out:
            out.append(str(value))
    return out


def _row(**fields: Any) -> dict[str, Any]:
    fields.setdefault("destination_wide", False)
    fields["materials"] = [m.lower() for m in fields.get("materials") or []]
    fields["clause"] = clause_text(clause_parts(fields.get("provision"))[:1])
    fields["conditions"] = [{k: c.get(k) for k in ("kind", "value", "text", "provision")}
                            for c in fields.get("conditions") or []]
    return fields
