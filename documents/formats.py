"""Format readers for attachments; they run inside the worker process only.

Each reader fills an :class:`Extracted` with text and tables and raises :class:`Flag`
for a file it must not or cannot read. Whatever else a library raises is turned into a
``corrupt`` flag by :func:`parse`, so a broken file never escapes as an exception.
Tables keep rows and columns as the file has them, because a row is what ties a
control code to its item name and HS codes.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Any

import docx
import olefile
import openpyxl
import pdfplumber
import xlrd
from docx.table import Table as DocxTable
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

if TYPE_CHECKING:
    from documents.attachments import Limits

MAX_ZIP_MEMBERS = 10_000  # real docx/xlsx have tens; thousands of tiny members is an attack
RATIO_FLOOR = 1 << 20  # a member under 1 MiB may compress well without harm
MAX_COLUMNS = 512  # a row wider than this is padding from a bogus sheet dimension
SOFT_DEADLINE = 0.85  # share of the time cap after which readers stop between pages/rows
OUT_OF_MEMORY = "the parser ran out of its memory allowance"


class Flag(Exception):
    """A file the reader must not or cannot read; ``code`` is a stable reason code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Extracted:
    """What was read so far; kept when a later part of the file is flagged."""

    kind: str
    limits: Limits
    text: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    pages: int | None = None
    rows: int = 0
    flag: tuple[str, str] | None = None
    deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.limits.timeout_seconds * SOFT_DEADLINE

    def check_time(self, done: str) -> None:
        """Stop between pages or rows near the time cap, keeping what was read.

        The caller kills the process at the cap itself; stopping a little earlier turns a
        long but healthy file into a partial result instead of nothing.
        """
        if time.monotonic() > self.deadline:
            raise Flag("timeout", f"stopped near the {self.limits.timeout_seconds:g} s cap "
                                  f"after {done}")

    def note(self, code: str, detail: str) -> None:
        """Record a flag but keep reading; the first one recorded wins."""
        if self.flag is None:
            self.flag = (code, detail)

    def add_table(self, where: str, rows: list[list[str]]) -> None:
        """Keep a table and its tab-separated rendering; stop at the row cap."""
        room = self.limits.max_rows - self.rows
        kept = rows[: max(room, 0)]
        if kept:
            self.tables.append({"where": where, "rows": kept})
            self.text.extend("\t".join(_flat(c) for c in row) for row in kept)
            self.rows += len(kept)
        if len(rows) > len(kept):
            cap = self.limits.max_rows
            raise Flag("too-large", f"more than {cap} table rows; read the first {cap}")

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": "\n".join(self.text), "tables": self.tables,
                "pages": self.pages, "flag": self.flag}


def parse(data: bytes, family: str, kind: str, limits: Limits) -> dict[str, Any]:
    """Read ``data`` of a sniffed ``family``; always returns a payload, never raises."""
    out = Extracted(kind=kind, limits=limits)
    try:
        if family == "pdf":
            read_pdf(data, out)
        elif family == "zip":
            read_zip(data, out)
        elif family == "ole":
            read_ole(data, out)
        else:
            raise Flag("unreadable-format", f"no reader for {family}")
    except Flag as flag:
        out.note(flag.code, flag.detail)
    except MemoryError:
        out.note("too-large", OUT_OF_MEMORY)
    except RecursionError:
        out.note("corrupt", "structure nested too deeply to parse")
    except Exception as exc:  # noqa: BLE001 - any library error is a property of the file
        out.note(*classify(exc))
    return out.payload()


