"""The CLI's one console: tables and lines that fit the terminal, states in plain words.

Every text answer of the CLI goes through here (rich), so widths are measured in
terminal cells (a Han character is two) and nothing is padded by hand. In a terminal,
output fits its width: long columns (titles, texts) are clipped with "…" first, lines of
prose wrap. ``--wide`` (or output to a pipe or file) prints everything at full width,
so scripts and ``grep`` see whole values.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

_STATE: dict[str, Any] = {"wide": False, "console": None}

# enum values the catalogue stores → the words printed for them
WORDS: dict[str, str] = {
    "in_force": "in force", "in_force_again": "in force again", "pending": "pending",
    "suspended": "suspended", "repealed": "repealed", "superseded": "superseded",
    "expired": "expired", "not_in_catalogue": "not in the catalogue",
    "entity_listed": "entity listed", "entity_delisted": "entity delisted",
    "source_health": "source health", "source_recovered": "source recovered",
    "source_unhealthy": "source unhealthy", "not_modified": "not modified",
    "new_documents": "new documents", "new_versions": "new versions",
    "effective_dates": "effective dates", "control_codes": "control codes",
    "hs_codes": "HS codes", "issue_date": "issue date",
}
# column names → header labels (the rest: underscores become spaces)
LABELS: dict[str, str] = {
    "version_count": "versions", "crawl_run_id": "run", "http_status": "HTTP",
    "subscription_id": "sub", "original_document_id": "original doc",
    "translation_document_id": "translation doc", "document_id": "doc",
}
# columns that give up width first (clipped with "…") when the table is too wide
FLEXIBLE = {"title", "text", "reason", "snippet", "url", "target", "filters", "detail",
            "name", "name_en", "name_zh", "query", "scope", "match", "changed", "address",
            "entities", "description", "error", "message"}
GAP = 2  # cells between columns
MIN_FLEX = 12


def set_wide(wide: bool) -> None:
    """``--wide``: print every value whole, whatever the terminal's width."""
    _STATE["wide"] = bool(wide)
    _STATE["console"] = None


def console() -> Console:
    """The console; stdout is looked up at each print (click's test runner swaps it)."""
    if _STATE["console"] is None:
        wide = _STATE["wide"] or not sys.stdout.isatty()
        _STATE["console"] = Console(highlight=False, markup=False, emoji=False,
                                    soft_wrap=wide, width=100_000 if wide else None)
    return _STATE["console"]


def width() -> int | None:
    """The width output must fit, or None when values print whole."""
    return None if _STATE["wide"] or not sys.stdout.isatty() else console().width


def word(value: Any) -> str:
    """One value as text: plain words for enums, lists joined, never JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(word(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{word(k)} {word(v)}" for k, v in value.items())
    text = " ".join(str(value).split())
    return WORDS.get(text, text)


def label(column: str) -> str:
    return LABELS.get(column, WORDS.get(column, column.replace("_", " ")))


def clip(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells, with "…" when cut."""
    if cell_len(text) <= cells:
        return text
    out = Text(text)
    out.truncate(max(1, cells), overflow="ellipsis")
    return out.plain


def _widths(natural: list[int], flexible: list[bool], room: int) -> list[int]:
    """Column widths within ``room`` cells: flexible columns shrink first, then the widest."""
    widths = list(natural)
    room -= GAP * (len(widths) - 1)
    over = sum(widths) - room
    flex = [i for i, f in enumerate(flexible) if f]
    while over > 0 and flex:
        i = max(flex, key=lambda j: widths[j])
        if widths[i] <= MIN_FLEX:
            break
        cut = min(over, widths[i] - MIN_FLEX, max(1, widths[i] - max(
            [widths[j] for j in flex if j != i] + [MIN_FLEX])))
        widths[i] -= cut
        over -= cut
    while over > 0:
        i = max(range(len(widths)), key=lambda j: widths[j])
        if widths[i] <= 3:
            break
        widths[i] -= 1
        over -= 1
    return widths


def _fits(natural: list[int], flexible: list[bool], room: int) -> bool:
    least = sum(min(n, MIN_FLEX) if f else n for n, f in zip(natural, flexible, strict=True))
    return least + GAP * (len(natural) - 1) <= room


def table(rows: list[dict[str, Any]], columns: list[str],
          optional: tuple[str, ...] = ()) -> None:
    """Rows as a table that fits the terminal, one line per row.

    ``optional`` columns are left out, last named first, while the others do not fit
    even with their long columns clipped; a note then says ``--wide`` shows them.
    """
    out = console()
    if not rows:
        out.print("(none)")
        return
    room = width()
    columns = list(columns)
    cells = {c: [word(row.get(c)) for row in rows] for c in columns}
    natural = {c: max(cell_len(label(c)), *(cell_len(v) for v in cells[c])) for c in columns}
    dropped = []
    for name in reversed(optional):
        if room is None or _fits([natural[c] for c in columns],
                                 [c in FLEXIBLE for c in columns], room):
            break
        if name in columns:
            columns.remove(name)
            dropped.append(name)
    widths = [natural[c] for c in columns]
    if room is not None:
        widths = _widths(widths, [c in FLEXIBLE for c in columns], room)
    grid = Table(box=None, padding=(0, GAP, 0, 0), pad_edge=False, show_edge=False,
                 header_style="bold")
    for name, cells_width in zip(columns, widths, strict=True):
        grid.add_column(label(name), width=cells_width, no_wrap=True, overflow="ellipsis")
    for i in range(len(rows)):
        grid.add_row(*(cells[c][i] for c in columns))
    out.print(grid)
    if dropped:
        one_line(f"(not shown at this width: {', '.join(label(c) for c in reversed(dropped))}; "
                 "--wide shows every column)")


def line(text: str = "", indent: int = 0) -> None:
    """Prose: wrapped to the terminal's width (hanging ``indent``), whole when wide."""
    out = console()
    room = width()
    if room is None or cell_len(text) <= room:
        out.print(text, overflow="ignore", crop=False, soft_wrap=True)
        return
    wrapped = Text(text).wrap(out, room - indent if indent else room, overflow="fold")
    for n, piece in enumerate(wrapped):
        out.print((" " * indent if n and indent else "") + piece.plain.rstrip(),
                  overflow="ignore", crop=False, soft_wrap=True)


def one_line(text: str) -> None:
    """A line that is clipped, not wrapped, in a terminal (a heading, a title)."""
    room = width()
    console().print(text if room is None else clip(text, room), overflow="ignore",
                    crop=False, soft_wrap=True)
