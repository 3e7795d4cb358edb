"""The regulation timeline (placeholder until the timeline lands)."""

from typing import Any

from sqlite_utils import Database


def update_timeline(db: Database) -> dict[str, Any]:
    return {}
