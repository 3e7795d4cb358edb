"""``regwatch demo``: the main job end to end, against the offline mirror.

Starts the mirror (day 1) on a free loopback port, crawls and extracts, re-crawls to
show that nothing unchanged is stored twice, moves the mirror to day 2, crawls again,
and prints what changed. It ends as a compliance officer would see it: a sample e-mail
subscription (rare earths) is registered before the first crawl, the day-2 alerts are
delivered to a local SMTP sink the demo starts, and the e-mail received is printed. It
ends with the sample exporter's portfolio: each product's verdict today and the dates
ahead that change one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.jobs import run_once
from store import catalogue
from store.extractions import latest_extraction


def _summary_line(label: str, result: dict[str, Any]) -> str:
    runs = result["runs"]
    total = {k: sum(r[k] or 0 for r in runs) for k in
             ("requests", "fetched", "new_documents", "new_versions", "not_modified", "errors")}
    return (f"{label}: {total['requests']} requests, {total['new_documents']} new documents, "
            f"{total['new_versions']} new versions, {total['not_modified']} not modified, "
            f"{total['errors']} errors; {result['extraction']['extracted']} versions extracted")


def changed_since(db, run_ids: list[int]) -> list[dict[str, Any]]:
    """Versions written by the given crawl runs, with their extraction."""
    if not run_ids:
        return []
    marks = ",".join("?" * len(run_ids))
    rows = [dict(r) for r in db.query(
        f"select v.id as version_id, v.seq, d.id as document_id, d.title, d.url from versions v "
        f"join documents d on d.id = v.document_id where v.crawl_run_id in ({marks}) order by v.id",
        run_ids)]
    for row in rows:
        row["extraction"] = latest_extraction(db, row["version_id"]) or {}
    return rows


def coming_up(db) -> list[str]:
    """Suspension or licence periods ending soon, from the period_ending events."""
    lines = []
    for (payload,) in db.execute("select payload from events where kind = 'period_ending' "
                                 "order by id"):
        event = json.loads(payload)
        reminder = event.get("reminder") or {}
        clause = f" {reminder['clause']}" if reminder.get("clause") else ""
        lines.append(f"{reminder.get('date')} (in {reminder.get('days_left')} days): the suspension of "
                     f"{reminder.get('target')}{clause} by {event.get('number')} ends — "
                     f"{reminder.get('target_title') or ''}")
    return lines


def run_demo(db_path: str, echo: Callable[[str], None] = print) -> dict[str, Any]:
    path = Path(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    sample = _subscribe_sample(db_path)
    site = Mirror(day=1)
    server = start_in_thread(site)
    echo(f"mirror: {server.url} (day 1, {len(site.visible)} announcements and notices)")
    started = time.monotonic()
    try:
        day1 = run_once(db_path, mirror=server.url)
        echo(_summary_line("day 1, first crawl ", day1))
        again = run_once(db_path, mirror=server.url)
        echo(_summary_line("day 1, second crawl", again))
        site.set_day(2)
        echo("mirror moved to day 2")
        day2 = run_once(db_path, mirror=server.url)
        echo(_summary_line("day 2              ", day2))
    finally:
        server.shutdown()
    db = catalogue.open_db(db_path)
    changes = changed_since(db, [r["id"] for r in day2["runs"]])
    echo("")
    echo("What changed on day 2:")
    for change in changes:
        ex = change["extraction"]
        kind = "NEW" if change["seq"] == 1 else f"CHANGED (version {change['seq']})"
        echo(f"  [{kind}] #{change['document_id']} {ex.get('number') or '-'}  {change['title']}")
        facts = {k: ex.get(k) for k in ("issue_date", "effective_dates", "materials",
                                        "control_codes") if ex.get(k)}
        if facts:
            echo("      " + json.dumps(facts, ensure_ascii=False))
        if change["seq"] > 1:
            diff = catalogue.history(db, change["document_id"])[-1]["diff"]
            for line in diff.splitlines()[2:]:
                if line.startswith(("+", "-")):
                    echo("      " + line)
    coming = coming_up(db)
    if coming:
        echo("")
        echo("Coming up (periods ending soon):")
        for line in coming:
            echo("  " + line)
    documents = catalogue.documents(db)
    echo("")
    echo(f"catalogue: {path.resolve()} ({len(documents)} documents); "
         f"took {time.monotonic() - started:.1f}s")
    echo(f"try: regwatch documents --db {db_path} | regwatch history ID --db {db_path}")
    mails = _deliver_and_show(db, db_path, sample, [day1, again, day2], echo)
    portfolio = _portfolio_section(db, db_path, echo)
    return {"day1": day1, "again": again, "day2": day2, "changes": changes, "mails": mails,
            "portfolio": portfolio}


SAMPLE_PORTFOLIO = Path(__file__).resolve().parent.parent / "portfolio" / "samples" / "exporter.csv"


def _portfolio_section(db, db_path: str, echo: Callable[[str], None]) -> dict[str, Any]:
    """The sample exporter's portfolio: every product's verdict today and the dates ahead
    that change one (or, when none are ahead, the last 90 days' changes)."""
    from portfolio import records
    from portfolio.changes import upcoming, verdict_changes
    from portfolio.status import portfolio_status
    from timeline.queries import today

    summary, _ = records.import_file(db, SAMPLE_PORTFOLIO, "exporter")
    lanes = records.rows(db, "exporter")
    rows = portfolio_status(db, lanes)
    on = rows[0]["on"] if rows else today()
    echo("")
    echo(f"Portfolio 'exporter' ({summary['rows']} lanes from {SAMPLE_PORTFOLIO.name}): "
         f"status on {on}")
    for row in rows:
        screening = (row.get("screening") or {}).get("result")
        echo(f"  {row['sku']:<16} {row['destination']:<3} {row['verdict']:<36} "
             f"{', '.join(row['announcements'][:3]) or '-'}"
             + (f"  [counterparty: {screening}]" if screening and screening != "no hit" else ""))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    echo("  " + "; ".join(f"{v}: {n}" for v, n in sorted(counts.items(), key=lambda x: -x[1])))
    ahead = upcoming(db, lanes, 90)
    echo("")
    echo(f"Upcoming dates that change a verdict (90 days after {ahead['from']}):")
    for change in ahead["dates"]:
        echo(f"  {change['date']}  {change['sku']:<16} {change['destination']:<3} "
             f"{change['before']} → {change['after']}")
    recent: dict[str, Any] = {}
    if not ahead["dates"]:
        echo("  none in the catalogue")
        recent = verdict_changes(db, lanes, _days_before(ahead["from"], 89), ahead["from"],
                                 basis=False)
        changed = [c for c in recent["changes"] if c["verdict_changed"]]
        echo(f"and the last 90 days' verdict changes ({len(changed)}):")
        for change in changed:
            echo(f"  {change['date']}  {change['sku']:<16} {change['destination']:<3} "
                 f"{change['before']} → {change['after']}")
    echo(f"try: regwatch portfolio status exporter --on 2025-11-15 --db {db_path} | "
         f"regwatch portfolio upcoming exporter --from 2026-10-01 --db {db_path}")
    return {"status": rows, "upcoming": ahead, "recent": recent}


def _days_before(day: str, days: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()


SAMPLE = {"name": "demo: rare-earths desk", "target": "compliance@example.com",
          "materials": ["rare earths"], "lang": "en"}


def _subscribe_sample(db_path: str) -> dict[str, Any]:
    """The sample subscription, made before the first crawl as an officer would."""
    from alerts import subscriptions

    db = catalogue.open_db(db_path)
    sub = subscriptions.add(db, subscriptions.build(
        "email", SAMPLE["target"], name=SAMPLE["name"], materials=SAMPLE["materials"],
        lang=SAMPLE["lang"]))
    db.close()
    return sub


def _deliver_and_show(db, db_path: str, sample: dict[str, Any], results: list[dict[str, Any]],
                      echo: Callable[[str], None]) -> list[Any]:
    """Send what is due to a local SMTP sink and print the e-mail the sample received."""
    from alerts.delivery import send_due
    from alerts.settings import load_settings
    from alerts.sink import SmtpSink

    recorded = [r.get("alerts") or {} for r in results]
    echo("")
    echo(f"Alerts: day 1 recorded {recorded[0].get('events', 0)} events as the first load "
         f"(baseline: kept, not sent); day 2 recorded {recorded[2].get('events', 0)} events "
         f"and queued {recorded[2].get('alerts', 0)} alert(s).")
    with SmtpSink() as sink:
        report = send_due(db, settings=load_settings(smtp_url=sink.url))
        echo(f"regwatch alerts send: {report['sent']} alert(s) handed to the SMTP sink at "
             f"{sink.url}; {report['retrying']} to retry, {report['failed']} failed")
        mails = [m for m in sink.messages if m["To"] == sample["target"]]
    echo("")
    echo(f"The e-mail subscription #{sample['id']} ({sample['target']}, materials: "
         f"{', '.join(sample['materials'])}) received {len(mails)} message(s):")
    for mail in mails:
        echo("-" * 78)
        for header in ("From", "To", "Subject", "Date", "Message-ID"):
            echo(f"{header}: {mail[header]}")
        echo("")
        echo(mail.get_body(("plain",)).get_content().rstrip())
        html = mail.get_body(("html",)).get_content()
        echo(f"[and an HTML part of {len(html)} characters, everything from the pages escaped]")
    echo("-" * 78)
    echo(f"try: regwatch alerts --db {db_path} | regwatch events --db {db_path} | "
         f"regwatch subscriptions --db {db_path}")
    return mails
