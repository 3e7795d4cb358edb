"""The main job, stage by stage: crawl → extract → (events and alerts).

The CLI, the demo and the scheduler all call these functions, so there is one way to
run the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from alerts.events import record_events
from crawler.run import crawl
from documents.encoding import decode_html
from enforcement.store import extract_cases
from screening.crawled import refresh as refresh_lists
from store import catalogue
from store.attachments import attachments_of, point_items_at_rows
from store.extractions import record_extraction, versions_without_extraction
from timeline.build import update_timeline
from timeline.translations import link_translations


def extract_pending(db: Database, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run the current extractor over every stored version it has not seen yet."""
    from extract.pipeline import load_extractor  # spaCy loads only when extraction runs

    extractor = load_extractor()
    penalties = set(penalty_sources())  # decisions, not announcements: enforcement reads them
    pending = [row for row in versions_without_extraction(db, extractor.version)
               if row["source"] not in penalties]
    added = skipped = 0
    for index, row in enumerate(pending, start=1):
        raw = catalogue.raw_html(db, row["id"])
        try:
            html = raw.decode(row["encoding"] or "utf-8")
        except (LookupError, UnicodeDecodeError):
            html, _ = decode_html(raw)
        files = [a for a in attachments_of(db, row["id"]) if a["status"] == "ok" and a["text"]]
        result = extractor.extract(html=html, url=row["url"], source=row["source"],
                                   attachments=[{"name": a["name"], "text": a["text"]}
                                                for a in files] or None)
        point_items_at_rows(result, files)
        if record_extraction(db, row["id"], extractor.version, result) is not None:
            added += 1
        else:
            skipped += 1  # extracted meanwhile by another process
        if progress:
            progress(index, len(pending))
    return {"extractor_version": extractor.version, "extracted": added, "skipped": skipped}


def penalty_sources() -> list[str]:
    """The declared customs penalty-list sources (sources.yaml ``kind: penalties``)."""
    from crawler.sources import load_sources

    return [sid for sid, spec in load_sources().items() if spec.get("kind") == "penalties"]


def run_once(db_path: str, sources: list[str] | None = None, mirror: str | None = None,
             full: bool = False, progress: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Crawl, then process what the crawl brought in."""
    runs = crawl(sources, db_path, mirror=mirror, full=full, progress=progress)
    return {"runs": runs, **process_new(db_path, runs)}


def _alert_settings(config_path: str | None):
    from alerts.settings import load_settings
    from core.settings import load
    from crawler.sources import load_sources

    return load_settings(load(config_path, set(load_sources()))) if config_path else load_settings()


def process_new(db_path: str, runs: list[dict[str, Any]],
                config_path: str | None = None) -> dict[str, Any]:
    """After a crawl: extract new versions, update the timeline, record events and alerts."""
    db = catalogue.open_db(db_path)
    try:
        extraction = extract_pending(db)
        cases = extract_cases(db, penalty_sources())
        lists = refresh_lists(db)
        translations = link_translations(db)
        timeline = update_timeline(db)
        alerts = record_events(db, runs, settings=_alert_settings(config_path))
    finally:
        db.close()
    return {"extraction": extraction, "cases": cases, "lists": lists,
            "translations": translations, "timeline": timeline, "alerts": alerts}


def send_alerts(db_path: str, config_path: str | None = None) -> dict[str, Any]:
    """Deliver the alerts that are due (the alerts stage decides what is due)."""
    from alerts import delivery

    db = catalogue.open_db(db_path)
    try:
        return delivery.send_due(db, settings=_alert_settings(config_path))
    finally:
        db.close()
