"""The item catalogue's storage side: rows come from the extractor's item model.

What an announcement controls — items, clause parts, their measure, scope and materials —
is decided once, by :mod:`extract.items` (versioned with the extractor). This module only
turns a model row into what the catalogue stores and indexes: lookup terms and the
destination column.
"""

from __future__ import annotations

from typing import Any

from extract import items as model


def catalogue_rows(number: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The extractor's item model for one extraction (see :func:`extract.items.catalogue`)."""
    return model.catalogue(number, result)


def material_lexicon() -> dict[str, str]:
    """Names → material or group, from the extractor's vocabulary (one vocabulary)."""
    return model.lexicon()


def measure_rank() -> dict[str, int]:
    return model.measure_rank()


def terms_of(row: dict[str, Any]) -> list[tuple[str, str]]:
    """Lookup terms of a catalogue row: (kind, lower-case term), kinds material|hs|control,
    and measure for the few rows stricter than a licence requirement."""
    controls = row.get("kind") != "provision" or row.get("measure") is not None
    # a clause that controls nothing (a definition, a date) is not found by its materials
    terms = {("material", m.lower()) for m in row.get("materials") or []} if controls else set()
    terms.update(("hs", code) for code in row.get("hs_codes") or [])
    if row.get("control_code"):
        terms.add(("control", row["control_code"].lower()))
    if row.get("measure") and row["measure"] != "licence":
        terms.add(("measure", row["measure"]))
    return sorted(terms)


def destinations(row: dict[str, Any]) -> str | None:
    """``,US,JP,`` for a row limited to those destinations; None when it applies to all."""
    scope = row.get("scope") or {}
    wanted = sorted({str(d).upper() for d in scope.get("destinations") or []})
    if not wanted and "scope" not in row:
        wanted = sorted({str(c.get("value") or "").upper() for c in row.get("conditions") or []
                         if c.get("kind") == "destination" and c.get("value")})
    return "," + ",".join(wanted) + "," if wanted else None
