"""Decode a page's bytes to text without trusting its headers.

Chinese government sites serve GBK/GB18030 pages behind headers that say UTF-8 (and
the reverse). UTF-8 is tried strictly first because Chinese GBK text is almost never
valid UTF-8; then the charsets the page declares, with GBK and GB2312 widened to their
superset GB18030. A page that declares nothing goes to detection (charset_normalizer)
before the GB18030 fallback, because GB18030 decodes almost any bytes "cleanly": a Big5
page read as GB18030 is silent garbage. A page nothing decodes cleanly is an error.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
WIDEN = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


class UndecodablePage(ValueError):
    """The page's bytes decode cleanly in no plausible charset."""


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    try:
        name = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    return WIDEN.get(name, name)


def declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    found = []
    if content_type:
        match = re.search(r"charset\s*=\s*([\w-]+)", content_type, re.I)
        if match:
            found.append(match.group(1))
    meta = META_CHARSET.search(body[:4096])
    if meta:
        found.append(meta.group(1).decode("ascii", "ignore"))
    return [n for n in (_norm(f) for f in found) if n]


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``.

    :raises UndecodablePage: when no candidate decodes without errors
    """
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8-sig"
    declared = declared_charsets(body, content_type)
    candidates = ["utf-8", *declared]
    if not declared:
        candidates.append(_detected(body))
    candidates.append("gb18030")
    for encoding in dict.fromkeys(c for c in candidates if c):
        try:
            return body.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    raise UndecodablePage("no charset decodes this page without errors")


def _detected(body: bytes) -> str | None:
    best = from_bytes(body).best()
    return _norm(best.encoding) if best is not None and best.encoding else None
