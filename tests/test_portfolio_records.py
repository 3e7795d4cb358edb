"""Stored portfolios (portfolio/records.py, portfolio/schema.py): re-import keeps history."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import portfolio.schema  # noqa: F401  (registers the portfolio migration)
from portfolio import records
from portfolio.read import read_portfolio
from store import catalogue

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "portfolio" / "samples" / "exporter.csv"
FIVE_BAD = ROOT / "tests" / "fixtures" / "portfolio" / "five_bad.csv"


def _edited(tmp_path: Path) -> Path:
    """The sample with one lane changed (HS code), one removed and one added."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    header, body = lines[0], lines[1:]
    body = [r for r in body if r[0] != "BAT-CB"]
    for r in body:
        if r[0] == "SEM-GA-4N":
            r[2] = "8112999000"
    body.append(["MAG-SC217-28", "Sm2Co17 rings, second customer", "8505111000", "samarium;cobalt",
                 "日本", "", "", "Kaminari Sensor K.K."])
    path = tmp_path / "exporter.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return path


@pytest.fixture
def db(tmp_path: Path):
    return catalogue.open_db(tmp_path / "c.db")


def test_first_import_adds_every_lane(db) -> None:
    summary, problems = records.import_file(db, SAMPLE, "acme")
    assert problems == []
    assert summary == {"portfolio": "acme", "import_id": 1, "rows": 51, "added": 51, "changed": 0,
                       "removed": 0, "unchanged": 0}
    lanes = records.rows(db, "acme")
    assert len(lanes) == 51
    gaas = next(r for r in lanes if r["sku"] == "SEM-GAAS-4N")
    assert gaas == {"sku": "SEM-GAAS-4N", "destination": "US", "description": "n-type GaAs wafers, 4 inch, Si-doped",
                    "hs_code": "3818009004", "materials": ["gallium", "arsenic"],
                    "destination_as_written": "United States", "end_use": "LED epitaxy", "end_user": None,
                    "counterparty": "Cascade Photonics Inc."}


def test_reimport_updates_and_keeps_history(db, tmp_path: Path) -> None:
    records.import_file(db, SAMPLE, "acme")
    summary, _ = records.import_file(db, _edited(tmp_path), "acme")
    assert (summary["import_id"], summary["added"], summary["changed"], summary["removed"],
            summary["unchanged"]) == (2, 1, 1, 1, 49)
    now = {(r["sku"], r["destination"]): r for r in records.rows(db, "acme")}
    assert len(now) == 51
    assert ("BAT-CB", "MX") not in now and ("MAG-SC217-28", "JP") in now
    assert now[("SEM-GA-4N", "VN")]["hs_code"] == "8112999000"
    before = {(r["sku"], r["destination"]): r for r in records.rows(db, "acme", as_of_import=1)}
    first_file = {(r["sku"], r["destination"]) for r in read_portfolio(SAMPLE)[0]}
    assert set(before) == first_file
    assert before[("SEM-GA-4N", "VN")]["hs_code"] == "8112929090"
    history = records.imports(db, "acme")
    assert [(h["id"], h["added"], h["changed"], h["removed"]) for h in history] == [(1, 51, 0, 0), (2, 1, 1, 1)]
    assert history[0]["source_sha256"] != history[1]["source_sha256"]


def test_same_file_again_changes_nothing(db) -> None:
    records.import_file(db, SAMPLE, "acme")
    summary, _ = records.import_file(db, SAMPLE, "acme")
    assert (summary["added"], summary["changed"], summary["removed"], summary["unchanged"]) == (0, 0, 0, 51)
    assert db.execute("select count(*) from portfolio_rows").fetchone()[0] == 51


def test_a_bad_file_writes_nothing(db) -> None:
    summary, problems = records.import_file(db, FIVE_BAD, "acme")
    assert summary is None and len(problems) == 5
    assert db.execute("select count(*) from portfolios").fetchone()[0] == 0
    assert db.execute("select count(*) from portfolio_rows").fetchone()[0] == 0


def test_unknown_portfolio(db) -> None:
    with pytest.raises(records.PortfolioNotFound, match="no portfolio named 'nope'"):
        records.rows(db, "nope")
