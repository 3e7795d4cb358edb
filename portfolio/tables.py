"""Rows of a CSV or XLSX file with their line numbers, before any meaning is given to them.

Company files come from Excel as often as from scripts: a CSV may be GB18030 and
semicolon-separated, and an XLSX cell may hold a number where the text had digits.
Cells are returned as they are (str, int, float or None); ``portfolio.fields`` reads them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

Cell = Any
Line = tuple[int, list[Cell]]


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX this reader can open."""


def read_rows(path: str | Path) -> list[Line]:
    """``(line, cells)`` for every non-blank row, line numbers as a spreadsheet shows them.

    :raises UnreadableFile: for another format or a damaged file
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(file)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv_rows(file)
    raise UnreadableFile(f"{file.name}: a portfolio is a .csv or .xlsx file, not {suffix or 'no suffix'!r}")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")  # what Excel writes for "CSV" on a Chinese Windows


def _delimiter(sample: str) -> str:
    """The separator used most in the first lines: Excel writes ";" or tabs in some locales.

    (csv.Sniffer gives up on a title line above the header, which company files often have.)
    """
    counts = {sep: sample.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def _csv_rows(file: Path) -> list[Line]:
    text = _decode(file.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text[:8192]))
    rows: list[Line] = []
    start = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append((start, cells))
        start = reader.line_num + 1  # a quoted cell may span lines: report where the row begins
    return rows


def _xlsx_rows(file: Path) -> list[Line]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged or foreign file
        raise UnreadableFile(f"{file.name}: not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        rows: list[Line] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = list(values)
            if any(cell is not None and str(cell).strip() for cell in cells):
                rows.append((number, cells))
        return rows
    finally:
        book.close()
