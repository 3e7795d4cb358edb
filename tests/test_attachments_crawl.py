"""Attachments through a real crawl: items found only in files, hostile files flagged."""

from __future__ import annotations

from fixtures import attachment_files as hostile

from crawler.run import crawl
from mirror.site import load_entries, state_on
from regwatch.jobs import run_once
from store import catalogue
from store.extractions import latest_extraction

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = {
    "zip-bomb.xlsx": (hostile.zip_bomb("xlsx"), XLSX, "zip-bomb"),
    "truncated.pdf": (hostile.pdf_pages(4)[:600], PDF, "truncated"),
    "error-page.pdf": (hostile.html_error_page(), PDF, "wrong-type"),
    "huge.pdf": (hostile.big_file(), PDF, "too-large"),
    "encrypted.pdf": (hostile.encrypted_pdf(), PDF, "encrypted"),
}


def test_items_only_in_an_attachment_are_extracted_with_row_pointers(make_mirror, db_path):
    server = make_mirror(day=1)
    run_once(db_path, sources=["mofcom"], mirror=server.url)
    db = catalogue.open_db(db_path)
    version = db.execute("select current_version_id from documents where source = 'mofcom' "
                         "and number = 'MOFCOM-2025-61'").fetchone()[0]
    page_text = db.execute("select text from versions where id = ?", [version]).fetchone()[0]
    assert "1C902.a" not in page_text and "2805301910" not in page_text  # only in 附件1
    result = latest_extraction(db, version)
    assert "1C902.a" in result["control_codes"] and "2805301910" in result["hs_codes"]
    item = next(i for i in result["items"] if i["control_code"] == "1C902.a")
    assert "2805301910" in item["hs_codes"]
    assert item["source"].startswith("attachment:附件1")
    assert item["attachment"]["url"].endswith("7fc9bff0fb4546ecb02f66ee77d0e5f6_1.pdf")
    assert item["attachment"]["row"] is not None and item["attachment"]["where"]


def test_hostile_attachments_are_flagged_and_the_run_goes_on(make_mirror, db_path):
    entries = load_entries()
    page = {
        "key": "mofcom-hostile", "site": "mofcom", "page_id": "ab" * 16, "doc_number": "商务部公告2026年第99号",
        "title": "关于测试附件的公告", "bureau": "安全与管制局", "date": "2026-11-20",
        "posted": "2026-11-20 10:00", "day": 1, "export_control": False,
        "body": ["本公告附有若干附件，供核对。"] * 3, "signature": ["商务部", "2026年11月20日"],
        "attachments": [{"name": f"附件{i}：{name}", "url": f"/cms_files/attach/hostile_{name}"}
                        for i, name in enumerate(HOSTILE, start=1)],
    }
    files = {f"/cms_files/attach/hostile_{name}": (body, ctype) for name, (body, ctype, _) in HOSTILE.items()}
    server = make_mirror(day=1, entries=[*entries, page], files=files)
    runs = crawl(["mofcom"], db_path, mirror=server.url)
    assert runs[0]["status"] == "ok"
    expected = len([e for e in state_on(entries, 1) if e["site"] == "mofcom"]) + 1
    assert runs[0]["new_documents"] == expected  # every page stored, the hostile one too
    db = catalogue.open_db(db_path)
    flagged = {r["url"].rsplit("hostile_", 1)[1]: r["reason"].split(":")[0]
               for r in db.query("select url, reason from attachments where url like '%hostile_%'")}
    assert flagged == {name: reason for name, (_, _, reason) in HOSTILE.items()}
    assert db.execute("select count(*) from attachments where url like '%hostile_%' "
                      "and raw_gz is not null").fetchone()[0] == 0  # nothing hostile kept


def test_attachment_only_items_reach_status_queries_and_alerts(make_mirror, db_path):
    import json

    from click.testing import CliRunner

    from regwatch.cli import cli
    from timeline.queries import status

    catalogue.open_db(db_path).close()  # subscribe needs a catalogue; only crawl/init create one
    subscribe = CliRunner().invoke(cli, ["subscribe", "--db", db_path, "--email", "ree@example.org",
                                         "--control-code-prefix", "1C902"])
    assert subscribe.exit_code == 0, subscribe.output
    server = make_mirror(day=1)
    run_once(db_path, sources=["mofcom"], mirror=server.url)
    db = catalogue.open_db(db_path)
    on_20_october = status(db, "1C902.a", on="2025-10-20")
    assert "MOFCOM-2025-61" in {a["number"] for a in on_20_october["announcements"]}

    server.mirror.set_day(2)  # No. 61 gains its 1 December clause: a change that alerts
    run_once(db_path, sources=["mofcom"], mirror=server.url)
    queued = [(row["number"], json.loads(row["matched"])) for row in db.query(
        "select e.number, o.matched from outbox o join events e on e.id = o.event_id")]
    assert [number for number, _ in queued] == ["MOFCOM-2025-61"]
    assert "1C902.a" in json.dumps(queued[0][1], ensure_ascii=False)
