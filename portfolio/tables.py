"""Rows of a CSV or XLSX file with their line numbers, before any meaning is given to them.

Company files come from Excel as often as from scripts: a CSV may be GB18030 or UTF-16
(core/userfiles.py) and semicolon-separated, and an XLSX cell may hold a number where the
text had digits.
Cells are returned as they are (str, int, float or None); ``portfolio.fields`` reads them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from core import userfiles

Cell = Any
Line = tuple[int, list[Cell]]


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX this reader can open."""


ZIP = b"PK\x03\x04"  # an XLSX workbook is a zip file, whatever its name says
OLE = b"\xd0\xcf\x11\xe0"  # an old binary .xls workbook


def read_sheets(path: str | Path) -> list[tuple[str | None, list[Line]]]:
    """``(sheet name, rows)`` of every sheet, in order: one unnamed sheet for a CSV. A
    workbook is read as one whatever its suffix (a ``.csv`` that is an XLSX is common).

    :raises UnreadableFile: for another format or a damaged file
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".txt", ".tsv"):
        raise UnreadableFile(f"{file.name}: a portfolio is a .csv or .xlsx file, not "
                             f"{suffix or 'no suffix'!r}")
    try:
        with file.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise UnreadableFile(f"{file.name}: cannot be read ({exc.strerror})") from exc
    if head.startswith(OLE):
        raise UnreadableFile(f"{file.name}: an old binary Excel workbook (.xls); save it as "
                             ".xlsx or .csv")
    if suffix == ".xlsx" or head.startswith(ZIP):
        return _xlsx_sheets(file)
    return [(None, _csv_rows(file))]


def _csv_rows(file: Path) -> list[Line]:
    try:
        text = userfiles.decode(file.read_bytes())
    except userfiles.UnreadableText as exc:
        raise UnreadableFile(f"{file.name}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=userfiles.delimiter(text))
    rows: list[Line] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = reader.line_num + 1  # a quoted cell may span lines: where the row begins
    except csv.Error as exc:  # a cell past the csv module's size limit, a stray quote, …
        raise UnreadableFile(f"{file.name}: not a readable CSV from line {start} ({exc})") \
            from exc
    return rows


def _xlsx_sheets(file: Path) -> list[tuple[str | None, list[Line]]]:
    from openpyxl import load_workbook

    try:  # read from bytes: openpyxl goes by the suffix of a path, and this may be ".csv"
        book = load_workbook(io.BytesIO(file.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged or foreign file
        raise UnreadableFile(f"{file.name}: not a readable XLSX workbook ({exc})") from exc
    try:
        sheets: list[tuple[str | None, list[Line]]] = []
        for sheet in book.worksheets:
            rows: list[Line] = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                cells = list(values)
                if any(cell is not None and str(cell).strip() for cell in cells):
                    rows.append((number, cells))
            sheets.append((sheet.title, rows))
        return sheets or [(None, [])]
    except Exception as exc:  # a sheet damaged past its first rows
        raise UnreadableFile(f"{file.name}: not a readable XLSX workbook ({exc})") from exc
    finally:
        book.close()
