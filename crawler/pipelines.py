"""The one item pipeline: hand what the spiders yield to the catalogue.

A thin adapter (as Scrapy's own components are): the storing is done by plain
functions in store/, outcomes are counted under ``regwatch/…`` stats keys and in the
crawl-run row, and the spider is told what the catalogue already knows.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.expect import check
from crawler.sources import get_source
from documents.attachments import read_attachment
from store import attachments, backfill, catalogue

logger = logging.getLogger(__name__)


class CataloguePipeline:
    def __init__(self, crawler: Crawler, db_path: str, mirror: str | None) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.mirror = mirror
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CataloguePipeline:
        db_path = crawler.settings.get("REGWATCH_DB")
        if not db_path:
            raise NotConfigured("REGWATCH_DB is not set")
        pipeline = cls(crawler, db_path, crawler.settings.get("REGWATCH_MIRROR"))
        # spider_closed carries the close reason ("finished", "shutdown", …)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.db = catalogue.open_db(self.db_path)
        catalogue.ensure_source(self.db, get_source(spider.name))
        self.run_id = catalogue.start_run(self.db, spider.name, self.mirror, os.getpid())
        spider.known = catalogue.known_pages(self.db, spider.name)
        spider.known_attachments = attachments.known_attachments(self.db, spider.name)
        spider.run_id = self.run_id
        started = catalogue.get_run(self.db, self.run_id)["started_at"]
        spider.resume_since = backfill.begin(self.db, spider.name, started)

    async def process_item(self, item: dict[str, Any], spider: Spider | None = None) -> dict[str, Any]:
        stats = self.crawler.stats
        kind = item["kind"]
        if kind == "page":
            stored = catalogue.record_page(self.db, self.run_id, item)
            outcome = stored["outcome"]
            if outcome == "new_version":
                attachments.carry_forward(self.db, stored["version_id"],
                                          [a["url"] for a in item.get("attachments") or []])
            catalogue.count(self.db, self.run_id, "fetched")
            catalogue.count(self.db, self.run_id, {"new_document": "new_documents",
                                                   "new_version": "new_versions",
                                                   "unchanged": "unchanged"}[outcome])
            if outcome == "new_document":
                # a new document's first version is a new version too
                catalogue.count(self.db, self.run_id, "new_versions")
            stats.inc_value(f"regwatch/{outcome}")
        elif kind == "not_modified":
            catalogue.record_not_modified(self.db, item["url"])
            catalogue.count(self.db, self.run_id, "not_modified")
            stats.inc_value("regwatch/not_modified")
        elif kind == "attachment":
            # Reading a file may take seconds (its own worker process, time-capped): off the
            # reactor thread. The catalogue write stays on this thread (one connection).
            read = await deferred_to_future(deferToThread(
                read_attachment, item["raw"], item["name"], item.get("content_type")))
            attachments.record_attachment(self.db, self.run_id, item["page_url"], item["name"],
                                          item["url"], item["raw"], read, item.get("content_type"))
            stats.inc_value(f"regwatch/attachments/{read['status']}")
        elif kind == "attachment_error":
            attachments.record_failed_attachment(self.db, self.run_id, item["page_url"], item["name"],
                                                 item["url"], item["reason"])
        elif kind == "error":
            catalogue.record_error(self.db, self.run_id, item["source"], item["url"], item["reason"],
                                   item.get("detail") or "", item.get("http_status"))
            catalogue.count(self.db, self.run_id, "errors")
        elif kind == "warning":  # kept with the run's errors, not counted as one
            catalogue.record_error(self.db, self.run_id, item["source"], item["url"], item["reason"],
                                   item.get("detail") or "", item.get("http_status"))
        return {k: v for k, v in item.items() if k != "raw"}

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._check_expectations(spider)
        requests = self.crawler.stats.get_value("downloader/request_count", 0)
        status = "ok" if reason == "finished" else "interrupted" if reason == "shutdown" else reason
        reached = (reason == "finished" and getattr(spider, "reached_stop", False)
                   and not getattr(spider, "cut_short", None))
        catalogue.finish_run(self.db, self.run_id, status=status, requests=requests)
        backfill.finish(self.db, spider.name, self.run_id, reached, catalogue.now())
        self.db.close()

    def _check_expectations(self, spider: Spider) -> None:
        """The source's ``expect`` (crawler/expect.py), read against what this crawl found."""
        if not hasattr(spider, "expect"):
            return
        failures, warnings = check(spider.expect, spider.list_entries, spider.list_pages_read,
                                   spider.empty_list_pages)
        start = spider.source["start_urls"][0]
        for reason, detail in failures:
            catalogue.record_error(self.db, self.run_id, spider.name, start, reason, detail)
            catalogue.count(self.db, self.run_id, "errors")
            self.crawler.stats.inc_value(f"regwatch/errors/{reason}")
        for warning in warnings:
            logger.warning("%s: %s", spider.name, warning)
            self.crawler.stats.inc_value("regwatch/expect/max_list_entries")
