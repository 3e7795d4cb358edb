"""CLI commands of the web catalogue: ``serve``, and ``feeds`` for per-subscription tokens.

regwatch.cli imports this module while it is being imported, so the options used here
are defined locally and web/ (Datasette) is imported inside the commands.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys

import click

from regwatch.cli_options import db_option


def _require(db_path: str) -> None:
    if not os.path.exists(db_path):
        raise click.ClickException(f"no catalogue at {db_path} (run `regwatch crawl` first)")


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 for every interface).")
@click.option("--port", default=8001, show_default=True, type=int, help="0 picks a free port.")
@click.option("--immutable", is_flag=True,
              help="Serve a frozen snapshot (faster; do not use while crawls write the file).")
def serve_command(db_path: str, host: str, port: int, immutable: bool) -> None:
    """Serve the catalogue in a browser: search, facets, announcement pages, Atom feeds.

    Read-only: the web has no write path. Before serving, the catalogue is migrated and
    the web views are created (the one write, done here, not by the server).
    """
    import uvicorn

    from web.app import make_datasette, prepare

    _require(db_path)
    try:
        prepare(db_path)
    except sqlite3.OperationalError as exc:  # a read-only file: serve what is there
        click.echo(f"warning: could not update the web views ({exc})", err=True)
    except RuntimeError as exc:  # a catalogue written by a newer regwatch
        raise click.ClickException(str(exc)) from exc
    ds = make_datasette(db_path, immutable=immutable)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    url_host = f"[{host}]" if ":" in host else host
    click.echo(f"regwatch web catalogue on http://{url_host}:{sock.getsockname()[1]}/ "
               f"({'immutable' if immutable else 'read-only'}: {db_path})")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="warning", lifespan="on"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@click.group("feeds")
def feeds_group() -> None:
    """Private Atom feeds of one subscription's changes (the token is the password)."""


@feeds_group.command("token")
@db_option
@click.argument("subscription_id", type=int)
@click.option("--label", help="A note on who uses this feed.")
@click.option("--base-url", default="http://127.0.0.1:8001", show_default=True,
              help="Where `regwatch serve` is reached, to print the full address.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def feeds_token(db_path: str, subscription_id: int, label: str | None, base_url: str,
                as_json: bool) -> None:
    """Issue a feed address for a subscription; it is shown once and stored only hashed."""
    from store import NotFound, catalogue
    from web.tokens import issue

    _require(db_path)
    db = catalogue.open_db(db_path)
    try:
        issued = issue(db, subscription_id, label)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    url = base_url.rstrip("/") + issued["path"]
    if as_json:
        click.echo(json.dumps({**issued, "url": url}, indent=2))
        return
    click.echo(f"feed token {issued['id']} for subscription {subscription_id}:")
    click.echo(url)
    click.echo("Keep it private: it is not stored and cannot be shown again.")


@feeds_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def feeds_list(db_path: str, as_json: bool) -> None:
    """Issued feed tokens: id, subscription, dates (never the tokens themselves)."""
    from store import catalogue
    from web.tokens import listing

    _require(db_path)
    db = catalogue.open_db(db_path)
    try:
        rows = listing(db)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("(none)")
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['id']}  subscription {row['subscription_id']} "
                   f"({row['subscription'] or '-'})  {row['label'] or ''}  "
                   f"created {row['created_at']}  {state}")


@feeds_group.command("revoke")
@db_option
@click.argument("token_id", type=int)
def feeds_revoke(db_path: str, token_id: int) -> None:
    """Revoke a feed token: its address answers 404 from now on."""
    from store import NotFound, catalogue
    from web.tokens import revoke

    _require(db_path)
    db = catalogue.open_db(db_path)
    try:
        revoke(db, token_id)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    click.echo(f"feed token {token_id} revoked")


COMMANDS = [serve_command, feeds_group]