def classify(exc: BaseException) -> tuple[str, str]:
    """Reason code for an exception a parsing library raised."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or "unable to allocate" in str(seen).lower():
            return "too-large", OUT_OF_MEMORY
        if isinstance(seen, PDFPasswordIncorrect):
            return "encrypted", "PDF needs a password to open"
        if isinstance(seen, PDFEncryptionError):
            return "encrypted", f"PDF encryption not supported ({seen})"
        if isinstance(seen, xlrd.XLRDError) and "encrypted" in str(seen).lower():
            return "encrypted", "password-protected Excel 97-2003 workbook"
        seen = seen.__cause__ or seen.__context__
    message = " ".join(str(exc).split())[:200]
    return "corrupt", f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# --- PDF -----------------------------------------------------------------------------


def read_pdf(data: bytes, out: Extracted) -> None:
    """Text outside tables in reading order, tables as rows, at most ``max_pdf_pages``."""
    if b"%%EOF" not in data[-1024:]:
        out.note("truncated", "no %%EOF marker at the end: the file was cut short")
    cap = out.limits.max_pdf_pages
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        out.pages = len(pdf.pages)
        for number, page in enumerate(pdf.pages[:cap], 1):
            out.check_time(f"{number - 1} of {out.pages} pages")
            _read_pdf_page(page, number, out)
            page.close()
    if out.pages > cap:
        out.note("too-many-pages",
                 f"{out.pages} pages, over the cap of {cap}; read the first {cap}")
    if out.pages and not any(line.strip() for line in out.text):
        out.note("image-not-read",
                 f"no text layer on its {out.pages} page(s) (scanned?); not OCR'd")


def _read_pdf_page(page: Any, number: int, out: Extracted) -> None:
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    lines = page.filter(outside).extract_text_lines(return_chars=False)
    blocks: list[tuple[float, int, Any]] = [(ln["top"], 0, ln["text"]) for ln in lines]
    blocks += [(t.bbox[1], 1, (k, t)) for k, t in enumerate(tables, 1)]
    for _top, is_table, block in sorted(blocks, key=lambda b: (b[0], b[1])):
        if not is_table:
            out.text.append(block)
            continue
        k, table = block
        rows = [[_pdf_cell(c) for c in row] for row in table.extract()]
        rows = [row for row in rows if any(row)]
        where = f"page {number}" if len(tables) == 1 else f"page {number} table {k}"
        out.add_table(where, rows)


_HS_LENGTHS = {8, 10}
_TRAIL_DIGITS = re.compile(r"\d+$")
_LEAD_DIGITS = re.compile(r"^\d+")


def _pdf_cell(value: str | None) -> str:
    """Undo line wrapping inside a PDF table cell without gluing separate codes.

    A PDF has no notion of a wrapped cell: pdfplumber gives one line per printed line.
    Chinese text and codes cut by the wrap are joined directly; two complete customs
    codes (8 or 10 digits) on consecutive lines stay separate; Latin words get a space.
    """
    if not value:
        return ""
    lines = [ln.strip() for ln in value.splitlines() if ln.strip()]
    if not lines:
        return ""
    text = lines[0]
    for line in lines[1:]:
        left, right = text[-1], line[0]
        if left.isdigit() and right.isdigit():
            a = len(_TRAIL_DIGITS.search(text).group())  # type: ignore[union-attr]
            b = len(_LEAD_DIGITS.match(line).group())  # type: ignore[union-attr]
            glue = "" if a + b in _HS_LENGTHS or a not in _HS_LENGTHS else " "
        elif left.isascii() and right.isascii() and (left.isalpha() or left in ",;:)"):
            glue = " "
        else:
            glue = ""
        text += glue + line
    return text


# --- zip-based: DOCX and XLSX ------------------------------------------------------------


def read_zip(data: bytes, out: Extracted) -> None:
    """Check the container against the bomb caps, then read it as DOCX or XLSX."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        if "not a zip file" in str(exc).lower():
            raise Flag("truncated",
                       "zip container without its central directory (cut short?)") from exc
        raise
    with archive:
        names = archive.namelist()
        out.kind = _ooxml_kind(names)
        check_zip(archive.infolist(), out.limits)
        if out.kind == "docx":
            read_docx(data, out)
        elif out.kind == "xlsx":
            read_xlsx(data, out)
        elif any(n.startswith("ppt/") for n in names):
            raise Flag("unreadable-format", "PowerPoint presentation (.pptx) is not read")
        elif "mimetype" in names:
            mime = archive.read("mimetype")[:100].decode("ascii", "replace")
            raise Flag("unreadable-format", f"OpenDocument file ({mime}) is not read")
        else:
            raise Flag("unreadable-format", f"zip archive of {len(names)} files, not a document")


def _ooxml_kind(names: list[str]) -> str:
    """DOCX and XLSX by their part folders, which every producer uses."""
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "unknown"


