"""Read a JSON answer whose charset header may lie, and say when it does.

The CMS behind MOFCOM's JavaScript lists answers JSON labelled ``charset=ISO-8859-1`` or
``GBK`` whatever its bytes are. The bytes are decoded as pages are (documents/encoding.py:
strict UTF-8 first, then the declared charsets, then GB18030); when the declared charset
would have read them differently, the mismatch is returned so the crawl can flag it.
"""

from __future__ import annotations

import json
from typing import Any

from documents.encoding import UndecodablePage, declared_charsets, decode_html


def decode_json(body: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """``(data, mismatch)``: the parsed JSON, and a sentence when the header's charset is
    not the one the bytes are in (None when it is, or when none is declared).

    :raises ValueError: bytes no charset decodes, or text that is not JSON
    """
    try:
        text, encoding = decode_html(body, content_type)
    except UndecodablePage as exc:
        raise ValueError(str(exc)) from exc
    data = json.loads(text)
    declared = declared_charsets(b"", content_type)
    if not declared:
        return data, None
    try:
        as_declared = body.decode(declared[0])
    except (UnicodeDecodeError, LookupError):
        as_declared = None
    if as_declared == text:
        return data, None
    return data, (f"the header says charset {declared[0]}, the bytes are {encoding}: "
                  f"read as {encoding}")


def dig(data: Any, path: str) -> Any:
    """``data`` at a dotted path (``data.html``), or None."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
