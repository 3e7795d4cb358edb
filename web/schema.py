"""The web catalogue's tables: ``web`` migration 1, registered with the store's runner.

Views copy nothing, so :func:`web.app.prepare` also re-creates any whose definition changed
before the server opens the file read-only.
"""

from __future__ import annotations

from sqlite_utils import Database

from store.migrations import register
from web.tokens import ensure_table
from web.views import ensure_views


def _v1_web(db: Database) -> None:
    """Private feed tokens (hashed) and the views the web catalogue shows."""
    ensure_table(db)
    ensure_views(db)


# Append-only. The views read the alerts' and the timeline's tables, so those come first.
register("web", [_v1_web], after=("alerts", "timeline"))
