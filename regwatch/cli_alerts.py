"""CLI commands of the alerts stage: subscribe, subscriptions, unsubscribe, alerts, events.

Each command opens the catalogue and calls one function of alerts/. ``regwatch.cli``
imports this module while it is itself being imported, so the shared output helpers
are imported inside the commands, and the ``--db``/``--json`` options are redefined
here with the same meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from alerts import kinds
from regwatch.cli_options import db_option, emit_json, emit_table, json_option


def alerts_errors(fn: Callable) -> Callable:
    """Domain errors become a clean message and exit status 1."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from alerts.errors import AlertsError

        try:
            return fn(*args, **kwargs)
        except (AlertsError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


def _open(db_path: str):
    from store.catalogue import open_db

    return open_db(db_path)


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    from alerts.settings import parse_iso

    try:
        return parse_iso(value if ("+" in value[10:] or value.endswith("Z")) else value + "Z")
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO time: {value}", param_hint="--now") from exc


def _subscription_row(sub: dict[str, Any]) -> dict[str, Any]:
    filters = []
    for key, label in (("materials", "material"), ("hs_prefixes", "hs"),
                       ("control_code_prefixes", "code"), ("keywords", "keyword"),
                       ("issuers", "issuer"), ("sources", "source")):
        filters += [f"{label}:{v}" for v in sub.get(key) or []]
    if sub.get("counterparties"):
        filters.append(f"counterparties:{len(sub['counterparties'])}")
    if sub.get("portfolio"):
        filters.append(f"portfolio:{sub['portfolio']}")
    event_kinds = sub.get("event_kinds") or []
    return {**sub, "filters": " ".join(filters) or "(everything)",
            "when": f"digest {sub['digest_at']} {sub['timezone']}" if sub["mode"] == "digest"
            else "immediate",
            "events": "default" if set(event_kinds) == set(kinds.DEFAULT_KINDS)
            else ",".join(event_kinds)}


# -- subscriptions ----------------------------------------------------------------------

@click.command("subscribe")
@db_option
@click.option("--email", metavar="ADDR", help="Send e-mails to ADDR (SMTP from REGWATCH_SMTP_URL).")
@click.option("--webhook", metavar="URL",
              help="POST signed JSON to URL. ${VAR} in the URL is filled from the environment.")
@click.option("--apprise", metavar="URL",
              help="Notify any Apprise URL (slack://, msteams://, tgram://, …); write tokens "
                   "as ${VAR} placeholders, filled from the environment when sending.")
@click.option("--name", help="A name (loading a TOML file updates subscriptions by name).")
@click.option("--material", "materials", multiple=True, metavar="M",
              help="Material, English or Chinese (gallium, 镓, rare earths…). Repeatable.")
@click.option("--hs-prefix", "hs_prefixes", multiple=True, metavar="P",
              help="Customs (HS) code prefix, e.g. 8112. Repeatable.")
@click.option("--control-code-prefix", "control_code_prefixes", multiple=True, metavar="C",
              help="Export-control code prefix, e.g. 1C902. Repeatable.")
@click.option("--keyword", "keywords", multiple=True, metavar="K",
              help="Word or phrase in the text, Chinese or English. Repeatable.")
@click.option("--issuer", "issuers", multiple=True, metavar="CODE",
              help="Only announcements by this issuer (MOFCOM, GACC, …). Repeatable.")
@click.option("--source", "sources", multiple=True, metavar="ID",
              help="Only this source (mofcom, gacc). Repeatable.")
@click.option("--event", "event_kinds", multiple=True, metavar="KIND",
              type=click.Choice(list(kinds.KINDS)),
              help="Only these event kinds (default: all but text_changed). Repeatable.")
@click.option("--digest", "digest_at", metavar="HH:MM",
              help="One digest a day at HH:MM instead of immediate alerts.")
@click.option("--timezone", default="UTC", show_default=True, help="Time zone of --digest.")
@click.option("--lang", type=click.Choice(["zh", "en"]),
              help="Language of the messages (default: REGWATCH_ALERTS_LANG, else en).")
@click.option("--remind-days", "reminder_days", multiple=True, type=int, metavar="N",
              help="Remind N days before effective dates and period ends (default 7). Repeatable.")
@click.option("--webhook-secret-env", "secret_env", metavar="VAR",
              help="Environment variable holding the webhook's HMAC key "
                   "(default REGWATCH_WEBHOOK_SECRET).")
@click.option("--include-baseline", is_flag=True,
              help="Also alert on events of a source's first load (normally recorded only).")
@click.option("--counterparties", type=click.Path(exists=True, dir_okay=False), metavar="FILE.csv",
              help="Watch these counterparties (CSV: name, country, optional address, aliases): "
                   "alert when a matching entity is listed, suspended or removed.")
@click.option("--portfolio", metavar="NAME",
              help="Watch a portfolio (regwatch portfolio import): alert when any product's "
                   "verdict changes (before → after), and --remind-days before a date ahead "
                   "that changes one. Takes the portfolio event kinds unless --event is given.")
@json_option
@alerts_errors
def subscribe_command(db_path: str, email: str | None, webhook: str | None, apprise: str | None,
                      as_json: bool, **options: Any) -> None:
    """Subscribe to alerts: filters, a channel, immediate or daily digest, a language.

    Topic filters (material, HS prefix, control-code prefix, keyword) are alternatives:
    an event touching any of them matches; with none, every event matches. Issuer,
    source and event filters must all hold.
    """
    from alerts import subscriptions

    channels = [(c, v) for c, v in (("email", email), ("webhook", webhook), ("apprise", apprise)) if v]
    if len(channels) != 1:
        raise click.UsageError("give exactly one of --email, --webhook, --apprise")
    channel, target = channels[0]
    row = subscriptions.build(channel, target, **options)
    db = _open(db_path)
    if row.get("portfolio"):
        from alerts.portfolio import check

        check(db, row["portfolio"])
    sub = subscriptions.add(db, row)
    if as_json:
        emit_json(sub)
        return
    view = _subscription_row(sub)
    click.echo(f"subscription {sub['id']}: {channel} {sub['target']}; {view['filters']}; "
               f"{view['when']}; {sub['lang']}")


@click.group("subscriptions", invoke_without_command=True)
@db_option
@click.option("--all", "include_inactive", is_flag=True, help="Include unsubscribed ones.")
@json_option
@click.pass_context
def subscriptions_group(ctx: click.Context, db_path: str, include_inactive: bool, as_json: bool) -> None:
    """List subscriptions (or: subscriptions load FILE.toml)."""
    if ctx.invoked_subcommand:
        return
    from alerts import subscriptions

    rows = [_subscription_row(s) for s in subscriptions.listing(_open(db_path), include_inactive)]
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["id", "name", "channel", "target", "filters", "when", "lang", "events",
                           "active"], optional=("target", "events", "lang"))


