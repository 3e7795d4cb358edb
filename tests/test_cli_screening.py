"""The screening commands on a real catalogue file: lists load, entities, entity, screen."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from regwatch.cli_screening import entities_command, entity_command, lists_group, screen_command
from store import catalogue


@pytest.fixture()
def db_path(tmp_path):
    path = str(tmp_path / "regwatch.db")
    result = CliRunner().invoke(lists_group, ["load", "--db", path, "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert (counts["announcements"], counts["entities"], counts["listings"]) == (14, 129, 150)
    assert {p["announcement"] for p in counts["problems"]} == {"UEL-2025-5", "UEL-2025-6"}
    return path


def test_screen_one_name_gives_list_state_and_why(db_path):
    result = CliRunner().invoke(screen_command, ["Skydio, Inc.", "--on", "2025-06-01", "--db", db_path,
                                                 "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    assert [(h["list"], h["announcement"], h["band"], h["state"]["state"]) for h in hits] == [
        ("control", "MOFCOM-2025-13", "match", "listed"),
        ("unreliable", "UEL-2025-7", "match", "suspended")]


def test_screen_file_csv_in_and_out(db_path, tmp_path):
    file = tmp_path / "counterparties.csv"
    file.write_text("name,country,aliases\n斯凱迪奧公司,US,\nNorthrop Grumman Corporation,US,\n"
                    "Acme Trading LLC,DE,Shield AI Inc.\n", encoding="utf-8")
    result = CliRunner().invoke(screen_command, ["--file", str(file), "--on", "2025-12-01", "--csv",
                                                 "--db", db_path])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {(r["row"], r["entity_id"], r["list"], r["state"]) for r in rows} == {
        ("1", "skydio", "control", "removed"), ("1", "skydio", "unreliable", "suspended"),
        ("3", "shield-ai", "control", "removed"), ("3", "shield-ai", "unreliable", "removed")}
    assert all(r["band"] == "possible" for r in rows if r["row"] == "3")  # country DE, not US


def test_screen_needs_a_name_or_a_file_and_a_name_column(db_path, tmp_path):
    assert CliRunner().invoke(screen_command, ["--db", db_path]).exit_code != 0
    bad = tmp_path / "bad.csv"
    bad.write_text("company\nSkydio\n", encoding="utf-8")
    result = CliRunner().invoke(screen_command, ["--file", str(bad), "--db", db_path])
    assert result.exit_code == 1 and "needs a 'name' column" in result.output


def test_screen_file_as_excel_writes_it_and_unreadable_bytes(db_path, tmp_path):
    """A counterparty file in Excel's UTF-16 "Unicode text" with tabs, or with semicolons,
    is screened like the UTF-8 one; bytes that are no text, or a cell past the CSV
    reader's limit, are one error line, never a traceback."""
    rows = "name\tcountry\n斯凱迪奧公司\tUS\n"
    for name, content in (("unicode.csv", rows.encode("utf-16")),
                          ("semicolons.csv", rows.replace("\t", ";").encode("gb18030"))):
        file = tmp_path / name
        file.write_bytes(content)
        result = CliRunner().invoke(screen_command, ["--file", str(file), "--on", "2025-12-01",
                                                     "--json", "--db", db_path])
        assert result.exit_code == 0, result.output
        assert {h["entity_id"] for h in json.loads(result.output)[0]["hits"]} == {"skydio"}
    for name, content, said in (
            ("binary.csv", b"\xff\xfe\x00\xd8garbage", "not text in UTF-8, UTF-16 or GB18030"),
            ("huge.csv", b'name,country\n"' + b"x" * 200_000 + b'",US\n', "not a readable CSV")):
        file = tmp_path / name
        file.write_bytes(content)
        result = CliRunner().invoke(screen_command, ["--file", str(file), "--db", db_path])
        assert result.exit_code == 1 and said in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize(("content", "said"), [
    (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    (b"a: [unclosed\n", "not YAML"),
    (b"just a string\n", "a mapping with an 'announcements' list"),
    (b"announcements:\n- id: X\n  list: control\n  applies_from: 2025-01-01\n  entities:\n"
     b"  - id: a\n    zh: \xe7\x94\xb2\n", "announcement X, entity 1 has no 'en'"),
    (b"announcements: []\nchanges:\n- id: N\n  effective: 2025-01-01\n  changes:\n"
     b"  - target: Y\n    action: remove\n", "change notice N targets 'Y'"),
])
def test_a_lists_file_that_cannot_be_loaded_is_one_error_and_stores_nothing(
        tmp_path, content, said):
    path = tmp_path / "lists.db"
    file = tmp_path / "lists.yaml"
    file.write_bytes(content)
    result = CliRunner().invoke(lists_group, ["load", str(file), "--db", str(path)])
    assert result.exit_code == 1 and said in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    db = catalogue.open_db(path)
    assert "entity_listings" not in db.table_names() or db["entity_listings"].count == 0


def test_screen_on_an_empty_catalogue_says_what_to_do(tmp_path):
    path = tmp_path / "empty.db"
    catalogue.open_db(path).close()
    result = CliRunner().invoke(screen_command, ["Skydio", "--db", str(path)])
    assert result.exit_code == 1 and "regwatch lists load" in result.output


def test_entities_on_a_date_and_by_list(db_path):
    result = CliRunner().invoke(entities_command, ["--list", "unreliable", "--on", "2025-09-01",
                                                   "--db", db_path, "--json"])
    rows = json.loads(result.output)
    states = {r["entity_id"]: r["state"] for r in rows}
    assert states["skydio"] == "suspended" and states["shield-ai"] == "removed"
    assert states["illumina"] == "listed" and "dedrone" not in states  # listed 2025-10-09
    table = CliRunner().invoke(entities_command, ["--on", "2026-03-01", "--db", db_path])
    assert "subaru" in table.output and "watch" in table.output


def test_entity_by_id_and_by_name(db_path):
    by_id = json.loads(CliRunner().invoke(entity_command, ["brinc", "--db", db_path, "--json"]).output)
    assert [i["state"] for i in by_id["history"]["control"]] == ["listed", "suspended", "removed"]
    by_name = CliRunner().invoke(entity_command, ["BRINC Drones Inc", "--db", db_path])
    assert by_name.exit_code == 0 and "brinc: BRINC Drones, Inc." in by_name.output
    missing = CliRunner().invoke(entity_command, ["Northrop Grumman", "--db", db_path])
    assert missing.exit_code == 1 and "no listed entity matches" in missing.output
