"""Change events from crawls and extractions (placeholder until the alerts stage lands)."""

from typing import Any

from sqlite_utils import Database


def record_events(db: Database, runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {}
