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
from extract import items as model
from extract import substances

HS_SEPARATORS = re.compile(r"[\s.\-·]+")
HS_LABEL = re.compile(r"^\s*(?:hs\s*code|hts|hs|cn|税号|商品编码|海关编码)\s*[:：#]?\s*", re.I)
FLOAT_TEXT = re.compile(r"^\d{7,10}\.0$")  # 8505111000.0: a number written by a script
SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE][+]?\d+$")  # 8.505111E+09
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
    written = HS_LABEL.sub("", unicodedata.normalize("NFKC", raw))
    as_float = bool(FLOAT_TEXT.match(written))
    number = isinstance(value, int | float) or as_float
    if as_float:  # a number a script wrote as a float: 8505111000.0
        written = written[:-2]
    digits = HS_SEPARATORS.sub("", written)
    if number and len(digits) in (7, 9):
        digits = "0" + digits
    if not digits.isdigit() or len(digits) not in (8, 10):
        hint = " (a leading zero lost by a spreadsheet?)" if digits.isdigit() and len(digits) in (7, 9) \
            else " (a spreadsheet's scientific notation has lost digits: format the column as text)" \
            if SCIENTIFIC.match(written) else ""
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


# what a spreadsheet writes for "no materials"
NO_MATERIALS = frozenset({"n/a", "na", "none", "nil", "-", "--", "—", "/", "无", "没有", "不适用"})


def materials(value: object) -> list[str]:
    """Material names (``samarium; cobalt``, ``钐、钴``) → canonical vocabulary names.

    :raises FieldError: ``unknown_material`` naming every term not in the vocabulary
    """
    return read_materials(value)[0]


def read_materials(value: object) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """:func:`materials`, and how each term not written as a vocabulary name was read
    (``("gallium arsenide wafer", ["gallium", "arsenic"])``), for the user to check.

    A cell saying there are none (``N/A``, ``-``, ``无``) has none. A term is a vocabulary
    name; else what ``extract.substances`` reads in it (a group, a formula, a name with
    words of form, Chinese text; never a material it says is absent).

    :raises FieldError: ``unknown_material`` naming every term not understood
    """
    found: list[str] = []
    loose: list[tuple[str, list[str]]] = []
    unknown: list[str] = []
    if _material_key(text(value)) in NO_MATERIALS:
        return [], []
    for term in MATERIAL_SEPARATORS.split(text(value)):
        if not term:
            continue
        means = material_names().get(_material_key(term))
        if means is not None:
            found.extend(means)
            continue
        read = substances.materials_of(term)
        if read:
            found.extend(read)
            loose.append((term, read))
        else:
            unknown.append(term)
    if unknown:
        names = ", ".join(repr(term) for term in unknown)
        raise FieldError("unknown_material", f"unknown material {names} (not in the catalogue's "
                         "vocabulary; write the materials it contains, e.g. 'gallium; arsenic')")
    return list(dict.fromkeys(found)), loose


def family(material: str) -> bool:
    """Whether a vocabulary name names a family of other materials (rare earths, platinum
    group metals), which decides no verdict by itself; superhard materials is its own
    one member, not a family of names."""
    members = model.members(material)
    return bool(members) and material not in members
