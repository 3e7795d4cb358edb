"""An incremental derivation gives the timeline a full one gives (timeline/build.py).

A small synthetic catalogue is derived, then new announcements arrive that suspend,
repeal, amend and cite earlier ones (and one that repeals a suspending announcement, so a
suspension ends early). Each is derived incrementally; a copy of the catalogue is then
re-derived in full. The current items and intervals must be the same, and the
incremental runs must have read only a few announcements.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

import regwatch  # noqa: F401  (every stage registers its tables)
from store import catalogue
from store.extractions import record_extraction
from timeline.build import update_timeline

_SPEC = importlib.util.spec_from_file_location(
    "synthetic", Path(__file__).resolve().parent.parent / "bench" / "synthetic.py")
synthetic = sys.modules.setdefault("synthetic", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(synthetic)
CURRENT = ("select s.key, i.state, i.start, i.end, i.cause, i.relation, i.clause "
           "from intervals i join subjects s on s.id = i.subject_id where i.retired_in is null")
ITEMS = "select announcement, item_key, control_code from items where current = 1"


def _add(db, n: int, number: str, refs: list[dict], effective: str = "2026-08-01",
         items: int = 3) -> None:
    run = catalogue.start_run(db, "mofcom")
    page = {"source": "mofcom", "url": f"http://synthetic.test/new/{n}.html", "title": number,
            "text": number, "raw": b"", "content_hash": hashlib.sha256(number.encode()).hexdigest()}
    version_id = catalogue.record_page(db, run, page)["version_id"]
    catalogue.finish_run(db, run)
    rows = [{"control_code": f"1C9{n:02d}.{c}", "text": f"1C9{n:02d}.{c} 镓", "hs_codes": ["2805301910"],
             "materials": ["gallium"], "provision": "一(一)", "effective_date": effective,
             "source": "table"} for c in "abcdefgh"[:items]]
    record_extraction(db, version_id, "test", {
        "number": number, "issuers": ["MOFCOM"], "title": f"关于{number}的公告",
        "issue_date": "2026-07-20", "effective_dates": [effective], "materials": ["gallium"],
        "control_codes": [r["control_code"] for r in rows], "hs_codes": ["2805301910"],
        "items": rows, "references": refs, "text": number, "lang": "zh"})


def _ref(target: str, relation: str, until: str | None = None) -> dict:
    return {"target": target, "relation": relation, "from": None, "until": until, "clause": None}


def test_incremental_equals_full(tmp_path):
    path = str(tmp_path / "cat.db")
    synthetic.build(path, 300, 3000)
    db = catalogue.open_db(path)
    numbers = [r[0] for r in db.execute(
        "select number from announcements where in_catalogue = 1 and has_controls = 1 "
        "order by issue_date desc limit 6")]
    arrivals = [
        ("MOFCOM-2026-901", [_ref(numbers[0], "suspends", "2027-06-30"), _ref(numbers[1], "amends"),
                             _ref(numbers[2], "cites")]),
        ("MOFCOM-2026-902", [_ref(numbers[3], "repeals"), _ref("MOFCOM-1998-7", "cites")]),
        ("MOFCOM-2026-903", [_ref("MOFCOM-2026-901", "repeals")]),  # ends 901's suspension
        ("MOFCOM-2026-904", [_ref(numbers[4], "suspends", "2026-12-31"), _ref(numbers[5], "cites")]),
    ]
    summaries = []
    for n, (number, refs) in enumerate(arrivals, 1):
        _add(db, n, number, refs, "2026-10-01" if number == "MOFCOM-2026-903" else "2026-08-01")
        summaries.append(update_timeline(db, trigger="test"))
    assert all(s["incremental"] for s in summaries)
    assert all(s["inputs_read"] < 30 for s in summaries), summaries
    # 903 repeals 901: 901's suspension of numbers[0] is clipped, so numbers[0] is re-derived
    assert summaries[2]["dirty"] >= 3
    incremental = (sorted(db.execute(CURRENT).fetchall(), key=repr),
                   sorted(db.execute(ITEMS).fetchall(), key=repr))
    db.close()

    shutil.copyfile(path, tmp_path / "full.db")
    full_db = catalogue.open_db(str(tmp_path / "full.db"))
    assert update_timeline(full_db, trigger="test", full=True)["incremental"] is False
    full = (sorted(full_db.execute(CURRENT).fetchall(), key=repr),
            sorted(full_db.execute(ITEMS).fetchall(), key=repr))
    full_db.close()
    assert incremental[1] == full[1]
    assert incremental[0] == full[0]
    suspended = [row for row in incremental[0] if row[0] == numbers[0] and row[1] == "suspended"]
    assert [row[2:4] for row in suspended] == [("2026-08-01", "2026-09-30")]  # clipped by 903
