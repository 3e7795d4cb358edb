"""Name normalisers, one job each, composed by ``latin_form`` and ``han_form``.

Each step is a plain function so it can be tested alone: width folding, Traditional →
Simplified, splitting a string into its several names (``d/b/a``, a parenthesised
translation), Latin tokens with legal forms as one symbol, and the Han core with its
legal form removed. The tables are in ``data/names.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from core import han, yamldata

DATA = Path(__file__).parent / "data" / "names.yaml"
LEGAL_SYMBOL = "_lf_"
# Typos are folded only in long words, and only this close (rapidfuzz ratio, 0–100).
FUZZY_MIN_LENGTH = 6
FUZZY_CUTOFF = 85
HAN = han.HAN
# Anything that is not a letter or digit of any script separates tokens.
NON_WORD = re.compile(r"[^0-9a-z\u00c0-\u024f]+")
PAREN = re.compile(r"\(([^()]*)\)")
TRAILING_PAREN = re.compile(r"\(([^()]*)\)\s*$")
HAN_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def tables() -> dict[str, Any]:
    """The normalisation tables, read once."""
    data = yamldata.load(DATA.read_text(encoding="utf-8"))
    data["legal_forms_latin"] = sorted(
        (tuple(form) for form in data["legal_forms_latin"]), key=len, reverse=True
    )
    data["legal_forms_han"] = sorted(data["legal_forms_han"], key=len, reverse=True)
    data["stopwords"] = frozenset(data["stopwords"])
    data["place_words"] = frozenset(data["place_words"])
    data["generic_words"] = frozenset(data["generic_words"])
    return data


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to their ASCII forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to Simplified (OpenCC ``t2s``); Latin untouched."""
    if not HAN.search(text):
        return text
    return _t2s().convert(text)


def is_han(text: str) -> bool:
    """Whether a name is written in Chinese (compared with Chinese names only)."""
    return bool(HAN.search(text))


def _alternate_pattern() -> re.Pattern[str]:
    markers = sorted(tables()["alternate_markers"], key=len, reverse=True)
    body = "|".join(re.escape(m) for m in markers)
    return re.compile(rf"(?i)(?:^|[\s,;]+)(?:{body})(?=[\s:.,]|$)[\s:.,]*")


ALTERNATE: re.Pattern[str] | None = None


def split_names(text: str) -> list[str]:
    """The names one string holds: ``A d/b/a B`` → A, B; ``中文名（English）`` → both.

    A trailing parenthesised part in another script, or a one-word alias such as
    ``(IntelliEPI)``, is a name of its own. A parenthesised place (``(Japan)``) or a
    part inside the name (``X (Shanghai) Co., Ltd.``) stays in it, so a branch is not
    read as its parent.
    """
    global ALTERNATE
    if ALTERNATE is None:
        ALTERNATE = _alternate_pattern()
    text = fold_width(text).strip()
    names: list[str] = []
    for part in ALTERNATE.split(text):
        part = part.strip(" ,;")
        if not part:
            continue
        inner_names = []
        outer = part
        trailing = TRAILING_PAREN.search(part)
        if trailing:
            inner = trailing.group(1).strip()
            if _is_separate_name(inner, part[: trailing.start()]):
                inner_names.append(inner)
                outer = part[: trailing.start()]
        outer = re.sub(r"[()]", " ", outer)
        outer = re.sub(r"\s+", " ", outer).strip(" ,;")
        if outer:
            names.append(outer)
        names.extend(inner_names)
    return names or [text]


def _is_separate_name(inner: str, outer: str) -> bool:
    if not inner:
        return False
    if is_han(inner) != is_han(outer):
        return True
    words = NON_WORD.sub(" ", inner.lower()).split()
    if not words or set(words) <= tables()["place_words"]:
        return False
    return len(words) == 1 or bool(legal_tokens_in(words))


def legal_tokens_in(words: list[str]) -> list[str]:
    """The legal-form words found in a token list (for reporting)."""
    forms = {w for form in tables()["legal_forms_latin"] for w in form}
    return [w for w in words if w in forms]


def latin_tokens(text: str) -> list[str]:
    """Lower-case word tokens: ``&`` is "and", apostrophes vanish, runs of single letters
    (``L.L.C.``, ``S.p.A.``) join into one token."""
    text = fold_width(text).lower().replace("&", " and ").replace("'", "").replace("’", "")
    raw = NON_WORD.sub(" ", text).split()
    tokens: list[str] = []
    run: list[str] = []
    for word in raw:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            tokens.append("".join(run))
            run = []
        tokens.append(word)
    if run:
        tokens.append("".join(run))
    return tokens


