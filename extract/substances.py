"""Materials named loosely: a formula (``GaAs``, ``Sb2O3``, ``Nd-Fe-B``), a compound or a
form of a material (``antimony trioxide``, ``gallium arsenide wafer``, ``silver paste``,
``砷化镓``, ``钕铁硼``), amounts and notes set aside (``Ga (99.9999%)``, ``W 90% Ni 7% Fe 3%``), read
into the vocabulary's materials.

The vocabulary (``data/materials.jsonl``, ``data/groups.jsonl``) names materials and
groups; a company's file and a user's question name substances and goods. A portfolio's
materials column reads its cells through :func:`materials_of`, and a status question that
no item's own text names is read through it as the material it holds, saying so. The
reading is what a compliance officer would do: a formula's elements, the material words
of a name with its words of form set aside, else what the extractor's own material
tagger finds; a term saying the material is absent (``cobalt-free``) names none.
"""

from __future__ import annotations

import re

from .items import _finder, material_of

# every element's symbol, to read a formula (GaAs, Sb2O3, Sm2Co17, NdFeB); the
# vocabulary's elements are found by their English names
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
# every element's Chinese name, in the order of SYMBOLS: a Chinese compound's name is its
# elements' characters with words of form between (钕铁硼, 砷化镓, 三氧化二锑)
ZH_ELEMENTS = dict(zip(
    "氢氦锂铍硼碳氮氧氟氖钠镁铝硅磷硫氯氩钾钙钪钛钒铬锰铁钴镍铜锌镓锗砷硒溴氪铷锶钇锆铌钼锝钌铑"
    "钯银镉铟锡锑碲碘氙铯钡镧铈镨钕钷钐铕钆铽镝钬铒铥镱镥铪钽钨铼锇铱铂金汞铊铅铋钋砹氡钫镭锕"
    "钍镤铀镎钚", SYMBOLS.values(), strict=True))
# Chinese words of form, longest first where one holds another (合金 before 金)
ZH_FORM_WORDS = sorted("""
    化 氧化 二 三 四 五 六 七 物 化物 化合物 合金 金属 单质 元素 粉 粉末 颗粒 浆 浆料 膏 靶 靶材
    单晶 多晶 晶体 晶片 晶圆 衬底 基片 片 锭 棒 丝 线 箔 板 块 片材 磁体 磁钢 磁铁 磁材 永磁 烧结
    粘结 粘接 高纯 纯 精 精矿 矿 废料 废 碎料 材料 材 料 负极 正极 掺杂 掺 镀 涂层 制品 酸 盐
    """.split(), key=len, reverse=True)
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
# a term saying a material is absent names none: "cobalt-free", "无铅"
NEGATION = re.compile(r"(?i)\bfree\b|\bwithout\b|\bnon-|\bno\s|无|不含|免")
# amounts and notes a composition adds to its materials: "Ga (99.9999%)", "Ge 5N",
# "Dy 2.5 wt%", "GaAs 4\"", "W 90% Ni 7% Fe 3%"
AMOUNTS = re.compile(r"[(（\[][^)）\]]*[)）\]]|\d+(?:\.\d+)?\s*(?:wt\.?|at\.?|mol\.?)?\s*%|"
                     r"\b\d+(?:\.\d+)?\s*(?:ppm|N|inch|in|mm|\"|″)(?![A-Za-z])|\b\d+(?:\.\d+)?\b")
# an element's symbol given an amount is that element, a single letter too ("W 90%")
DOSED = re.compile(r"(?<![A-Za-z])([A-Z][a-z]?)\s*(?=\d+(?:\.\d+)?\s*(?:wt\.?|at\.?|mol\.?)?\s*%)")


def materials_of(term: str) -> list[str]:
    """The vocabulary materials (or group) a term names loosely, in the order it names
    them; none for a term that names none or says one is absent."""
    if not term or not term.strip() or NEGATION.search(term):
        return []
    named = material_of(term)
    if named is not None:
        return [named]
    dosed = {symbol for symbol in DOSED.findall(term) if symbol in SYMBOLS}
    term = " ".join(AMOUNTS.sub(" ", term).split())
    words = [w for w in re.split(r"[\s\-]+", term) if w]
    if not words:
        return []
    # a term of words read one by one (a hyphenated one is a formula, read whole below)
    formulas = len(words) > 1 or "-" not in term
    read: list[str] = []
    for word in words:
        means = _word(word, dosed, formulas)
        if means is None:
            break
        read.extend(means)
    else:
        if read:
            return list(dict.fromkeys(read))
    formula = _formula(term.replace("-", "").replace(" ", ""))
    if formula:
        return formula
    chinese = _chinese(term)
    if chinese:
        return chinese
    hits = _finder().find(term)
    return list(dict.fromkeys(m for hit in hits for m in hit["materials"]))


def _word(word: str, dosed: set[str], formulas: bool) -> list[str] | None:
    """The materials one word of a term names: a vocabulary name, a formula, a symbol
    given an amount, an anion's element; none for a word of form; None for a word that
    is none of these."""
    named = material_of(word) if len(word) > 2 else None
    if named is not None:
        return [named]
    formula = _formula(word) if formulas else None
    if formula is not None:
        return formula
    if word in dosed:
        return [m for m in [material_of(SYMBOLS[word])] if m is not None]
    folded = word.casefold()
    if folded in ANIONS:
        return [ANIONS[folded]]
    return [] if folded in FORM_WORDS else None


def _chinese(term: str) -> list[str] | None:
    """The vocabulary elements of a Chinese compound's name, read character by character
    once its words of form are set aside (``钕铁硼``, ``烧结钕铁硼磁体``, ``钐钴磁钢``); None
    for a term with any other character (``稀土永磁``, ``锂电池``: left to the tagger)."""
    rest = term
    for word in ZH_FORM_WORDS:
        rest = rest.replace(word, " ")
    rest = "".join(rest.split())
    if not rest or any(c not in ZH_ELEMENTS for c in rest):
        return None
    named = (material_of(ZH_ELEMENTS[c]) for c in rest)
    return list(dict.fromkeys(m for m in named if m is not None)) or None


def _formula(word: str) -> list[str] | None:
    """The vocabulary elements of a chemical formula (``GaAs``, ``Sb2O3``, ``Sm2Co17``);
    None for a word that is not one. An all-capital word (PVC, ABS) is not read as one,
    nor is a single letter."""
    if not FORMULA.fullmatch(word) or not any(c.islower() or c.isdigit() for c in word):
        return None
    out = []
    for symbol in ELEMENT.findall(word):
        if symbol not in SYMBOLS:
            return None
        named = material_of(SYMBOLS[symbol])
        if named is not None:
            out.append(named)
    return list(dict.fromkeys(out))