@subscriptions_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@json_option
@alerts_errors
def subscriptions_load(path: str, db_path: str, as_json: bool) -> None:
    """Load [[subscription]] tables from a TOML file (all or none; updated by name)."""
    from alerts import subscriptions

    rows = subscriptions.load_file(_open(db_path), path)
    if as_json:
        emit_json(rows)
    else:
        click.echo(f"loaded {len(rows)} subscription(s): "
                   + ", ".join(f"{r['id']} {r['name']}" for r in rows))


@click.command("unsubscribe")
@click.argument("subscription_id", type=int)
@db_option
@alerts_errors
def unsubscribe_command(subscription_id: int, db_path: str) -> None:
    """Stop a subscription; its unsent alerts are cancelled (history is kept)."""
    from alerts import subscriptions

    sub = subscriptions.remove(_open(db_path), subscription_id)
    click.echo(f"subscription {subscription_id} stopped; {sub['cancelled']} unsent alert(s) cancelled")


# -- the outbox -------------------------------------------------------------------------

@click.group("alerts", invoke_without_command=True)
@db_option
@click.option("--pending", "status", flag_value="pending", help="Only alerts waiting to be sent.")
@click.option("--failed", "status", flag_value="failed", help="Only alerts that gave up.")
@click.option("--sent", "status", flag_value="sent", help="Only delivered alerts.")
@click.option("--limit", default=200, show_default=True)
@json_option
@click.pass_context
def alerts_group(ctx: click.Context, db_path: str, status: str | None, limit: int,
                 as_json: bool) -> None:
    """The alert queue (outbox); `regwatch alerts send` delivers what is due."""
    if ctx.invoked_subcommand:
        return
    from alerts import outbox

    rows = outbox.listing(_open(db_path), status, limit)
    if as_json:
        emit_json(rows)
        return
    emit_table(rows, ["id", "status", "subscription_id", "channel", "kind", "number", "attempts",
                       "due_at", "next_attempt_at", "sent_at", "last_error"],
               optional=("last_error", "sent_at", "attempts", "next_attempt_at", "due_at",
                         "channel", "subscription_id"))


