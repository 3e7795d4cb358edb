"""Pass a site's JavaScript cookie challenge with a real headless Chromium.

The customs site answers plain HTTP clients with HTTP 412 and a page whose JavaScript
computes a cookie and reloads. On such an answer this middleware sends the request once
through scrapy-playwright (Debian's Chromium, no browser download). It takes the
cookies the browser earned and puts them in Scrapy's cookie jar, then re-fetches the
page plainly. The raw bytes then go through the crawler's own decoding: browsers trust
the lying charset header. Later requests carry the cookie and need no browser until the
site challenges again. When even the browser does not get through, the response is
left as it is and the spider records an anti-bot source error.

The browser runs a page we do not control (the customs site is plain HTTP), so it gets
the same scope as every other request (crawler/scope.py): ``BrowserGuard`` sees every
request of the page and of its context (subresources, fetch, beacons, frames, popups),
refuses off-scope hosts and schemes, and follows redirects itself, checking each hop
(the browser follows a redirect without showing it to the route handler). WebSockets are
never connected, service workers are blocked (their requests bypass routing), and
``fence`` starts Chromium with resolver rules that know only the source's hosts, so even
what routing cannot see (preconnects, DNS prefetch) has nowhere else to go.
"""

from __future__ import annotations

import logging
import shutil
import weakref
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler import pages

log = logging.getLogger(__name__)

MAX_REDIRECTS = 10  # hops the guard follows for one browser request
REDIRECTS = (301, 302, 303, 307, 308)
# hop-by-hop or already undone by the fetch: the page gets the decoded body
DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
GUARDED_CONTEXTS: weakref.WeakSet = weakref.WeakSet()  # contexts whose own routes are set


def fence(settings: Any, scope: Any) -> None:
    """Start the source's Chromium with host resolver rules that resolve only the hosts
    its scope may fetch (the mirror's host with a mirror): a hostile page's preconnect or
    DNS prefetch, which no route handler sees, finds no other address. Called when the
    spider is made (settings are frozen after that; each crawler has its own browser)."""
    if scope.mirror:
        hosts = {scope.mirror[1].rsplit(":", 1)[0]}
    else:
        hosts = set(scope.hosts)
    rules = ", ".join(["MAP * ~NOTFOUND", *(f"EXCLUDE {h}" for h in sorted(hosts) if h)])
    options = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    args = [a for a in options.get("args", []) if not a.startswith("--host-resolver-rules")]
    options["args"] = [*args, f"--host-resolver-rules={rules}"]
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority=settings.getpriority(
        "PLAYWRIGHT_LAUNCH_OPTIONS") or "spider")


