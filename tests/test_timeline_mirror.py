"""The timeline and search over the mirror's real history, crawled and extracted for real.

The mirror is crawled on day 1 and day 2 (which corrects 2025 No. 61 with the sentence
putting 一（一）/一（二） into force on 2025-12-01) through ``regwatch.jobs.run_once``:
spiders → catalogue → extractor → timeline. Where an assertion depends on a reference the
extractor must read (a suspension's window, a clause, a repeal's target), the test first
requires the extraction, naming the missing or misread field when it fails: a wrong
extraction fails the test, it is never turned into an expected failure.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.jobs import run_once
from store import catalogue
from store.extractions import record_extraction
from timeline.build import update_timeline
from timeline.derive import clause_parts
from timeline.queries import changes, status, timeline
from timeline.search import search

# The references as the announcements print them: (source, target) → fields.
AS_PRINTED: dict[tuple[str, str], dict[str, Any] | None] = {
    **{("MOFCOM-2025-70", f"MOFCOM-2025-{n}"): {"relation": "suspends", "from": "2025-11-07",
                                                "until": "2026-11-10", "clause": None}
       for n in (55, 56, 57, 58, 61, 62)},
    ("MOFCOM-2025-72", "MOFCOM-2024-46"): {"relation": "suspends", "from": "2025-11-09",
                                           "until": "2026-11-27", "clause": "第二款"},
    **{("MOFCOM-2024-51", target): {"relation": "repeals", "from": None, "until": None,
                                    "clause": None}
       for target in ("MOFCOM-2023-23", "MOFCOM-2023-39", "MOFCOM-2024-33")},
    ("MOFCOM-2024-51", "MOFCOM-2024-23"): None,  # not named by No. 51
    ("MOFCOM-2024-51", "MOFCOM-2024-39"): None,
}


def _crawl(path: str) -> dict[str, Any]:
    server = start_in_thread(Mirror(day=1))
    try:
        day1 = run_once(path, mirror=server.url)
        server.mirror.set_day(2)
        day2 = run_once(path, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    return {"day1": day1, "day2": day2}


def _print_references(db) -> None:
    """Add an extraction whose references are as printed, where the extractor's differ."""
    for source in sorted({s for s, _ in AS_PRINTED}):
        version_id, extraction_id = db.execute(
            "select version_id, extraction_id from announcements where number = ?",
            [source]).fetchone()
        row = db.execute("select extractor_version, result from extractions where id = ?",
                         [extraction_id]).fetchone()
        result = json.loads(row[1])
        refs = {r["target"]: r for r in result.get("references") or []}
        for (src, target), fields in AS_PRINTED.items():
            if src != source:
                continue
            if fields is None:
                refs.pop(target, None)
            else:
                refs[target] = {"target": target, **fields}
        result["references"] = list(refs.values())
        record_extraction(db, version_id, row[0] + "+references-as-printed", result)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, Any]:
    """The mirror crawled once, days 1 and 2, with the extractor as it is."""
    path = str(tmp_path_factory.mktemp("mirror") / "catalogue.db")
    return {"path": path, **_crawl(path)}


