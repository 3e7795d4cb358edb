"""CLI commands for portfolios: ``regwatch portfolio import FILE [--name N]``, ``show``,
``status`` (verdicts through the timeline's one ``status`` implementation), ``changes``
and ``upcoming``.
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


STATUS_COLUMNS = ["sku", "destination", "verdict", "announcements", "matched", "screening", "why"]


def _lane_columns(columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """``columns`` with the lane's counterparty, end use and end user after its
    destination where some row has them: two lanes of one SKU to one country differ
    there (``portfolio.lanes``)."""
    extra = [name for name in ("counterparty", "end_use", "end_user")
             if any(row.get(name) for row in rows)]
    at = columns.index("destination") + 1
    return [*columns[:at], *extra, *columns[at:]]


@portfolio.command("status")
@click.argument("name")
@click.option("--on", "on", help="The date (YYYY-MM-DD; default: today in Beijing).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the rows as CSV to this file (- for standard output).")
@click.option("--xlsx", "xlsx_file", type=click.Path(dir_okay=False),
              help="Write an auditor's workbook: a sheet per verdict and a sheet of sources.")
@db_option
@json_option
@_errors
def portfolio_status(name: str, on: str | None, csv_file: str | None, xlsx_file: str | None,
                     db_path: str, as_json: bool) -> None:
    """Each product's verdict on a date: what applies, how it matched, why, and the
    counterparty's entity-list screening. "not found in the catalogue" is never "not
    controlled"."""
    from portfolio import records, report
    from portfolio.status import portfolio_status as status_rows
    from store import catalogue

    db = catalogue.open_db(db_path)
    rows = status_rows(db, records.rows(db, name), on)
    if csv_file:
        text = report.to_csv(rows)
        if csv_file == "-":
            click.echo(text, nl=False)
        else:
            with open(csv_file, "w", encoding="utf-8", newline="") as out:
                out.write(text)
    if xlsx_file:
        counts = report.to_xlsx(db, rows, xlsx_file)
        click.echo(f"wrote {xlsx_file}: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                   err=True)
    if as_json:
        emit_json(rows)
    elif not csv_file or csv_file != "-":
        emit_table([report.flat(r) for r in rows], _lane_columns(STATUS_COLUMNS, rows),
                   optional=("why", "screening", "end_user", "end_use"))
        summary: dict[str, int] = {}
        for row in rows:
            key = report.sheet_of(row["verdict"])
            summary[key] = summary.get(key, 0) + 1
        click.echo(f"{len(rows)} lanes on {rows[0]['on'] if rows else on}: " + ", ".join(
            f"{k} {summary[k]}" for k in report.SHEET_ORDER if k in summary))


CHANGE_COLUMNS = ["date", "sku", "destination", "before", "after", "events"]


def _change_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "before": c["before"], "after": c["after"], "events": "; ".join(c["events"])}
            for c in changes]


@portfolio.command("changes")
@click.argument("name")
@click.option("--since", required=True, help="First day of the period (YYYY-MM-DD).")
@click.option("--until", help="Last day of the period (default: today in Beijing).")
@click.option("--basis", is_flag=True,
              help="Also list products whose verdict stays but whose deciding announcements change.")
@db_option
@json_option
@_errors
def portfolio_changes(name: str, since: str, until: str | None, basis: bool, db_path: str,
                      as_json: bool) -> None:
    """Products whose verdict changed in the period, newest first: before → after and the
    events of the day (a clause taking effect, a suspension starting or ending)."""
    from portfolio import records
    from portfolio.changes import verdict_changes
    from store import catalogue

    db = catalogue.open_db(db_path)
    found = verdict_changes(db, records.rows(db, name), since, until, basis=basis)
    if as_json:
        emit_json(found)
        return
    emit_table(_change_rows(found["changes"]), _lane_columns(CHANGE_COLUMNS, found["changes"]),
               optional=("events", "end_user", "end_use"))
    click.echo(f"{len(found['changes'])} changes to {found['products']} products between "
               f"{found['since']} and {found['until']} (newest first)")


@portfolio.command("upcoming")
@click.argument("name")
@click.option("--days", default=90, show_default=True, type=int, help="How far ahead to look.")
@click.option("--from", "start", help="Look ahead from this day (default: today in Beijing).")
@db_option
@json_option
@_errors
def portfolio_upcoming(name: str, days: int, start: str | None, db_path: str,
                       as_json: bool) -> None:
    """Dates ahead that change a product's verdict (a suspension ending, a clause taking
    effect), soonest first."""
    from portfolio import records
    from portfolio.changes import upcoming
    from store import catalogue

    db = catalogue.open_db(db_path)
    found = upcoming(db, records.rows(db, name), days, start)
    if as_json:
        emit_json(found)
        return
    emit_table(_change_rows(found["dates"]), _lane_columns(CHANGE_COLUMNS, found["dates"]),
               optional=("events", "end_user", "end_use"))
    click.echo(f"{len(found['dates'])} verdict changes for {found['products']} products in the "
               f"{found['days']} days after {found['from']}")


COMMANDS = [portfolio]
