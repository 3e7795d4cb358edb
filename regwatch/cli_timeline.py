"""CLI commands of the timeline and search: status, changes, timeline, search.

regwatch.cli imports this module while it is being imported, so the shared options and
printers are fetched from it lazily (inside the commands) and the options used here are
defined locally.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click

from core.settings import env
from regwatch.cli_options import db_option, emit_json, emit_table, json_option


def _errors(fn: Callable) -> Callable:
    """Domain errors (unknown announcement, bad date) become a clean message, exit 1."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from store import CatalogueError

        try:
            return fn(*args, **kwargs)
        except CatalogueError as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


def _open(db_path: str):  # noqa: ANN202 - sqlite_utils.Database, imported lazily
    """The catalogue, read-only: queries never write (the writers derive the timeline)."""
    from store import catalogue

    if not os.path.exists(db_path):
        raise click.ClickException(f"no catalogue at {db_path} (run `regwatch crawl` first)")
    return catalogue.open_readonly(db_path)


def _short(text: str | None, width: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("status")
@click.argument("query", required=False)
@click.option("--on", "on", metavar="YYYY-MM-DD", help="The date asked about (default today).")
@click.option("--destination", metavar="CC",
              help="Only items that apply to exports to this country (e.g. US).")
@click.option("--limit", default=50, show_default=True, help="Most items listed.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              default=lambda: env("REGWATCH_CONFIG"),
              help="Service config (health thresholds), when no QUERY is given.")
@db_option
@json_option
@_errors
def status_command(query: str | None, on: str | None, destination: str | None, limit: int,
                   config_path: str | None, db_path: str, as_json: bool) -> None:
    """What applies to QUERY on a date: state, since, until and why.

    QUERY is a material (gallium, 镓), an HS code or prefix (2805301910, 2805), a control
    code or prefix (1C902.a, 1C9) or an announcement ID (MOFCOM-2025-61). With no QUERY:
    the service's and each source's health; exits 1 when a source is unhealthy or the
    service is late (for cron and monitoring).
    """
    if not query:
        from regwatch.cli_service import print_health

        print_health(db_path, config_path, as_json)
        return
    from timeline.queries import status

    result = status(_open(db_path), query, on=on, destination=destination, limit=limit)
    if as_json:
        emit_json(result)
        return
    counts = ", ".join(f"{n} {state}" for state, n in sorted(result["counts"].items())) or "none"
    click.echo(f"{result['query']} ({result['kind']}) on {result['on']}"
               + (f", exports to {destination}" if destination else "")
               + f": {result['total_items']} items — {counts}")
    if result["measure"]:
        m = result["measure"]
        via = f" (continued under {m['via']})" if m["via"] else ""
        click.echo(f"strictest measure in force: {m['measure']} — {m['announcement']}"
                   f"{' ' + m['provision'] if m['provision'] else ''}{via}")
    click.echo("")
    emit_table(result["announcements"],
                   ["number", "state", "since", "until", "cause", "title"])
    if result["items"]:
        click.echo("")
        rows = [{**r, "text": _short(r["text"]), "code": r["control_code"] or r["provision"]}
                for r in result["items"]]
        emit_table(rows, ["announcement", "code", "state", "since", "until", "cause",
                              "measure", "text"])
    if result["total_items"] > len(result["items"]):
        click.echo(f"… {result['total_items'] - len(result['items'])} more (use --limit)")


@click.command("changes")
@click.option("--since", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--until", metavar="YYYY-MM-DD", help="Last day of the period (default today).")
@click.option("--material", help="Only items of this material.")
@click.option("--hs", help="Only items with this HS code or prefix.")
@click.option("--control", help="Only items with this control code or prefix.")
@click.option("--announcement", help="Only this announcement's items.")
@click.option("--state", help="Only changes into this state (pending, in_force, suspended, "
                              "repealed, superseded).")
@click.option("--subject", type=click.Choice(["item", "announcement", "all"]), default="item",
              show_default=True, help="Changes of items, of announcements, or both.")
@click.option("--limit", default=200, show_default=True, help="Most changes listed.")
@db_option
@json_option
@_errors
def changes_command(since: str, until: str | None, material: str | None, hs: str | None,
                    control: str | None, announcement: str | None, state: str | None,
                    subject: str, limit: int, db_path: str, as_json: bool) -> None:
    """What changed between --since and --until, item by item."""
    from timeline.queries import changes

    result = changes(_open(db_path), since, until, material=material, hs=hs, control=control,
                     announcement=announcement, state=state, subject=subject, limit=limit)
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result['total']} changes from {result['since']} to {result['until']}")
    rows = [{**r, "code": r["control_code"] or r["label"], "text": _short(r["text"], 30)}
            for r in result["changes"]]
    emit_table(rows, ["date", "announcement", "code", "from", "to", "until", "cause", "text"])


@click.command("timeline")
@click.argument("announcement")
@click.option("--history", is_flag=True,
              help="Include intervals that earlier derivations produced and later ones retired.")
@db_option
@json_option
@_errors
def timeline_command(announcement: str, history: bool, db_path: str, as_json: bool) -> None:
    """An announcement's life: its states, its provisions' and items', and its lineage."""
    from timeline.queries import timeline

    result = timeline(_open(db_path), announcement, history=history)
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result['number']}  {result['title'] or '(not in the catalogue)'}")
    if result["in_catalogue"]:
        click.echo(f"issued {result['issue_date']}, effective "
                   f"{', '.join(result['effective_dates']) or result['effective_date']}")
    click.echo("")
    columns = ["state", "since", "until", "cause", "reason"]
    if history:
        columns += ["derivation_id", "retired_in"]
    emit_table(result["intervals"], columns)
    groups: dict[tuple, list[str]] = {}
    for part in result["parts"]:
        shape = tuple((i["state"], i["since"], i["until"], i["cause"], i["retired_in"])
                      for i in part["intervals"])
        groups.setdefault(shape, []).append(part["control_code"] or part["provision"]
                                            or part["subject"])
    for shape, labels in groups.items():
        click.echo("")
        click.echo(f"{len(labels)} {'part' if len(labels) == 1 else 'parts'}: "
                   + ", ".join(dict.fromkeys(str(label) for label in labels)))
        for state, since, until, cause, retired in shape:
            line = f"  {state:<11} {since} → {until or '…':<10}"
            line += f"  by {cause}" if cause else ""
            line += f"  (retired in derivation {retired})" if retired else ""
            click.echo(line)
    for title, refs in (("acts on", result["references"]),
                        ("acted on by", result["referenced_by"])):
        if refs:
            click.echo("")
            click.echo(title + ":")
            for ref in refs:
                window = f" from {ref['from']}" if ref["from"] else ""
                window += f" until {ref['until']}" if ref["until"] else ""
                clause = f" clause {ref['clause']}" if ref["clause"] else ""
                source = ref.get("source", result["number"])
                target = ref.get("target", result["number"])
                click.echo(f"  {source} {ref['relation']} {target}{clause}{window}")


@click.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, help="Most results listed.")
@click.option("--source", help="Only documents of this source (mofcom, gacc).")
@db_option
@json_option
@_errors
def search_command(text: tuple[str, ...], limit: int, source: str | None, db_path: str,
                   as_json: bool) -> None:
    """Full-text search in Chinese (any length, 镓, 稀土) and English, ranked, with snippets."""
    from timeline.search import search

    result = search(_open(db_path), " ".join(text), limit=limit, source=source)
    if as_json:
        emit_json(result)
        return
    more = "+" if result.get("more") else ""
    window = " (best of the most recent shown)" if result.get("windowed") else ""
    click.echo(f"{result['total']}{more} documents match {result['query']!r}{window}")
    for hit in result["results"]:
        click.echo("")
        click.echo(f"{hit['score']:>7.2f}  {hit['number'] or '-'}  [{hit['source']} "
                   f"#{hit['document_id']}]  {hit['title']}")
        click.echo(f"         {hit['snippet']}")


COMMANDS: list[click.Command] = [status_command, changes_command, timeline_command,
                                 search_command]
