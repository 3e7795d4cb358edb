"""``regwatch eval``: score the extractor on a FORMAT.md gold file.

The lead registers it with ``cli.add_command(eval_command)``; it only adapts
:func:`extract.evaluate.score` to the command line.
"""

from __future__ import annotations

import json

import click

from .errors import ExtractError
from .evaluate import format_table, score


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--predictions", "predictions", type=click.Path(dir_okay=False),
              help="Also write the extractor's predictions here, one {id, pred} line per doc.")
@click.option("--errors", "show_errors", is_flag=True,
              help="List the documents whose predictions differ from the gold.")
def eval_command(file: str, as_json: bool, predictions: str | None, show_errors: bool) -> None:
    """Score extraction on FILE.jsonl (gold format of shared/eval/FORMAT.md)."""
    try:
        scores = score(file, write_predictions=predictions, details=show_errors)
    except ExtractError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(scores, ensure_ascii=False, sort_keys=True))
        return
    if show_errors:
        for doc in scores.get("documents_detail", []):
            click.echo(f"{doc['id']}:")
            for field, diff in doc["diff"].items():
                click.echo(f"  {field}: missing {diff['missing']} extra {diff['extra']}")
    click.echo(format_table(scores))