@alerts_group.command("send")
@db_option
@click.option("--no-record", is_flag=True,
              help="Do not first record events of crawls and extractions not yet processed.")
@click.option("--now", "now_text", metavar="ISO", help="Send what is due at this time (digests).")
@json_option
@alerts_errors
def alerts_send(db_path: str, no_record: bool, now_text: str | None, as_json: bool) -> None:
    """Deliver every due alert: retries back off, failures keep their reason."""
    from alerts.delivery import send_due
    from alerts.events import record_events

    db = _open(db_path)
    now = _parse_now(now_text)
    recorded = None if no_record else record_events(db, [], now=now)
    report = send_due(db, now=now)
    if recorded is not None:
        report["recorded"] = recorded
    if as_json:
        emit_json(report)
        return
    queue = report["queue"]
    click.echo(f"sent {report['sent']} alert(s) in {report['messages']} message(s) "
               f"({report['digests']} digest(s)); {report['retrying']} to retry, "
               f"{report['failed']} failed; queue: {queue['pending']} pending, "
               f"{queue['failed']} failed")
    for error in report["errors"]:
        click.echo(f"  ! subscription {error['subscription']} ({error['channel']}): "
                   f"{error['reason']} [{error['status']}]", err=True)


@alerts_group.command("retry")
@click.argument("alert_ids", nargs=-1, type=int)
@db_option
def alerts_retry(alert_ids: tuple[int, ...], db_path: str) -> None:
    """Put failed alerts (default: all) back in the queue, due now."""
    from alerts import outbox
    from alerts.settings import now

    count = outbox.requeue(_open(db_path), list(alert_ids) or None, now())
    click.echo(f"{count} alert(s) queued again")


# -- events -----------------------------------------------------------------------------

@click.group("events", invoke_without_command=True)
@db_option
@click.option("--kind", "event_kind", type=click.Choice(list(kinds.KINDS)), help="Only this kind.")
@click.option("--limit", default=100, show_default=True)
@json_option
@click.pass_context
def events_group(ctx: click.Context, db_path: str, event_kind: str | None, limit: int,
                 as_json: bool) -> None:
    """Change events recorded from crawls, newest first (or: events record)."""
    if ctx.invoked_subcommand:
        return
    import json

    db = _open(db_path)
    where, args = ("where kind = ?", [event_kind]) if event_kind else ("", [])
    rows = [dict(r) for r in db.query(
        f"select e.*, (select count(*) from outbox a where a.event_id = e.id) as alerts "
        f"from events e {where} order by e.id desc limit ?", [*args, limit])]
    for row in rows:
        row["payload"] = json.loads(row["payload"] or "{}")
        changes = row["payload"].get("changes") or {}
        row["changed"] = ",".join(changes)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["id", "kind", "created_at", "baseline", "source", "number", "changed",
                           "alerts", "title"],
                   optional=("title", "changed", "source", "created_at", "alerts", "baseline"))


@events_group.command("record")
@db_option
@click.option("--now", "now_text", metavar="ISO", help="Record as at this time (reminders).")
@json_option
def events_record(db_path: str, now_text: str | None, as_json: bool) -> None:
    """Record events for crawls and extractions not yet processed; queue their alerts."""
    from alerts.events import record_events

    report = record_events(_open(db_path), [], now=_parse_now(now_text))
    if as_json:
        emit_json(report)
    else:
        click.echo(f"{report['events']} event(s) recorded ({report['baseline']} baseline), "
                   f"{report['alerts']} alert(s) queued")


COMMANDS: list[click.Command] = [subscribe_command, subscriptions_group, unsubscribe_command,
                                 alerts_group, events_group]
