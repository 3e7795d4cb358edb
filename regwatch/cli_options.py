"""Options and printers shared by every command module of the CLI.

A module of its own so that command modules in other packages (alerts/, the timeline,
the web) can use them without importing regwatch.cli, which imports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from core.settings import env

DEFAULT_DB = "regwatch.db"


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db", "db_path", default=lambda: env("REGWATCH_DB", DEFAULT_DB),
        show_default="$REGWATCH_DB or regwatch.db", type=click.Path(dir_okay=False),
        help="The catalogue (an SQLite file).",
    )(fn)


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(fn)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def emit_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    cells = [[str(row.get(c) if row.get(c) is not None else "") for c in columns] for row in rows]
    widths = [min(60, max(_width(c), *(_width(r[i]) for r in cells))) for i, c in enumerate(columns)]
    click.echo("  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(_pad(_clip(v, w), w) for v, w in zip(row, widths, strict=True)))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    while _width(text) > width:
        text = text[:-2] + "…"
    return text


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
