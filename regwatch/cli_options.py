"""Options and printers shared by every command module of the CLI.

A module of its own so that command modules in other packages (alerts/, the timeline,
the web) can use them without importing regwatch.cli, which imports them.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import click

from core.settings import env

DEFAULT_DB = "regwatch.db"


def check_db(path: str, create: bool = False) -> None:
    """A missing, non-SQLite, corrupt or read-only ``--db`` is one line on stderr and exit 2.

    :param create: the command may create the catalogue when nothing is there
    """
    from store.probe import problem

    reason = problem(path, create=create)
    if reason:
        click.echo(f"Error: {reason}", err=True)
        click.get_current_context().exit(2)


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


def db_option(fn: Callable | None = None, *, create: bool = False,
              default: str | None = None) -> Callable:
    """``--db``, checked before the command runs: ``@db_option`` for every command that
    needs an existing catalogue, ``@db_option(create=True)`` only for the few that make
    one (crawl, ingest, lists load, init, demo). A mistyped path must not become an empty
    catalogue where every listing says "(none)".

    The check runs when the command is invoked, not while its options are parsed: a group
    with its own ``--db`` (``alerts``, ``subscriptions``, ``events``) checks it only when
    no subcommand follows, since the subcommand checks its own.
    """
    if fn is None:
        return functools.partial(db_option, create=create, default=default)

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        if ctx.invoked_subcommand is None:
            check_db(kwargs["db_path"], create=create)
        return fn(*args, **kwargs)

    checked.creates_catalogue = create  # type: ignore[attr-defined]
    return click.option(
        "--db", "db_path",
        default=default or (lambda: env("REGWATCH_DB", DEFAULT_DB)),
        show_default=default or "$REGWATCH_DB or regwatch.db", type=click.Path(dir_okay=False),
        help="The catalogue (an SQLite file)" + ("; created if missing." if create else "."),
    )(checked)


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
