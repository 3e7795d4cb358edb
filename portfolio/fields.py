"""Reading one cell of a portfolio: HS code, materials, destination, plain text.

Each reader returns the clean value or raises ``FieldError`` with a problem kind and a
message a compliance officer can act on; ``portfolio.read`` adds line and column.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib.resources import files

from core import countries

HS_SEPARATORS = re.compile(r"[\s.\-·]+")
MATERIAL_SEPARATORS = re.compile(r"\s*[;；,，、/|+]\s*")


class FieldError(ValueError):
    """A cell that cannot be read; ``kind`` names the problem (``hs_format``, …)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


def text(value: object) -> str:
    """A cell as trimmed text, as written; numbers from a spreadsheet lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def hs_code(value: object) -> str:
    """An 8-digit tariff line or a 10-digit customs code, digits only.

    Dots, spaces and dashes between digits are dropped (``2805.30.19.10``). A spreadsheet
    number has lost its leading zero when it has 7 or 9 digits, and gets it back.

    :raises FieldError: ``empty_hs`` or ``hs_format``
    """
    raw = text(value)
    if not raw:
        raise FieldError("empty_hs", "HS code is empty")
    digits = HS_SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if isinstance(value, int | float) and len(digits) in (7, 9):
        digits = "0" + digits
    if not digits.isdigit() or len(digits) not in (8, 10):
        hint = " (a leading zero lost by a spreadsheet?)" if digits.isdigit() and len(digits) in (7, 9) else ""
        raise FieldError("hs_format", f"{raw!r} is not an 8- or 10-digit HS code{hint}")
    chapter = int(digits[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        raise FieldError("hs_format", f"{raw!r}: there is no HS chapter {digits[:2]}")
    return digits


def destination(value: object) -> str:
    """ISO alpha-2 of a destination written as a code, English or Chinese name.

    :raises FieldError: ``empty_destination`` or ``unknown_country``
    """
    raw = text(value)
    if not raw:
        raise FieldError("empty_destination", "destination is empty")
    code = countries.lookup(raw)
    if code is None:
        raise FieldError("unknown_country", f"unknown country {raw!r}")
    return code


@cache
def material_names() -> dict[str, tuple[str, ...]]:
    """Every name of a material in the extractor's vocabulary → the materials it means.

    The vocabulary is the one the catalogue's items are tagged with, so a material outside
    it could never match anything and is reported instead of kept.
    """
    names: dict[str, tuple[str, ...]] = {}
    data = files("extract").joinpath("data", "materials.jsonl").read_text(encoding="utf-8")
    for line in data.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        row = json.loads(line)
        if "material" in row:
            means: tuple[str, ...] = (row["material"],)
            terms = [row["material"], *row.get("zh", []), *row.get("en", [])]
        elif row.get("kind") == "compound" and row.get("materials"):
            means = tuple(row["materials"])
            terms = [*row.get("zh", []), *row.get("en", [])]
        else:
            continue
        for term in terms:
            names.setdefault(_material_key(term), means)
    return names


def _material_key(term: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", term).casefold().split())


def materials(value: object) -> list[str]:
    """Material names (``samarium; cobalt``, ``钐、钴``) → canonical vocabulary names.

    :raises FieldError: ``unknown_material`` naming every term not in the vocabulary
    """
    found: list[str] = []
    unknown: list[str] = []
    for term in MATERIAL_SEPARATORS.split(text(value)):
        if not term:
            continue
        means = material_names().get(_material_key(term))
        if means is None:
            unknown.append(term)
        else:
            found.extend(means)
    if unknown:
        names = ", ".join(repr(term) for term in unknown)
        raise FieldError("unknown_material", f"unknown material {names} (not in the catalogue's vocabulary)")
    return list(dict.fromkeys(found))
