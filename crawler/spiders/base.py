"""One spider shape for every source: paginated list pages → one detail page each.

A source's facts (start URLs, which links are list or detail pages) come from
sources.yaml; a subclass names its source and may override a callback. Spiders yield
plain dicts and never touch the catalogue: the pipeline stores, and hands the spider
what is already known (``self.known``) so a re-crawl stops at known entries and
re-checks known pages with conditional requests.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar
from urllib.parse import urljoin

import scrapy
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.defer import deferred_to_future
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from crawler import pages
from crawler.challenge import browser_available, fence
from crawler.charsets import decode_json, dig
from crawler.expect import expectations
from crawler.failures import classify, request_maxsize
from crawler.scope import Scope
from crawler.sources import UrlMap, get_source
from documents.content import PageRejected, content_hash, parse_page
from documents.encoding import UndecodablePage, decode_html

# TRS paging: the page count is only in the script call that writes the pager
TRS_PAGER = re.compile(r"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([\w-]+)["']\s*,\s*["'](\w+)["']""")
# a list page whose links a script fetches (fills the page after it loads)
SCRIPT_LIST = re.compile(r"fetch\(|XMLHttpRequest|\$\.(ajax|get|getJSON)\(|unitbuild", re.I)


class AnnouncementSpider(scrapy.Spider):
    source_id: ClassVar[str]

    def __init__(self, mirror: str | None = None, full: bool | str = False, **kwargs: Any) -> None:
        self.source = get_source(self.source_id)
        super().__init__(name=self.source_id, **kwargs)
        self.urls = UrlMap(self.source["base_url"], mirror)
        self.full = str(full).lower() in ("1", "true", "yes")
        self.start_urls = [self.urls.to_fetch(u) for u in self.source["start_urls"]]
        # Links are filtered by crawler/scope.py (path patterns anchored to the path, hosts,
        # schemes), not by the extractors' own ``allow`` (a search anywhere in the URL).
        self.scope = Scope(self.source, mirror)
        self.detail_links = LinkExtractor(unique=True, deny_extensions=[])
        self.next_links = LinkExtractor(restrict_text=self.source.get("next_page_text"),
                                        deny_extensions=[])
        # resume point (store/backfill.py, set by the pipeline): page on past known entries
        # until one known before ``resume_since``, or the end of the list
        self.resume_since: str | None = None
        self.reached_stop = False  # the list was read to where this crawl may stop
        self.cut_short: str | None = None  # a cap that stopped the crawl early
        self.new_requested = 0
        self.known: dict[str, dict[str, Any]] = {}
        self.known_attachments: dict[str, str] = {}
        self.expect = expectations(self.source)
        # what the list pages gave this crawl, checked against ``expect`` when it closes
        self.list_pages_read = self.list_entries = self.empty_list_pages = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AnnouncementSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        fence(crawler.settings, spider.scope)  # the challenge browser resolves only these hosts
        return spider

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """A source's own politeness (sources.yaml ``settings``) over the project defaults."""
        super().update_settings(settings)
        for name, value in (get_source(cls.source_id).get("settings") or {}).items():
            settings.set(name, value, priority="spider")

    # -- requests ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        self.scope.limits.update(self.settings.getdict("REGWATCH_SOURCE_LIMITS"))
        if self.source.get("list_api"):  # the list's JSON endpoint instead of its JS shell
            yield self._api_request(1)
        else:
            for url in self.start_urls:
                yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error,
                                     meta={"list_page": 1}, dont_filter=True)
        for url in self._revisits():
            yield self._detail_request(self.urls.to_fetch(url), known=self.known[url])

    def _revisits(self) -> list[str]:
        """Known pages to re-check this run, least recently checked first, within budget."""
        budget = self.settings.getint("REGWATCH_REVISIT_MAX")
        ordered = sorted(self.known, key=lambda u: self.known[u].get("last_checked") or "")
        return ordered if self.full else ordered[:budget]

    def _detail_request(self, url: str, known: dict[str, Any] | None = None) -> scrapy.Request:
        meta: dict[str, Any] = {"handle_httpstatus_list": [304]}
        if known:
            meta["regwatch_known"] = known
        return scrapy.Request(url, callback=self.parse_detail, errback=self.on_error, meta=meta)

    # -- callbacks -----------------------------------------------------------------

    def parse_list(self, response: Response) -> Any:
        self.crawler.stats.inc_value("regwatch/list_pages")
        try:
            html, encoding = decode_html(response.body, _header(response, "Content-Type"))
        except UndecodablePage as exc:
            yield self._error(response.url, pages.UNDECODABLE, str(exc), status=response.status)
            return
        if pages.CHALLENGE.search(html) and len(html) < 5000:
            yield self._error(response.url, pages.ANTI_BOT,
                              "HTTP 200 with a JavaScript/cookie challenge page", status=response.status)
            return
        # Link texts ("下一页") must be read in the page's real charset, not the header's.
        response = response.replace(encoding=encoding)
        if self.scope.matches("list_index", response.url):
            yield from self._follow_index(response)
            return
        links: list[str] = []
        yield from self._detail_links(response, links)
        if not links and SCRIPT_LIST.search(html) and not response.meta.get("playwright"):
            yield self._render(response)  # a JavaScript list: its links exist only in a browser
            return
        yield from self._read_links(response, links, lambda: self._next_pages(response, html))

    def _detail_links(self, response: Response, links: list[str]) -> Any:
        """Fill ``links`` with the page's in-scope announcement links; yield refusals."""
        for link in self.detail_links.extract_links(response):
            if self.scope.matches("detail_url", link.url):
                url, refused = self._in_scope(link.url)
                if refused:
                    yield refused
                elif url not in links:
                    links.append(url)

    def _read_links(self, response: Response, links: list[str],
                    next_pages: Callable[[], list[Any]]) -> Any:
        """One list page's links: request the new ones, then the next page unless caught up."""
        cap = self.scope.limits["max_links_per_list_page"]
        if len(links) > cap:
            yield self._error(response.url, pages.TOO_MANY_LINKS,
                              f"{len(links)} announcement links on one list page (limit {cap}); "
                              f"the first {cap} kept", status=response.status)
            links, self.cut_short = links[:cap], pages.TOO_MANY_LINKS
        self.list_pages_read += 1
        self.list_entries += len(links)
        if not links:
            if self.expect["min_list_entries"]:
                self.empty_list_pages += 1
                yield self._error(response.url, pages.EMPTY_LIST,
                                  "list page yielded no announcement links", status=response.status)
            return
        unknown = [u for u in links if self.urls.canonical(u) not in self.known]
        for url in unknown:
            if self.new_requested >= self.scope.limits["max_new_documents_per_run"]:
                if not self.cut_short:
                    self.cut_short = pages.NEW_DOCUMENT_CAP
                    yield self._error(response.url, pages.NEW_DOCUMENT_CAP,
                                      f"more than {self.new_requested} new announcements in one "
                                      "crawl; the next crawl resumes from here",
                                      status=response.status)
                return
            self.new_requested += 1
            yield self._detail_request(url)
        if self.cut_short:
            return  # capped: the resume point stays (store/backfill.py)
        # Lists are newest first: a page with no known entry means there may be more new
        # ones behind it; a page with a known entry means the crawl has caught up, unless an
        # earlier crawl stopped short (resume_since): then only an entry known before it does.
        if self.full or not self._caught_up(links, unknown):
            following = next_pages()
            yield from following[:1]
            if not following:
                self.reached_stop = True  # the end of the list
        else:
            self.reached_stop = True

    def _next_pages(self, response: Response, html: str) -> list[Any]:
        """The next list page: from the "next" link, or (``paging: trs``) from the page
        count in the pager's ``createPageHTML(count, current, name, ext)`` call."""
        if self.source.get("paging") == "trs":
            found = TRS_PAGER.search(html)
            urls = []
            if found and int(found.group(2)) + 1 < int(found.group(1)):
                name, ext = found.group(3), found.group(4)
                urls = [urljoin(response.url, f"{name}_{int(found.group(2)) + 1}.{ext}")]
        else:
            urls = [link.url for link in self.next_links.extract_links(response)]
        out: list[Any] = []
        for url in [u for u in urls if self.scope.matches("list_url", u)][:1]:
            url, refused = self._in_scope(url)
            out.append(refused or scrapy.Request(
                url, callback=self.parse_list, errback=self.on_error,
                meta={"list_page": response.meta.get("list_page", 1) + 1}))
        return out

    def _follow_index(self, response: Response) -> Any:
        """An index of lists (one per year, newest first): every list on a first or full
        crawl, else the newest ``index_recent`` (default 2: a new year's first days)."""
        lists: list[str] = []
        for link in self.detail_links.extract_links(response):
            if self.scope.matches("list_url", link.url) and link.url not in lists:
                lists.append(link.url)
        if self.known and not self.full:
            lists = lists[:int(self.source.get("index_recent", 2))]
        if not lists:
            yield self._error(response.url, pages.EMPTY_LIST, "the index page links no list",
                              status=response.status)
        for url in lists:
            url, refused = self._in_scope(url)
            yield refused or scrapy.Request(url, callback=self.parse_list, errback=self.on_error,
                                            meta={"list_page": 1})

    def _render(self, response: Response) -> Any:
        """The list page again, once, through the headless browser (scrapy-playwright)."""
        executable = self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path", "")
        if not (self.settings.getbool("REGWATCH_BROWSER_ENABLED") and browser_available(executable)):
            self.empty_list_pages += 1
            return self._error(response.url, pages.JS_SHELL, "a list filled by JavaScript, with "
                               "no API declared (list_api) and no browser", status=response.status)
        from scrapy_playwright.page import PageMethod

        self.crawler.stats.inc_value("regwatch/list_rendered")
        return response.request.replace(
            dont_filter=True,
            meta={"list_page": response.meta.get("list_page", 1), "playwright": True,
                  "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")]})

    # -- a list's JSON endpoint (``list_api``) -----------------------------------------

    def _api_request(self, page: int) -> scrapy.Request:
        api = self.source["list_api"]
        url = urljoin(self.source["base_url"], api["url"].replace("{page}", str(page)))
        return scrapy.Request(self.urls.to_fetch(url), callback=self.parse_api,
                              errback=self.on_error, meta={"list_page": page}, dont_filter=True)

    def parse_api(self, response: Response) -> Any:
        """A JSON page of the list: its HTML fragment read as a list page. A charset
        header that lies about the bytes is flagged (a ``charset-mismatch`` warning)."""
        self.crawler.stats.inc_value("regwatch/list_pages")
        api = self.source["list_api"]
        try:
            data, mismatch = decode_json(response.body, _header(response, "Content-Type"))
        except ValueError as exc:
            yield self._error(response.url, pages.UNDECODABLE, f"list API: {exc}",
                              status=response.status)
            return
        if mismatch:
            self.crawler.stats.inc_value("regwatch/charset_mismatch")
            yield {**self._error(response.url, pages.CHARSET_MISMATCH, mismatch, status=response.status),
                   "kind": "warning"}
        fragment = dig(data, api.get("html", "data.html"))
        if not isinstance(fragment, str):
            yield self._error(response.url, pages.NOT_ANNOUNCEMENT,
                              f"the list API's answer has no {api.get('html', 'data.html')!r}",
                              status=response.status)
            return
        page = response.meta.get("list_page", 1)
        listing = HtmlResponse(url=response.url, body=fragment.encode("utf-8"), encoding="utf-8",
                               request=response.request)
        links: list[str] = []
        yield from self._detail_links(listing, links)
        count = dig(data, api["page_count"]) if api.get("page_count") else None

        def next_pages() -> list[Any]:
            more = page < int(count) if count is not None else bool(links)
            return [self._api_request(page + 1)] if more else []

        yield from self._read_links(listing, links, next_pages)

    def _caught_up(self, links: list[str], unknown: list[str]) -> bool:
        if len(unknown) == len(links):
            return False
        if self.resume_since is None:
            return True
        return any((self.known.get(self.urls.canonical(u)) or {}).get("first_seen", "~")
                   < self.resume_since for u in links)

    def _in_scope(self, url: str) -> tuple[str, dict[str, Any] | None]:
        """``(url to fetch, None)``, or ``(url, out-of-scope error)`` for a refused link."""
        canonical = self.urls.canonical(url)
        reason = self.scope.refuse(canonical)
        if reason:
            return url, self._error(url, pages.OUT_OF_SCOPE, f"{canonical}: {reason}")
        return self.urls.to_fetch(canonical), None

    async def parse_detail(self, response: Response) -> AsyncIterator[Any]:
        url = self.urls.canonical(response.url)
        if response.status == 304:
            yield {"kind": "not_modified", "source": self.source_id, "url": url}
            return
        try:
            html, encoding = decode_html(response.body, _header(response, "Content-Type"))
        except UndecodablePage as exc:
            yield self._error(response.url, pages.UNDECODABLE, str(exc), status=response.status)
            return
        try:
            # off the reactor thread: a slow page (up to its budget) does not stall the crawl
            page = await deferred_to_future(deferToThread(
                parse_page, html, url, self.settings.getfloat("REGWATCH_PARSE_BUDGET")))
        except PageRejected as exc:
            yield self._error(response.url, exc.reason, str(exc), status=response.status)
            return
        problem = pages.check_page(html, page)
        if problem:
            yield self._error(response.url, *problem, status=response.status)
            return
        yield {
            "kind": "page", "source": self.source_id, "url": url, **page,
            "content_hash": content_hash(page), "raw": response.body, "encoding": encoding,
            "http_status": response.status,
            "etag": _header(response, "ETag"), "last_modified": _header(response, "Last-Modified"),
            "content_type": _header(response, "Content-Type"),
        }
        for attachment in page["attachments"]:
            if attachment["url"] in self.known_attachments and not self.full:
                continue  # stored already; the pipeline links it to a new page version
            reason = self.scope.refuse(attachment["url"])
            if reason:
                yield {"kind": "attachment_error", "source": self.source_id, "page_url": url,
                       "name": attachment["name"], "url": attachment["url"],
                       "reason": f"{pages.OUT_OF_SCOPE}: {reason}"}
                continue
            yield scrapy.Request(
                self.urls.to_fetch(attachment["url"]), callback=self.parse_attachment,
                errback=self.on_attachment_error,
                # a tokenised download answers 403 unless asked for from its page
                headers={"Referer": response.url},
                meta={"regwatch_attachment": {"page_url": url, "name": attachment["name"]},
                      "download_maxsize": self.settings.getint("REGWATCH_ATTACHMENT_MAXSIZE")},
            )

    def parse_attachment(self, response: Response) -> Any:
        info = response.meta["regwatch_attachment"]
        yield {"kind": "attachment", "source": self.source_id, **info,
               "url": self.urls.canonical(response.url), "raw": response.body,
               "content_type": _header(response, "Content-Type")}

    def on_attachment_error(self, failure: Failure) -> Any:
        request = failure.request
        code, detail, status = classify(failure, request_maxsize(request, self.settings))
        if status is not None:
            reason = f"http-error: HTTP {status}"
        elif code == pages.OVERSIZE:
            reason = f"too-large: {detail}"
        else:
            reason = f"{code}: {detail}"
        self.crawler.stats.inc_value("regwatch/attachments/failed")
        yield {"kind": "attachment_error", "source": self.source_id,
               **request.meta["regwatch_attachment"], "url": self.urls.canonical(request.url),
               "reason": reason}

    def on_error(self, failure: Failure) -> Any:
        request = failure.request
        reason, detail, status = classify(failure, request_maxsize(request, self.settings))
        yield self._error(request.url, reason, detail, status=status)

    # -- helpers -------------------------------------------------------------------

    def _error(self, url: str, reason: str, detail: str, status: int | None = None) -> dict[str, Any]:
        self.crawler.stats.inc_value(f"regwatch/errors/{reason}")
        return {"kind": "error", "source": self.source_id, "url": self.urls.canonical(url),
                "reason": reason, "detail": detail, "http_status": status}


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
