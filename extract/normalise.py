"""A length-preserving normalised view of a text.

Every rule maps one character to one character, so an offset into the view is the
same offset into the original text: an extracted value found in the view points at
its source span without an offset table. What is folded:

- control, surrogate and replacement characters become spaces (binary-looking input);
- NFKC where it gives a single character (full-width digits, letters, ``：（），``);
- extra folds from ``data/fold.json`` (ideographic space, dashes, lookalike Cyrillic);
- OCR confusions inside Latin words and numbers (``MetaI`` → ``Metal``, ``2O25`` → ``2025``);
- Traditional → Simplified Chinese with OpenCC ``t2s`` (character by character when a
  phrase conversion would change the length);
- inline pinyin glosses after a character (``商(shāng)務(wù)部``, common on copied
  study pages) become spaces, so ``商  务  部`` still matches every pattern that
  allows whitespace between characters (``lexicon.zh_pattern``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.han import CHAR, HAN

DATA_DIR = Path(__file__).parent / "data"

# Runs of Latin letters and digits, where OCR confusions are repaired.
ALNUM_RUN = re.compile(r"[A-Za-z0-9|]+")
# An upper-case I or a digit 1 after a lower-case letter in a word: "MetaI", "GeneraI".
OCR_I_IN_WORD = re.compile(r"(?<=[a-z])[I1|]+(?=[a-z]|$)")
OCR_ZERO_IN_WORD = re.compile(r"(?<=[a-z])0(?=[a-z])")
OCR_RN = None  # "rn" for "m" is not length-preserving: left alone on purpose.
TONE = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# A pinyin gloss right after a Han character: "(shāng)", "(lǐ)", "(zhong1)"; a tone mark
# or a tone digit is required, so "(GaN)" or "(a)" are never taken for one.
GLOSS = re.compile(
    rf"(?<={CHAR})\((?=[a-zü{TONE}]*(?:[{TONE}]|[a-zü]+[1-5]\)))"
    rf"[a-zü{TONE}]{{1,6}}[1-5]?\)")


@lru_cache(maxsize=1)
def _fold_table(fold_path: str | None = None) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            table[code] = " "
            continue
        char = chr(code)
        cat = unicodedata.category(char)
        if cat == "Cc" and char not in "\n\t\r":
            table[code] = " "
            continue
        folded = unicodedata.normalize("NFKC", char)
        if folded != char and len(folded) == 1:
            table[code] = folded
    table[0xFFFD] = " "
    path = Path(fold_path) if fold_path else DATA_DIR / "fold.json"
    extra = json.loads(path.read_text(encoding="utf-8"))["chars"]
    for src, dst in extra.items():
        if len(src) == 1 and len(dst) == 1:
            table[ord(src)] = dst
    # Keep the line structure: CR alone is a line break, CRLF keeps its length as two chars.
    table[ord("\r")] = " "
    return table


@lru_cache(maxsize=1)
def t2s_converter() -> Any:
    """OpenCC's Traditional→Simplified converter, built once (the search index uses it too)."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a declared dependency
        return None
    return opencc.OpenCC("t2s")


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    letters = sum(c.isalpha() for c in run)
    digits = sum(c.isdigit() for c in run)
    if digits and digits >= letters and len(run) >= 2:
        # A number with a letter or two read wrongly: 2O25, l8, 2805301 9l0.
        if all(c.isdigit() or c in "OoIl|" for c in run):
            return run.translate(str.maketrans("OoIl|", "00111"))
        return run
    if letters >= 2:
        run = OCR_I_IN_WORD.sub(lambda m: "l" * len(m.group(0)), run)
        run = OCR_ZERO_IN_WORD.sub("o", run)
    return run


def to_simplified(text: str) -> str:
    """OpenCC t2s, but never at the cost of the length."""
    conv = t2s_converter()
    if conv is None or not HAN.search(text):
        return text
    out = conv.convert(text)
    if len(out) == len(text):
        return out
    chars = []
    for char in text:
        one = conv.convert(char) if HAN.match(char) else char
        chars.append(one if len(one) == 1 else char)
    return "".join(chars)


def normalise_view(text: str, *, fold_path: str | None = None, ocr: bool = True,
                   simplify: bool = True) -> str:
    """The normalised view of ``text``; ``len(result) == len(text)`` always."""
    if not text:
        return ""
    view = text.translate(_fold_table(fold_path))
    if ocr:
        view = ALNUM_RUN.sub(_repair_run, view)
    if simplify:
        view = to_simplified(view)
    if "(" in view:
        view = GLOSS.sub(lambda m: " " * len(m.group(0)), view)
    assert len(view) == len(text)
    return view


def gloss_spans(text: str, view: str) -> list[tuple[int, int]]:
    """The spans of ``text`` that ``normalise_view`` blanked as pinyin glosses."""
    if "(" not in text and "\uff08" not in text:
        return []
    return [m.span() for m in re.finditer(r" {3,8}", view)
            if text[m.start()] in "(\uff08" and text[m.end() - 1] in ")\uff09"]


def junk_ratio(text: str) -> float:
    """Share of control/replacement characters: a hint that the input is binary."""
    if not text:
        return 0.0
    bad = sum(
        1 for c in text
        if c == "\ufffd" or (unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t\r")
    )
    return bad / len(text)
