"""Telling announcement pages from challenges, shells and soft errors."""

from crawler import pages
from documents.content import content_hash, parse_page


def _check(html: str):
    return pages.check_page(html, parse_page(html))


def test_announcement_page_passes():
    html = ("<html><body><div class='article'><p>【发布文号】商务部公告2025年第61号</p>"
            "<p>" + "依照有关法律法规，决定对下列物项实施出口管制。" * 3 + "</p></div></body></html>")
    assert _check(html) is None


def test_js_shell():
    html = "<html><body><div id='app'></div><script src='/app.js'></script></body></html>"
    assert _check(html)[0] == pages.JS_SHELL


def test_soft_404_with_status_200():
    html = "<html><head><title>页面不存在</title></head><body><h1>您访问的页面不存在</h1></body></html>"
    assert _check(html)[0] == pages.SOFT_ERROR


def test_challenge_with_status_200():
    html = ("<html><body><script>document.cookie='__jsl_clearance=1';location.reload();</script>"
            "</body></html>")
    assert _check(html)[0] == pages.ANTI_BOT


def test_status_codes():
    assert pages.check_status(200, b"") is None
    assert pages.check_status(304, b"") is None
    assert pages.check_status(403, b"Forbidden")[0] == pages.FORBIDDEN
    assert pages.check_status(503, b"")[0] == pages.SERVER_ERROR
    challenge = b"<script>document.cookie='a=1'; location.reload()</script>"
    assert pages.check_status(412, challenge)[0] == pages.ANTI_BOT


def test_hash_ignores_chrome_but_not_content():
    page = ("<html><body><div class='breadcrumb'>首页</div><div class='article'><p>{body}</p></div>"
            "<div class='visit-counter'>浏览次数：{n}</div><div class='footer'>{n}</div></body></html>")
    body = "本公告自2025年12月1日起正式实施。" * 3
    a = content_hash(parse_page(page.format(body=body, n=1)))
    b = content_hash(parse_page(page.format(body=body, n=999)))
    c = content_hash(parse_page(page.format(body=body.replace("12月1日", "12月2日"), n=1)))
    assert a == b
    assert a != c


def test_bracket_fields_and_attachments():
    html = ("<html><body><div class='art-meta'>来源：安全与管制局 类型：原创 2025-10-09 09:05</div>"
            "<div class='article'><p>【发布单位】安全与管制局</p><p>【发布文号】商务部公告2025年第61号</p>"
            "<p>【发文日期】2025年10月09日</p><p>正文内容足够长，足够长，足够长。</p>"
            "<a href='/files/a1.pdf'>附件1：物项清单</a></div></body></html>")
    page = parse_page(html, "https://www.mofcom.gov.cn/zwgk/zcfb/art/2025/art_x.html")
    assert page["fields"] == {"issuing_unit": "安全与管制局", "document_number": "商务部公告2025年第61号",
                              "issue_date": "2025年10月09日"}
    assert page["meta"]["posted"] == "2025-10-09 09:05"
    assert page["attachments"] == [{"name": "附件1：物项清单", "url": "https://www.mofcom.gov.cn/files/a1.pdf"}]


def test_broken_html_still_parses():
    html = "<html><body><div class='article'><p>未闭合的段落<p>第二段<table><tr><td>1C902.a<td>钐"
    page = parse_page(html)
    assert "1C902.a" in page["text"] and "第二段" in page["text"]
