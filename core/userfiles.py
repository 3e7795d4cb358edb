"""A user's own text file (a CSV of products or of counterparties) as text, and its
separator.

Company files come from Excel as often as from scripts: UTF-8 (with or without its mark),
UTF-16 ("Unicode text"), or GB18030 (what Excel writes for "CSV" on a Chinese Windows).
A file that is none of them, or holds NUL bytes, is a binary file under a text name: an
error saying so, never garbage read on.
"""

from __future__ import annotations


class UnreadableText(ValueError):
    """The bytes are not text in an encoding a user's file comes in."""


def decode(data: bytes) -> str:
    """The text of a user's file.

    :raises UnreadableText: when it is not UTF-8, UTF-16 or GB18030 text, or holds NUL bytes
    """
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableText("not text in UTF-8, UTF-16 or GB18030 (a binary file?)") from exc
    if "\x00" in text:
        raise UnreadableText("holds NUL bytes: a binary file, not a CSV")
    return text


def delimiter(text: str) -> str:
    """The separator used most in the first lines: commas, or the semicolons or tabs Excel
    writes in some locales (csv.Sniffer gives up on a title line above the header, which
    company files often have)."""
    sample = text[:8192]
    counts = {sep: sample.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","
