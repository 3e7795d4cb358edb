"""``regwatch portfolio status`` scored against the hand-checked gold: the sample portfolio
imported into the crawled mirror catalogue (day 1 + day 2), every lane's verdict on the
four dates, and every announcement the gold names shown by the tool (as deciding or as
related). Also the CSV and XLSX reports, reproducible for a past date.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).parent.parent
GOLD = ROOT / "tests" / "gold" / "portfolio_expected.csv"
DATES = ["2023-09-01", "2025-01-15", "2025-11-15", "2026-11-29"]


@pytest.fixture(scope="module")
def catalogue(mirror_history, tmp_path_factory) -> str:
    """A copy of the session's mirror catalogue with the sample portfolio imported."""
    from conftest import with_sample_portfolio

    return with_sample_portfolio(mirror_history, tmp_path_factory.mktemp("portfolio-status"))


def _status(path: str, on: str, *extra: str) -> CliRunner:
    from regwatch.cli import cli

    return CliRunner().invoke(cli, ["portfolio", "status", "exporter", "--on", on, "--db", path,
                                    *extra], catch_exceptions=False)


@pytest.mark.parametrize("on", DATES)
def test_every_verdict_matches_the_gold(catalogue: str, on: str) -> None:
    result = _status(catalogue, on, "--json")
    assert result.exit_code == 0, result.output
    rows = {(r["sku"], r["destination"]): r for r in json.loads(result.output)}
    with GOLD.open(encoding="utf-8", newline="") as handle:
        gold = list(csv.DictReader(handle))
    assert len(rows) == len(gold) == 51
    wrong = []
    for want in gold:
        row = rows[(want["sku"], want["destination"])]
        named = [a for a in want[f"{on} announcements"].split(";") if a]
        missing = [a for a in named if a not in row["announcements"] + row["related"]]
        if row["verdict"] != want[f"{on} verdict"] or missing:
            wrong.append(f"{want['sku']}: {row['verdict']!r} (gold {want[f'{on} verdict']!r}), "
                         f"missing {missing}")
        if row["verdict"] == "not found in the catalogue":
            assert "not 'not controlled'" in row["why"]
        else:
            assert row["announcements"] and row["matched"], row
    assert not wrong, "\n".join(wrong)


def test_status_says_how_each_lane_matched(catalogue: str) -> None:
    rows = {r["sku"]: r for r in json.loads(_status(catalogue, "2026-11-29", "--json").output)}
    assert "HS exact 3818009004" in rows["SEM-GAAS-4N"]["matched"]
    assert rows["SEM-GE-LENS"]["matched"] == ["material (germanium)"]
    assert "destination-wide measure" in rows["MAG-SC217-MIL"]["matched"]
    assert "MOFCOM-2025-72" in rows["SH-DIA-US"]["announcements"]  # the chain: why 二 is back
    assert "2026-11-28" in rows["SH-DIA-US"]["why"]
    silver = rows["AG-PASTE-DE"]
    assert silver["matched"] == ["material (silver) named in the announcement's list"]
    assert "MOFCOM-2025-68" in silver["why"] and "outside the verdict vocabulary" in silver["why"]
    assert rows["MAG-SC217-28"]["screening"]["result"] in ("no hit", "possible match", "match")
    assert "screening" not in rows["SEM-GA-4N"]  # no counterparty given


