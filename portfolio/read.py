"""``read_portfolio(path) -> (rows, problems)``: a company file read whole, or not at all.

Every bad cell is reported with its line and column, so a compliance officer fixes the
file in one pass; when any error is found no row is returned, because half a portfolio
would read as "the rest is fine". Headers are matched through ``columns.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from core import yamldata
from portfolio import fields
from portfolio.lanes import lane_key
from portfolio.tables import Cell, UnreadableFile, read_sheets

HEADER_IGNORED = re.compile(r"[\s._\-/:：]+")
HEADER_SEARCH_ROWS = 10  # a title or a note may sit above the header row
# a note in brackets: "HS Code (10-digit)", "目的国（地区）", "Destination [ISO]"
HEADER_NOTE = re.compile(r"[(\[【][^)\]】]*[)\]】]")
# a generic last word a header may add to a column's name: "Customer Name",
# "End Use Description", "客户名称"
HEADER_ENDINGS = ("name", "description", "名称")
EXACT, NOTED, ENDED = 0, 1, 2  # how closely a header names its column (_match)


def header_key(value: object) -> str:
    """A header as compared: NFKC, case-folded, no spaces, dots, dashes, underscores,
    slashes or colons, and ``#`` read as "no" ("Part #" is "Part No.")."""
    text = unicodedata.normalize("NFKC", fields.text(value)).casefold().replace("#", "no")
    return HEADER_IGNORED.sub("", text)


@cache
def columns() -> dict[str, dict[str, Any]]:
    """Field name → ``{"required": bool, "headers": set of header keys}``."""
    data = yamldata.load(files("portfolio").joinpath("columns.yaml").read_text(encoding="utf-8"))
    return {name: {"required": bool(spec.get("required")),
                   "headers": {header_key(h) for h in [name, *spec["headers"]]}}
            for name, spec in data.items()}


def _field_for(header: object) -> str | None:
    found = _match(header)
    return found[0] if found else None


def _match(header: object) -> tuple[str, int] | None:
    """(column, how closely) a header names: as listed in ``columns.yaml`` (:data:`EXACT`),
    once a note in brackets is set aside (:data:`NOTED`), or once a generic last word is
    (:data:`ENDED`: "Customer Name" is the customer)."""
    text = unicodedata.normalize("NFKC", fields.text(header))
    bare = header_key(HEADER_NOTE.sub(" ", text))
    tries = [(header_key(text), EXACT), (bare, NOTED)]
    tries += [(bare[:-len(end)], ENDED) for end in HEADER_ENDINGS
              if bare.endswith(end) and len(bare) > len(end)]
    for wanted, closeness in tries:
        for name, spec in columns().items():
            if wanted and wanted in spec["headers"]:
                return name, closeness
    return None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def problem(line: int, column: str, field: str, kind: str, message: str, *,
            value: str = "", index: int | None = None, severity: str = "error") -> dict[str, Any]:
    cell = f"{column_letter(index)}{line}" if index is not None else ""
    return {"line": line, "column": column, "field": field, "cell": cell, "value": value,
            "problem": kind, "message": message, "severity": severity}


def _find_header(lines: list[tuple[int, list[Cell]]]) -> int | None:
    for position, (_, cells) in enumerate(lines[:HEADER_SEARCH_ROWS]):
        if len({_field_for(cell) for cell in cells} - {None}) >= 2:
            return position
    return None


