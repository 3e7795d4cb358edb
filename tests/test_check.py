"""The cheap list check (crawler/check.py): against the mirror and a server that speaks 304."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawler.check import check_list, detail_links, retry_after
from crawler.sources import get_source

LIST = (b'<html><body><a href="/zwgk/zcfb/art/2025/art_%s.html">x</a>'
        b'<a href="/zwgk/zcfb/index_1.html">\xcf\xc2\xd2\xbb\xd2\xb3</a></body></html>')
ART_A, ART_B = b"a" * 32, b"b" * 32


@pytest.fixture
def site():
    """A list page with an ETag; ``answers`` lets a test queue other statuses."""
    seen: list[dict[str, str]] = []
    page = {"body": LIST % ART_A, "answers": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            seen.append(dict(self.headers))
            if page["answers"]:
                status, headers = page["answers"].pop(0)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                return
            etag = f'"{hash(page["body"])}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", "text/html; charset=UTF-8")  # the bytes are GB18030
            self.end_headers()
            self.wfile.write(page["body"])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "seen": seen, "page": page}
    server.shutdown()


def test_a_304_costs_nothing_and_a_new_link_is_a_change(site):
    source = get_source("mofcom")
    first, state = check_list(source, None, mirror=site["url"])
    assert first["status"] == "changed"                     # the first check knows nothing
    assert first["new_links"] == [
        "https://www.mofcom.gov.cn/zwgk/zcfb/art/2025/art_" + "a" * 32 + ".html"]
    second, state = check_list(source, state, mirror=site["url"])
    assert (second["status"], second["http_status"]) == ("not_modified", 304)
    assert site["seen"][1]["If-None-Match"] == state["etag"]
    site["page"]["body"] = LIST % ART_B + LIST % ART_A
    third, state = check_list(source, state, mirror=site["url"])
    assert third["status"] == "changed"
    assert [u.rsplit("_", 1)[1] for u in third["new_links"]] == ["b" * 32 + ".html"]


def test_errors_keep_the_state_and_report_retry_after(site):
    source = get_source("mofcom")
    _, state = check_list(source, None, mirror=site["url"])
    site["page"]["answers"] = [(503, {"Retry-After": "120"}), (412, {}), (200, {})]
    failed, after = check_list(source, state, mirror=site["url"])
    assert failed == {"status": "error", "http_status": 503, "new_links": [],
                      "retry_after_seconds": 120.0}
    assert after == state
    challenged, _ = check_list(source, state, mirror=site["url"])
    assert (challenged["status"], challenged["reason"]) == ("changed", "challenge")
    empty, after = check_list(source, state, mirror=site["url"])   # a 200 with no links
    assert (empty["status"], empty["reason"]) == ("error", "no announcement links")
    assert after == state
    site["page"]["answers"] = []
    down, _ = check_list(source, state, mirror="http://127.0.0.1:9", timeout=2)
    assert down["status"] == "error" and down["http_status"] is None


def test_the_mirror_list_gains_links_on_day_two(make_mirror):
    source = get_source("mofcom")
    server = make_mirror(day=1)
    first, state = check_list(source, None, mirror=server.url)
    assert first["status"] == "changed" and first["new_links"]
    assert all(re.search(source["detail_url"], u) and u.startswith(source["base_url"])
               for u in first["new_links"])
    again, state = check_list(source, state, mirror=server.url)
    assert again["status"] == "not_modified"                 # the visit counter moved; no link
    server.mirror.set_day(2)
    day2, _ = check_list(source, state, mirror=server.url)
    assert day2["status"] == "changed" and day2["new_links"]
    assert not set(day2["new_links"]) & set(first["new_links"])


def test_links_and_retry_after_parsing():
    body = b'<a href="art/2025/art_' + b"c" * 32 + b'.html">' + b'<a HREF=\'/other.html\'>'
    links = detail_links(body, "https://www.mofcom.gov.cn/zwgk/zcfb/index.html",
                         get_source("mofcom")["detail_url"])
    assert links == ["https://www.mofcom.gov.cn/zwgk/zcfb/art/2025/art_" + "c" * 32 + ".html"]
    assert retry_after("30") == 30.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