class BrowserGuard:
    """Every request the challenge's browser makes passes the spider's scope check.

    Playwright's route handler is called for each request of a page, but not for the
    hops of a redirect the browser follows (nor for one it follows after the handler
    answered with a 3xx). So the guard fetches each allowed request itself with
    ``max_redirects=0``, checks every ``Location`` before following it, and answers the
    page with the final response. What it refuses is aborted and counted
    (``regwatch/challenge/refused``) and logged with its reason.
    """

    def __init__(self, scope: Any, stats: Any, request: Request) -> None:
        self.scope = scope
        self.stats = stats
        self.request = request
        self.refused: list[str] = []

    def refuse(self, url: str) -> str | None:
        if self.scope is not None:
            return self.scope.refuse_fetch(url)
        # a spider without a scope (none of ours): the challenged page's own origin only
        own, other = urlsplit(self.request.url), urlsplit(url)
        same = (own.scheme, own.netloc) == (other.scheme.lower(), other.netloc.lower())
        return None if same else f"{other.scheme}://{other.netloc} is not {own.netloc}"

    async def install(self, page: Any, request: Request) -> None:
        """scrapy-playwright's page init callback: routes before the first navigation.
        A guard that cannot be installed closes the page, so nothing is fetched unguarded
        (scrapy-playwright only logs a callback's exception)."""
        try:
            await page.route("**/*", self.handle)
            await page.route_web_socket("**/*", self.refuse_socket)
            context = page.context
            if context not in GUARDED_CONTEXTS:  # popups of the context (one per source)
                await context.route("**/*", self.handle)
                await context.route_web_socket("**/*", self.refuse_socket)
                GUARDED_CONTEXTS.add(context)
        except Exception:
            await page.close()
            raise

    async def handle(self, route: Any, browser_request: Any) -> None:
        try:
            await self._handle(route, browser_request)
        except Exception as exc:  # the page closed mid-fetch, a reset: never let it through
            log.debug("challenge browser: %s failed: %s", browser_request.url, exc)
            try:
                await route.abort("failed")
            except Exception:
                pass  # already handled, or the page is gone

    async def _handle(self, route: Any, browser_request: Any) -> None:
        url, method = browser_request.url, browser_request.method
        body = browser_request.post_data_buffer
        headers = await self._headers(browser_request)
        for _hop in range(MAX_REDIRECTS + 1):
            reason = self.refuse(url)
            if reason:
                await self._abort(route, url, reason, browser_request.url)
                return
            response = await route.fetch(url=url, method=method, headers=headers,
                                          post_data=body, max_redirects=0)
            location = response.headers.get("location")
            if response.status not in REDIRECTS or not location:
                await route.fulfill(status=response.status, body=await response.body(),
                                    headers={k: v for k, v in response.headers.items()
                                             if k.lower() not in DROPPED_HEADERS})
                return
            await response.dispose()
            url = urljoin(url, location)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
        await self._abort(route, url, f"more than {MAX_REDIRECTS} redirects", browser_request.url)

    async def refuse_socket(self, socket: Any) -> None:
        """Never connected to a server: the challenge needs no WebSocket."""
        self._count(socket.url, "WebSockets are not opened by the challenge browser")
        await socket.close()

    async def _headers(self, browser_request: Any) -> dict[str, str]:
        """What scrapy-playwright would send: Scrapy's headers for the navigation (its
        User-Agent and cookies, so the earned cookie fits the plain re-fetch), the
        browser's own with Scrapy's User-Agent for the rest."""
        from scrapy_playwright.headers import use_scrapy_headers

        headers = await use_scrapy_headers(
            browser_type_name="chromium", playwright_request=browser_request,
            scrapy_request_data={"method": self.request.method, "url": self.request.url,
                                 "headers": self.request.headers, "body": self.request.body,
                                 "encoding": self.request.encoding})
        return {k: v for k, v in headers.items() if k.lower() != "accept-encoding"}

    async def _abort(self, route: Any, url: str, reason: str, asked: str) -> None:
        self._count(url if url == asked else f"{asked} -> {url}", reason)
        await route.abort("blockedbyclient")

    def _count(self, url: str, reason: str) -> None:
        self.refused.append(f"{url}: {reason}")
        self.stats.inc_value("regwatch/challenge/refused")
        log.warning("challenge browser: refused %s: %s", url, reason)


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

    def process_request(self, request: Request, spider: Any = None) -> None:
        """Any browser request, whoever asked for it (a JavaScript list rendered by the
        spider, too), goes through a guard; the challenge's own has one already."""
        if request.meta.get("playwright") and "regwatch_guard" not in request.meta:
            request.meta.update(self._guarded(request))

    def _guarded(self, request: Request) -> dict[str, Any]:
        """The meta that puts a request's browser page behind a BrowserGuard: one context
        per source (its routes carry that source's scope), service workers blocked."""
        spider = self.crawler.spider
        guard = BrowserGuard(getattr(spider, "scope", None), self.stats, request)
        install = guard.install
        earlier = request.meta.get("playwright_page_init_callback")
        if earlier:
            async def install(page: Any, req: Request) -> None:  # the guard first
                await guard.install(page, req)
                await earlier(page, req)
        return {"regwatch_guard": guard,
                "playwright_context": f"regwatch-{getattr(spider, 'name', 'spider')}",
                "playwright_context_kwargs": {"service_workers": "block"},
                "playwright_page_init_callback": install}

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
        meta = {k: v for k, v in request.meta.items() if not k.startswith("playwright")}
        return request.replace(
            dont_filter=True,
            meta={**meta, "regwatch_challenge": "browser", "playwright": True,
                  "playwright_include_page": True, **self._guarded(request),
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
                if not k.startswith("playwright") and k not in ("regwatch_challenge", "regwatch_guard")}
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
