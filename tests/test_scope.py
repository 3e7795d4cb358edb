"""Issue #14 findings 1, 3 and 6 against a hostile server on 127.0.0.1.

The customs source is crawled from a hostile server standing in for its mirror: list
links to file: URLs, to another host, a 302 to another host, a redirect loop, pages
nested 1,000 and 100,000 levels deep, a chunked oversize page, attachment links to
file:///etc/passwd and to another host. Both servers log every request.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import hostile
import pytest

from crawler.run import crawl
from crawler.scope import Scope
from crawler.sources import get_source
from store import catalogue

ROOT = "/customs/302249/302266/302267"
TEXT = ("<p>【发布单位】海关总署</p><p>根据《中华人民共和国出口管制法》，现将有关事项公告如下。"
        "自公告之日起，对所列物项实施出口管制，未经许可不得出口。</p>")


def detail(n: int) -> str:
    return f"{ROOT}/{n}/index.html"


@pytest.fixture
def servers():
    other = hostile.start()  # "another host": must never be asked for anything
    other.routes["/secret.pdf"] = b"%PDF-1.4 secret"
    other.routes[detail(125)] = hostile.page("别处", TEXT)
    site = hostile.start()
    o = other.url
    site.routes.update({
        f"{ROOT}/index.html": (
            "<html><body><ul>"
            f"<li><a href='{detail(1)}'>公告 1</a></li>"
            f"<li><a href='{detail(2)}'>公告 2</a></li>"
            f"<li><a href='http://www.customs.gov.cn{detail(3)}'>公告 3 (real-site URL)</a></li>"
            f"<li><a href='file:///etc/passwd?x={detail(123)}'>query trick</a></li>"
            f"<li><a href='file://{detail(124)}'>file scheme</a></li>"
            f"<li><a href='{o}{detail(125)}'>other host</a></li>"
            f"<li><a href='{detail(4)}'>302 away</a></li>"
            f"<li><a href='{detail(5)}'>loop</a></li>"
            f"<li><a href='{detail(7)}'>1k deep</a></li>"
            f"<li><a href='{detail(8)}'>100k deep</a></li>"
            f"<li><a href='{detail(9)}'>chunked oversize</a></li>"
            f"</ul><a href='{ROOT}/index_2.html'>下一页</a></body></html>").encode(),
        f"{ROOT}/index_2.html": (
            f"<html><body><a href='{detail(10)}'>公告 10</a>"
            f"<a href='{o}{ROOT}/index_3.html'>下一页</a></body></html>").encode(),
        detail(1): hostile.page("海关总署公告2026年第1号", TEXT +
                                "<p><a href='file:///etc/passwd'>附件1</a> "
                                f"<a href='{o}/secret.pdf'>附件2</a></p>"),
        detail(2): hostile.page("海关总署公告2026年第2号", TEXT),
        detail(3): hostile.page("海关总署公告2026年第3号", TEXT),
        detail(10): hostile.page("海关总署公告2026年第10号", TEXT),
        detail(4): hostile.redirect(f"{o}{detail(125)}"),
        detail(5): hostile.redirect(detail(6)),
        detail(6): hostile.redirect(detail(5)),
        detail(7): hostile.nested(1_000, "海关总署公告2026年第7号"),
        detail(8): hostile.nested(100_000, "海关总署公告2026年第8号"),
        detail(9): lambda _h: (200, {"Content-Type": "text/html; charset=utf-8"},
                               [b"<html><body>" + b"x" * 262144 for _ in range(8)]),
    })
    yield site, other
    for server in (site, other):
        server.shutdown()
        server.server_close()


def test_hostile_list_stays_in_scope(servers, db_path):
    site, other = servers
    started = time.monotonic()
    runs = crawl(["gacc"], db_path, mirror=site.url, timeout=120,
                 overrides={"DOWNLOAD_MAXSIZE": 1_500_000, "ROBOTSTXT_OBEY": False})
    elapsed = time.monotonic() - started
    assert other.log == []  # nothing was ever sent to the other host
    scope = Scope(get_source("gacc"))
    for path in site.paths():
        assert scope.matches("detail_url", path) or scope.matches("list_url", path), path
    db = catalogue.open_db(db_path)
    errors = {(r["url"], r["reason"]): r["detail"] for r in db["source_errors"].rows}
    real = "http://www.customs.gov.cn"
    # the query-string trick does not match the path pattern: not even an error
    assert not any("etc/passwd" in url for url, _ in errors)
    assert (f"file://{detail(124)}", "out-of-scope") in errors
    assert (f"{other.url}{detail(125)}", "out-of-scope") in errors
    assert (f"{other.url}{ROOT}/index_3.html", "out-of-scope") in errors
    redirected = errors[(real + detail(4), "out-of-scope")]
    assert f"{other.url}{detail(125)}" in redirected
    assert any(reason == "redirect-loop" for _, reason in errors)
    assert errors[(real + detail(7), "too-deep")]
    assert errors[(real + detail(8), "too-deep")]
    assert "1500000" in errors[(real + detail(9), "oversize")]
    stored = {row["url"] for row in db["documents"].rows}
    assert stored == {real + detail(n) for n in (1, 2, 3, 10)}
    flagged = {r["url"]: r for r in db.query("select * from attachments")}
    assert set(flagged) == {"file:///etc/passwd", f"{other.url}/secret.pdf"}
    for row in flagged.values():
        text = " ".join(str(v) for v in row.values())
        assert "out-of-scope" in text and "root:" not in text
    assert runs[0]["status"] == "ok" and elapsed < 60


def test_scope_refuses_schemes_hosts_and_query_tricks():
    scope = Scope(get_source("gacc"))
    assert scope.refuse(f"http://www.customs.gov.cn{detail(1)}") is None
    assert scope.refuse(f"https://WWW.customs.gov.cn{detail(1)}") is None
    for url in (f"file://{detail(1)}", "ftp://www.customs.gov.cn/x", "data:text/html,hi",
                f"http://10.0.0.8{detail(1)}", f"http://www.customs.gov.cn:8080{detail(1)}",
                f"http://user:pw@www.customs.gov.cn{detail(1)}"):
        assert scope.refuse(url), url
    assert not scope.matches("detail_url", f"file:///etc/passwd?x={detail(1)}")
    assert not scope.matches("detail_url", f"http://www.customs.gov.cn/x{detail(1)}")
    mirrored = Scope(get_source("gacc"), mirror="http://127.0.0.1:8123")
    assert mirrored.refuse_fetch(f"http://127.0.0.1:8123{detail(1)}") is None
    assert mirrored.refuse_fetch(f"http://127.0.0.1:8124{detail(1)}")
    assert mirrored.refuse_fetch(f"http://www.customs.gov.cn{detail(1)}")  # never the real site


def test_every_source_declares_its_scope_and_limits():
    from crawler.sources import load_sources

    for source_id, source in load_sources().items():
        assert source.get("scope", {}).get("hosts"), source_id
        assert set(source["scope"]["schemes"]) <= {"http", "https"}, source_id
        assert urlsplit(source["base_url"]).hostname in source["scope"]["hosts"]
        assert set(source.get("limits") or {}) == {"max_links_per_list_page",
                                                   "max_new_documents_per_run"}, source_id


def test_nesting_is_refused_fast():
    from documents.content import PageRejected, parse_page

    for levels in (1_000, 100_000):
        started = time.monotonic()
        with pytest.raises(PageRejected) as caught:
            parse_page(hostile.nested(levels, "公告").decode(), "http://x/")
        assert caught.value.reason == "too-deep"
        assert time.monotonic() - started < 5
    page = parse_page(hostile.nested(60, "公告").decode(), "http://x/")
    assert "出口管制" in page["text"]


def test_parse_budget_is_a_source_error_not_a_hang():
    from documents.content import PageRejected, parse_page

    def flat(n: int) -> str:
        return "<html><body><div class='article'>" + "<p><span>文字</span></p>" * n + "</div></body></html>"

    # too many elements to build a tree within any budget: refused before building it
    started = time.monotonic()
    with pytest.raises(PageRejected) as caught:
        parse_page(flat(200_000), "http://x/", budget=5)
    assert caught.value.reason == "parse-timeout" and time.monotonic() - started < 5
    # within the element cap, the walks check the budget as they go
    started = time.monotonic()
    with pytest.raises(PageRejected) as caught:
        parse_page(flat(20_000), "http://x/", budget=0.01)
    assert caught.value.reason == "parse-timeout" and time.monotonic() - started < 5
    assert "文字" in parse_page(flat(2_000), "http://x/", budget=5)["text"]
