"""The cyclic collector is off while a portfolio is answered, and back on after."""

from __future__ import annotations

import gc
import weakref

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


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_what_a_pause_built_is_old_not_young_and_still_collected() -> None:
    # left young, the first collection after the pause would walk all of it
    gc.collect()
    with collector.paused():
        kept = [{"n": [n]} for n in range(1000)]
        cycle = _Node()
    young = {id(o) for o in gc.get_objects(generation=0)}
    old = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept) not in young and id(kept) in old
    assert id(kept[0]) not in young and id(kept[0]) in old
    # not frozen for ever: a full collection still frees a cycle made in the pause
    ref = weakref.ref(cycle)
    del cycle
    assert ref() is not None
    gc.collect()
    assert ref() is None
    assert gc.get_freeze_count() == 0


def test_objects_the_caller_froze_stay_frozen() -> None:
    # a server freezes what it holds before forking workers: a pause must not thaw it
    held = [{"n": [n]} for n in range(100)]
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with collector.paused():
            made = [{"n": [n]} for n in range(100)]
        assert gc.get_freeze_count() == frozen
        assert len(held) == len(made)
    finally:
        gc.unfreeze()


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
