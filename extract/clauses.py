"""Clause labels, one reading for the whole project.

A clause is named many ways: ``第二款``, ``二``, ``一（三）``, ``第一条第（三）项``, ``1(3)``,
``Article 1(iii)``. Its canonical form is the tuple of its numbers, so a reference written
one way reaches a provision labelled another. The item model (:mod:`extract.items`) and
the timeline (:mod:`timeline.derive`) both use these functions.
"""

from __future__ import annotations

import re
from functools import lru_cache

ZH_DIGITS = "零一二三四五六七八九"
_PARTS = re.compile(r"[零一二三四五六七八九十]+|\d+|(?<![a-z])[ivx]{1,4}(?![a-z])")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
         "x": 10}


def zh_to_int(text: str) -> int | None:
    """``三`` → 3, ``十二`` → 12, ``二十`` → 20."""
    if not text:
        return None
    if "十" not in text:
        if len(text) == 1:
            return ZH_DIGITS.index(text)
        return int("".join(str(ZH_DIGITS.index(c)) for c in text))
    tens, _, units = text.partition("十")
    return (ZH_DIGITS.index(tens) if tens else 1) * 10 + (ZH_DIGITS.index(units) if units else 0)


def int_to_zh(n: int) -> str:
    if n <= 10:
        return "十" if n == 10 else ZH_DIGITS[n]
    return ("" if n < 20 else ZH_DIGITS[n // 10]) + "十" + (ZH_DIGITS[n % 10] if n % 10 else "")


@lru_cache(maxsize=65536)
def clause_parts(label: str | None) -> tuple[int, ...]:
    """``第二款`` → (2,); ``一（三）`` / ``第一条第（三）项`` / ``1(3)`` / ``Article 1(iii)`` → (1, 3)."""
    if not label:
        return ()
    text = str(label).lower()
    parts: list[int] = []
    for match in _PARTS.finditer(text):
        token = match.group(0)
        if token.isdigit():
            parts.append(int(token))
        elif token in ROMAN:
            parts.append(ROMAN[token])
        else:
            value = zh_to_int(token)
            if value is not None:
                parts.append(value)
    return tuple(parts)


def clause_text(parts: tuple[int, ...]) -> str | None:
    """(1, 3) → ``一(三)``: the display form used in reasons and the database."""
    if not parts:
        return None
    head = int_to_zh(parts[0])
    return head + "".join(f"({int_to_zh(p)})" for p in parts[1:])


def clause_covers(clause: str | None, provision: str | None) -> bool:
    """Whether an effect on ``clause`` reaches a subject in ``provision``.

    An effect on the whole announcement (no clause) reaches everything; an effect on
    clause 二 reaches provisions 二, 二(一), …; a subject with no provision is reached only
    by whole-announcement effects.
    """
    if not clause:
        return True
    want, have = clause_parts(clause), clause_parts(provision)
    return bool(have) and have[: len(want)] == want


def same_clause(a: str | None, b: str | None) -> bool:
    """``第二款`` and ``Article 2`` name the same clause."""
    return clause_parts(a) == clause_parts(b)
