"""Destinations as ISO 3166-1 alpha-2 codes, whatever way a user or a spreadsheet writes them.

One normaliser for every place that takes a destination (status queries, portfolios,
subscriptions), so that ``USA``, ``United States``, ``U.S.``, ``美国`` and ``美方`` are the same
country everywhere and an unknown name is an error rather than an empty answer. The ISO
table and its Chinese names come from pycountry (its ``zh_CN`` gettext catalogue); what
ISO does not carry (USA as a word, 美方, Britain, ROK, PRC naming of Taiwan) is data in
``countries.yaml``.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pycountry

from core import yamldata

DATA = Path(__file__).with_name("countries.yaml")
IGNORED = re.compile(r"[\s.,'’()\-_/·]+")


class UnknownCountry(ValueError):
    """Destinations that are not a country we know; says which ones were understood.

    :param unknown: the texts that were not understood, as written
    :param understood: text → alpha-2 for the ones that were
    """

    def __init__(self, unknown: list[str], understood: dict[str, str] | None = None) -> None:
        self.unknown = unknown
        self.understood = understood or {}
        names = ", ".join(repr(text) for text in unknown)
        message = f"unknown destination{'s' if len(unknown) > 1 else ''}: {names}"
        if self.understood:
            message += "; understood: " + ", ".join(
                f"{text} → {code}" for text, code in self.understood.items())
        super().__init__(message)


def key(text: str) -> str:
    """The form names are compared in: NFKC, case-folded, no dots, commas or spaces."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = re.sub(r"^the\s+", "", text)
    return IGNORED.sub("", text)


def _zh() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:  # a pycountry build without locales: English names still work
        return gettext.NullTranslations()


def _iso_names(country: object, zh: gettext.NullTranslations) -> set[str]:
    names: set[str] = set()
    for field in ("name", "official_name", "common_name"):
        value = getattr(country, field, None)
        if not value:
            continue
        names.add(value)
        names.add(zh.gettext(value))
        if ", " in value:  # "Korea, Republic of" is also written "Republic of Korea"
            head, tail = value.split(", ", 1)
            names.add(f"{tail} {head}")
    return names


@cache
def _data() -> dict:
    return yamldata.load(DATA.read_text(encoding="utf-8"))


@cache
def table() -> dict[str, str]:
    """Every accepted spelling (as :func:`key`) → alpha-2.

    Codes first, then the aliases file, then ISO names; an ISO name shared by two countries
    is left out rather than guessed.
    """
    zh = _zh()
    found: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for country in pycountry.countries:
        alpha2 = country.alpha_2
        found[key(alpha2)] = alpha2
        found.setdefault(key(country.alpha_3), alpha2)
        for name in _iso_names(country, zh):
            names.setdefault(key(name), set()).add(alpha2)
    for alpha2, aliases in _data()["aliases"].items():
        for alias in aliases:
            found.setdefault(key(str(alias)), alpha2)
    for name, codes in names.items():
        if len(codes) == 1:
            found.setdefault(name, next(iter(codes)))
    return found


# how an export from an ERP writes a country with its code: "Japan (JP)", "DE - Germany",
# "KR | Korea, Republic of", "日本（JP）"
PARTS = re.compile(r"\s*[(（\[【]\s*|\s*[)）\]】]\s*|\s+[-–—|]\s+|\s*[|｜]\s*")


def lookup(text: str) -> str | None:
    """Alpha-2 for one destination as written, or None. A name written with its code
    ("Japan (JP)", "DE - Germany") is read when every part names the same country, so
    "Georgia (US)" is not guessed."""
    if not text or not text.strip():
        return None
    found = table().get(key(text))
    if found is not None:
        return found
    parts = [part for part in PARTS.split(text) if part and part.strip()]
    if len(parts) < 2:
        return None
    codes = {table().get(key(part)) for part in parts}
    return codes.pop() if len(codes) == 1 and None not in codes else None


def to_alpha2(text: str) -> str:
    """Alpha-2 for one destination as written.

    :raises UnknownCountry: when it is not a known code or name
    """
    code = lookup(text)
    if code is None:
        raise UnknownCountry([text])
    return code


def normalise_all(texts: Iterable[str]) -> list[str]:
    """Alpha-2 codes for several destinations, in order, without repeats.

    :raises UnknownCountry: naming every text not understood and what the others meant
    """
    understood: dict[str, str] = {}
    unknown: list[str] = []
    for text in texts:
        code = lookup(text)
        if code is None:
            unknown.append(text)
        else:
            understood[text] = code
    if unknown:
        raise UnknownCountry(unknown, understood)
    return list(dict.fromkeys(understood.values()))


def name(alpha2: str, lang: str = "en") -> str:
    """The name to show for a code: PRC usage where it differs from ISO (中国台湾).

    :raises UnknownCountry: for a code that is not ISO 3166-1
    """
    code = alpha2.upper()
    shown = _data()["display"].get(code)
    if shown:
        return shown[lang]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise UnknownCountry([alpha2])
    english = getattr(country, "common_name", None) or country.name
    return _zh().gettext(country.name) if lang == "zh" else english
