"""English and Chinese pages of one announcement: linked by number, disagreements flagged."""

from __future__ import annotations

import json

from click.testing import CliRunner

from regwatch.cli import cli
from regwatch.jobs import run_once
from store import catalogue
from timeline.translations import compare, mismatches, translations_of


def test_compare_allows_abridging_but_not_contradicting():
    zh = {"issue_date": "2025-04-04", "effective_dates": ["2025-04-04"],
          "control_codes": ["1C902.a", "1C902.b"], "hs_codes": ["2805301910"], "materials": ["samarium"]}
    en = {"issue_date": "2025-04-04", "effective_dates": ["2025-04-04"],
          "control_codes": ["1C902.a"], "hs_codes": [], "materials": ["samarium"]}
    assert compare(zh, en) == []
    en_bad = {**en, "effective_dates": ["2025-05-01"], "control_codes": ["1C902.a", "1C999.z"]}
    assert compare(zh, en_bad) == [
        ("effective_dates", ["2025-04-04"], ["2025-05-01"]),
        ("control_codes", ["1C902.a", "1C902.b"], ["1C999.z"]),
    ]


def test_english_and_chinese_pages_link_and_a_mismatch_is_flagged(make_mirror, db_path):
    server = make_mirror(day=1, faults={"en-mismatch"})
    run_once(db_path, mirror=server.url)
    db = catalogue.open_db(db_path)
    zh = db.execute("select id from documents where source = 'mofcom' and number = 'MOFCOM-2025-18'").fetchone()
    en = db.execute("select id from documents where source = 'mofcom_en' and number = 'MOFCOM-2025-18'").fetchone()
    assert zh and en
    assert [d["id"] for d in translations_of(db, zh[0])] == [en[0]]
    flagged = mismatches(db, "MOFCOM-2025-18")
    assert [(m["field"], json.loads(m["original"]), json.loads(m["translation"])) for m in flagged] == [
        ("effective_dates", ["2025-04-04"], ["2025-05-01"])]
    # besides the deliberate one, only a real disagreement: on day 1 the Chinese No. 61 page
    # lacks the 1 December sentence (corrected on day 2) that the English page carries
    others = [(m["number"], m["field"], json.loads(m["translation"])) for m in mismatches(db)
              if m["number"] != "MOFCOM-2025-18"]
    assert others == [("MOFCOM-2025-61", "effective_dates", ["2025-10-09", "2025-12-01"])]
    result = CliRunner().invoke(cli, ["show", str(zh[0]), "--db", db_path])
    assert "MISMATCH" in result.output and "2025-05-01" in result.output


def test_faithful_translations_raise_no_flags(make_mirror, db_path):
    server = make_mirror(day=2)
    run_once(db_path, mirror=server.url)
    db = catalogue.open_db(db_path)
    linked = db.execute("select count(distinct d.number) from documents d where d.source = 'mofcom_en' "
                        "and exists (select 1 from documents z where z.number = d.number and z.source = 'mofcom')"
                        ).fetchone()[0]
    assert linked == 6
    assert mismatches(db) == []
