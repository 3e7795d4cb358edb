"""``regwatch ingest SPOOL``: the one writer for feeds from crawling nodes (docs/scrapyd.md)."""

from __future__ import annotations

import click

from regwatch.cli_options import db_option, emit_json, json_option


@click.command("ingest")
@click.argument("spool", type=click.Path(exists=True, file_okay=False))
@db_option(create=True)  # the crawl's writer when nodes crawl (docs/scrapyd.md)
@json_option
def ingest(spool: str, db_path: str, as_json: bool) -> None:
    """Store the finished feeds in SPOOL (each once) and publish the nodes' snapshot."""
    from regwatch.ingest import ingest as run_ingest

    report = run_ingest(db_path, spool)
    if as_json:
        emit_json(report)
        return
    click.echo(f"{report['feeds_ingested']} feed(s) ingested, "
               f"{report['feeds_already_ingested']} already ingested; snapshot {report['snapshot']}")
    for run in report["runs"]:
        click.echo(f"  {run['source']}: {run.get('new_documents', 0)} new document(s), "
                   f"{run.get('not_modified', 0)} not modified, {run.get('errors', 0)} error(s)")


COMMANDS = [ingest]
