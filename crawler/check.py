"""One cheap check of a source: has its first list page gained an announcement link?

The budget policy (crawler/budget.py) spends most of a source's requests on this check,
so it is one plain conditional GET (If-None-Match / If-Modified-Since), outside Scrapy:
a 304 costs the site nothing. A 200 is compared by its detail links, not its bytes, since
list pages carry chrome that changes every day (visit counters). Hrefs are ASCII, so the
links are read from the raw bytes without decoding (GB18030 behind a UTF-8 header is
common). Only a new link counts as a change: that is when a crawl is worth starting.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.sources import UrlMap

HREF = re.compile(rb"""href\s*=\s*["']([^"'#\s>]+)""", re.IGNORECASE)
# the customs site's JavaScript cookie challenge: only the crawler (with a browser) passes it
CHALLENGE_STATUSES = {412}


def detail_links(body: bytes, page_url: str, pattern: str) -> list[str]:
    """Absolute URLs on the page whose path matches the source's ``detail_url`` pattern
    from its first character (never the query string, as crawler/scope.py)."""
    detail = re.compile(pattern)
    links = {urljoin(page_url, href.decode("ascii", "replace")) for href in HREF.findall(body)}
    return sorted(url for url in links if detail.match(urlsplit(url).path))


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if any."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def check_list(source: dict[str, Any], state: dict[str, Any] | None, mirror: str | None = None,
               timeout: float = 30.0, user_agent: str = "regwatch") -> tuple[dict[str, Any],
                                                                          dict[str, Any]]:
    """Check ``source``'s first list page once; return ``(outcome, state)``.

    ``outcome["status"]`` is ``not_modified`` (304, or a 200 with no new link),
    ``changed`` (new links, listed in ``new_links``; also the first check, and a challenge
    page that only a crawl can pass) or ``error`` (no answer, an error status, or a page
    without announcement links). ``state`` holds the validators and the links on the page,
    for the next check; it is unchanged after an error.
    """
    state = dict(state or {})
    page = source["start_urls"][0]
    url = UrlMap(source["base_url"], mirror).to_fetch(page)
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    if state.get("etag"):
        request.add_header("If-None-Match", state["etag"])
    if state.get("last_modified"):
        request.add_header("If-Modified-Since", state["last_modified"])
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body, headers, status = response.read(), response.headers, response.status
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return {"status": "not_modified", "http_status": 304, "new_links": []}, state
        outcome: dict[str, Any] = {"status": "error", "http_status": error.code, "new_links": []}
        if error.code in CHALLENGE_STATUSES:
            outcome.update(status="changed", reason="challenge")
        seconds = retry_after(error.headers.get("Retry-After") if error.headers else None)
        if seconds is not None:
            outcome["retry_after_seconds"] = seconds
        return outcome, state
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return {"status": "error", "http_status": None, "new_links": [],
                "reason": str(error)}, state
    mapped = UrlMap(source["base_url"], mirror)
    links = [mapped.canonical(u) for u in detail_links(body, url, source["detail_url"])]
    if not links:
        # a JS shell, a soft 404, a changed layout: back off; the crawl's health says why
        return {"status": "error", "http_status": status, "new_links": [],
                "reason": "no announcement links"}, state
    known = set(state.get("links", []))
    new = [u for u in links if u not in known]
    state.update(etag=headers.get("ETag"), last_modified=headers.get("Last-Modified"),
                 links=links)
    return {"status": "changed" if new else "not_modified", "http_status": status,
            "new_links": new}, state
