"""SQL views the web catalogue reads: one row per thing a reader browses, facets as columns.

The catalogue's own tables are normalised for the pipeline (a document's issuers and
materials live in the JSON of its latest extraction, its state in the timeline's
intervals). Datasette facets, filters, search and CSV/JSON export work on columns, so
these views put each fact a reader filters by in a column of its own: ``issuers`` and
``materials`` as JSON arrays (array facets), ``year`` and ``state`` (the state today) as
plain values. Views copy nothing, so they are never stale; they are created by the CLI
before the server opens the file read-only (:func:`ensure_views`), since the web server
itself never writes.
"""

from __future__ import annotations

from sqlite_utils import Database

# The state of an announcement (subject key = number) or item (subject id) today: the
# current interval (not retired) that covers the regulator's day. That is core/clock.py's
# today (Asia/Shanghai, UTC+8 all year) in SQL; a frozen clock does not reach the views.
TODAY_SQL = "date('now', '+8 hours')"
_STATE_TODAY = (
    "(select i.state from intervals i where i.subject_id = {subject} and i.retired_in is null "
    f"and i.start <= {TODAY_SQL} and (i.\"end\" is null or i.\"end\" >= {TODAY_SQL}) "
    "order by i.start desc limit 1)"
)
# A row's summarised state (timeline/summary.py, timeline/summary_items.py) holds while it
# was summarised on or before today and its next change is after today (for documents,
# also while nothing is marked since): then the view reads it, else the live lookup above,
# so the views are never stale. web/filters.py answers ?state= from the summaries' indexes.
HOLDS = f"s.state_as_of <= {TODAY_SQL} and s.state_next > {TODAY_SQL}"

VIEWS: dict[str, str] = {
    # One row per crawled page (document), with its current version and latest extraction.
    # Scalar subqueries, not LEFT JOINs: SQLite 3.40 returns no rows for Datasette's
    # array-facet query (json_each over the view, joined after it) on a view with a LEFT
    # JOIN. The view stays flattenable, so Datasette's filters, search (id in …) and
    # LIMIT reach the documents table and a page costs only its own rows.
    "catalogue": (
        "select d.id, d.number, d.source, "
        "coalesce((select v.title from versions v where v.id = d.current_version_id), d.title) "
        "as title, "
        "coalesce((select a.issuers from announcements a where a.number = d.number), "
        "(select json_extract(e.result, '$.issuers') from extractions e "
        "where e.id = d.extraction_id)) as issuers, "
        "{materials} as materials, "
        "cast(substr(d.issue_date, 1, 4) as integer) as year, d.issue_date, "
        "(select a.effective_date from announcements a where a.number = d.number) "
        "as effective_date, "
        "case when d.number is not null then coalesce((select s.state from summary_documents s "
        "where s.id = d.id and s.number = d.number and " + HOLDS + " and not exists "
        "(select 1 from summary_dirty)), " + _STATE_TODAY.format(
            subject="(select s.id from subjects s where s.key = d.number "
                    "and s.kind = 'announcement')") + ", 'unknown') end as state, "
        "d.version_count as versions, d.first_seen, d.last_changed, d.url "
        "from (select d.*, (select max(y.id) from extractions y "
        "where y.version_id = d.current_version_id) as extraction_id, "
        "coalesce((select a.issue_date from announcements a where a.number = d.number), "
        "(select y.issue_date from extractions y where y.version_id = d.current_version_id "
        "order by y.id desc limit 1)) as issue_date from documents d) d"
    ),
    # The current item catalogue: one row per controlled item or provision, state today.
    "items_current": (
        "select it.id, it.announcement, it.provision, it.ordinal, it.kind, it.control_code, "
        "it.text, it.text_en, it.materials, it.hs_codes, it.measure, it.destinations, "
        "it.effective_date, it.announcement_date, coalesce((select s.state from summary_items s "
        "where s.id = it.id and " + HOLDS + "), "
        + _STATE_TODAY.format(subject="it.subject_id") + ") as state "
        "from items it where it.current = 1"
    ),
    # What the timeline says changed, and when: one row per current state interval.
    "state_changes": (
        "select i.id, i.start as date, i.announcement, i.subject_kind, s.key as subject, "
        "s.label, coalesce(i.prev_state, 'not_issued') as from_state, i.state as to_state, "
        "i.\"end\" as until, i.cause, i.relation, i.clause, i.reason "
        "from intervals i join subjects s on s.id = i.subject_id where i.retired_in is null"
    ),
    # Change events the alerts stage recorded (new, changed, suspended, …), newest first.
    "changes": (
        "select e.id, e.created_at, e.kind, e.priority, e.baseline, e.number, e.title, "
        "e.source, json_extract(e.payload, '$.materials') as materials, e.document_id, "
        "e.version_id, e.url from events e"
    ),
}


# Materials of a document: from the timeline's announcements table when it carries them
# (no JSON to parse per row), else from the latest extraction's JSON.
MATERIALS_FROM_EXTRACTION = ("(select json_extract(e.result, '$.materials') from extractions e "
                             "where e.id = d.extraction_id)")
MATERIALS_FROM_ANNOUNCEMENTS = ("coalesce((select a.materials from announcements a "
                                "where a.number = d.number), " + MATERIALS_FROM_EXTRACTION + ")")


def view_sql(name: str, db: Database | None = None) -> str:
    """The CREATE VIEW statement of ``name`` for this catalogue's columns."""
    body = VIEWS[name]
    if name == "catalogue":
        has = db is not None and "materials" in db["announcements"].columns_dict
        body = body.replace("{materials}", MATERIALS_FROM_ANNOUNCEMENTS if has
                            else MATERIALS_FROM_EXTRACTION)
    return f"CREATE VIEW {name} AS {body}"


# Tables each view reads (catalogue migrations v1-v3, summary 1-2); a view whose tables are missing
# is not created, so an older catalogue still serves what it has.
REQUIRES: dict[str, tuple[str, ...]] = {
    "catalogue": ("documents", "versions", "extractions", "announcements", "subjects",
                  "intervals", "summary_documents", "summary_dirty"),
    "items_current": ("items", "intervals", "summary_items"),
    "state_changes": ("intervals", "subjects"),
    "changes": ("events",),
}


def ensure_views(db: Database) -> list[str]:
    """Create or replace the views whose definition differs; return the names written.

    A view whose tables the catalogue lacks is skipped (dropped if it exists).
    """
    tables = set(db.table_names())
    current = dict(db.execute("select name, sql from sqlite_master where type = 'view'").fetchall())
    wanted = {name: view_sql(name, db) for name in VIEWS if set(REQUIRES[name]) <= tables}
    changed = [name for name, sql in wanted.items() if current.get(name) != sql]
    stale = [name for name in VIEWS if name not in wanted and name in current]
    if changed or stale:
        with db.atomic():
            for name in changed + stale:
                db.execute(f"drop view if exists {name}")
            for name in changed:
                db.execute(wanted[name])
    return changed
