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