def _map_header(line: int, cells: list[Cell]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    mapping: dict[str, int] = {}
    closeness: dict[str, int] = {}
    problems: list[dict[str, Any]] = []
    for index, cell in enumerate(cells):
        header = fields.text(cell)
        if not header:
            continue
        found = _match(cell)
        if found is None:
            problems.append(problem(line, header, "", "unknown_column",
                                    f"column {header!r} is not a portfolio column and is ignored",
                                    index=index, severity="warning"))
            continue
        name, close = found
        if name in mapping and close == closeness[name] == EXACT:
            first = fields.text(cells[mapping[name]])
            problems.append(problem(line, header, name, "duplicate_column",
                                    f"column {header!r} means {name}, as {first!r} does", index=index))
            continue
        if name in mapping:  # a header naming the column less closely gives way
            kept, other = (index, mapping[name]) if close < closeness[name] else \
                (mapping[name], index)
            problems.append(problem(
                line, fields.text(cells[other]), name, "ignored_column",
                f"column {fields.text(cells[other])!r} may mean {name}; "
                f"{fields.text(cells[kept])!r} is read as {name} and it is ignored",
                index=other, severity="warning"))
            if kept == mapping[name]:
                continue
        mapping[name] = index
        closeness[name] = close
    for name, spec in columns().items():
        if spec["required"] and name not in mapping:
            problems.append(problem(line, name, name, "missing_column", f"no {name} column"))
    return mapping, problems


READERS = {"hs_code": fields.hs_code, "destination": fields.destination}
REQUIRED_TEXT = ("sku", "description")


def _read_row(line: int, cells: list[Cell], mapping: dict[str, int], headers: list[Cell]
              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row: dict[str, Any] = {"line": line}
    problems: list[dict[str, Any]] = []
    for name, index in mapping.items():
        value = cells[index] if index < len(cells) else None
        header = fields.text(headers[index])
        reader = READERS.get(name)
        try:
            if name == "materials":
                row[name], loose = fields.read_materials(value)
                problems.extend(problem(
                    line, header, name, "material_read_as",
                    f"{term!r} read as {', '.join(means)}", value=term, index=index,
                    severity="warning") for term, means in loose)
                problems.extend(problem(
                    line, header, name, "material_family",
                    f"{family!r} names a family of materials, which decides no verdict by "
                    "itself: list the members the product contains", value=family,
                    index=index, severity="warning")
                    for family in row[name] if fields.family(family))
            elif reader is not None:
                row[name] = reader(value)
            elif name in REQUIRED_TEXT and not fields.text(value):
                raise fields.FieldError(f"empty_{name}", f"{name} is empty")
            else:
                row[name] = fields.text(value) or None
        except fields.FieldError as error:
            problems.append(problem(line, header, name, error.kind, str(error),
                                    value=fields.text(value), index=index))
    if "destination" in mapping:
        row["destination_as_written"] = fields.text(cells[mapping["destination"]]
                                                    if mapping["destination"] < len(cells) else None)
    for name in columns():
        row.setdefault(name, [] if name == "materials" else None)
    return row, problems


def _lane_words(row: dict[str, Any]) -> str:
    """A lane as a duplicate's message names it: sku, destination and what else it gives."""
    words = f"sku {row['sku']!r} to {row['destination']}"
    for name, label in (("counterparty", "for"), ("end_use", "end use"),
                        ("end_user", "end user")):
        if row.get(name):
            words += f" {label} {row[name]!r}"
    return words


# the first cell of a totals row a spreadsheet adds under its lines: "Total", "Grand total",
# "合计"; such a row names no product (no description, HS code or destination)
TOTALS = re.compile(r"(?i)^\s*(?:grand\s+|sub-?\s*)?(?:total|totals|sum)\b.*$|^\s*(?:合计|总计|小计|"
                    r"共计|總計|合計)")
PRODUCT = ("description", "hs_code", "destination")


def _totals(cells: list[Cell], mapping: dict[str, int]) -> bool:
    """Whether a line is a totals row: its first filled cell says so and it names no
    product (reading it as one would fail the whole file on its empty cells)."""
    filled = [fields.text(c) for c in cells if fields.text(c)]
    if not filled or not TOTALS.match(filled[0]):
        return False
    return not any(mapping.get(name) is not None and mapping[name] < len(cells)
                   and fields.text(cells[mapping[name]]) for name in PRODUCT)


def read_portfolio(path: str | Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read a portfolio file: ``(rows, problems)``.

    ``rows`` are plain dicts (``line``, ``sku``, ``description``, ``hs_code`` as digits,
    ``materials`` as vocabulary names, ``destination`` as ISO alpha-2 with
    ``destination_as_written``, ``end_use``, ``end_user``, ``counterparty``). ``problems``
    has one dict per bad cell, header or duplicate (``line``, ``column`` as written,
    ``field``, ``cell``, ``value``, ``problem``, ``message``, ``severity``). When any problem
    is an error, ``rows`` is empty: nothing is imported from a file with a bad row.
    """
    try:
        sheets = read_sheets(path)
    except UnreadableFile as error:
        return [], [problem(0, "", "", "unreadable_file", str(error))]
    if not any(lines for _, lines in sheets):
        return [], [problem(1, "", "", "empty_file", "the file has no rows")]
    # the first sheet with a header row (a workbook may open on a cover or notes sheet)
    found = next(((name, lines, start) for name, lines in sheets
                  if (start := _find_header(lines)) is not None), None)
    if found is None:
        first_line = next(lines for _, lines in sheets if lines)[0][0]
        return [], [problem(first_line, "", "", "missing_header",
                            "no header row naming the portfolio columns (sku, hs_code, destination, …) "
                            f"in the first {HEADER_SEARCH_ROWS} rows"
                            + (" of any sheet" if len(sheets) > 1 else ""))]
    sheet, lines, start = found
    header_line, headers = lines[start]
    mapping, problems = _map_header(header_line, headers)
    if sheet is not None and sheet != sheets[0][0]:
        problems.insert(0, problem(header_line, "", "", "sheet_read",
                                   f"read sheet {sheet!r}, the first with a header row",
                                   severity="warning"))
    if len(lines) == start + 1:
        problems.append(problem(header_line, "", "", "no_rows",
                                "no product rows under the header: nothing to import (an empty "
                                "file would remove every lane of the portfolio)"))
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in lines[start + 1:]:
        if _totals(cells, mapping):
            problems.append(problem(line, "", "", "totals_row",
                                    f"line {line} reads as a totals row "
                                    f"({fields.text(next(c for c in cells if fields.text(c)))!r} "
                                    "with no product) and is skipped", severity="warning"))
            continue
        row, row_problems = _read_row(line, cells, mapping, headers)
        problems.extend(row_problems)
        if row["sku"] and row["destination"]:
            lane = lane_key(row)  # the same SKU to one country for two customers: two lanes
            if lane in seen:
                index = mapping["sku"]
                problems.append(problem(line, fields.text(headers[index]), "sku", "duplicate_row",
                                        f"{_lane_words(row)} is already on line {seen[lane]}",
                                        value=row["sku"], index=index))
            else:
                seen[lane] = line
        rows.append(row)
    if any(p["severity"] == "error" for p in problems):
        return [], problems
    return rows, problems
