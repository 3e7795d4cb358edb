"""Crawling the mirror over real HTTP through the real spiders, into a real SQLite file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.run import crawl
from crawler.sources import get_source
from mirror.site import FAULTS, Mirror, detail_path, fault_path, load_entries
from regwatch.cli import cli
from store import catalogue


def _totals(runs: list[dict]) -> dict[str, int]:
    keys = ("requests", "fetched", "new_documents", "new_versions", "unchanged", "not_modified", "errors")
    return {k: sum(r[k] for r in runs) for k in keys}


def _day(day: int) -> list[dict]:
    """The mirror's pages on ``day``: the entries and their copies at other URLs."""
    return Mirror(day=day).visible


def test_day1_twice_then_day2_forms_versions(make_mirror, db_path):
    server = make_mirror(day=1)
    first = _totals(crawl(None, db_path, mirror=server.url))
    day1 = _day(1)
    assert first["new_documents"] == len(day1)
    assert first["new_versions"] == len(day1)
    assert first["errors"] == 0

    second = _totals(crawl(None, db_path, mirror=server.url))
    assert second["new_versions"] == 0
    assert second["new_documents"] == 0
    assert second["not_modified"] + second["unchanged"] == len(day1)

    server.mirror.set_day(2)
    third = crawl(None, db_path, mirror=server.url)
    day2 = _day(2)
    added = {e["key"] for e in day2} - {e["key"] for e in day1}
    corrected = {e["key"] for e in day2 if e["revised_on"] == 2 and e["key"] not in added}
    assert added and corrected
    assert _totals(third)["new_documents"] == len(added)
    assert _totals(third)["new_versions"] == len(added) + len(corrected)

    db = catalogue.open_db(db_path)
    by_url = {d["url"]: d for d in catalogue.documents(db)}
    for entry in day2:
        url = _canonical(entry)
        expected = 2 if entry["key"] in corrected else 1
        assert by_url[url]["version_count"] == expected, entry["key"]

    fixed = next(e for e in day2 if e["key"] in corrected)
    doc_id = by_url[_canonical(fixed)]["id"]
    result = CliRunner().invoke(cli, ["history", str(doc_id), "--db", db_path])
    assert result.exit_code == 0, result.output
    assert "version 2" in result.output
    added_lines = [line for line in result.output.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added_lines, result.output


def _canonical(entry: dict) -> str:
    return get_source(entry["site"])["base_url"] + detail_path(entry)


def test_gb18030_page_behind_lying_header_is_decoded(make_mirror, db_path):
    server = make_mirror(day=1)
    crawl(["gacc"], db_path, mirror=server.url)
    db = catalogue.open_db(db_path)
    rows = list(db.query("select v.title, v.encoding, v.text from versions v"))
    assert rows
    for row in rows:
        assert row["encoding"] == "gb18030"
        assert "海关" in row["text"] or "公告" in row["text"]
        assert "\ufffd" not in row["text"]


FAULT_REASONS = {
    "forbidden": "forbidden",
    "server-error": "server-error",
    "js-shell": "js-shell",
    "soft-404": "soft-error",
    "oversize": "oversize",
}


@pytest.mark.parametrize("fault", sorted(FAULT_REASONS))
def test_failure_page_is_a_source_error_not_a_version(make_mirror, db_path, fault):
    server = make_mirror(day=1, faults={fault})
    runs = crawl(["mofcom"], db_path, mirror=server.url)
    db = catalogue.open_db(db_path)
    url = "https://www.mofcom.gov.cn" + fault_path(fault)
    errors = list(db["source_errors"].rows_where("url = ?", [url]))
    assert [e["reason"] for e in errors] == [FAULT_REASONS[fault]]
    assert errors[0]["crawl_run_id"] == runs[0]["id"]
    assert db.execute("select count(*) from documents where url = ?", [url]).fetchone()[0] == 0
    # the rest of the site is still stored
    expected = len([e for e in _day(1) if e["site"] == "mofcom"])
    assert _totals(runs)["new_documents"] == expected
    assert _totals(runs)["errors"] == 1


def test_server_error_is_retried_with_backoff(make_mirror, db_path):
    server = make_mirror(day=1, faults={"server-error"})
    crawl(["mofcom"], db_path, mirror=server.url)
    # one first try + RETRY_TIMES (3) retries
    assert server.stats["500"] == 4


def test_empty_list_page_is_an_error(make_mirror, db_path):
    server = make_mirror(day=1, faults={"empty-list"})
    crawl(["gacc"], db_path, mirror=server.url)
    db = catalogue.open_db(db_path)
    assert [e["reason"] for e in db["source_errors"].rows] == ["empty-list"]


def test_all_faults_are_known_to_the_mirror():
    assert set(FAULT_REASONS) | {"challenge", "empty-list", "hang", "en-mismatch"} == set(FAULTS)


def test_crawl_cli_json_reports_counts(make_mirror, db_path):
    server = make_mirror(day=1)
    result = CliRunner().invoke(cli, ["crawl", "--db", db_path, "--mirror", server.url,
                                      "--no-extract", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in ("fetched", "new_documents", "new_versions", "unchanged", "errors"):
        assert key in report
    assert report["new_documents"] == len(_day(1))
    assert report["fetched"] == len(_day(1))


def test_unknown_source_is_a_clear_error(db_path):
    result = CliRunner().invoke(cli, ["crawl", "nosuch", "--db", db_path])
    assert result.exit_code != 0
    assert "unknown source" in result.output


def test_paginated_gb18030_list_behind_a_lying_header_is_followed(make_mirror, db_path):
    # enough customs announcements for several list pages, served as GB18030 behind "UTF-8"
    entries = load_entries()
    gacc = [e for e in entries if e["site"] == "gacc" and int(e.get("day", 1)) == 1]
    extra = [{**e, "key": f"{e['key']}-copy{n}", "page_id": f"9{n}{i:05d}"}
             for n in range(3) for i, e in enumerate(gacc)]
    server = make_mirror(day=1, entries=[*entries, *extra])
    runs = crawl(["gacc"], db_path, mirror=server.url)
    assert len(gacc) + len(extra) > 20  # more than two list pages
    assert runs[0]["new_documents"] == len(gacc) + len(extra)
