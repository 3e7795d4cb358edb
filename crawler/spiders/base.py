"""One spider shape for every source: paginated list pages → one detail page each.

A source's facts (start URLs, which links are list or detail pages) come from
sources.yaml; a subclass names its source and may override a callback. Spiders yield
plain dicts and never touch the catalogue: the pipeline stores, and hands the spider
what is already known (``self.known``) so a re-crawl stops at known entries and
re-checks known pages with conditional requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from twisted.python.failure import Failure

from crawler import pages
from crawler.expect import expectations
from crawler.sources import UrlMap, get_source
from documents.content import content_hash, parse_page
from documents.encoding import UndecodablePage, decode_html


class AnnouncementSpider(scrapy.Spider):
    source_id: ClassVar[str]

    def __init__(self, mirror: str | None = None, full: bool | str = False, **kwargs: Any) -> None:
        self.source = get_source(self.source_id)
        super().__init__(name=self.source_id, **kwargs)
        self.urls = UrlMap(self.source["base_url"], mirror)
        self.full = str(full).lower() in ("1", "true", "yes")
        self.start_urls = [self.urls.to_fetch(u) for u in self.source["start_urls"]]
        self.detail_links = LinkExtractor(allow=self.source["detail_url"], unique=True)
        self.next_links = LinkExtractor(
            allow=self.source["list_url"], restrict_text=self.source.get("next_page_text")
        )
        self.known: dict[str, dict[str, Any]] = {}
        self.known_attachments: dict[str, str] = {}
        self.expect = expectations(self.source)
        # what the list pages gave this crawl, checked against ``expect`` when it closes
        self.list_pages_read = self.list_entries = self.empty_list_pages = 0

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """A source's own politeness (sources.yaml ``settings``) over the project defaults."""
        super().update_settings(settings)
        for name, value in (get_source(cls.source_id).get("settings") or {}).items():
            settings.set(name, value, priority="spider")

    # -- requests ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
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
        links = [link.url for link in self.detail_links.extract_links(response)]
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
            yield self._detail_request(url)
        # Lists are newest first: a page with no known entry means there may be more new
        # ones behind it; a page with a known entry means the crawl has caught up.
        if self.full or len(unknown) == len(links):
            for link in self.next_links.extract_links(response):
                yield response.follow(link.url, callback=self.parse_list, errback=self.on_error,
                                      meta={"list_page": response.meta.get("list_page", 1) + 1})

    def parse_detail(self, response: Response) -> Any:
        url = self.urls.canonical(response.url)
        if response.status == 304:
            yield {"kind": "not_modified", "source": self.source_id, "url": url}
            return
        try:
            html, encoding = decode_html(response.body, _header(response, "Content-Type"))
        except UndecodablePage as exc:
            yield self._error(response.url, pages.UNDECODABLE, str(exc), status=response.status)
            return
        page = parse_page(html, url)
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
            yield scrapy.Request(
                self.urls.to_fetch(attachment["url"]), callback=self.parse_attachment,
                errback=self.on_attachment_error,
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
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"http-error: HTTP {response.status}"
        elif "max size" in str(failure.value).lower() or "maxsize" in str(failure.value).lower():
            reason = f"too-large: {failure.value}"
        else:
            reason = f"network: {failure.type.__name__}: {failure.value}"
        self.crawler.stats.inc_value("regwatch/attachments/failed")
        yield {"kind": "attachment_error", "source": self.source_id,
               **request.meta["regwatch_attachment"], "url": self.urls.canonical(request.url),
               "reason": reason}

    def on_error(self, failure: Failure) -> Any:
        request = failure.request
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason, detail = pages.check_status(response.status, response.body) or (
                pages.HTTP_ERROR, f"HTTP {response.status}")
            status = response.status
        elif "maxsize" in str(failure.value).lower() or "max size" in str(failure.value).lower():
            reason, detail, status = pages.OVERSIZE, str(failure.value), None
        else:
            reason, detail, status = pages.NETWORK, f"{failure.type.__name__}: {failure.value}", None
        yield self._error(request.url, reason, detail, status=status)

    # -- helpers -------------------------------------------------------------------

    def _error(self, url: str, reason: str, detail: str, status: int | None = None) -> dict[str, Any]:
        self.crawler.stats.inc_value(f"regwatch/errors/{reason}")
        return {"kind": "error", "source": self.source_id, "url": self.urls.canonical(url),
                "reason": reason, "detail": detail, "http_status": status}


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