def mark_legal_forms(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Replace legal-form sequences with the one symbol; return (tokens, forms found)."""
    forms = tables()["legal_forms_latin"]
    out: list[str] = []
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for form in forms:
            if tuple(tokens[i : i + len(form)]) == form:
                out.append(LEGAL_SYMBOL)
                found.append(" ".join(form))
                i += len(form)
                break
        else:
            if _fuzzy_legal_word(tokens[i]):
                out.append(LEGAL_SYMBOL)
                found.append(tokens[i])
                i += 1
                continue
            out.append(tokens[i])
            i += 1
    # A legal form at the very start is a word of the name ("Company X"), not a suffix.
    if out and out[0] == LEGAL_SYMBOL and len(out) > 1:
        out[0] = tokens[0]
        found.pop(0)
    return out, found


def canonical_tokens(tokens: list[str]) -> list[str]:
    """Fold spellings (``Technologies``/``Tech``, ``Defence``/``Defense``) to one token;
    a long word one typo away from such a spelling (``Technolgoies``) folds too."""
    return [_canonical(t) for t in tokens]


@lru_cache(maxsize=65536)
def _canonical(token: str) -> str:
    aliases = tables()["token_aliases"]
    if token in aliases:
        return aliases[token]
    if len(token) >= FUZZY_MIN_LENGTH and token != LEGAL_SYMBOL:
        found = process.extractOne(token, list(aliases), scorer=fuzz.ratio,
                                   score_cutoff=FUZZY_CUTOFF)
        # Same length give or take one: a typo, not a compound ("Aerotechnologies").
        if found and abs(len(found[0]) - len(token)) <= 1:
            return aliases[found[0]]
    return token


@lru_cache(maxsize=65536)
def _fuzzy_legal_word(token: str) -> bool:
    """A long legal-form word with a typo (``Corportaion``) is still a legal form."""
    if len(token) < FUZZY_MIN_LENGTH:
        return False
    long_forms = [f[0] for f in tables()["legal_forms_latin"]
                  if len(f) == 1 and len(f[0]) >= FUZZY_MIN_LENGTH]
    found = process.extractOne(token, long_forms, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return found is not None and abs(len(found[0]) - len(token)) <= 1


def latin_form(name: str) -> dict[str, Any]:
    """A Latin name as the scorer sees it: tokens, legal forms, the glued core."""
    tokens, forms = mark_legal_forms(latin_tokens(name))
    tokens = canonical_tokens(tokens)
    core = [t for t in tokens if t != LEGAL_SYMBOL]
    return {
        "script": "latin",
        "name": name,
        "tokens": tokens,
        "core": core,
        "legal_forms": forms,
        "compact": "".join(t for t in core if t not in tables()["stopwords"]),
        # Glued without generic words too: "L3Harris" is "L3 Harris Technologies".
        "compact_distinct": "".join(t for t in core if t not in tables()["stopwords"]
                                    and t not in tables()["generic_words"]),
    }


def han_core(name: str) -> tuple[str, list[str]]:
    """A Han name without punctuation, spaces, branch markers and its legal form."""
    text = to_simplified(fold_width(name)).lower()
    text = HAN_PUNCT.sub("", text)
    removed: list[str] = []
    for prefix in tables()["legal_prefixes_han"]:  # 株式会社IHI: the Japanese prefix form
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
            removed.append(prefix)
    changed = True
    while changed:
        changed = False
        for marker in tables()["branch_markers_han"]:
            if text.endswith(marker) and len(text) > len(marker):
                text = text[: -len(marker)]
                removed.append(marker)
                changed = True
        for form in tables()["legal_forms_han"]:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                removed.append(form)
                changed = True
                break
    return text, removed


def han_form(name: str) -> dict[str, Any]:
    """A Han name as the scorer sees it: the core and its character bigrams."""
    core, removed = han_core(name)
    return {
        "script": "han",
        "name": name,
        "core": core,
        "legal_forms": removed,
        "bigrams": bigrams(core),
    }


def bigrams(text: str) -> list[str]:
    """Character bigrams of a Han core (the core itself when it is one character)."""
    if len(text) < 2:
        return [text] if text else []
    return [text[i : i + 2] for i in range(len(text) - 1)]


def forms(text: str) -> list[dict[str, Any]]:
    """Every comparable form of a raw name string (each of its names, in its script)."""
    out = []
    for name in split_names(text):
        form = han_form(name) if is_han(name) else latin_form(name)
        if form["core"]:
            out.append(form)
    return out
