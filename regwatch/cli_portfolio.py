"""CLI commands for portfolios: ``regwatch portfolio import FILE [--name N]`` and ``show``.

``portfolio status`` is not here yet: it must use the timeline's query semantics (issue
#13), not a matcher of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from regwatch.cli_options import db_option, emit_json, emit_table, json_option

PROBLEM_COLUMNS = ["line", "cell", "column", "severity", "message"]


def _errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from store import CatalogueError

        try:
            return fn(*args, **kwargs)
        except CatalogueError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


@click.group("portfolio")
def portfolio() -> None:
    """A company's own products and lanes (sku, HS code, destination, …), kept with history."""


@portfolio.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="The portfolio's name (default: the file's name without suffix).")
@db_option
@json_option
@_errors
def portfolio_import(file: str, name: str | None, db_path: str, as_json: bool) -> None:
    """Validate FILE (CSV or XLSX) and make it the portfolio's current content.

    Every bad cell is reported with its line and column (unknown HS format, unknown
    country, unknown material, empty sku, duplicate sku and destination); when there is
    any, nothing is imported and the exit status is 1. Re-importing keeps the earlier
    versions of changed or removed lanes.
    """
    from portfolio.read import read_portfolio
    from portfolio.records import import_file
    from store import catalogue

    _, problems = read_portfolio(file)
    errors = [p for p in problems if p["severity"] == "error"]
    if errors:
        if as_json:
            emit_json({"imported": False, "problems": problems})
        else:
            emit_table(problems, PROBLEM_COLUMNS)
        raise click.ClickException(f"{len(errors)} problem{'s' if len(errors) > 1 else ''} in "
                                   f"{file}; nothing imported")
    db = catalogue.open_db(db_path)
    summary, problems = import_file(db, file, name)
    if as_json:
        emit_json({"imported": True, **summary, "problems": problems})
        return
    if problems:
        emit_table(problems, PROBLEM_COLUMNS)
    click.echo(f"portfolio {summary['portfolio']!r}, import #{summary['import_id']}: "
               f"{summary['rows']} lanes — {summary['added']} added, {summary['changed']} changed, "
               f"{summary['removed']} removed, {summary['unchanged']} unchanged")


@portfolio.command("show")
@click.argument("name")
@click.option("--history", is_flag=True, help="List the imports instead of the lanes.")
@click.option("--as-of-import", type=int, help="The lanes as they stood after this import.")
@db_option
@json_option
@_errors
def portfolio_show(name: str, history: bool, as_of_import: int | None, db_path: str,
                   as_json: bool) -> None:
    """The lanes of portfolio NAME (or, with --history, its imports)."""
    from portfolio import records
    from store import catalogue

    db = catalogue.open_db(db_path)
    if history:
        found = records.imports(db, name)
        columns = ["id", "imported_at", "source", "rows", "added", "changed", "removed", "unchanged"]
    else:
        found = records.rows(db, name, as_of_import)
        for row in found:
            row["materials"] = ", ".join(row["materials"])
        columns = ["sku", "destination", "hs_code", "materials", "description", "counterparty"]
    if as_json:
        emit_json(found)
    else:
        emit_table(found, columns)


COMMANDS = [portfolio]
