"""``status`` from spans gives the item path's answer, on the mirror's history and on a
small synthetic catalogue (codes under codes, groups, destinations, dates before issue).

The span path (timeline/span_status.py) adds up spans and reads only the announcements
shown; the item path groups every matched item. Both are asked the same questions and
must agree on counts, the headline, the announcements shown with their matched parts,
and the items listed. A writer that forgot a span, or a span filed under the wrong
term, shows here as a difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from timeline import span_status


def _summary(answer: dict[str, Any]) -> dict[str, Any]:
    headline = answer["headline"] or {}
    return {
        "found": answer["found"], "counts": answer["counts"],
        "total": answer["total_items"], "later": answer["not_yet_issued"],
        "headline": (headline.get("measure"), headline.get("announcement"),
                     headline.get("provision"), headline.get("summary")),
        "announcements_total": answer["announcements_total"],
        "announcements": [(a["number"], a["state"], sorted(
            (p["provision"] or "", p["state"], p["since"] or "", p["until"] or "",
             p["cause"] or "", p["match"] or "", p["via_group"] or "", p["via_material"] or "",
             p["count"]) for p in a["matched"])) for a in answer["announcements"]],
        "items": [(i["subject_id"], i["match"], i["state"], i["via_group"], i["via_material"])
                  for i in answer["items"]],
    }


def _compare(db: Any, questions: list[tuple[str, str, list[str]]],
             monkeypatch: pytest.MonkeyPatch) -> int:
    """Ask every question both ways; returns how many the span path answered."""
    from timeline.queries import status

    answered = 0
    for number, (query, on, destinations) in enumerate(questions):
        # the first page, and (every third question) a later page of items
        pages = [(30, 0, 20)] + ([(7, 12, 5)] if number % 3 == 0 else [])
        for limit, offset, shown in pages:
            ask = {"on": on, "destination": destinations or None, "limit": limit,
                   "offset": offset, "announcements_limit": shown}
            spanned = status(db, query, **ask)
            used = span_status.source(db, spanned["kind"], spanned["value"], on) is not None
            answered += used and offset == 0
            with monkeypatch.context() as patch:
                patch.setattr(span_status, "source", lambda *a, **k: None)
                items = status(db, query, **ask)
            assert _summary(spanned) == _summary(items), (query, ask)
    return answered


def _questions(db: Any, dates: list[str]) -> list[tuple[str, str, list[str]]]:
    materials = [r[0] for r in db.execute(
        "select term from lot_terms where kind = 'material' group by term "
        "order by count(*) desc limit 8")]
    groups = ["rare earths", "heavy rare earths", "superhard materials"]
    codes = [r[0] for r in db.execute(
        "select term from item_terms where kind = 'hs' group by term order by count(*) desc "
        "limit 4")]
    controls = [r[0] for r in db.execute(
        "select term from item_terms where kind = 'control' group by term "
        "order by count(*) desc limit 3")]
    asked = [*materials, *groups, *codes, *{c[:4] for c in codes}, *{c[:6] for c in codes},
             *controls, *{c[:3] for c in controls}]
    return [(q, on, dest) for q in asked for on in dates for dest in ([], ["US"], ["JP", "DE"])]


def test_span_answers_match_items_on_the_mirror(mirror_history: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from store import catalogue

    db = catalogue.open_db(mirror_history)
    questions = _questions(db, ["2023-09-01", "2025-01-15", "2025-11-15", "2026-11-29"])
    answered = _compare(db, questions, monkeypatch)
    assert answered >= len(questions) // 2, answered


@pytest.fixture(scope="module")
def spanned(tmp_path_factory: pytest.TempPathFactory, synthetic: Any) -> str:
    path = str(tmp_path_factory.mktemp("spans") / "synthetic.db")
    synthetic.build(path, 200, 2_000)
    return path


def test_span_answers_match_items_on_a_synthetic_catalogue(
        spanned: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from store import catalogue

    db = catalogue.open_db(spanned)
    spans = db.execute("select count(*) from lot_spans").fetchone()[0]
    assert spans > 0
    questions = _questions(db, ["2005-06-01", "2015-03-01", "2024-12-31"])
    answered = _compare(db, questions, monkeypatch)
    assert answered >= len(questions) // 2, answered


def test_migration_backfill_writes_what_the_writer_writes(spanned: str, tmp_path: Path) -> None:
    """Spans made from an existing catalogue's lots (the migration) equal the writer's."""
    import shutil

    from store import catalogue
    from timeline import spans

    copy = tmp_path / "copy.db"
    shutil.copy(spanned, copy)
    db = catalogue.open_db(str(copy))
    columns = ", ".join(spans.COLUMNS)
    written = sorted(db.execute(f"select {columns} from lot_spans").fetchall(),
                     key=lambda r: tuple(str(v) for v in r))
    with db.conn:
        db.execute("delete from lot_spans")
        spans.backfill(db)
    again = sorted(db.execute(f"select {columns} from lot_spans").fetchall(),
                   key=lambda r: tuple(str(v) for v in r))
    assert written and again == written


def test_material_change_counts_from_spans_match_intervals(
        spanned: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``changes --material`` counts from spans as it does interval by interval."""
    from store import catalogue
    from timeline import queries

    db = catalogue.open_db(spanned)
    materials = [r[0] for r in db.execute(
        "select term from item_terms where kind = 'material' group by term "
        "order by count(*) desc limit 6")]
    assert materials
    checked = 0
    for material in [*materials, "rare earths"]:
        for since, until in (("2001-01-01", "2026-12-31"), ("2010-01-01", "2012-06-30"),
                             ("2024-01-01", "2024-12-31")):
            fast = queries.changes(db, since, until, material=material)
            with monkeypatch.context() as patch:
                patch.setattr(queries, "_material_changes", lambda *a: None)
                slow = queries.changes(db, since, until, material=material)
            assert fast["total"] == slow["total"], (material, since, until)
            assert fast["changes"] == slow["changes"]
            checked += fast["total"] > 0
    assert checked >= 6
