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
from regwatch.console import line, one_line, word


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


NOTHING_FOUND = 3  # exit status of a query that matched nothing in the catalogue


@click.command("status")
@click.argument("query", required=False)
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="The date asked about (default: today in Beijing, the regulator's day).")
@click.option("--destination", metavar="COUNTRY",
              help="Exports to this country: a code or a name in English or Chinese (US, USA, "
                   "United States, 美国, Japan); several separated by commas.")
@click.option("--end-use", "end_use", metavar="USE",
              help="The end use or end user (e.g. military): measures bound to it count.")
@click.option("--limit", default=50, show_default=True, help="Most items listed.")
@click.option("--offset", default=0, show_default=True,
              help="Matched items skipped before those listed (the next page of a long "
                   "answer: --offset 50).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              default=lambda: env("REGWATCH_CONFIG"),
              help="Service config (health thresholds), when no QUERY is given.")
@db_option
@json_option
@_errors
def status_command(query: str | None, on: str | None, destination: str | None,
                   end_use: str | None, limit: int, offset: int, config_path: str | None,
                   db_path: str, as_json: bool) -> None:
    """What applies to QUERY on a date: the strictest measure in force, state, since,
    until and why.

    QUERY is a material or group (gallium, 镓, rare earths, 稀土), an HS code or prefix
    (2805301910, 28053019, 2805), a control code or prefix (1C902.a, 1C9), an announcement
    ID (MOFCOM-2025-61, 商务部公告2025年第61号) or any other text, looked for in the items'
    own texts (graphite anode, 负极). Exit status: 0 found, 3 nothing found in the
    catalogue (which is not the same as "not controlled"), 2 a bad option (an unknown
    destination). With no QUERY: the service's and each source's health; exits 1 when a
    source is unhealthy or the service is late (for cron and monitoring).
    """
    if not query:
        from regwatch.cli_service import print_health

        print_health(db_path, config_path, as_json)
        return
    from timeline.queries import QueryError, UnknownDestination, status

    try:
        result = status(_open(db_path), query, on=on, destination=destination,
                        end_use=end_use, limit=limit, offset=offset)
    except UnknownDestination as exc:
        raise click.BadParameter(str(exc), param_hint="--destination") from exc
    except QueryError as exc:  # a malformed --on, a negative --limit or --offset
        raise click.BadParameter(str(exc)) from exc
    if as_json:
        emit_json(result)
    else:
        print_status(result)
    if not result["found"]:
        raise SystemExit(NOTHING_FOUND)


