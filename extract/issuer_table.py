"""Issuer names → codes, compiled once from ``data/issuers.jsonl``.

Shared by the announcements, number and issuers components (each gets the rows
through its own ``initialize``, this module only compiles them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.han import CHAR, has_han

from .lexicon import alternation, en_pattern, zh_pattern


@dataclass
class IssuerTable:
    """Regexes that find issuer names and map a matched name to its code."""

    rows: list[dict[str, Any]]
    by_name: dict[str, str] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    bureaus: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        zh_names, en_names, abbrs = [], [], []
        for row in self.rows:
            code = row["code"]
            if row.get("report", True) and not row.get("bureau"):
                self.reported.add(code)
            for name in row.get("zh", []):
                key = re.sub(r"\s+", "", name)
                if row.get("bureau"):
                    self.bureaus.add(key)
                else:
                    zh_names.append(key)
                self.by_name.setdefault(key, code)
            for name in row.get("en", []):
                key = " ".join(name.lower().split())
                if row.get("bureau"):
                    self.bureaus.add(key)
                else:
                    en_names.append(name)
                self.by_name.setdefault(key, code)
            for name in row.get("abbr", []):
                abbrs.append(name)
                self.by_name.setdefault(name, code)
        self.zh_alt = alternation(zh_names, zh_pattern)
        en_full = alternation(en_names, en_pattern)
        en_abbr = alternation(abbrs, re.escape)
        self.en_alt = rf"(?:(?i:{en_full})|\b{en_abbr}\b)"
        self.zh_re = re.compile(self.zh_alt)
        self.en_re = re.compile(self.en_alt)
        self.bureau_code = {}
        for row in self.rows:
            if row.get("bureau"):
                for name in row.get("zh", []) + row.get("en", []):
                    self.bureau_code[" ".join(name.lower().split())] = row["code"]
        self.bureau_re = re.compile(
            "(?i:" + alternation(self.bureaus, lambda t: zh_pattern(t) if has_han(t)
            else en_pattern(t)) + ")"
        )
        # A run of issuer names ending where a number starts: 商务部 海关总署|公告…
        sep_zh = r"(?:\s*[、,，和与及/]\s*|\s+)?"
        # After a known issuer, a body the table does not know (国家某某局, 公安部) may
        # follow in the run; it is skipped, but it must not break the run.
        other = rf"(?:国家|中央|中国)?{CHAR}{{1,6}}?(?:总局|局|委员会|委|署|办公室)|{CHAR}{{1,3}}部"
        self.zh_run_end = re.compile(
            rf"{self.zh_alt}(?:{sep_zh}(?:{self.zh_alt}|{other}))*{sep_zh}$")
        # "MOFCOM and GACC", "MOFCOM & GACC", "MOFCOM-GACC", "MOFCOM/GACC", "MOFCOM–GACC"
        sep_en = r"(?:\s*(?:,|and|&|[-/–—])\s*(?:the\s+)?|\s+)"
        self.en_run = rf"(?:the\s+)?{self.en_alt}(?:{sep_en}{self.en_alt})*"
        self.en_run_end = re.compile(rf"(?:{self.en_run})(?:'s)?\s*$")

    def bureau(self, name: str) -> str | None:
        """The ministry a bureau or department belongs to (安全与管制局 → MOFCOM)."""
        key = " ".join(name.lower().split())
        if key in self.bureau_code:
            return self.bureau_code[key]
        m = self.bureau_re.search(name)
        return self.bureau_code.get(" ".join(m.group(0).lower().split())) if m else None

    def code(self, name: str) -> str | None:
        """Code of one matched name (any script, any case for English full names)."""
        key = "".join(name.split())
        if key in self.by_name:
            return self.by_name[key]
        key = " ".join(name.split())
        return (self.by_name.get(key) or self.by_name.get(key.lower())
                or self.by_name.get(key.lower().replace("rn", "m")))

    def codes_in(self, text: str, lang: str | None = None) -> list[str]:
        """Issuer codes named in ``text``, in order, without repeats."""
        out: list[str] = []
        found = []
        if lang != "en":
            found += [(m.start(), m.group(0)) for m in self.zh_re.finditer(text)]
        if lang != "zh":
            found += [(m.start(), m.group(0)) for m in self.en_re.finditer(text)]
        for _, name in sorted(found):
            code = self.code(name)
            if code and code not in out:
                out.append(code)
        return out