def check_zip(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse zip bombs from the central directory alone, before anything is inflated.

    Trusting the declared sizes is safe here: :mod:`zipfile` stops a member's output at
    its declared size and fails its CRC check, and every reader used goes through it.
    """
    if len(infos) > MAX_ZIP_MEMBERS:
        raise Flag("zip-bomb", f"{len(infos)} members, over the cap of {MAX_ZIP_MEMBERS}")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise Flag("zip-bomb", f"members unpack to {_mib(total)}, over the cap of "
                               f"{_mib(limits.max_unzipped_bytes)}")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise Flag("zip-bomb", f"member {info.filename} expands {ratio:.0f}x to "
                                   f"{_mib(info.file_size)}, over the ratio cap of "
                                   f"{limits.max_ratio}")


def read_docx(data: bytes, out: Extracted) -> None:
    """Paragraphs and tables in document order; a merged cell's text is kept once."""
    document = docx.Document(io.BytesIO(data))
    number = 0
    for block in document.iter_inner_content():
        out.check_time(f"{len(out.text)} paragraphs and {number} tables")
        if isinstance(block, DocxTable):
            number += 1
            out.add_table(f"table {number}", _docx_rows(block))
        elif block.text.strip():
            out.text.append(block.text.strip())


def _docx_rows(table: DocxTable) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            # A horizontally merged cell comes back once per grid column it spans.
            cells.append("" if cell._tc is previous else _clean(cell.text))
            previous = cell._tc
        if any(cells):
            rows.append(cells)
    return rows


def read_xlsx(data: bytes, out: Extracted) -> None:
    """Every worksheet as one table of its non-empty rows (values, not formulas)."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a stored dimension can claim a million empty rows
            rows = []
            for values in sheet.iter_rows(values_only=True):
                cells = _trim([_xl_value(v) for v in values[:MAX_COLUMNS]])
                if cells:
                    rows.append(cells)
                    if out.rows + len(rows) > out.limits.max_rows:
                        break
                    if len(rows) % 1000 == 0:
                        _check_sheet_time(out, sheet.title, rows)
            out.text.append(f"[{sheet.title}]")
            out.add_table(f"sheet {sheet.title}", rows)
    finally:
        book.close()


def _check_sheet_time(out: Extracted, title: str, rows: list[list[str]]) -> None:
    """Keep the rows read so far when a sheet runs into the time cap."""
    try:
        out.check_time(f"{out.rows + len(rows)} rows")
    except Flag:
        out.add_table(f"sheet {title}", rows)
        raise


# --- OLE: legacy .xls / .doc / encrypted OOXML ---------------------------------------------


def read_ole(data: bytes, out: Extracted) -> None:
    """Tell the legacy formats apart by their streams; read .xls, flag the rest."""
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        streams = {"/".join(path).lower() for path in ole.listdir()}
        if "encryptedpackage" in streams:
            raise Flag("encrypted", "password-protected Office file (encrypted OOXML package)")
        if "workbook" in streams or "book" in streams:
            out.kind = "xls"
        elif "worddocument" in streams:
            out.kind = "doc"
            fib = ole.openstream("WordDocument").read(12)
            if len(fib) == 12 and fib[11] & 0x01:  # FibBase.fEncrypted
                raise Flag("encrypted", "password-protected Word 97-2003 document")
            raise Flag("unreadable-format", "Word 97-2003 binary document (.doc/.wps): no "
                                            "maintained Python reader; needs a DOCX or PDF copy")
        else:
            shown = ", ".join(sorted(streams)[:5])
            raise Flag("unreadable-format", f"OLE file without a Word or Excel stream ({shown})")
    read_xls(data, out)


def read_xls(data: bytes, out: Extracted) -> None:
    """Excel 97-2003 workbooks through xlrd, one table per sheet."""
    book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = []
            for r in range(sheet.nrows):
                cells = _trim([_xls_value(c, book.datemode) for c in sheet.row(r)[:MAX_COLUMNS]])
                if cells:
                    rows.append(cells)
            out.text.append(f"[{sheet.name}]")
            out.add_table(f"sheet {sheet.name}", rows)
            book.unload_sheet(index)
    finally:
        book.release_resources()


# --- cell values ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    return "\n".join(line.strip() for line in text.replace("\r", "\n").split("\n")).strip()


def _flat(cell: str) -> str:
    """One cell on one TSV line."""
    return " ".join(cell.replace("\t", " ").split("\n"))


def _trim(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _number(value: float) -> str:
    """HS codes stored as numbers must come back as the digits, not 2805301910.0."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")


def _xl_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == dtime(0) else value.isoformat()
    if isinstance(value, date | dtime):
        return value.isoformat()
    return _clean(str(value))


def _xls_value(cell: Any, datemode: int) -> str:
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return _number(float(cell.value))
    if cell.ctype == xlrd.XL_CELL_DATE:
        return _xl_value(xlrd.xldate.xldate_as_datetime(cell.value, datemode))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return _clean(str(cell.value))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"
