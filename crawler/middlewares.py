"""Downloader middlewares: conditional re-checks and retries with backoff."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_to_future
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater


class ConditionalRequestMiddleware:
    """Ask for a known page only if it changed (If-None-Match / If-Modified-Since)."""

    def process_request(self, request: Request) -> None:
        known = request.meta.get("regwatch_known")
        if not known:
            return None
        if known.get("etag"):
            request.headers.setdefault("If-None-Match", known["etag"])
        if known.get("last_modified"):
            request.headers.setdefault("If-Modified-Since", known["last_modified"])
        return None


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``retry_times`` (1-based): base·2^(n-1), capped."""
    return min(cap, base * 2 ** max(0, retry_times - 1))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's own retry decision, with an exponential wait before each retry is sent."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("REGWATCH_RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("REGWATCH_RETRY_BACKOFF_MAX")

    async def _wait(self, request: Request) -> None:
        tries = request.meta.get("retry_times", 0) + 1
        if tries > request.meta.get("max_retry_times", self.max_retry_times):
            return  # giving up: no point waiting
        delay = backoff_delay(tries, self.base, self.cap)
        await deferred_to_future(deferLater(reactor, delay, lambda: None))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        await self._wait(request)
        return self._retry(request, response_status_message(response.status)) or response

    async def process_exception(self, request: Request, exception: Exception) -> Any:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        await self._wait(request)
        return self._retry(request, exception)


def source_proxy(source: dict[str, Any], overrides: dict[str, str]) -> str | None:
    """The proxy or fetch node a source's requests go through: the crawler setting
    ``REGWATCH_PROXIES`` (source id → URL; "" for none) over sources.yaml ``fetch.proxy``."""
    if source.get("id") in overrides:
        return overrides[source["id"]] or None
    return (source.get("fetch") or {}).get("proxy") or None


class SourceProxyMiddleware:
    """Send every request of a source through its proxy (a fetch node inside China for a
    site that refuses requests from abroad); Scrapy's HttpProxyMiddleware does the rest.
    A request that names its own proxy keeps it. Pages rendered in the browser
    (scrapy-playwright) do not take it: they use the browser's own settings."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.overrides = crawler.settings.getdict("REGWATCH_PROXIES")

    @classmethod
    def from_crawler(cls, crawler: Any) -> SourceProxyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        source = getattr(self.crawler.spider, "source", None)
        if "proxy" in request.meta or not source:
            return None
        proxy = source_proxy(source, self.overrides)
        if proxy:
            request.meta["proxy"] = proxy
            self.crawler.stats.inc_value("regwatch/proxied")
        return None
