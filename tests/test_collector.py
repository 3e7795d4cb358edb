"""The cyclic collector is off while a portfolio is answered, and back on after."""

from __future__ import annotations

import gc

import pytest
from sqlite_utils import Database

from core import collector
from portfolio import changes, status


def test_paused_nests_and_restores() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_still_restores_the_collector() -> None:
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_portfolio_status_and_changes_run_with_the_collector_off(monkeypatch) -> None:
    seen = []
    check = status.queries.check_date

    def spy(value, flag):
        seen.append((flag, gc.isenabled()))
        return check(value, flag)

    monkeypatch.setattr(status.queries, "check_date", spy)
    db = Database(memory=True)
    assert status.portfolio_status(db, [], "2025-11-15", screen=False) == []
    assert changes.verdict_changes(db, [], "2025-11-01", "2025-11-15")["changes"] == []
    assert seen == [("--on", False), ("--since", False), ("--until", False)]
    assert gc.isenabled()
