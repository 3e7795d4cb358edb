"""The customs JavaScript challenge: passed with a real headless Chromium, or recorded."""

from __future__ import annotations

import shutil

import pytest

from crawler.run import crawl
from mirror.site import load_entries, state_on
from store import catalogue

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Debian's chromium is not installed (make test installs it)")


@needs_chromium
def test_challenged_customs_pages_are_crawled_through_chromium(make_mirror, db_path):
    server = make_mirror(day=1, faults={"challenge"})
    runs = crawl(["gacc"], db_path, mirror=server.url)
    expected = len([e for e in state_on(load_entries(), 1) if e["site"] == "gacc"])
    assert runs[0]["new_documents"] == expected
    assert runs[0]["errors"] == 0
    db = catalogue.open_db(db_path)
    texts = [r[0] for r in db.execute("select text from versions")]
    assert all("\ufffd" not in t for t in texts)  # raw GB18030 bytes decoded by us, not the browser
    assert any("公告〔2025〕123号" in t for t in texts)
    # the browser was needed once; every other page went plain with the earned cookie
    assert server.stats["412"] <= 2
    assert server.stats["200"] >= expected + 1


def test_without_the_browser_the_challenge_is_a_source_error(make_mirror, db_path):
    server = make_mirror(day=1, faults={"challenge"})
    runs = crawl(["gacc"], db_path, mirror=server.url, overrides={"REGWATCH_BROWSER_ENABLED": False})
    assert runs[0]["new_documents"] == 0
    db = catalogue.open_db(db_path)
    assert [(e["reason"], e["http_status"]) for e in db["source_errors"].rows] == [("anti-bot", 412)]
