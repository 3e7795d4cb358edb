"""What an attachment really is, from its first bytes rather than its name.

Government sites serve HTML error and login pages under ``.pdf`` links and name
OOXML files ``.xls``. Deciding by magic numbers keeps a wrong name from sending the
bytes to the wrong parser. Only a fixed prefix is looked at, so sniffing costs the
same for a 1 KB file and a 100 MB one, and never parses anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

HEAD = 2048  # bytes looked at; HTML can start after a BOM, whitespace or a comment

# Families whose bytes go to a parser in the child process.
PARSED = {"pdf", "zip", "ole"}

_MAGIC: list[tuple[bytes, str, str]] = [
    (b"PK\x03\x04", "zip", "zip container"),
    (b"PK\x05\x06", "zip", "empty zip container"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", "OLE compound file"),
    (b"\x89PNG\r\n\x1a\n", "image", "PNG image"),
    (b"\xff\xd8\xff", "image", "JPEG image"),
    (b"GIF87a", "image", "GIF image"),
    (b"GIF89a", "image", "GIF image"),
    (b"II*\x00", "image", "TIFF image"),
    (b"MM\x00*", "image", "TIFF image"),
    (b"{\\rtf", "rtf", "RTF document"),
    (b"Rar!\x1a\x07", "archive", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "7z archive"),
    (b"\x1f\x8b", "archive", "gzip archive"),
]

_HTML_START = re.compile(
    rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|script)\b",
    re.IGNORECASE | re.DOTALL,
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)

# What a name's extension promises; used to word reasons and to guess a kind for
# files that were never opened (too large, timed out).
EXT_KIND = {
    ".pdf": "pdf", ".docx": "docx", ".docm": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".doc": "doc", ".wps": "doc", ".xls": "xls", ".et": "xls",
}
DOCUMENT_EXTS = set(EXT_KIND) | {".rtf", ".odt", ".ods", ".wpt", ".ett"}


@dataclass(frozen=True)
class Sniffed:
    family: str  # pdf, zip, ole, html, image, rtf, archive, empty, unknown
    label: str  # human words for the reason text
    html_title: str = ""


def sniff(data: bytes) -> Sniffed:
    """Classify ``data`` by its leading bytes only."""
    if not data:
        return Sniffed("empty", "an empty file")
    head = data[:HEAD]
    # PDF readers accept the header anywhere in the first 1024 bytes.
    if b"%PDF-" in head[:1024]:
        return Sniffed("pdf", "PDF document")
    for magic, family, label in _MAGIC:
        if head.startswith(magic):
            return Sniffed(family, label)
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":  # two bytes alone are too weak
        return Sniffed("image", "BMP image")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if _HTML_START.match(text) or b"<html" in text[:512].lower():
        match = _TITLE.search(head)
        title = _decode(match.group(1)).strip()[:80] if match else ""
        return Sniffed("html", "an HTML page", title)
    # The reason is stored and shown: it describes the bytes, never quotes them.
    kind = "text" if all(b >= 0x20 or b in b"\t\r\n" for b in head[:512]) else "binary data"
    return Sniffed("unknown", f"no known document format ({len(data)} bytes of {kind})")


def _decode(raw: bytes) -> str:
    """Chinese sites send UTF-8 or GB18030; try them in that order."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


def extension(name: str) -> str:
    """Lower-case extension of an attachment name or URL path, '' if none."""
    return PurePosixPath(name.split("?")[0].split("#")[0]).suffix.lower()


def kind_guess(family: str, name: str) -> str:
    """The result ``kind`` for a file that was not (or not fully) opened."""
    promised = EXT_KIND.get(extension(name), "unknown")
    if family == "pdf":
        return "pdf"
    if family == "zip":
        return promised if promised in {"docx", "xlsx"} else "unknown"
    if family == "ole":
        return promised if promised in {"doc", "xls"} else "unknown"
    if family in {"html", "image"}:
        return family
    return "unknown"
