"""A filtered table page's count from the writer's summaries, not a test of every row.

Datasette counts a table page's rows with ``select count(*) from VIEW where …``. On the
item table filtered by a state most items have (in force: 1.08M of 1.2M) that is a state
test per row, about 0.55 s, and no filter hook can narrow it (listing a million ids
costs more). A page filtered only by what the summaries keep (web/facets.py
``plain_filters``: ``state`` on both tables, ``measure`` on the items) has a count the
summaries know while they hold: the items' from ``summary_item_groups``, the catalogue's
from ``summary_documents``.

web/filters.py's hook, which sees the request, plans that count (:func:`plan`): the
exact count statement Datasette will build for the page (its own column filters and the
hook's conditions) and the summary's statement answering it. The catalogue's database
(:class:`SummaryCountDatabase`) runs the summary's statement in place of that one
statement. The summary's statement checks in the same read that the summary holds (none
stale, none past its next change, for documents nothing marked) and gives NULL when it
does not; then Datasette's own count runs (slow, right). Any other statement, or a count
whose text or parameters differ from the plan (another plugin's condition), runs as
Datasette wrote it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from datasette.database import Database
from datasette.filters import Filters
from datasette.utils import escape_sqlite

from web.facets import HOLDS_NOT, _where_values, plain_filters
from web.views import TODAY_SQL

# view → (the summary does not hold, the count of its rows matching {where})
SUMMARY_COUNTS = {
    "items_current": (
        "exists (" + HOLDS_NOT.format(table="summary_items", today=TODAY_SQL) + ")",
        "select coalesce(sum(count), 0) from summary_item_groups where {where}"),
    "catalogue": (
        "exists (select 1 from summary_dirty) or exists ("
        + HOLDS_NOT.format(table="summary_documents", today=TODAY_SQL) + ")",
        "select count(*) from summary_documents where {where}"),
}
# this request's planned counts: Datasette's count statement → (its parameters, the
# summary's statement, that statement's parameters). Set per request by the filter hook;
# a context variable, so it is the request's own (each request is a task of its own).
PLANNED: ContextVar[dict[str, tuple[dict[str, Any], str, dict[str, Any]]] | None] = \
    ContextVar("regwatch_planned_counts", default=None)


def count_sql(table: str, where: list[str]) -> str:
    """Datasette 0.65's count statement of a table page (views/table.py: ``count_sql``)."""
    return (f"select count(*) from {escape_sqlite(table)} "
            + (f"where {' and '.join(where)} " if where else ""))


def summary_count_sql(table: str, filters: list[tuple[str, list[Any]]]
                      ) -> tuple[str, dict[str, Any]]:
    """The statement counting the rows of ``table`` that ``filters`` keep from its summary:
    one row, one value, NULL when the summary does not hold."""
    lapsed, counted = SUMMARY_COUNTS[table]
    where, params = _where_values(filters)
    return (f"select case when {lapsed} then null else ({counted.format(where=where)}) end "
            'as "count(*)"', params)


def forget() -> None:
    """Plan no count: Datasette counts this request's page."""
    PLANNED.set({})


def plan(request: Any, database: str, table: str, clauses: list[str],
         params: dict[str, Any]) -> None:
    """Plan this request's count from the summary when the page is filtered only by what
    the summary keeps; ``clauses`` and ``params``: the conditions the filter hook adds."""
    filters = plain_filters(database, table, request.args)
    if not filters or table not in SUMMARY_COUNTS:
        forget()
        return
    # the column filters as Datasette builds them (views/table.py: every argument but the
    # ones that start with _ and have no __, sorted)
    pairs = sorted((key, value) for key in request.args
                   if not (key.startswith("_") and "__" not in key)
                   for value in request.args.getlist(key))
    where, expected = Filters(pairs).build_where_clauses(table)
    PLANNED.set({count_sql(table, where + clauses): ({**expected, **params},
                                                     *summary_count_sql(table, filters))})


class SummaryCountDatabase(Database):
    """Datasette's database, answering a planned count from the summary while it holds."""

    async def execute(self, sql: str, params: Any = None, truncate: bool = False,
                      custom_time_limit: int | None = None, page_size: int | None = None,
                      log_sql_errors: bool = True) -> Any:
        planned = (PLANNED.get() or {}).get(sql)
        if planned is not None and dict(params or {}) == planned[0]:
            found = await super().execute(planned[1], planned[2],
                                          custom_time_limit=custom_time_limit)
            if found.rows and found.rows[0][0] is not None:
                return found
        return await super().execute(sql, params, truncate, custom_time_limit, page_size,
                                     log_sql_errors)
