"""The sample portfolio's expected verdicts (tests/gold/portfolio_expected.csv) agree with
the sample and with what the mirror publishes.

These checks keep the hand-checked gold honest until the status query (#13's semantics)
exists to be scored against it: every product has a verdict on every date, verdicts use
the issue's vocabulary, cited announcements exist and were published by that date,
suspension dates are the mirror's own, and "not found" never reads as "not controlled".
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from portfolio.read import read_portfolio

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "tests" / "gold" / "portfolio_expected.csv"
SAMPLE = ROOT / "portfolio" / "samples" / "exporter.csv"
MIRROR = ROOT / "mirror" / "data"
DATES = ["2023-09-01", "2025-01-15", "2025-11-15", "2026-11-29"]
FIXED = {"not found in the catalogue", "licence required", "stricter review", "denied in principle", "prohibited"}
DATED = re.compile(r"^(control suspended until|pending from) (\d{4}-\d{2}-\d{2})$")
UNTIL = re.compile(r"至(\d{4})年(\d{1,2})月(\d{1,2})日")


def gold() -> list[dict[str, str]]:
    with GOLD.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mirror() -> dict[str, dict]:
    """Canonical ID (MOFCOM-2025-70) → the mirror's MOFCOM page entry."""
    entries = yaml.safe_load((MIRROR / "announcements.yaml").read_text(encoding="utf-8"))
    return {e["key"].upper(): e for e in entries if e["site"] == "mofcom" and re.match(r"mofcom-\d{4}-\d+$", e["key"])}


def until(entry: dict) -> date:
    body = "".join(line for line in entry["body"] if isinstance(line, str))
    y, m, d = UNTIL.search(body).groups()
    return date(int(y), int(m), int(d))


def test_every_sample_lane_has_one_gold_row() -> None:
    rows, problems = read_portfolio(SAMPLE)
    assert problems == []
    lanes = [(r["sku"], r["destination"]) for r in rows]
    assert sorted(lanes) == sorted((g["sku"], g["destination"]) for g in gold())
    assert len(set(lanes)) == len(lanes) >= 40


@pytest.mark.parametrize("day", DATES)
def test_verdicts_use_the_vocabulary_and_cite_published_announcements(day: str) -> None:
    published = mirror()
    for row in gold():
        verdict, cited = row[f"{day} verdict"], [a for a in row[f"{day} announcements"].split(";") if a]
        assert verdict in FIXED or DATED.match(verdict), (row["sku"], verdict)
        assert row[f"{day} why"].strip(), row["sku"]
        if verdict == "not found in the catalogue":
            assert cited == [], row["sku"]
            assert "Not found is not 'not controlled'" in row[f"{day} why"], row["sku"]
            continue
        assert cited, (row["sku"], day)
        for number in cited:
            assert number in published, (row["sku"], number)
            assert published[number]["date"] <= date.fromisoformat(day), (row["sku"], day, number)


def test_no_why_reads_as_not_controlled() -> None:
    for row in gold():
        for day in DATES:
            why = row[f"{day} why"].replace("Not found is not 'not controlled'", "")
            assert "not controlled" not in why.lower(), (row["sku"], day)


def test_suspension_dates_are_the_mirrors_own() -> None:
    published = mirror()
    no70_until = until(published["MOFCOM-2025-70"])
    for row in gold():
        for day in DATES:
            match = DATED.match(row[f"{day} verdict"])
            if match and match[1] == "control suspended until":
                assert date.fromisoformat(match[2]) == no70_until
                assert "MOFCOM-2025-70" in row[f"{day} announcements"]
                assert published["MOFCOM-2025-70"]["date"] <= date.fromisoformat(day) <= no70_until


def test_no46_clause_two_is_not_applied_inside_no72s_window() -> None:
    """Inside No. 72's suspension only clause 一 (prohibited, military) may cite No. 46."""
    published = mirror()
    start, end = published["MOFCOM-2025-72"]["date"], until(published["MOFCOM-2025-72"])
    checked = 0
    for row in gold():
        for day in DATES:
            if start <= date.fromisoformat(day) <= end and "MOFCOM-2024-46" in row[f"{day} announcements"]:
                assert row[f"{day} verdict"] == "prohibited", (row["sku"], day)
                checked += 1
    assert checked >= 1


def test_hs_matches_are_reference_codes_the_mirror_prints() -> None:
    rows = {(r["sku"], r["destination"]): r for r in read_portfolio(SAMPLE)[0]}
    printed = (MIRROR / "announcements.yaml").read_text(encoding="utf-8")
    printed += (MIRROR / "attachments.yaml").read_text(encoding="utf-8")
    hs_rows = [g for g in gold() if g["match"].startswith("HS")]
    assert len(hs_rows) >= 20
    for g in hs_rows:
        code = rows[(g["sku"], g["destination"])]["hs_code"]
        assert code in printed, (g["sku"], code)


def test_products_the_catalogue_does_not_cover_come_out_not_found() -> None:
    nothing = [g for g in gold() if g["match"].startswith("nothing")]
    assert len(nothing) >= 5
    for g in nothing:
        assert {g[f"{day} verdict"] for day in DATES} == {"not found in the catalogue"}, g["sku"]