@pytest.fixture(scope="module", params=["as-extracted", "references-as-printed"])
def crawled(request, extracted, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The crawled catalogue; in the second run, references corrected to the printed text
    (so the timeline's handling of windows and clauses is asserted whatever the extractor
    reads today)."""
    path = extracted["path"]
    if request.param == "references-as-printed":
        path = str(tmp_path_factory.mktemp("printed") / "catalogue.db")
        source = sqlite3.connect(extracted["path"])
        target = sqlite3.connect(path)
        source.backup(target)
        source.close()
        target.close()
    db = catalogue.open_db(path)
    if request.param == "references-as-printed":
        _print_references(db)
        update_timeline(db, trigger="test")
    yield {**extracted, "path": path, "db": db}
    db.close()


def reference(db, source: str, target: str) -> dict[str, Any] | None:
    """The reference ``source`` makes to ``target`` in its latest extraction."""
    row = db.execute("select extraction_id from announcements where number = ?",
                     [source]).fetchone()
    if row is None or row[0] is None:
        return None
    result = json.loads(db.execute("select result from extractions where id = ?",
                                   [row[0]]).fetchone()[0])
    return next((r for r in result.get("references") or [] if r.get("target") == target), None)


def require(db, source: str, target: str, **expected: Any) -> None:
    """Fail unless the extractor read ``source``'s reference to ``target`` as expected."""
    found = reference(db, source, target)
    assert found is not None, f"extractor: {source} has no reference to {target}"
    for key, value in expected.items():
        have = found.get(key)
        same = clause_parts(have) == clause_parts(value) if key == "clause" else have == value
        assert same, (f"extractor: {source} → {target} reference has {key}={have!r}, "
                      f"the text says {value!r}")


def by_provision(result: dict[str, Any]) -> dict[str, tuple]:
    return {r["provision"]: (r["state"], r["since"], r["until"], r["cause"])
            for r in result["items"] if r["kind"] == "provision"}


def test_pipeline_ran_the_timeline(crawled):
    assert crawled["day1"]["timeline"]["changed"] is True
    assert crawled["day1"]["timeline"]["search"]["indexed"] >= 30
    day2 = crawled["day2"]["timeline"]
    assert day2["changed"] is True and day2["inputs_changed"] == 2  # 2026 No. 1, 2025 No. 61


def test_61_on_20_october_china_origin_in_force_rest_pending(crawled):
    result = status(crawled["db"], "MOFCOM-2025-61", on="2025-10-20")
    states = by_provision(result)
    assert states["一(三)"][:2] == ("in_force", "2025-10-09")
    assert states["一(一)"][:2] == ("pending", "2025-10-09")
    assert states["一(二)"][:2] == ("pending", "2025-10-09")
    ann = result["announcements"][0]
    assert (ann["number"], ann["state"], ann["since"]) == ("MOFCOM-2025-61", "in_force",
                                                          "2025-10-09")
    assert "一(一)、一(二) take effect 2025-12-01" in ann["reason"]


def test_61_correction_kept_in_derivation_history(crawled):
    life = timeline(crawled["db"], "MOFCOM-2025-61", history=True)
    assert [d["change"] for d in life["derivations"]] == ["added", "updated"]
    first, second = (d["derivation_id"] for d in life["derivations"])
    retired = [i for i in life["intervals"] if i["retired_in"] == second]
    assert retired and all(i["derivation_id"] == first for i in retired)


def test_61_all_suspended_by_70_on_15_november(crawled):
    db = crawled["db"]
    require(db, "MOFCOM-2025-70", "MOFCOM-2025-61", relation="suspends", until="2026-11-10")
    result = status(db, "MOFCOM-2025-61", on="2025-11-15")
    ann = result["announcements"][0]
    assert (ann["state"], ann["since"], ann["until"], ann["cause"]) == \
        ("suspended", "2025-11-07", "2026-11-10", "MOFCOM-2025-70")
    assert {r["state"] for r in result["items"]} == {"suspended"}
    assert {r["cause"] for r in result["items"]} == {"MOFCOM-2025-70"}
    assert {r["until"] for r in result["items"]} == {"2026-11-10"}


def test_gallium_to_the_united_states(crawled):
    db = crawled["db"]
    first = status(db, "gallium", on="2023-08-01", destination="US")
    assert first["measure"]["measure"] == "licence"
    assert {r["announcement"] for r in first["items"]} == {"MOFCOM-2023-23"}
    assert {(r["state"], r["since"]) for r in first["items"]} == {("in_force", "2023-08-01")}

    denied = status(db, "gallium", on="2024-12-03", destination="US")
    assert denied["measure"] == {"measure": "denied", "announcement": "MOFCOM-2024-46",
                                 "provision": "二", "via": None}
    assert by_provision(denied)["二"][:2] == ("in_force", "2024-12-03")

    require(db, "MOFCOM-2025-72", "MOFCOM-2024-46", relation="suspends", clause="第二款",
            until="2026-11-27")
    suspended = status(db, "gallium", on="2025-11-09", destination="US")
    clause = next(r for r in suspended["items"] if r["announcement"] == "MOFCOM-2024-46")
    assert (clause["provision"], clause["state"], clause["since"], clause["until"],
            clause["cause"]) == ("二", "suspended", "2025-11-09", "2026-11-27", "MOFCOM-2025-72")
    one = by_provision(status(db, "MOFCOM-2024-46", on="2025-11-15"))["一"]
    assert one[0] == "in_force"  # the military end-use ban stays

    require(db, "MOFCOM-2024-51", "MOFCOM-2023-23", relation="repeals")
    assert {r["state"] for r in suspended["items"] if r["announcement"] == "MOFCOM-2023-23"} \
        == {"superseded"}
    assert suspended["measure"]["measure"] == "licence"


def test_changes_in_november_2025(crawled):
    result = changes(crawled["db"], "2025-11-01", "2025-11-30", subject="announcement")
    got = {(c["date"], c["subject"], c["to"]) for c in result["changes"]}
    assert ("2025-11-07", "MOFCOM-2025-70", "in_force") in got
    assert ("2025-11-09", "MOFCOM-2025-72", "in_force") in got
    # Nos. 55-58 were to take effect on 11-08; No. 70 suspended them the day before.
    assert ("2025-11-07", "MOFCOM-2025-55", "suspended") in got
    assert not any(c[1] == "MOFCOM-2025-55" and c[2] == "in_force" for c in got)


@pytest.mark.parametrize(("query", "must", "must_not"), [
    ("镓", {"MOFCOM-2023-23", "MOFCOM-2024-46"}, {"MOFCOM-2025-18", "MOFCOM-2025-61"}),
    ("稀土", {"MOFCOM-2025-18", "MOFCOM-2025-56", "MOFCOM-2025-61", "MOFCOM-2025-62"},
     {"MOFCOM-2023-23", "MOFCOM-2024-46"}),
    ("gallium", {"MOFCOM-2023-23", "MOFCOM-2024-46"}, {"MOFCOM-2025-18"}),
])
def test_search_finds_gallium_and_rare_earths(crawled, query, must, must_not):
    result = search(crawled["db"], query, limit=50)
    found = {hit["number"] for hit in result["results"]}
    assert must <= found, found
    assert not (must_not & found), found
    assert all(hit["snippet"] for hit in result["results"])


def test_search_ranks_the_title_match_first(crawled):
    hits = search(crawled["db"], "镓")["results"]
    assert hits[0]["number"] == "MOFCOM-2023-23"
    assert "[镓]" in hits[0]["snippet"]


def test_cli_over_the_mirror(crawled):
    from regwatch.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["search", "稀土", "--db", crawled["path"]])
    assert out.exit_code == 0, out.output
    assert "MOFCOM-2025-62" in out.output and "[稀土]" in out.output
    out = runner.invoke(cli, ["status", "2805301910", "--on", "2025-06-01", "--db",
                              crawled["path"], "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["kind"] == "hs"
    assert {(r["announcement"], r["control_code"], r["state"]) for r in data["items"]} >= {
        ("MOFCOM-2025-18", "1C902.a", "in_force"), ("MOFCOM-2025-18", "1C903.a", "in_force")}
