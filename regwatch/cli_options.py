"""Options and printers shared by every command module of the CLI.

A module of its own so that command modules in other packages (alerts/, the timeline,
the web) can use them without importing regwatch.cli, which imports them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import click

from core.settings import env

DEFAULT_DB = "regwatch.db"
# Top-level commands that only read: a missing catalogue is an error, never created
# (a mistyped --db would list "(none)"). Other commands still create one when missing;
# narrowing that to crawl/init/demo/run (issue #14) needs the tests that subscribe or
# import into a fresh path to create it first.
READERS = frozenset({"runs", "documents", "errors", "show", "history", "translations",
                     "status", "changes", "timeline", "search"})


def check_db(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A missing, non-SQLite or corrupt ``--db`` is one line on stderr and exit 2."""
    from store.probe import problem

    top_level = ctx.parent is not None and ctx.parent.parent is None
    reason = problem(value, create=not (top_level and ctx.info_name in READERS))
    if reason:
        click.echo(f"Error: {reason}", err=True)
        ctx.exit(2)
    return value


class CatalogueGroup(click.Group):
    """The root command: an SQLite error met after opening (corruption found late, a
    read-only file) is one line on stderr and exit 2, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except sqlite3.DatabaseError as exc:
            from store.probe import explain

            click.echo(f"Error: {explain(exc)}", err=True)
            ctx.exit(2)


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db", "db_path", default=lambda: env("REGWATCH_DB", DEFAULT_DB),
        show_default="$REGWATCH_DB or regwatch.db", type=click.Path(dir_okay=False),
        callback=check_db, help="The catalogue (an SQLite file).",
    )(fn)


def _wide(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    from regwatch.console import set_wide

    set_wide(value)


def json_option(fn: Callable) -> Callable:
    """``--json`` (machine output) and ``--wide`` (text at full width, not fitted)."""
    fn = click.option("--wide", is_flag=True, expose_value=False, is_eager=True,
                      callback=_wide, help="Print every column and value whole, "
                                           "however wide the terminal.")(fn)
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(fn)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def emit_table(rows: list[dict[str, Any]], columns: list[str],
               optional: tuple[str, ...] = ()) -> None:
    """A table fitted to the terminal (regwatch.console); ``optional`` columns go first."""
    from regwatch.console import table

    table(rows, columns, optional)
