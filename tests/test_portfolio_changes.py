"""``portfolio changes`` reads verdicts only on the days a lane's answers can change (the
boundaries of its parts' intervals, portfolio/changes.py); these tests hold it to the
slow way it replaced: every lane's verdict on every day the timeline records any state
change, compared with the day before. Both run on the crawled mirror catalogue with the
sample portfolio."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

SINCE, UNTIL = "2023-01-01", "2027-12-31"


@pytest.fixture(scope="module")
def sample(mirror_history, tmp_path_factory) -> tuple[Any, list[dict[str, Any]]]:
    """The mirror catalogue (a copy) and the sample portfolio's lanes imported into it."""
    from conftest import with_sample_portfolio

    from portfolio import records
    from store import catalogue as store

    path = with_sample_portfolio(mirror_history, tmp_path_factory.mktemp("portfolio-changes"))
    db = store.open_db(path)
    return db, records.rows(db, "exporter")


def _every_change_day(db: Any, lanes: list[dict[str, Any]], since: str, until: str
                      ) -> list[tuple]:
    """The reference: every lane's verdict on each day the timeline changes anything."""
    from portfolio.status import Lookups, portfolio_status
    from timeline import queries

    days = sorted({c["date"] for c in queries.changes(db, since, until, subject="all",
                                                      limit=1_000_000)["changes"]})
    lookups = Lookups(db)
    day_before = (dt.date.fromisoformat(since) - dt.timedelta(days=1)).isoformat()
    before = {(r["sku"], r["destination"]): r
              for r in portfolio_status(db, lanes, day_before, screen=False, lookups=lookups)}
    out = []
    for day in days:
        for row in portfolio_status(db, lanes, day, screen=False, lookups=lookups):
            old = before[(row["sku"], row["destination"])]
            if (old["verdict"], old["announcements"]) != (row["verdict"], row["announcements"]):
                out.append((day, row["sku"], row["destination"], old["verdict"],
                            row["verdict"], tuple(old["announcements"]),
                            tuple(row["announcements"])))
            before[(row["sku"], row["destination"])] = row
    return sorted(out, reverse=True)


def _changes(db: Any, lanes: list[dict[str, Any]], since: str, until: str) -> list[tuple]:
    from portfolio.changes import verdict_changes

    return [(c["date"], c["sku"], c["destination"], c["before"], c["after"],
             tuple(c["announcements_before"]), tuple(c["announcements_after"]))
            for c in verdict_changes(db, lanes, since, until)["changes"]]


def test_boundaries_find_every_change_the_daily_reading_finds(sample) -> None:
    db, lanes = sample
    found = _changes(db, lanes, SINCE, UNTIL)
    assert len({c[0] for c in found}) >= 5  # the mirror's history moves verdicts often
    assert found == _every_change_day(db, lanes, SINCE, UNTIL)


@pytest.mark.parametrize("since, until", [("2025-11-16", "2026-11-29"),
                                          ("2026-11-11", "2026-11-11"),
                                          ("2024-12-01", "2025-01-31")])
def test_a_period_starting_or_ending_inside_an_interval(sample, since: str, until: str
                                                        ) -> None:
    db, lanes = sample
    assert _changes(db, lanes, since, until) == _every_change_day(db, lanes, since, until)


def test_each_query_is_answered_on_its_boundaries_only(sample) -> None:
    """The work follows the change points: a query is answered the day before the period,
    on its last day and on (or the day before) each boundary of its answers, not daily."""
    from portfolio.changes import boundaries
    from portfolio.status import Lookups, queries_of

    db, lanes = sample
    lookups = Lookups(db)
    asked: list[str] = []
    real = lookups.found

    def spy(kind: str, query: str, destination: str, on: str) -> dict[str, Any]:
        asked.append(on)
        return real(kind, query, destination, on)

    lookups.found = spy  # type: ignore[method-assign]
    lane = next(lane for lane in lanes if lane["sku"] == "BAT-LFP")
    kind, query = queries_of(lane)[0]
    edges = boundaries(lookups, kind, query, lane["destination"], "2022-12-31", UNTIL)
    assert "2026-11-11" in edges  # MOFCOM-2025-58's suspension ends the day before
    days = set(asked)
    assert days <= {"2022-12-31", UNTIL, *edges,
                    *((dt.date.fromisoformat(d) - dt.timedelta(days=1)).isoformat()
                      for d in edges)}
    assert len(days) <= 2 * len(edges) + 2 < 60


def test_verdict_changes_alone_are_those_of_the_full_reading(sample) -> None:
    """Without the basis (the CLI's default, upcoming dates, the web chart) only the
    verdict changes are read in full: the same rows as the full reading's verdict changes."""
    from portfolio.changes import verdict_changes

    db, lanes = sample
    full = verdict_changes(db, lanes, SINCE, UNTIL)["changes"]
    alone = verdict_changes(db, lanes, SINCE, UNTIL, basis=False)["changes"]
    assert len(alone) >= 5 and len(alone) < len(full)
    assert alone == [c for c in full if c["verdict_changed"]]


def _shape(measure: str | None = "licence", bound: str | None = None,
           wide: int = 0, **scope: list[str]) -> dict[str, object]:
    return {"kind": "item", "measure": measure, "destinations": bound,
            "scope": {"destinations": [], "end_uses": [], "end_users": [], **scope},
            "destination_wide": wide}


def test_how_a_group_bears_on_a_verdict() -> None:
    """Only a group in force that lists the product for every destination and end use
    makes what is suspended or pending irrelevant; groups whose parts never decide are
    not followed; the rest may decide."""
    from portfolio.status import bears
    from timeline.batch import LISTED, MAY, NEVER

    code = ("hs", "2805301100")
    assert bears(*code, "in_force", _shape(), True) == LISTED
    assert bears(*code, "superseded", _shape("prohibited"), True) == LISTED
    assert bears("material", "gallium", "in_force", _shape(), True) == LISTED
    for state in ("suspended", "pending", "ended"):
        assert bears(*code, state, _shape(), True) == MAY, state
    assert bears(*code, "in_force", _shape(bound=",US,"), True) == MAY
    assert bears(*code, "in_force", _shape(destinations=["US"]), True) == MAY
    assert bears(*code, "in_force", _shape(end_uses=["military"]), True) == MAY
    assert bears(*code, "in_force", _shape(end_users=["a listed end user"]), True) == MAY
    assert bears(*code, "in_force", None, True) == MAY
    assert bears(*code, "in_force", _shape(), False) == NEVER  # cannot name goods
    assert bears(*code, "in_force", _shape("state_trading"), True) == NEVER
    assert bears(*code, "in_force", _shape(wide=1), True) == NEVER  # read apart
    assert bears("group", "rare earths", "in_force", _shape(), True) == NEVER  # a category
    # a clause reached through the material of the product's HS item decides only where
    # it is bound to a destination or an end use (No. 46 二), never for every lane
    assert bears(*code, "in_force", _shape(), True, through=True) == NEVER
    assert bears(*code, "in_force", _shape(destinations=["US"]), True, through=True) == MAY
    assert bears(*code, "suspended", _shape(end_uses=["military"]), True, through=True) == MAY
