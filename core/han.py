"""The one definition of a Han character: which code points count as Chinese script.

CJK Unified Ideographs (U+4E00–U+9FFF), Extension A (U+3400–U+4DBF) and the Compatibility
Ideographs (U+F900–U+FAFF). Not U+4DC0–U+4DFF (Yijing hexagram symbols), which a lazy
``[\\u3400-\\u9fff]`` would let in. Tokenizing (one token per character), search, the
extractor's language test and name matching all use this, so a character that one of
them treats as Chinese is Chinese to all of them.
"""

from __future__ import annotations

import re

RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CHAR = f"[{RANGES}]"      # for building larger patterns
HAN = re.compile(CHAR)


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


def han_count(text: str) -> int:
    return len(HAN.findall(text))
