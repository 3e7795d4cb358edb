"""Pass a site's JavaScript cookie challenge with a real headless Chromium.

The customs site answers plain HTTP clients with HTTP 412 and a page whose JavaScript
computes a cookie and reloads. On such an answer this middleware sends the request once
through scrapy-playwright (Debian's Chromium, no browser download). It takes the
cookies the browser earned and puts them in Scrapy's cookie jar, then re-fetches the
page plainly. The raw bytes then go through the crawler's own decoding: browsers trust
the lying charset header. Later requests carry the cookie and need no browser until the
site challenges again. When even the browser does not get through, the response is
left as it is and the spider records an anti-bot source error.
"""

from __future__ import annotations

import logging
import shutil
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler import pages

log = logging.getLogger(__name__)


def browser_available(executable: str) -> bool:
    return bool(executable) and shutil.which(executable) is not None


def is_challenge(response: Response) -> bool:
    if response.status == 200:
        return len(response.body) < 5000 and bool(
            pages.CHALLENGE.search(response.body[:5000].decode("utf-8", "replace")))
    verdict = pages.check_status(response.status, response.body)
    return bool(verdict) and verdict[0] == pages.ANTI_BOT


class ChallengeMiddleware:
    """Downloader middleware: browser only when challenged, cookies reused afterwards."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        settings = crawler.settings
        if not settings.getbool("REGWATCH_BROWSER_ENABLED"):
            raise NotConfigured("browser path disabled (REGWATCH_BROWSER_ENABLED)")
        executable = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path", "")
        if not browser_available(executable):
            log.warning("no browser at %r: challenged pages will be recorded as anti-bot errors",
                        executable)
            raise NotConfigured("no browser executable")
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        stage = request.meta.get("regwatch_challenge")
        if stage == "browser":
            return await self._after_browser(request, response)
        if not is_challenge(response):
            return response
        if stage == "retried":
            # challenged again right after the browser earned a cookie: give up
            self.stats.inc_value("regwatch/challenge/failed")
            return response
        self.stats.inc_value("regwatch/challenge/browser")
        log.info("challenge at %s: fetching through the browser", request.url)
        return request.replace(
            dont_filter=True,
            meta={**request.meta, "regwatch_challenge": "browser", "playwright": True,
                  "playwright_include_page": True,
                  "handle_httpstatus_list": [*request.meta.get("handle_httpstatus_list", []), 412]},
        )

    async def _after_browser(self, request: Request, response: Response) -> Request | Response:
        page = response.meta.get("playwright_page")
        cookies: list[dict[str, Any]] = []
        if page is not None:
            try:
                cookies = await page.context.cookies()
            finally:
                await page.close()
        meta = {k: v for k, v in request.meta.items()
                if not k.startswith("playwright") and k != "regwatch_challenge"}
        if not cookies:
            self.stats.inc_value("regwatch/challenge/failed")
            return response
        self.stats.inc_value("regwatch/challenge/passed")
        # Hand the cookies to Scrapy's cookie jar; the plain re-fetch keeps the raw bytes.
        return request.replace(
            dont_filter=True,
            cookies={c["name"]: c["value"] for c in cookies},
            meta={**meta, "regwatch_challenge": "retried"},
        )
