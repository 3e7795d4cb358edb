"""``regwatch portfolio import`` / ``show``: problems listed with line and column, nothing half-imported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from regwatch.cli import cli
from store import catalogue

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "portfolio" / "samples" / "exporter.csv"
FIVE_BAD = ROOT / "tests" / "fixtures" / "portfolio" / "five_bad.csv"


def test_import_reports_every_problem_and_imports_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    catalogue.open_db(db).close()  # import needs a catalogue; only crawl/init create one
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["portfolio", "import", str(FIVE_BAD), "--db", str(db)])
    assert result.exit_code == 1
    assert "5 problems" in result.output and "nothing imported" in result.output
    for cell in ("C3", "E4", "A5", "A6", "D7"):
        assert cell in result.output
    assert db.read_bytes() == before  # the catalogue is not even opened for a bad file


def test_import_then_reimport_and_show(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    catalogue.open_db(db).close()
    runner = CliRunner()
    first = runner.invoke(cli, ["portfolio", "import", str(SAMPLE), "--db", db])
    assert first.exit_code == 0, first.output
    assert "portfolio 'exporter', import #1: 51 lanes — 51 added, 0 changed, 0 removed, 0 unchanged" in first.output
    again = runner.invoke(cli, ["portfolio", "import", str(SAMPLE), "--name", "exporter", "--db", db, "--json"])
    assert json.loads(again.output)["unchanged"] == 51
    shown = runner.invoke(cli, ["portfolio", "show", "exporter", "--db", db, "--json"])
    lanes = json.loads(shown.output)
    assert len(lanes) == 51 and {"sku": "SB-INGOT", "destination": "MX"}.items() <= next(
        r for r in lanes if r["sku"] == "SB-INGOT").items()
    history = runner.invoke(cli, ["portfolio", "show", "exporter", "--history", "--db", db])
    assert history.exit_code == 0 and history.output.count("exporter.csv") == 2
    missing = runner.invoke(cli, ["portfolio", "show", "nope", "--db", db])
    assert missing.exit_code == 1 and "no portfolio named 'nope'" in missing.output
