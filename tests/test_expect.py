"""Sources' ``expect`` assertions are read (crawler/expect.py): minimum and maximum list
entries per crawl; a list page with no entry is a failure when the minimum is 1 or more."""

from __future__ import annotations

import pytest

from crawler.expect import TOO_FEW, check, expectations
from crawler.sources import load_sources


def test_every_declared_source_has_valid_expectations():
    for source in load_sources().values():
        assert expectations(source)["min_list_entries"] >= 0


@pytest.mark.parametrize("declared, problem", [
    ({"min_list_entry": 1}, "unknown expect keys"),
    ({"min_list_entries": -1}, "whole number"),
    ({"max_list_entries": "ten"}, "whole number"),
])
def test_a_bad_declaration_is_refused(declared, problem):
    with pytest.raises(ValueError, match=problem):
        expectations({"id": "x", "expect": declared})


def test_minimum_and_maximum_per_crawl():
    expect = expectations({"expect": {"min_list_entries": 5, "max_list_entries": 30}})
    assert check(expect, entries=12, list_pages=1, empty_pages=0) == ([], [])
    failures, warnings = check(expect, entries=3, list_pages=1, empty_pages=0)
    assert [reason for reason, _ in failures] == [TOO_FEW] and warnings == []
    assert "expects at least 5" in failures[0][1]
    failures, warnings = check(expect, entries=31, list_pages=2, empty_pages=0)
    assert failures == [] and warnings == ["31 list entries in this crawl; sources.yaml "
                                           "expects at most 30"]


def test_an_empty_list_is_reported_once_and_an_unread_list_not_at_all():
    expect = expectations({})
    assert expect == {"min_list_entries": 1, "max_list_entries": None}
    # the empty page is already an empty-list error; the crawl adds no second one
    assert check(expect, entries=0, list_pages=1, empty_pages=1) == ([], [])
    # no list page read (an anti-bot page, a network error): those errors say why
    assert check(expect, entries=0, list_pages=0, empty_pages=0) == ([], [])


def test_too_few_entries_become_a_source_error_of_the_run(db_path):
    """The pipeline checks the spider's counts when the crawl closes."""
    from scrapy.utils.test import get_crawler

    from crawler.pipelines import CataloguePipeline
    from crawler.spiders.gacc import GaccSpider
    from store import catalogue
    from store.health import alarming_reasons

    crawler = get_crawler(GaccSpider, {"REGWATCH_DB": db_path})
    spider = GaccSpider()
    spider.expect = {"min_list_entries": 5, "max_list_entries": None}
    pipeline = CataloguePipeline(crawler, db_path, None)
    pipeline.open_spider(spider)
    spider.list_pages_read, spider.list_entries = 1, 3
    pipeline.spider_closed(spider, "finished")
    db = catalogue.open_db(db_path)
    (run,) = db["crawl_runs"].rows
    errors = [(e["reason"], e["url"]) for e in db["source_errors"].rows]
    assert errors == [(TOO_FEW, spider.source["start_urls"][0])]
    assert run["errors"] == 1 and run["status"] == "ok"
    assert alarming_reasons(db, run["id"]) == [TOO_FEW]
