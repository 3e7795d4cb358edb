"""Tables of portfolios: ``portfolio`` migration 1, registered with the store's runner.

| table | one row per |
|---|---|
| ``portfolios`` | named portfolio (unique name) |
| ``portfolio_imports`` | import of a file into a portfolio: when, which file (sha256), what changed |
| ``portfolio_rows`` | version of a lane (sku, destination, counterparty, end use, end user: ``portfolio.lanes``): ``added_in``/``retired_in`` are import ids |

A re-import never overwrites: a changed lane retires its old version and adds a new one,
so the portfolio as of any import can be read back (an auditor's "what did we hold then").
"""

from __future__ import annotations

from sqlite_utils import Database

from store.migrations import register


def create_tables(db: Database) -> None:
    db["portfolios"].create(
        {"id": int, "name": str, "created_at": str, "updated_at": str},
        pk="id", not_null={"name", "created_at"}, if_not_exists=True,
    )
    db["portfolios"].create_index(["name"], unique=True, if_not_exists=True)
    db["portfolio_imports"].create(
        {"id": int, "portfolio_id": int, "imported_at": str, "source": str, "source_sha256": str,
         "rows": int, "added": int, "changed": int, "removed": int, "unchanged": int},
        pk="id", foreign_keys=[("portfolio_id", "portfolios", "id")], if_not_exists=True,
    )
    db["portfolio_imports"].create_index(["portfolio_id"], if_not_exists=True)
    db["portfolio_rows"].create(
        {"id": int, "portfolio_id": int, "sku": str, "destination": str, "description": str,
         "hs_code": str, "materials": str, "destination_as_written": str, "end_use": str,
         "end_user": str, "counterparty": str, "row_hash": str, "added_in": int, "retired_in": int},
        pk="id", not_null={"portfolio_id", "sku", "destination", "added_in"},
        foreign_keys=[("portfolio_id", "portfolios", "id"), ("added_in", "portfolio_imports", "id"),
                      ("retired_in", "portfolio_imports", "id")],
        if_not_exists=True,
    )
    db.execute("create unique index if not exists portfolio_rows_current on portfolio_rows "
               "(portfolio_id, sku, destination) where retired_in is null")
    db["portfolio_rows"].create_index(["portfolio_id", "added_in"], if_not_exists=True)


def lane_key(db: Database) -> None:
    """A lane is also its counterparty and end use (``portfolio.lanes``): the same
    SKU to one country for two customers is two current rows."""
    db.execute("drop index if exists portfolio_rows_current")
    db.execute("create unique index if not exists portfolio_rows_lane on portfolio_rows "
               "(portfolio_id, sku, destination, coalesce(counterparty, ''), "
               "coalesce(end_use, ''), coalesce(end_user, '')) where retired_in is null")


register("portfolio", [create_tables, lane_key])
