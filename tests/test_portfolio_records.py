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


def test_lanes_of_one_sku_to_one_country_are_kept_apart(db, tmp_path: Path) -> None:
    """A lane is its counterparty and end use too (portfolio/lanes.py): two customers of one
    SKU in one country are two stored lanes, each with its own history."""
    file = tmp_path / "lanes.csv"
    header = "SKU,Description,HS Code,Destination,Customer,End use\n"
    both = ("MAG-1,SmCo magnets,8505111000,US,Acme Motors,\n"
            "MAG-1,SmCo magnets,8505111000,US,Lakeshore Pumps,\n")
    file.write_text(header + both, encoding="utf-8")
    summary, problems = records.import_file(db, file, "lanes")
    assert problems == [] and (summary["added"], summary["rows"]) == (2, 2)
    assert [r["counterparty"] for r in records.rows(db, "lanes")] == ["Acme Motors",
                                                                      "Lakeshore Pumps"]
    # one customer's lane edited, a military lane added: the other customer's stays
    file.write_text(header + both.replace("8505111000,US,Acme", "85051110,US,Acme")
                    + "MAG-1,SmCo magnets,8505111000,US,,military: radar\n", encoding="utf-8")
    summary, _ = records.import_file(db, file, "lanes")
    assert (summary["added"], summary["changed"], summary["removed"], summary["unchanged"]) \
        == (1, 1, 0, 1)
    now = records.rows(db, "lanes")
    assert [(r["counterparty"], r["end_use"], r["hs_code"]) for r in now] == [
        (None, "military: radar", "8505111000"), ("Acme Motors", None, "85051110"),
        ("Lakeshore Pumps", None, "8505111000")]
    first = records.rows(db, "lanes", as_of_import=1)
    assert [(r["counterparty"], r["hs_code"]) for r in first] == [
        ("Acme Motors", "8505111000"), ("Lakeshore Pumps", "8505111000")]


def test_the_catalogue_refuses_a_second_current_row_of_one_lane(db) -> None:
    records.import_rows(db, "p", [{"sku": "A", "destination": "US", "counterparty": "X"},
                                  {"sku": "A", "destination": "US", "counterparty": "Y"}])
    with pytest.raises(Exception, match="UNIQUE"):
        db["portfolio_rows"].insert({"portfolio_id": 1, "sku": "A", "destination": "US",
                                     "counterparty": "X", "added_in": 1})
