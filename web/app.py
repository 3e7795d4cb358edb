"""The web catalogue: a read-only Datasette over the regwatch catalogue, with our plugins.

:func:`make_datasette` is what ``regwatch serve`` and the tests run: one database, always
named ``regwatch`` (so web/metadata.yaml applies to any file name), opened read-only
(``mode=ro``: crawls that run meanwhile show up) or ``immutable`` (a frozen snapshot),
with the single-module plugins of this package registered on Datasette's plugin
manager. :func:`prepare` is the one write, done by the CLI before serving: it migrates
the catalogue and creates the SQL views the pages read (web/views.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm

from core import yamldata
from web import (
    atom,
    calendar,
    cells,
    dashboard,
    enforcement,
    facets,
    feeds,
    filters,
    guard,
    lists,
    pages,
    search,
)
from web import portfolio as portfolio_page
from web.counts import SummaryCountDatabase

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
METADATA_FILE = HERE / "metadata.yaml"
DATABASE = "regwatch"
STATIC_MOUNT = "regwatch-assets"
PLUGINS = (guard, search, pages, atom, feeds, dashboard, calendar, cells, lists, enforcement,
           portfolio_page, facets, filters)

# Datasette settings: no download of the whole file (it holds private tables); time
# enough for a sort over a 100k-document view (about 4 s), while a facet that takes
# more than a second is skipped and named as timed out (whole-catalogue array facets at
# 100k); no suggested facets (each is a query over the whole view); no debug output.
SETTINGS: dict[str, Any] = {
    "allow_download": False,
    "default_page_size": 50,
    "facet_time_limit_ms": 1000,
    "sql_time_limit_ms": 8000,
    "suggest_facets": False,
    "max_returned_rows": 1000,
    "template_debug": False,
    "trace_debug": False,
    "num_sql_threads": 4,
}


def _no_rich_tracebacks() -> None:
    """Datasette 0.65 prints every error with rich when rich is importable; outside an
    ``except`` block (a plain 404 for an unknown address) that raises, so the 404
    becomes a 500. The error page does not need rich: switch it off. (Imported here,
    after datasette.app: imported first, the module registers itself half-loaded.)"""
    import datasette.handle_exception as default_handler

    default_handler.rich = None


def register_plugins() -> None:
    """Register this package's plugins once per process (entry points may have already)."""
    for module in PLUGINS:
        if not pm.is_registered(module):
            pm.register(module, name=f"regwatch-{module.__name__.rsplit('.', 1)[-1]}")


def load_metadata() -> dict[str, Any]:
    return yamldata.load(METADATA_FILE.read_text(encoding="utf-8"))


def prepare(db_path: str | Path) -> list[str]:
    """Migrate the catalogue, create the feed-token table and create or update the web
    views; return the views written.

    :raises FileNotFoundError: when there is no catalogue at ``db_path``
    """
    from store.catalogue import open_db
    from web.tokens import ensure_table
    from web.views import ensure_views

    if not Path(db_path).exists():
        raise FileNotFoundError(f"no catalogue at {db_path} (run `regwatch crawl` first)")
    db = open_db(db_path)
    try:
        ensure_table(db)
        if "summary_dirty" in db.table_names():
            from store.catalogue import transaction
            from timeline.summary import refresh

            with transaction(db):
                refresh(db)  # the facet counts and matrix sums the pages read, as of today
        return ensure_views(db)
    finally:
        db.close()


def make_datasette(db_path: str | Path, immutable: bool = False,
                   settings: dict[str, Any] | None = None) -> Datasette:
    """A Datasette serving the catalogue at ``db_path`` read-only, with the web plugins.

    :raises FileNotFoundError: when there is no catalogue at ``db_path``
    """
    path = Path(db_path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"no catalogue at {db_path}")
    register_plugins()
    _no_rich_tracebacks()
    ds = Datasette(
        [], metadata=load_metadata(), template_dir=str(TEMPLATES),
        static_mounts=[(STATIC_MOUNT, str(STATIC))],
        settings={**SETTINGS, **(settings or {})},
    )
    # a page filtered by state counts from the summaries while they hold (web/counts.py)
    ds.add_database(SummaryCountDatabase(ds, path=str(path), is_mutable=not immutable),
                    name=DATABASE)
    if "_memory" in ds.databases:  # added when no files are given; an SQL sandbox we don't need
        ds.remove_database("_memory")
    return ds


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001,
          immutable: bool = False) -> None:
    """Run the web catalogue with uvicorn until interrupted."""
    import uvicorn

    ds = make_datasette(db_path, immutable=immutable)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
