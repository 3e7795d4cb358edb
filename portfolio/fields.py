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


# every element's symbol, to read a formula a spreadsheet writes for a material (GaAs,
# Sb2O3, Sm2Co17, NdFeB); the vocabulary's elements are found by their English names
SYMBOLS = dict(zip((
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge "
    "As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm "
    "Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U "
    "Np Pu").split(), (
    "hydrogen helium lithium beryllium boron carbon nitrogen oxygen fluorine neon sodium "
    "magnesium aluminium silicon phosphorus sulfur chlorine argon potassium calcium scandium "
    "titanium vanadium chromium manganese iron cobalt nickel copper zinc gallium germanium "
    "arsenic selenium bromine krypton rubidium strontium yttrium zirconium niobium molybdenum "
    "technetium ruthenium rhodium palladium silver cadmium indium tin antimony tellurium "
    "iodine xenon cesium barium lanthanum cerium praseodymium neodymium promethium samarium "
    "europium gadolinium terbium dysprosium holmium erbium thulium ytterbium lutetium hafnium "
    "tantalum tungsten rhenium osmium iridium platinum gold mercury thallium lead bismuth "
    "polonium astatine radon francium radium actinium thorium protactinium uranium neptunium "
    "plutonium").split(), strict=True))
FORMULA = re.compile(r"(?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?-?)+")
ELEMENT = re.compile(r"([A-Z][a-z]?)")
# the element an anion's name points to: gallium arsenide holds arsenic
ANIONS = {"arsenide": "arsenic", "antimonide": "antimony", "telluride": "tellurium",
          "selenide": "selenium"}
# words that say what form a material takes, not which: "gallium arsenide wafer",
# "silver paste", "artificial graphite anode material", "Dy-doped NdFeB magnet"
FORM_WORDS = frozenset("""
    a an and with of in the containing contains doped based alloy alloys metal metals powder
    powders paste pastes ingot ingots wafer wafers substrate substrates target targets foil
    foils wire wires rod rods bar bars sheet sheets plate plates scrap flake flakes spherical
    artificial synthetic natural high purity pure refined grade crystal crystals single
    polycrystalline monocrystalline lens lenses window windows fiber fibre fibers fibres ore
    ores concentrate concentrates salt salts compound compounds sintered bonded coated plated
    coating anode cathode material materials magnet magnets particles trace oxide oxides
    dioxide trioxide tetroxide pentoxide sesquioxide carbide carbides nitride nitrides sulfide
    sulphide chloride fluoride hydroxide carbonate nitrate sulfate sulphate phosphate
    """.split())
# what a spreadsheet writes for "no materials"
NO_MATERIALS = frozenset({"n/a", "na", "none", "nil", "-", "--", "—", "/", "无", "没有", "不适用"})
# a material the product does not contain is no material of it: "cobalt-free", "无铅"
NEGATION = re.compile(r"(?i)\bfree\b|\bwithout\b|\bnon-|\bno\s|无|不含|免")


def materials(value: object) -> list[str]:
    """Material names (``samarium; cobalt``, ``钐、钴``) → canonical vocabulary names.

    :raises FieldError: ``unknown_material`` naming every term not in the vocabulary
    """
    return read_materials(value)[0]


def read_materials(value: object) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """:func:`materials`, and how each term not written as a vocabulary name was read
    (``("gallium arsenide wafer", ["gallium", "arsenic"])``), for the user to check.

    A cell saying there are none (``N/A``, ``-``, ``无``) has none. A term is a vocabulary
    name or group; else a formula (``GaAs``, ``Sb2O3``, ``Nd-Fe-B``:
    its elements in the vocabulary); else words, each a name, a formula, an anion
    (arsenide: arsenic) or a word of form (wafer, paste, doped); else what the extractor's
    own material tagger finds in it (``砷化镓``). A term saying what the product does not
    contain (``cobalt-free``, ``无铅``) is not read.

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
        read = None if NEGATION.search(term) else _read_loosely(term)
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


def _read_loosely(term: str) -> list[str]:
    """The vocabulary materials of a term that is not a vocabulary name (see
    :func:`read_materials`), or none."""
    from extract.items import _finder, material_of

    group = material_of(term)
    if group is not None:
        return [group]
    words = [w for w in re.split(r"[\s\-]+", term.strip()) if w]
    read: list[str] = []
    for word in words:
        formula = _formula(word) if len(words) > 1 or "-" not in term else None
        means = material_names().get(_material_key(word))
        if means is not None:
            read.extend(means)
        elif formula is not None:
            read.extend(formula)
        elif word.casefold() in ANIONS:
            read.append(ANIONS[word.casefold()])
        elif word.casefold() not in FORM_WORDS:
            break
    else:
        if read:
            return list(dict.fromkeys(read))
    formula = _formula(term.replace("-", "").replace(" ", ""))
    if formula:
        return formula
    hits = _finder().find(term)
    return list(dict.fromkeys(m for hit in hits for m in hit["materials"]))


def _formula(word: str) -> list[str] | None:
    """The vocabulary elements of a chemical formula (``GaAs``, ``Sb2O3``, ``Sm2Co17``);
    None for a word that is not one. An all-capital word (PVC, ABS) is not read as one,
    nor is a single letter."""
    if not FORMULA.fullmatch(word) or not any(c.islower() or c.isdigit() for c in word):
        return None
    names = material_names()
    out = []
    for symbol in ELEMENT.findall(word):
        if symbol not in SYMBOLS:
            return None
        out.extend(names.get(SYMBOLS[symbol], ()))
    return list(dict.fromkeys(out))


# what makes an end use or an end user military, besides the phrases measures are
# written with (extract/data/conditions.jsonl): a portfolio writes "defence contractor",
# "missile guidance", "军用", not "military end use"
MILITARY_WORDS = re.compile(
    r"(?i)\b(?:military|militaries|defen[cs]e|army|armies|navy|naval|air force|armed forces|"
    r"missiles?|weapons?|weaponry|munitions?|ammunition|armaments?|warheads?|warships?|"
    r"soldiers?|troops?)\b|(?-i:\b(?:PLA|MoD|DoD|MOD|DOD)\b)|军用|军事|军队|军方|军工|国防|"
    r"武器|导弹|弹药|部队|兵器|解放军|战斗机")
# a military word that says the opposite: "non-military", "civil use only", "民用"
NOT_MILITARY = re.compile(r"(?i)\bnon[\s-]*(?:military|defen[cs]e)\b|\bnot\s+(?:for\s+)?"
                          r"(?:military|defen[cs]e)\b|\bno\s+military\b|非军|民用")


@cache
def _military_phrases() -> tuple[str, ...]:
    """The military end-use and end-user phrases the extractor reads in measures."""
    from extract.lexicon import read_data

    return tuple(phrase.casefold() for row in read_data("conditions.jsonl")
                 if row.get("kind") in ("end_use", "end_user") and row.get("value") == "military"
                 for phrase in (*row.get("zh", []), *row.get("en", [])))


def military(value: object) -> bool:
    """Whether an end use or end user as a portfolio writes it is military (the only
    class of end use or user a measure is bound to): a measure's own phrase, or a word
    of the forces, weapons or defence (``missile guidance``, ``defence prime
    contractor``, ``军用``), unless it says the opposite (``non-military``, ``民用``)."""
    written = unicodedata.normalize("NFKC", text(value))
    if not written or NOT_MILITARY.search(written):
        return False
    folded = written.casefold()
    return bool(MILITARY_WORDS.search(written)) or any(p in folded for p in _military_phrases())