def print_status(result: dict[str, Any]) -> None:
    """The status answer as text: headline first, then announcements, items."""
    from timeline.status import scope_text

    where = f", exports to {', '.join(result['destinations'])}" if result["destinations"] else ""
    use = f", end use {result['end_use']}" if result["end_use"] else ""
    if result.get("end_use_as_written"):
        use += f" (read from {result['end_use_as_written']!r})"
    kind = result["kind"] + (" — no material, code or ID: matched in the items' own texts"
                             if result.get("fallback") == "text" else "")
    line(f"{result['query']} ({kind}) on {result['on']}{where}{use}")
    read = result.get("read_as")
    if read:
        line(f"no item's own text names {read['query']!r}: read as the material "
             f"{read['material']} (it names {', '.join(read['materials'])}); the answer is "
             f"every listed item of {read['material']}, check which fits the product")
    if result.get("members"):
        line(f"covers: {', '.join(result['members'])}")
    if not result["found"]:
        line(result["message"])
    headline = result["headline"]
    if headline:
        line(f"strictest measure in force: {headline['summary']}")
    elif result["found"]:
        line("no measure in force on that date (see the states below)")
    for also in result.get("also") or []:
        line(f"it also names the material {also['material']}: in force on it "
             f"{', '.join(also['announcements'][:5])}"
             f"{' …' if len(also['announcements']) > 5 else ''} (strictest: "
             f"{also['headline']['summary']}); check whether the product is among its items "
             f"(`regwatch status {also['material']}`)")
    for wide in result["destination_wide"]:
        line(f"applies to every dual-use item ({scope_text(wide['scope'])}): "
                   f"{wide['measure'] or '-'} — {wide['announcement']} {wide['provision']} "
                   f"({word(wide['state'])}{' until ' + wide['until'] if wide['until'] else ''})")
    counts = ", ".join(f"{n} {word(state)}" for state, n in sorted(result["counts"].items()))
    if result["found"]:
        line(f"{result['total_items']} matching items and clauses: {counts or 'none'}")
    if result["announcements"]:
        line()
        rows = []
        for ann in result["announcements"]:
            parts = ann.get("matched") or []
            matches = sorted({p["match"] for p in parts if p.get("match")})
            via = sorted({p.get("via_group") or p.get("via_material") for p in parts
                          if p.get("via_group") or p.get("via_material")})
            rows.append({**ann, "match": ",".join(matches) or ("via " + ",".join(via)
                                                                if via else ""),
                         "title": ann["title"]})
        emit_table(rows, ["number", "state", "since", "until", "cause", "match", "title"],
                   optional=("title", "match", "cause"))
    if result["items"]:
        line()
        rows = [{**r, "code": r["control_code"] or r["provision"],
                 "scope": scope_text(r["scope"]) if r["scope"] else ""}
                for r in result["items"]]
        emit_table(rows, ["announcement", "code", "state", "since", "until", "cause",
                          "measure", "match", "scope", "text"],
                   optional=("text", "until", "measure", "scope", "match", "cause"))
    if result["announcements_more"] > 0:
        line(f"… {result['announcements_more']} more announcements")
    if result["items"] and (result["offset"] or result["items_more"]):
        first = result["offset"] + 1
        line(f"items {first}–{first + len(result['items']) - 1} of {result['total_items']}")
    if result["items_more"]:
        line(f"… {result['items_more']} more (the next page: --offset "
             f"{result['offset'] + len(result['items'])}; or --limit)")


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
    line(f"{result['total']} changes from {result['since']} to {result['until']}, "
               "newest first")
    rows = [{**r, "code": r["control_code"] or r["label"]} for r in result["changes"]]
    emit_table(rows, ["date", "announcement", "code", "event", "from", "to", "until", "cause",
                      "text"], optional=("text", "event", "until", "cause"))
    if result["more"]:
        line(f"… {result['more']} more (use --limit, or narrow --since/--until)")


@click.command("timeline")
@click.argument("announcement")
@click.option("--history", is_flag=True,
              help="Include intervals that earlier derivations produced and later ones retired.")
@db_option
@json_option
@_errors
def timeline_command(announcement: str, history: bool, db_path: str, as_json: bool) -> None:
    """An announcement's life: its states, its provisions' and items', and its lineage.

    ANNOUNCEMENT is an announcement ID (MOFCOM-2025-61, 商务部公告2025年第61号) or the id of
    one of its documents (as `regwatch documents` lists them).
    """
    from regwatch.refs import announcement_number
    from timeline.queries import timeline

    db = _open(db_path)
    result = timeline(db, announcement_number(db, announcement), history=history)
    if as_json:
        emit_json(result)
        return
    one_line(f"{result['number']}  {result['title'] or '(not in the catalogue)'}")
    if result["in_catalogue"]:
        line(f"issued {result['issue_date']}, effective "
             f"{', '.join(result['effective_dates']) or result['effective_date']}")
    line()
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
        line()
        line(f"{len(labels)} {'part' if len(labels) == 1 else 'parts'}: "
             + ", ".join(dict.fromkeys(str(label) for label in labels)), indent=2)
        for state, since, until, cause, retired in shape:
            text = f"  {word(state):<14} {since} → {until or '…':<10}"
            text += f"  by {cause}" if cause else ""
            text += f"  (retired in derivation {retired})" if retired else ""
            line(text, indent=4)
    for title, refs in (("acts on", result["references"]),
                        ("acted on by", result["referenced_by"])):
        if refs:
            line()
            line(title + ":")
            for ref in refs:
                window = f" from {ref['from']}" if ref["from"] else ""
                window += f" until {ref['until']}" if ref["until"] else ""
                clause = f" clause {ref['clause']}" if ref["clause"] else ""
                source = ref.get("source", result["number"])
                target = ref.get("target", result["number"])
                line(f"  {source} {ref['relation']} {target}{clause}{window}", indent=4)


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
    line(f"{result['total']}{more} documents match {result['query']!r}{window}")
    for hit in result["results"]:
        line()
        one_line(f"{hit['score']:>7.2f}  {hit['number'] or '-'}  [{hit['source']} "
                 f"#{hit['document_id']}]  {hit['title']}")
        line(f"         {hit['snippet']}", indent=9)


COMMANDS: list[click.Command] = [status_command, changes_command, timeline_command,
                                 search_command]
