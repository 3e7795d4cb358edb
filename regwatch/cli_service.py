"""CLI commands of the scheduled service: run, init, config check."""

from __future__ import annotations

import os

import click

from core import settings as config_mod
from core.settings import env
from crawler.sources import load_sources
from regwatch.cli_options import db_option


def _load_config(path: str | None) -> config_mod.Config:
    try:
        return config_mod.load(path, set(load_sources()))
    except config_mod.ConfigError as exc:
        raise click.ClickException("\n".join([f"{path}: invalid configuration", *exc.problems])) from exc


@click.command("run")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              default=lambda: env("REGWATCH_CONFIG"), help="TOML config (default: built-in).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Overrides [catalogue] path.")
@click.option("--mirror", "mirror_url", metavar="URL", help="Crawl the mirror at URL, not the real sites.")
@click.option("--every", type=float, metavar="SECONDS",
              help="Crawl every source this often, overriding the schedules (tests, demos).")
@click.option("--log-level", default="INFO", show_default=True)
def run_command(config_path: str | None, db_path: str | None, mirror_url: str | None,
                every: float | None, log_level: str) -> None:
    """Run the scheduled service until SIGTERM/SIGINT: crawl, extract, alert, heartbeat."""
    from regwatch.service import run_service, setup_logging

    config = _load_config(config_path)
    setup_logging(log_level.upper())
    run_service(config, db_path or config.db_path,
                mirror=mirror_url or config.get("service", "mirror"), every=every)


@click.command("init")
@click.argument("path", default="regwatch.toml", type=click.Path(dir_okay=False))
@db_option(create=True)
def init_command(path: str, db_path: str) -> None:
    """Write a commented default configuration to PATH (default regwatch.toml) and create
    the catalogue (--db) if there is none, so subscriptions and portfolios can be set up
    before the first crawl."""
    from store import catalogue

    try:
        written = config_mod.write_default(path)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    catalogue.open_db(db_path).close()
    click.echo(f"wrote {written}; check it with: regwatch config check {written}")
    click.echo(f"catalogue: {db_path}")


@click.group("config")
def config_group() -> None:
    """Inspect the service configuration."""


@config_group.command("check")
@click.argument("path", default="regwatch.toml", type=click.Path(dir_okay=False))
def config_check_command(path: str) -> None:
    """Validate a configuration file; every problem is reported with its line and key."""
    config = _load_config(path)
    sources = ", ".join(sorted(config.sources(load_sources()))) or "none"
    click.echo(f"{path}: ok (catalogue {config.db_path}; sources: {sources})")


def _last_announcement(last: dict | None) -> str:
    if not last:
        return "no announcement seen yet"
    return (f"last announcement {last['number']} ({last['issue_date'] or 'undated'}, "
            f"{last['age_days']} days ago)")


def print_health(db_path: str, config_path: str | None, as_json: bool) -> None:
    """`regwatch status` without a query: health, with an exit status monitoring can use."""
    import json

    from regwatch.health import service_status
    from store import catalogue

    config = _load_config(config_path)
    if not os.path.exists(db_path):
        raise click.ClickException(f"no catalogue at {db_path} (run `regwatch crawl` first)")
    report = service_status(catalogue.open_readonly(db_path), config)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        from regwatch.console import line

        service = report["service"]
        line(f"service: heartbeat {service['heartbeat'] or 'never'}"
                   f"{' (LATE)' if service['late'] else ''}; pid {service['pid']}; "
                   f"pending alerts {report['pending_alerts']}")
        for source in report["sources"]:
            state = "ok" if source["healthy"] else "UNHEALTHY: " + "; ".join(source["problems"])
            line(f"{source['source']:>10}: {state} — last run {source['last_run']} "
                 f"({source['last_result']}), next {source['next_run']}, "
                 f"{source['consecutive_failures']} consecutive failures, "
                 f"last new document {source['last_new_document']}, "
                 f"{_last_announcement(source['last_announcement'])}", indent=12)
    if not report["ok"]:
        raise SystemExit(1)


COMMANDS = [run_command, init_command, config_group]
