"""The ``regwatch`` command line.

Each command opens the catalogue and calls one function of store/, crawler/, extract/
or regwatch/jobs; shared options are small decorators; domain errors become
``click.ClickException`` (a clean message, exit status 1).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from core.settings import env
from mirror.site import FAULTS
from regwatch.cli_options import CatalogueGroup, db_option, emit_json, emit_table, json_option
from store import NotFound, catalogue

# -- shared options ---------------------------------------------------------------------

def domain_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NotFound as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


# -- commands ---------------------------------------------------------------------------

@click.group(cls=CatalogueGroup)
@click.version_option(package_name="regwatch")
def cli() -> None:
    """regwatch: watch MOFCOM and GACC export-control announcements.

    Crawls the ministry and customs sites (or the offline mirror), keeps every version
    of every announcement in a versioned SQLite catalogue, and extracts numbers, dates,
    items and codes from them.
    """


@cli.group()
def mirror() -> None:
    """The offline mirror of the MOFCOM and GACC sites."""


@mirror.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True, type=int, help="0 picks a free port.")
@click.option("--day", default=1, show_default=True, type=int, help="Serve the mirror as on this day.")
@click.option("--fault", "faults", multiple=True, metavar="NAME",
              help="Switch on a failure mode (repeatable): " + ", ".join(sorted(FAULTS)))
@click.option("--generate", default=0, type=int, help="Add N synthetic announcements (benchmarks).")
def mirror_serve(host: str, port: int, day: int, faults: tuple[str, ...], generate: int) -> None:
    """Serve the mirror over HTTP until interrupted."""
    from mirror.server import MirrorServer
    from mirror.site import Mirror

    try:
        site = Mirror(day=day, faults=set(faults), generate=generate)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from exc
    server = MirrorServer(site, host, port)
    click.echo(f"mirror serving on {server.url} (day {day}; {len(site.visible)} pages)", err=False)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _print_progress(state: dict[str, Any]) -> None:
    parts = [f"{r['source']}: {r['fetched']} fetched, {r['not_modified']} not modified, "
             f"{r['errors']} errors" for r in state["runs"]]
    if parts:
        click.echo("\r" + " | ".join(parts), nl=False, err=True)


@cli.command("crawl")
@click.argument("sources", nargs=-1)
@db_option(create=True)
@click.option("--mirror", "mirror_url", metavar="URL",
              default=lambda: env("REGWATCH_MIRROR"),
              help="Fetch every source from the mirror served at URL instead of the real sites.")
@click.option("--full", is_flag=True, help="Follow every list page and re-check every known page.")
@click.option("--no-extract", is_flag=True,
              help="Only crawl and store; extract, events and alerts happen on the next run.")
@json_option
def crawl_command(sources: tuple[str, ...], db_path: str, mirror_url: str | None, full: bool,
                  no_extract: bool, as_json: bool) -> None:
    """Crawl SOURCES (default: all) into the catalogue, then extract, update the timeline
    and record events and alerts for what is new."""
    from crawler.run import crawl
    from crawler.sources import load_sources
    from regwatch.jobs import process_new

    unknown = set(sources) - set(load_sources())
    if unknown:
        raise click.BadParameter(f"unknown source(s): {', '.join(sorted(unknown))}")
    runs = crawl(list(sources) or None, db_path, mirror=mirror_url, full=full,
                 progress=None if as_json else _print_progress)
    if not as_json:
        click.echo("", err=True)
    totals = {k: sum(r[k] or 0 for r in runs) for k in
              ("requests", "fetched", "new_documents", "new_versions", "unchanged",
               "not_modified", "errors")}
    result: dict[str, Any] = {**totals, "runs": runs}
    if not no_extract:
        # extract, link translations, update the timeline, record events and queue alerts
        result.update(process_new(db_path, runs, env("REGWATCH_CONFIG")))
    if as_json:
        emit_json(result)
        return
    emit_table(runs, ["source", "status", "requests", "fetched", "new_documents", "new_versions",
                      "unchanged", "not_modified", "errors"],
               optional=("requests", "unchanged", "not_modified"))
    db = catalogue.open_db(db_path)
    for run in runs:
        for error in catalogue.get_run(db, run["id"])["error_list"]:
            click.echo(f"  ! {run['source']}: {error['reason']}: {error['url']} — {error['detail'][:120]}")


@cli.command("documents")
@db_option
@click.option("--source", help="Only this source.")
@json_option
def documents_command(db_path: str, source: str | None, as_json: bool) -> None:
    """List the documents in the catalogue."""
    rows = catalogue.documents(catalogue.open_db(db_path), source)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["id", "source", "number", "version_count", "title"])


@cli.command("show")
@click.argument("document")
@db_option
@json_option
@domain_errors
def show_command(document: str, db_path: str, as_json: bool) -> None:
    """Show a document: its latest version and what was extracted from it.

    DOCUMENT is a document id (19) or an announcement ID (MOFCOM-2025-61: its Chinese
    original when there is one).
    """
    from regwatch.refs import document_id as resolve
    from store.extractions import latest_extraction
    from timeline.translations import mismatches, translations_of

    db = catalogue.open_db(db_path)
    document_id = resolve(db, document)
    doc = catalogue.get_document(db, document_id)
    latest = catalogue.versions(db, document_id)[-1]
    doc["text"] = latest["text"]
    doc["extraction"] = latest_extraction(db, latest["id"])
    doc["translations"] = translations_of(db, document_id)
    doc["mismatches"] = [m for m in mismatches(db, doc["number"]) if doc["number"]]
    doc["spans"], doc["spans_into"] = _spans(doc["extraction"], doc["text"])
    if as_json:
        emit_json(doc)
        return
    from regwatch.console import label, line, word

    def field(name: str, value: Any) -> None:
        if value in (None, "", [], {}):
            return
        line(f"{name:>15}: {word(value)}", indent=17)

    for key in ("id", "source", "number", "title", "url", "version_count", "first_seen", "last_changed"):
        field(label(key), doc.get(key))
    extraction = doc["extraction"] or {}
    for key in ("issuers", "issue_date", "effective_dates", "control_codes", "hs_codes",
                "materials"):
        if key in extraction:
            field(label(key), extraction[key])
    if extraction.get("references"):
        field("references", [_reference(r) for r in extraction["references"]])
    for other in doc["translations"]:
        field("also as", f"#{other['id']} ({other['source']}) {other['url']}")
    for problem in doc["mismatches"]:
        field("MISMATCH", f"{problem['field']}: original {problem['original']} "
                          f"≠ translation {problem['translation']}")
    into = doc["text"] if doc["spans_into"] == "text" else extraction.get("text") or ""
    for key, spans in doc["spans"].items():
        for span in spans if key not in ("kind", "mentions") else []:
            snippet = " ".join(into[span["start"]:span["end"]].split())
            field(f"{label(key)} ←", f"{word(span['value'])}: {snippet} [{span['start']}:{span['end']}]")
    line()
    for paragraph in (doc["text"] or "").splitlines():
        line(paragraph)


def _spans(extraction: dict[str, Any] | None, text: str | None) -> tuple[dict[str, Any], str]:
    """Each extracted value's spans, and what their offsets point into: the stored text
    (``"text"``) when the extraction read that very text, else ``"extraction.text"`` (a
    page stored before the content finder changed: the offsets are the analysed text's)."""
    extraction = extraction or {}
    spans = {k: v for k, v in (extraction.get("spans") or {}).items() if v}
    analysed = extraction.get("text")
    return spans, "text" if analysed is None or analysed == text else "extraction.text"


def _reference(ref: Any) -> str:
    """A reference of the extraction in words: "suspends MOFCOM-2024-46 clause 二"."""
    if not isinstance(ref, dict):
        return str(ref)
    from regwatch.console import word

    parts = [word(ref.get("relation")), ref.get("number") or ref.get("target") or ""]
    if ref.get("clause"):
        parts.append(f"clause {ref['clause']}")
    if ref.get("from"):
        parts.append(f"from {ref['from']}")
    if ref.get("until"):
        parts.append(f"until {ref['until']}")
    return " ".join(p for p in parts if p) or word(ref)


@cli.command("history")
@click.argument("document")
@db_option
@json_option
@domain_errors
def history_command(document: str, db_path: str, as_json: bool) -> None:
    """A document's versions and the difference between each and the one before.

    DOCUMENT is a document id (19) or an announcement ID (MOFCOM-2025-61).
    """
    from regwatch.console import line
    from regwatch.refs import document_id

    db = catalogue.open_db(db_path)
    rows = catalogue.history(db, document_id(db, document))
    if as_json:
        emit_json([{k: v for k, v in r.items() if k != "text"} for r in rows])
        return
    for row in rows:
        line(f"version {row['seq']}  fetched {row['fetched_at']}  hash {row['content_hash'][:12]}")
        for diff_line in (row["diff"] or "").splitlines():
            line(diff_line, indent=1)
        line()


@cli.command("translations")
@db_option
@click.option("--number", help="Only this announcement (canonical number, e.g. MOFCOM-2025-18).")
@json_option
def translations_command(db_path: str, number: str | None, as_json: bool) -> None:
    """Where an English page disagrees with its Chinese original (date, effective date, codes)."""
    from timeline.translations import mismatches

    rows = mismatches(catalogue.open_db(db_path), number)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["number", "field", "original", "translation", "original_document_id",
                          "translation_document_id"],
                   optional=("original_document_id", "translation_document_id"))


