"""The sites' other list forms, crawled from their declarations (#20 items 1–2).

The mirror gives MOFCOM's numbered announcements again as yearly indexes paged TRS-style
(``createPageHTML``) with Referer-bound downloads (``mofcom_blgg``), as a JavaScript shell
whose list comes from a JSON API that lies about its charset (``mofcom_dwmygl``), and as a
bureau's JavaScript list with no API declared, read through the headless browser
(``mofcom_aqygzj``). Crawled for real with ``mofcom`` over HTTP: every copy is found, each
attachment is fetched with its page as Referer, both lying charsets are read right and
flagged, and the announcements are the same as without the copies, each once.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest

import regwatch.cli  # noqa: F401  (every stage's migrations)
from crawler.charsets import decode_json, dig
from crawler.spiders.base import TRS_PAGER
from extract.numbers import canonical
from mirror.forms import numbered
from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.jobs import run_once
from store.catalogue import open_db

FORMS = ["mofcom_blgg", "mofcom_dwmygl", "mofcom_aqygzj"]
HAS_BROWSER = shutil.which("/usr/bin/chromium") is not None


def _docs(db, source: str) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query(
        "select d.id, d.url, d.number, v.title from documents d "
        "join versions v on v.id = d.current_version_id where d.source = ? order by d.id", [source])]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("forms")
    path = str(root / "forms.db")
    server = start_in_thread(Mirror(day=1))
    try:
        first = run_once(path, ["mofcom", *FORMS], mirror=server.url)
        server.stats.clear()
        again = run_once(path, ["mofcom_blgg"], mirror=server.url)
        paths = server.mirror.forms
        out = {"path": path, "first": first, "again": again, "url": server.url,
               "numbered": numbered(server.mirror.visible), "forms": paths,
               "expected": {canonical(e["doc_number"]) for e in server.mirror.visible
                            if e["site"] == "mofcom" and e.get("doc_number")}}
        # the download links, asked for without and with their page as Referer
        token, (page, _file) = next((t, v) for t, v in paths.downloads.items()
                                    if v[1].endswith(".xlsx"))
        url = f"{server.url}/cms_files/filemanager/download?token={token}&fileName=x.xlsx"
        try:
            urllib.request.urlopen(url, timeout=10)
            out["no_referer"] = 200
        except urllib.error.HTTPError as exc:
            out["no_referer"] = exc.code
        request = urllib.request.Request(url, headers={"Referer": server.url + page})
        out["with_referer"] = urllib.request.urlopen(request, timeout=10).status
    finally:
        server.shutdown()
        server.server_close()
    return out


def test_yearly_indexes_and_trs_paging_reach_every_year(crawled):
    db = open_db(crawled["path"])
    docs = _docs(db, "mofcom_blgg")
    assert len(docs) == len(crawled["numbered"]) == 23
    years = Counter(d["url"].split("/art/")[1][:4] for d in docs)
    assert years == {"2025": 17, "2024": 3, "2023": 3}  # 2025: both TRS pages (10 + 7)
    assert all(d["url"].startswith("https://www.mofcom.gov.cn/zcfb/blgg/art/") for d in docs)
    # the second crawl knows the lists: the index and the newest two years' first pages only
    run = crawled["again"]["runs"][0]
    assert run["status"] == "ok" and run["new_documents"] == 0
    assert run["requests"] <= 1 + 1 + 2 + 50  # robots, index, two years, re-checks


def test_trs_pager_is_read_from_the_script_call():
    found = TRS_PAGER.search('<script>createPageHTML(7, 2, "index", "shtml");</script>')
    assert found.groups() == ("7", "2", "index", "shtml")
    assert TRS_PAGER.search("<script>createPageHTML(count, current, name, ext)</script>") is None


def test_tokenised_attachments_need_their_page_as_referer(crawled):
    assert (crawled["no_referer"], crawled["with_referer"]) == (403, 200)
    db = open_db(crawled["path"])
    rows = [dict(r) for r in db.query(
        "select url, status, reason from attachments where url like '%/filemanager/download?%'")]
    # every download whose file the mirror has was fetched with its page as Referer
    have = {t for t, (_, f) in crawled["forms"].downloads.items() if f in _mirror_files()}
    fetched = {r["url"].split("token=")[1].split("&")[0] for r in rows if r["status"] == "ok"}
    assert have and fetched == have
    assert not [r for r in rows if "403" in str(r["reason"])]


def _mirror_files() -> set[str]:
    from mirror.site import _default_files

    return set(_default_files())


def test_json_list_read_from_the_declared_api_despite_lying_charsets(crawled):
    db = open_db(crawled["path"])
    docs = _docs(db, "mofcom_dwmygl")
    assert len(docs) == 17  # two API pages: page 1 UTF-8 called Latin-1, page 2 GB18030 called UTF-8
    assert all("公告" in d["title"] for d in docs)
    # No. 70 at the page id the fact sheet gives for this section
    assert any(d["url"].endswith("/art/2025/art_00667414c0524b018985abd28b8847a5.html") for d in docs)
    flags = [dict(r) for r in db.query(
        "select url, detail from source_errors where source = 'mofcom_dwmygl' "
        "and reason = 'charset-mismatch' order by id")]
    assert [f["url"].rsplit("pageNo=", 1)[1][:1] for f in flags] == ["1", "2"]
    assert "iso8859-1" in flags[0]["detail"] and "gb18030" in flags[1]["detail"]
    run = db.execute("select errors from crawl_runs where source = 'mofcom_dwmygl'").fetchone()
    assert run[0] == 0  # flagged, not failed
    # the shell page itself was never needed
    assert not db.execute("select 1 from documents where url like '%dwmygl/index.html'").fetchone()


def test_decode_json_flags_only_a_real_mismatch():
    text = '{"data": {"html": "商务部公告"}}'
    assert decode_json(text.encode(), "application/json; charset=utf-8") == (
        {"data": {"html": "商务部公告"}}, None)
    data, flag = decode_json(text.encode("gbk"), "application/json;charset=UTF-8")
    assert dig(data, "data.html") == "商务部公告" and "gb18030" in flag
    data, flag = decode_json(text.encode(), "application/json;charset=GBK")
    assert dig(data, "data.html") == "商务部公告" and "utf-8" in flag
    assert decode_json(b'{"a": 1}', "application/json;charset=ISO-8859-1") == ({"a": 1}, None)


@pytest.mark.skipif(not HAS_BROWSER, reason="no Chromium at /usr/bin/chromium")
def test_javascript_list_without_api_is_rendered_in_the_browser(crawled):
    db = open_db(crawled["path"])
    docs = _docs(db, "mofcom_aqygzj")
    assert len(docs) == 5
    assert all(d["url"].startswith("https://aqygzj.mofcom.gov.cn/zcfg/art/") for d in docs)
    errors = db.execute("select reason from source_errors where source = 'mofcom_aqygzj'").fetchall()
    assert errors == []


def test_every_announcement_once_across_the_new_copies(crawled):
    db = open_db(crawled["path"])
    numbers = [r[0] for r in db.execute("select number from announcements where in_catalogue = 1")]
    assert len(numbers) == len(set(numbers)) == len(crawled["expected"])
    assert set(numbers) == crawled["expected"]
    new = Counter(r[0] for r in db.execute(
        "select number from events where kind = 'new' and number is not null"))
    assert max(new.values()) == 1 and set(new) == crawled["expected"]
    # the issuing ministry's own page stays the one each announcement is read from
    primary = {r[0] for r in db.execute(
        "select d.source from announcements a join documents d on d.id = a.document_id")}
    assert primary == {"mofcom"}


def test_javascript_list_without_api_or_browser_is_a_js_shell_error(mirror_server, db_path):
    from crawler.run import crawl

    runs = crawl(["mofcom_aqygzj"], db_path, mirror=mirror_server.url, timeout=120,
                 overrides={"REGWATCH_BROWSER_ENABLED": False})
    assert [(r["source"], r["new_documents"]) for r in runs] == [("mofcom_aqygzj", 0)]
    db = open_db(db_path)
    reasons = [r[0] for r in db.execute("select reason from source_errors")]
    assert "js-shell" in reasons  # said loudly, not an empty list taken at its word
