"""The column that makes a subscription watch a portfolio (#17 item 4).

``subscriptions.portfolio`` names the portfolio a subscription watches
(``regwatch subscribe --portfolio N``); the verdicts last seen are kept in ``alert_state``
(alerts/portfolio.py). It is a migration package of its own, ``alerts_portfolio``, run
after the alerts tables exist, so it does not take a number in the alerts list that
other work may be appending to.
"""

from __future__ import annotations

from sqlite_utils import Database

from store.migrations import register


def add_portfolio(db: Database) -> None:
    """Migration 1: the watched portfolio's name on a subscription."""
    if "portfolio" not in db["subscriptions"].columns_dict:
        db["subscriptions"].add_column("portfolio", str)


# Append-only: a change is a new function at the end of this list.
register("alerts_portfolio", [add_portfolio], after=("alerts",))