@cli.command("runs")
@db_option
@click.option("--limit", default=20, show_default=True)
@json_option
def runs_command(db_path: str, limit: int, as_json: bool) -> None:
    """Recent crawl runs with their counts."""
    db = catalogue.open_db(db_path)
    rows = [dict(r) for r in db.query("select * from crawl_runs order by id desc limit ?", [limit])]
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["id", "source", "status", "started_at", "requests", "fetched",
                          "new_documents", "new_versions", "not_modified", "errors"],
                   optional=("requests", "not_modified", "new_versions"))


@cli.command("errors")
@db_option
@click.option("--run", "run_id", type=int, help="Only errors of this crawl run.")
@json_option
def errors_command(db_path: str, run_id: int | None, as_json: bool) -> None:
    """Source errors: answers that were not announcement pages, with their reasons."""
    db = catalogue.open_db(db_path)
    where, args = ("crawl_run_id = ?", [run_id]) if run_id else (None, [])
    rows = [dict(r) for r in db["source_errors"].rows_where(where, args, order_by="id desc")]
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["id", "crawl_run_id", "source", "reason", "http_status", "url"])


@cli.command("reextract")
@db_option
@json_option
def reextract_command(db_path: str, as_json: bool) -> None:
    """Run the current extractor over stored versions it has not processed (old rows kept),
    then relink translations and update the timeline."""
    from regwatch.jobs import extract_pending
    from timeline.build import update_timeline
    from timeline.translations import link_translations

    db = catalogue.open_db(db_path)
    result = extract_pending(db)
    result["translations"] = link_translations(db)
    result["timeline"] = update_timeline(db)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"extractor {result['extractor_version']}: {result['extracted']} versions extracted")


@cli.command("demo")
@db_option(create=True, default="demo/regwatch.db")
def demo_command(db_path: str) -> None:
    """Start the mirror, crawl day 1 and day 2, extract, and print what changed."""
    from regwatch.demo import run_demo

    run_demo(db_path, echo=click.echo)


# Command modules of the other stages; each exposes COMMANDS, a list of click commands.
COMMAND_MODULES = ("regwatch.cli_extract", "regwatch.cli_alerts", "regwatch.cli_timeline",
                   "regwatch.cli_service", "regwatch.cli_web", "regwatch.cli_enforcement",
                   "regwatch.cli_screening", "regwatch.cli_portfolio", "regwatch.cli_ingest")


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()
