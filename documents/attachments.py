"""Safe reading of announcement attachments (PDF, DOCX, XLSX, legacy Office).

The controlled-item lists of many announcements live only in their attachments, so
these files must be read; they also come from the open web, so they are treated as
hostile. The order of defences:

1. the byte length against ``max_bytes``, before anything looks inside;
2. the real type from magic bytes (:mod:`documents.sniff`), never the name;
3. parsing in a worker process with an address-space cap, killed at ``timeout_seconds``
   (:mod:`documents.worker`), by the readers of :mod:`documents.formats`,
   which refuse zip bombs from the central directory before inflating anything.

Whatever happens, :func:`read_attachment` returns a JSON-serialisable dict; a file that
could not be read fully is ``"flagged"`` with a stable reason code (:data:`REASONS`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from documents.sniff import EXT_KIND, PARSED, Sniffed, extension, kind_guess, sniff

log = logging.getLogger(__name__)

# Reason codes are stored in the catalogue: never rename one, only add.
REASONS = {
    "too-large": "bigger than a byte, row or memory cap",
    "zip-bomb": "a zip-based file that would unpack beyond the size or ratio cap",
    "encrypted": "needs a password",
    "truncated": "cut short (download interrupted or file damaged at the end)",
    "corrupt": "the parser failed on the file's structure",
    "wrong-type": "the bytes are not a document (e.g. an HTML error page named .pdf)",
    "timeout": "parsing took longer than the time cap and was killed",
    "too-many-pages": "a PDF over the page cap; the first pages were read",
    "unreadable-format": "a real document in a format with no maintained reader here",
    "image-not-read": "an image, or a PDF without a text layer; recorded, not OCR'd",
}
KINDS = ("pdf", "docx", "xlsx", "doc", "xls", "image", "html", "unknown")


@dataclass(frozen=True)
class Limits:
    """Caps for one attachment; the defaults fit the largest real MOFCOM annexes."""

    max_bytes: int = 20 << 20
    max_unzipped_bytes: int = 100 << 20
    max_ratio: int = 100
    max_pdf_pages: int = 300
    timeout_seconds: float = 30
    max_rows: int = 100_000
    max_memory_bytes: int = 1 << 30  # address space the parser may add to its start size


def read_attachment(
    data: bytes, name: str, content_type: str | None = None, limits: Limits = Limits()  # noqa: B008 - frozen
) -> dict[str, Any]:
    """Text and tables of one attachment, or a flag saying why not.

    :param data: the downloaded bytes (the downloader should stop at ``limits.max_bytes``)
    :param name: link text or file name, used only to word reasons and guess a kind
    :param content_type: the server's Content-Type, used only to word reasons
    :returns: ``{status, reason, kind, text, tables, pages, sha256}``
    """
    return read_attachment_stats(data, name, content_type, limits)[0]


def read_attachment_stats(
    data: bytes, name: str, content_type: str | None = None, limits: Limits = Limits()  # noqa: B008
) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`read_attachment` plus the child's timings and memory (for the benchmark)."""
    stats: dict[str, Any] = {"isolated": False}
    sha = ""
    try:
        data = bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        sniffed = sniff(data)
        kind = kind_guess(sniffed.family, name)
        if len(data) > limits.max_bytes:
            return _flagged(kind, sha, "too-large", f"{len(data)} bytes, over the cap of "
                                                    f"{limits.max_bytes}; not opened"), stats
        if sniffed.family not in PARSED:
            return _unparsed(sniffed, kind, sha, name, content_type), stats
        payload, stats = _parse_isolated(data, sniffed.family, kind, limits)
        return _result(payload, sha), stats
    except Exception as exc:  # noqa: BLE001 - the contract is: never raise
        log.exception("attachment reader failed on %s", name)
        detail = f"reader error {type(exc).__name__}: {exc}"
        return _flagged("unknown", sha, "corrupt", detail), stats


def _unparsed(sniffed: Sniffed, kind: str, sha: str, name: str, ctype: str | None) -> dict:
    """Result for bytes that go to no parser: pages, images, archives, junk."""
    ext = extension(name)
    claimed = f"named {name!r}" + (f" ({ctype})" if ctype else "")
    if sniffed.family == "empty":
        return _flagged(kind, sha, "truncated", "empty file")
    if sniffed.family == "html":
        title = f" titled {sniffed.html_title!r}" if sniffed.html_title else ""
        detail = f"{claimed} but the bytes are an HTML page{title}"
        return _flagged("html", sha, "wrong-type", detail)
    if sniffed.family == "image":
        return _flagged("image", sha, "image-not-read", f"{sniffed.label} recorded, not OCR'd")
    if sniffed.family in {"rtf", "archive"}:
        return _flagged(kind, sha, "unreadable-format", f"{sniffed.label} is not read")
    if ext in EXT_KIND:
        return _flagged(kind, sha, "wrong-type", f"{claimed} but the bytes match {sniffed.label}")
    return _flagged(kind, sha, "unreadable-format", f"{claimed}: {sniffed.label}")


def _result(payload: dict[str, Any], sha: str) -> dict[str, Any]:
    flag = payload.get("flag")
    return {
        "status": "flagged" if flag else "ok",
        "reason": f"{flag[0]}: {flag[1]}" if flag else None,
        "kind": payload["kind"],
        "text": payload.get("text", ""),
        "tables": payload.get("tables", []),
        "pages": payload.get("pages"),
        "sha256": sha,
    }


def _flagged(kind: str, sha: str, code: str, detail: str) -> dict[str, Any]:
    return _result({"kind": kind, "flag": (code, detail)}, sha)


def _parse_isolated(
    data: bytes, family: str, kind: str, limits: Limits
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parse in the worker process; in-process only if no process can be started."""
    from documents.worker import WORKER

    try:
        return WORKER.run(data, family, kind, limits)
    except OSError as exc:
        log.warning("no worker process for attachment parsing (%s); parsing in-process", exc)
    from documents.formats import parse

    started = time.perf_counter()
    payload = parse(data, family, kind, limits)
    return payload, {"isolated": False, "seconds": time.perf_counter() - started}
