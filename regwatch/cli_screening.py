"""CLI commands for the entity lists and counterparty screening.

``regwatch lists load [FILE]`` stores a lists file; ``regwatch entities`` and ``regwatch
entity`` show who is listed and their history; ``regwatch screen NAME`` or ``--file F``
screens counterparties against the stored lists.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from regwatch.cli_options import db_option, emit_json, emit_table, json_option

MIRROR_LISTS = Path(__file__).resolve().parents[1] / "mirror" / "data" / "entities.yaml"
HIT_COLUMNS = ["score", "band", "entity_id", "name_en", "name_zh", "list", "announcement",
               "state", "since", "until", "why"]


def _errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from screening.store import NoLists

        try:
            return fn(*args, **kwargs)
        except (NoLists, KeyError) as exc:
            raise click.ClickException(str(exc).strip("'\"")) from exc
    return wrapper


def _today() -> str:
    return dt.date.today().isoformat()


def _open(db_path: str):
    from store import catalogue

    return catalogue.open_db(db_path)


@click.group("lists")
def lists_group() -> None:
    """China's entity lists (control list, watch list, Unreliable Entity List) in the catalogue."""


@lists_group.command("load")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@db_option(create=True)  # loads a source (the lists file), like crawl
@json_option
def lists_load(file: str | None, db_path: str, as_json: bool) -> None:
    """Store a lists file (default: the mirror's mirror/data/entities.yaml) in the catalogue."""
    from screening import lists
    from screening.store import save_lists

    path = Path(file) if file else MIRROR_LISTS
    try:
        data = lists.load(path)
    except lists.BadLists as exc:
        raise click.ClickException(str(exc)) from exc
    counts = save_lists(_open(db_path), data, str(path))
    problems = lists.reconcile(data)
    if as_json:
        emit_json({**counts, "problems": problems})
        return
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()))
    for problem in problems:
        stated = "no count" if problem["stated"] is None else problem["stated"]
        click.echo(f"  {problem['announcement']}: stated {stated}, carried "
                   f"{problem['carried']} ({problem['reason']})")


@click.command("entities")
@click.option("--list", "list_name", type=click.Choice(["control", "watch", "unreliable"]),
              help="Only this list.")
@click.option("--on", "on", metavar="DATE", help="State on this date (default today).")
@db_option
@json_option
@_errors
def entities_command(list_name: str | None, on: str | None, db_path: str, as_json: bool) -> None:
    """Listed entities with their state on a date (listed, suspended, removed) and why."""
    from screening.store import entities_on

    rows = entities_on(_open(db_path), on or _today(), list_name)
    if as_json:
        emit_json(rows)
        return
    emit_table(rows, ["entity_id", "name_en", "name_zh", "list", "state", "since", "until", "by"])


@click.command("entity")
@click.argument("name_or_id")
@db_option
@json_option
@_errors
def entity_command(name_or_id: str, db_path: str, as_json: bool) -> None:
    """One entity (by id or by name): its names, listings and history on each list."""
    from screening.store import entity_detail, screener

    db = _open(db_path)
    try:
        detail = entity_detail(db, name_or_id)
    except KeyError:  # not an id: find it by name
        hits = [h for h in screener(db).screen(name_or_id) if h["band"] == "match"]
        if not hits:
            raise click.ClickException(f"no listed entity matches {name_or_id!r}") from None
        detail = entity_detail(db, hits[0]["entity_id"])
    if as_json:
        emit_json(detail)
        return
    click.echo(f"{detail['id']}: {detail['en']} / {detail['zh']} ({detail['country']})")
    if detail["aliases"]:
        click.echo("aliases: " + "; ".join(detail["aliases"]))
    for list_name, intervals in detail["history"].items():
        click.echo(f"\n{list_name}:")
        emit_table(intervals, ["state", "from", "until", "announcement"])


def _hit_row(hit: dict[str, Any]) -> dict[str, Any]:
    why = hit["why"]
    if why.get("script") == "han":
        reason = f"{why.get('rule')}: {why.get('query_core')} ~ {why.get('listed_core')}"
    else:
        pairs = ", ".join(f"{q}={lt}" if q == lt else f"{q}~{lt}" for q, lt, _s in why.get("matched", []))
        reason = f"{why.get('rule')}: {pairs}"
        if why.get("extra"):
            reason += f"; extra {' '.join(why['extra'])}"
        if why.get("missing"):
            reason += f"; missing {' '.join(why['missing'])}"
    for key in ("country_mismatch", "extra_place", "missing_tail", "dominated_by"):
        if why.get(key):
            reason += f"; {key.replace('_', ' ')} {'/'.join(why[key])}"
    state = hit.get("state") or {}
    return {**{k: hit[k] for k in ("score", "band", "entity_id", "name_en", "name_zh", "list",
                                   "announcement")},
            "state": state.get("state"), "since": state.get("since"), "until": state.get("until"),
            "why": reason}


@click.command("screen")
@click.argument("name", required=False)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False),
              help="A CSV of counterparties: name, country, optional address/aliases.")
@click.option("--country", help="ISO country code of NAME.")
@click.option("--on", "on", metavar="DATE", help="Give each hit's state on this date (default today).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@db_option
@json_option
@_errors
def screen_command(name: str | None, file: str | None, country: str | None, on: str | None,
                   as_csv: bool, db_path: str, as_json: bool) -> None:
    """Screen a counterparty NAME, or every row of --file, against the stored entity lists."""
    from screening.counterparties import BadCounterparties, read_csv
    from screening.store import screener

    if bool(name) == bool(file):
        raise click.UsageError("give a NAME or --file, not both")
    if as_csv and as_json:
        raise click.UsageError("--csv and --json exclude each other")
    matcher = screener(_open(db_path))
    day = on or _today()
    try:
        queries = ([{"name": name, "country": country or "", "aliases": []}] if name
                   else read_csv(file))
    except BadCounterparties as exc:
        raise click.ClickException(str(exc)) from exc
    results = []
    for n, row in enumerate(queries, 1):
        names = [row["name"], *row["aliases"]]
        best: dict[tuple[str, str, str], dict[str, Any]] = {}
        for query in names:
            for hit in matcher.screen(query, row.get("country") or None, day):
                key = (hit["entity_id"], hit["list"], hit["announcement"])
                if key not in best or hit["score"] > best[key]["score"]:
                    best[key] = hit
        hits = sorted(best.values(), key=lambda h: (-h["score"], h["entity_id"], h["list"]))
        results.append({"row": n, "name": row["name"], "country": row.get("country") or None,
                        "hits": hits})
    if as_json:
        emit_json(results if file else results[0])
        return
    flat = [{"row": r["row"], "query": r["name"], **_hit_row(h)} for r in results for h in r["hits"]]
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=["row", "query", *HIT_COLUMNS],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        return
    matched = sum(1 for r in results if any(h["band"] == "match" for h in r["hits"]))
    possible = sum(1 for r in results if r["hits"]) - matched
    emit_table(flat, ["row", "query", *HIT_COLUMNS])
    click.echo(f"\n{len(results)} screened on {day}: {matched} match, {possible} possible only")


COMMANDS = [lists_group, entities_command, entity_command, screen_command]
