"""Crawling on a node that does not hold the catalogue: items go to a spool, not to SQLite.

Enabled per job (Scrapyd ``schedule.json``) with::

    setting=ITEM_PIPELINES={"crawler.spool.SpoolPipeline": 300}
    setting=REGWATCH_SNAPSHOT=/spool/snapshot.json
    setting=FEEDS={"file:///spool/%(name)s-%(time)s.jsonl": {"format": "jsonlines"}}

The pipeline never opens the catalogue. What the spiders know of a source's pages (for
conditional requests and incremental paging) comes from the snapshot the one writer
publishes (``regwatch ingest``); items leave through Scrapy's feed exports, raw bytes
base64-encoded. When a feed file is closed, a ``.done`` marker with the crawl's figures is
written next to it, so the writer never reads a feed that is still being written.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

SNAPSHOT_VERSION = 1


def read_snapshot(path: str | None, source: str) -> dict[str, Any]:
    """A source's part of the writer's snapshot (empty when there is none yet)."""
    if not path or not Path(path).exists():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return (data.get("sources") or {}).get(source) or {}


class SpoolPipeline:
    """Hands items to the feed exports, with what the snapshot says is known."""

    def __init__(self, crawler: Crawler, snapshot: str | None) -> None:
        self.crawler = crawler
        self.snapshot = snapshot
        self.reason = "finished"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpoolPipeline:
        if not crawler.settings.get("FEEDS"):
            raise NotConfigured("the spool pipeline needs FEEDS (where the items go)")
        pipeline = cls(crawler, crawler.settings.get("REGWATCH_SNAPSHOT"))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.feed_slot_closed, signal=signals.feed_slot_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        known = read_snapshot(self.snapshot, spider.name)
        spider.known = known.get("known") or {}
        spider.known_attachments = known.get("known_attachments") or {}
        spider.resume_since = known.get("resume_since")
        spider.run_id = None

    def process_item(self, item: dict[str, Any], spider: Spider | None = None) -> dict[str, Any]:
        self.crawler.stats.inc_value(f"regwatch/spooled/{item['kind']}")
        if isinstance(item.get("raw"), bytes):
            item = {**item, "raw": base64.b64encode(item["raw"]).decode("ascii"),
                    "raw_encoding": "base64"}
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.reason = reason

    def feed_slot_closed(self, slot: Any) -> None:
        """The feed file is complete: mark it, with the run's figures, for the writer."""
        parts = urlsplit(slot.uri)
        if parts.scheme not in ("", "file"):
            return
        path = Path(unquote(parts.path))
        stats = self.crawler.stats
        marker = {"source": self.crawler.spider.name, "feed": path.name,
                  "reason": stats.get_value("finish_reason") or self.reason,
                  "requests": stats.get_value("downloader/request_count", 0),
                  "items": slot.itemcount, "pid": os.getpid(),
                  "snapshot_version": SNAPSHOT_VERSION}
        done = path.with_name(path.name + ".done")
        done.write_text(json.dumps(marker), encoding="utf-8")