def test_reports_are_reproducible_for_a_past_date(catalogue: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    out = _status(catalogue, "2025-11-15", "--csv", "-")
    again = _status(catalogue, "2025-11-15", "--csv", "-")
    assert out.exit_code == 0 and out.output == again.output
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert len(table) == 51 and {r["on"] for r in table} == {"2025-11-15"}
    assert _status(catalogue, "2025-11-15", "--xlsx", str(first)).exit_code == 0
    assert _status(catalogue, "2025-11-15", "--xlsx", str(second)).exit_code == 0
    book = load_workbook(first)
    assert book.sheetnames == ["prohibited", "licence required", "control suspended",
                               "not found in the catalogue", "sources"]
    assert sum(book[s].max_row - 1 for s in book.sheetnames[:-1]) == 51
    sources = list(book["sources"].iter_rows(values_only=True))
    assert sources[0][-1] == "content_hash"
    cited = {r[0]: r for r in sources[1:]}
    assert cited["MOFCOM-2025-70"][3].startswith("http") and len(cited["MOFCOM-2025-70"][6]) >= 32
    assert book["sources"].cell(row=2, column=4).hyperlink is not None

    def cells(path: Path) -> str:
        wb = load_workbook(path)
        return json.dumps([[list(r) for r in wb[s].iter_rows(values_only=True)]
                           for s in wb.sheetnames], default=str)

    assert hashlib.sha256(cells(first).encode()).digest() == \
        hashlib.sha256(cells(second).encode()).digest()


def _run(path: str, *args: str) -> dict:
    from regwatch.cli import cli

    result = CliRunner().invoke(cli, ["portfolio", *args, "exporter", "--db", path, "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_changes_agree_with_the_gold_between_two_dates(catalogue: str) -> None:
    found = _run(catalogue, "changes", "--since", "2025-11-16", "--until", "2026-11-29")
    dates = [c["date"] for c in found["changes"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    last = {}
    for change in reversed(found["changes"]):  # oldest first: the last one wins
        last[(change["sku"], change["destination"])] = change["after"]
    with GOLD.open(encoding="utf-8", newline="") as handle:
        gold = list(csv.DictReader(handle))
    for row in gold:
        key = (row["sku"], row["destination"])
        if row["2025-11-15 verdict"] != row["2026-11-29 verdict"]:
            assert last.get(key) == row["2026-11-29 verdict"], key
    lfp = [c for c in found["changes"] if c["sku"] == "BAT-LFP"]
    assert [(c["date"], c["before"], c["after"]) for c in lfp] == [
        ("2026-11-11", "control suspended until 2026-11-10", "licence required")]
    assert "MOFCOM-2025-58 in_force_again" in lfp[0]["events"]


def test_upcoming_dates_soonest_first(catalogue: str) -> None:
    found = _run(catalogue, "upcoming", "--from", "2026-10-01", "--days", "90")
    dates = [(c["date"], c["sku"]) for c in found["dates"]]
    assert dates == sorted(dates)
    assert ("2026-11-11", "BAT-LFP") in dates and ("2026-11-28", "SEM-GA-6N") in dates
    ga = next(c for c in found["dates"] if c["sku"] == "SEM-GA-6N")
    assert (ga["before"], ga["after"]) == ("licence required", "denied in principle")
    short = _run(catalogue, "upcoming", "--from", "2026-10-01", "--days", "30")
    assert short["dates"] == []  # nothing between 2026-10-02 and 2026-10-31


def test_demo_ends_with_the_portfolio_status_and_upcoming_dates(catalogue: str) -> None:
    from regwatch.demo import _portfolio_section
    from store import catalogue as store

    lines: list[str] = []
    found = _portfolio_section(store.open_db(catalogue), catalogue, lines.append)
    text = "\n".join(lines)
    assert len(found["status"]) == 51
    for row in found["status"]:
        assert f"{row['sku']:<16} {row['destination']:<3} {row['verdict']}" in text
    assert "Upcoming dates that change a verdict (90 days after " in text
    shown = found["upcoming"]["dates"] or [c for c in found["recent"]["changes"]
                                           if c["verdict_changed"]]
    for change in shown:
        assert f"{change['before']} → {change['after']}" in text


def test_a_code_the_catalogue_does_not_hold_names_the_codes_near_it(catalogue: str) -> None:
    """Gallium metal under its tariff code 8112929010 (No. 23's Chinese text prints
    8110929010): nothing decides it, and the row and ``regwatch status`` name the codes in
    its 8-digit line, then its 6-digit subheading, that the catalogue lists, with the
    announcements listing them, for the user to check the classification. A code with no
    listed neighbour names none; a product something decides names none."""
    from portfolio.status import portfolio_status
    from regwatch.cli import cli
    from store.catalogue import open_readonly

    db = open_readonly(catalogue)
    lanes = [{"sku": sku, "description": "", "hs_code": code, "materials": materials,
              "destination": "US", "end_use": None, "counterparty": None}
             for sku, code, materials in (("GA", "8112929010", []), ("NONE", "9619001000", []),
                                          ("GA-M", "8112929010", ["gallium"]))]
    rows = {r["sku"]: r for r in portfolio_status(db, lanes, "2025-11-15", screen=False)}
    gallium = rows["GA"]
    assert gallium["verdict"] == "not found in the catalogue"
    assert [(n["code"], n["line"]) for n in gallium["near"]][:1] == [
        ("8112929090", "8-digit line")]
    assert {n["line"] for n in gallium["near"][1:]} == {"6-digit subheading"}
    assert ("MOFCOM-2024-51", "in_force") in gallium["near"][0]["announcements"]
    assert gallium["near"][0]["text"] == "金属镓（单质）"
    assert "Near it in the catalogue: 8112929090 (8-digit line; 金属镓（单质）" in gallium["why"]
    assert rows["NONE"]["near"] == [] and "Near it" not in rows["NONE"]["why"]
    assert rows["GA-M"]["verdict"] == "licence required" and rows["GA-M"]["near"] == []
    said = CliRunner().invoke(cli, ["status", "8112929010", "--on", "2025-11-15", "--db",
                                    catalogue], catch_exceptions=False).output
    assert "Nothing found in the catalogue" in said
    assert "Near it in the catalogue: 8112929090 (8-digit line" in said
    assert "Near it" not in CliRunner().invoke(
        cli, ["status", "9619001000", "--on", "2025-11-15", "--db", catalogue],
        catch_exceptions=False).output


@pytest.mark.parametrize(("end_use", "end_user", "verdict"), [
    ("military: thermal weapon sights", "", "prohibited"),
    ("thermal weapon sights", "", "prohibited"),
    ("", "army contractor", "prohibited"),
    ("用于军用热像仪", "", "prohibited"),
    ("thermal imaging cores", "Ministry of Defense", "prohibited"),
    ("thermal imaging cores", "", "denied in principle"),
    ("non-military use only", "", "denied in principle"),
    ("民用安防", "", "denied in principle"),
])
def test_a_military_end_use_or_user_is_read_as_a_portfolio_writes_it(
        catalogue: str, end_use: str, end_user: str, verdict: str) -> None:
    """Germanium lenses to the US on 2026-11-29: No. 46 prohibits exports to US military
    users and uses; a lane whose end use or end user reads as military in any wording
    (weapon sights, an army contractor, 军用, a ministry of defence) is bound by it, one
    that says it is not military (non-military, 民用) is not."""
    from portfolio.status import portfolio_status
    from store.catalogue import open_readonly

    lane = {"sku": "LENS", "description": "germanium lenses", "hs_code": "90019090",
            "materials": ["germanium"], "destination": "US", "end_use": end_use or None,
            "end_user": end_user or None, "counterparty": None}
    row = portfolio_status(open_readonly(catalogue), [lane], "2026-11-29", screen=False)[0]
    assert row["verdict"] == verdict, row["why"]


def test_status_reads_a_substance_no_item_names_as_its_material(catalogue: str) -> None:
    """``regwatch status "antimony trioxide"`` on the mirror: no item's own text names it;
    the answer is antimony's, and the first lines say it was read so."""
    from regwatch.cli import cli

    said = CliRunner().invoke(cli, ["status", "antimony trioxide", "--on", "2025-11-15",
                                    "--db", catalogue], catch_exceptions=False)
    assert said.exit_code == 0, said.output
    assert "read as the material antimony" in said.output
    assert "MOFCOM-2024-33" in said.output


def test_a_family_of_materials_names_the_measures_on_its_members(catalogue: str) -> None:
    """A product whose material is a family (rare earths) is not decided by it (which
    members it holds decides); its why names the measures in force on the members, so
    "not found" never stands alone. A member (dysprosium) decides."""
    from portfolio.status import portfolio_status
    from store.catalogue import open_readonly

    lanes = [{"sku": sku, "description": "", "hs_code": "9999999999", "materials": materials,
              "destination": "US", "end_use": None, "counterparty": None}
             for sku, materials in (("RE", ["rare earths"]), ("DY", ["dysprosium"]))]
    rows = {r["sku"]: r for r in portfolio_status(open_readonly(catalogue), lanes, "2025-11-15",
                                                  screen=False)}
    assert rows["RE"]["verdict"] == "not found in the catalogue"
    assert "Its material rare earths names a family" in rows["RE"]["why"]
    assert "MOFCOM-2025-18" in rows["RE"]["why"] and "list them" in rows["RE"]["why"]
    assert rows["DY"]["verdict"] == "licence required" and "names a family" not in rows["DY"]["why"]


def test_one_sku_to_one_country_for_two_customers_is_two_rows(catalogue: str,
                                                                tmp_path: Path) -> None:
    """A shipment file lists germanium lenses to the US for a civil and for a military
    customer: two lanes (portfolio/lanes.py), each with its own verdict on 2026-11-29
    (No. 46 prohibits exports to US military users), named apart in every output."""
    from regwatch.cli import cli

    file = tmp_path / "lanes.csv"
    file.write_text("SKU,Description,HS Code,Materials,Destination,Customer,End use\n"
                    "LENS,germanium lenses,90019090,germanium,US,Cascade Optics Inc.,"
                    "thermal imaging cores\n"
                    "LENS,germanium lenses,90019090,germanium,US,Army Optics Contractor,"
                    "weapon sights\n", encoding="utf-8")
    runner = CliRunner()
    imported = runner.invoke(cli, ["portfolio", "import", str(file), "--name", "lanes",
                                   "--db", catalogue], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    said = runner.invoke(cli, ["portfolio", "status", "lanes", "--on", "2026-11-29", "--json",
                               "--db", catalogue], catch_exceptions=False)
    rows = json.loads(said.output)
    assert [(r["sku"], r["destination"], r["counterparty"], r["verdict"]) for r in rows] == [
        ("LENS", "US", "Army Optics Contractor", "prohibited"),
        ("LENS", "US", "Cascade Optics Inc.", "denied in principle")]
    table = runner.invoke(cli, ["portfolio", "status", "lanes", "--on", "2026-11-29",
                                "--db", catalogue], catch_exceptions=False)
    assert "Counterparty" in table.output or "counterparty" in table.output
    assert "Army Optics" in table.output and "Cascade Optics" in table.output
    changes = runner.invoke(cli, ["portfolio", "changes", "lanes", "--since", "2023-01-01",
                                  "--until", "2026-11-29", "--json", "--db", catalogue],
                            catch_exceptions=False)
    found = json.loads(changes.output)
    lanes = {(c["counterparty"], c["end_use"]) for c in found["changes"]}
    assert found["products"] == len(lanes) == 2


def test_a_question_matched_in_item_texts_also_names_its_material_s_measures(
        catalogue: str) -> None:
    """``graphite anode material`` matches No. 58's anode items, suspended on 2025-11-15:
    the answer alone says no measure is in force. The question names graphite, whose
    list (No. 51) is in force: the answer names it beside, as the thing to check."""
    from regwatch.cli import cli

    said = CliRunner().invoke(cli, ["status", "graphite anode material", "--on", "2025-11-15",
                                    "--db", catalogue, "--json"], catch_exceptions=False)
    result = json.loads(said.output)
    assert result["kind"] == "text" and result["headline"] is None
    assert {a["number"]: a["state"] for a in result["announcements"]}.get(
        "MOFCOM-2025-58") == "suspended"
    [also] = result["also"]
    assert also["material"] == "graphite" and "MOFCOM-2024-51" in also["announcements"]
    assert also["headline"]["announcement"] == "MOFCOM-2024-51"
    text = CliRunner().invoke(cli, ["status", "graphite anode material", "--on", "2025-11-15",
                                    "--db", catalogue], catch_exceptions=False).output
    assert "it also names the material graphite" in text and "MOFCOM-2024-51" in text


@pytest.mark.parametrize(("end_use", "verdict"), [
    ("thermal weapon sights", "prohibited"), ("军用", "prohibited"),
    ("military", "prohibited"), ("non-military research", "denied in principle"),
    ("civil: sensors", "denied in principle")])
def test_status_reads_an_end_use_as_a_portfolio_does(catalogue: str, end_use: str,
                                                     verdict: str) -> None:
    """``status --end-use`` reads the end use as ``portfolio status`` reads a lane's
    (extract/end_use.py): germanium to the US on 2026-11-29 for thermal weapon sights is
    prohibited (No. 46 一), as the portfolio's lane is; it said "denied in principle"."""
    from regwatch.cli import cli

    said = CliRunner().invoke(cli, ["status", "germanium", "--destination", "US", "--end-use",
                                    end_use, "--on", "2026-11-29", "--db", catalogue,
                                    "--json"], catch_exceptions=False)
    result = json.loads(said.output)
    assert result["headline"]["summary"].startswith(verdict), result["headline"]
    assert result["end_use"] == ("military" if verdict == "prohibited" else
                                 result["end_use"])
