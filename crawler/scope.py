"""What a source's crawl may fetch: its declared hosts and schemes, its URL patterns, its caps.

Each source in sources.yaml declares ``scope: {hosts: [...], schemes: [http, https]}`` and
``limits: {max_links_per_list_page, max_new_documents_per_run}``. A list page, a redirect or
an attachment link comes from a site we do not control (the customs site is plain HTTP),
so every URL is checked here before a request is sent: by the spider's link filtering, by
the attachment fetcher and by ``ScopeMiddleware`` for every request, redirects included.

URL patterns (``list_url``, ``detail_url``) are matched against the URL's path from its
first character, never against the query string: ``file:///etc/passwd?x=/customs/…`` has
the path ``/etc/passwd``.

With a mirror (``--mirror http://127.0.0.1:PORT``) the declared hosts are the real sites
the mirror stands for: a real-site URL is checked, then fetched from the mirror; the only
place a request may go is the mirror's own host and port.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

ALLOWED_SCHEMES = frozenset({"http", "https"})  # never file:, ftp:, data:, s3: …
DEFAULT_LIMITS = {"max_links_per_list_page": 200, "max_new_documents_per_run": 5000}
DEFAULT_PORTS = {"http": 80, "https": 443}


class OutOfScope(IgnoreRequest):
    """A request refused before it was sent; its message is the reason's detail."""


def _netloc(scheme: str, host: str | None, port: int | None) -> str:
    port = port or DEFAULT_PORTS.get(scheme)
    return f"{(host or '').lower()}:{port}"


class Scope:
    """The hosts, schemes and path patterns one source may fetch."""

    def __init__(self, source: dict[str, Any], mirror: str | None = None) -> None:
        declared = source.get("scope") or {}
        base = urlsplit(source["base_url"])
        self.hosts = {h.lower() for h in (declared.get("hosts") or [base.hostname])}
        schemes = {s.lower() for s in (declared.get("schemes") or [base.scheme])}
        unknown = schemes - ALLOWED_SCHEMES
        if unknown:
            raise ValueError(f"source {source.get('id')!r}: scheme(s) {sorted(unknown)} not allowed "
                             f"(only {sorted(ALLOWED_SCHEMES)})")
        self.schemes = schemes
        self.patterns = {name: re.compile(source[name]) for name in ("list_url", "detail_url", "list_index")
                         if source.get(name)}
        self.limits = {**DEFAULT_LIMITS, **(source.get("limits") or {})}
        unknown_limits = set(self.limits) - set(DEFAULT_LIMITS)
        if unknown_limits:
            raise ValueError(f"source {source.get('id')!r}: unknown limit(s) {sorted(unknown_limits)}")
        self.mirror = None
        if mirror:
            parts = urlsplit(mirror)
            self.mirror = (parts.scheme, _netloc(parts.scheme, parts.hostname, parts.port))

    def refuse(self, url: str) -> str | None:
        """Why the real-site URL ``url`` is out of this source's scope, or None."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            return f"malformed URL: {exc}"
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            return f"scheme {scheme or '(none)'!r} not allowed (allowed: {', '.join(sorted(self.schemes))})"
        host = (parts.hostname or "").lower()
        if host not in self.hosts:
            return f"host {host or '(none)'!r} not declared (allowed: {', '.join(sorted(self.hosts))})"
        if port is not None and port != DEFAULT_PORTS[scheme]:
            return f"port {port} not allowed for {host}"
        if parts.username or parts.password:
            return "credentials in URL"
        return None

    def refuse_fetch(self, url: str) -> str | None:
        """Why a request to ``url`` may not be sent, or None: with a mirror, only the
        mirror's own scheme, host and port; without, the declared hosts and schemes."""
        if self.mirror is None:
            return self.refuse(url)
        try:
            parts = urlsplit(url)
            netloc = _netloc(parts.scheme.lower(), parts.hostname, parts.port)
        except ValueError as exc:
            return f"malformed URL: {exc}"
        if (parts.scheme.lower(), netloc) != self.mirror:
            return f"{parts.scheme or '(no scheme)'}://{parts.netloc} is not the mirror"
        return None

    def matches(self, name: str, url: str) -> bool:
        """Does the URL's path (not its query) match the source's ``name`` pattern, from
        the path's first character?"""
        pattern = self.patterns.get(name)
        return bool(pattern and pattern.match(urlsplit(url).path))


class ScopeMiddleware:
    """Downloader middleware: a request outside the spider's scope is never sent.

    It sees every request, redirects included (Scrapy sends a redirect's new request
    through the downloader middlewares again). The refusal reaches the request's errback
    as :class:`OutOfScope`, and the spider records it as an ``out-of-scope`` source error.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        scope = getattr(self.crawler.spider, "scope", None)
        reason = scope.refuse_fetch(request.url) if scope else _scheme_refused(request.url)
        if reason:
            self.crawler.stats.inc_value("regwatch/scope/refused")
            raise OutOfScope(f"{request.url}: {reason}")
        return None


def _scheme_refused(url: str) -> str | None:
    """A spider without a scope (none of ours) still sends nothing but HTTP(S)."""
    scheme = urlsplit(url).scheme.lower()
    return None if scheme in ALLOWED_SCHEMES else f"scheme {scheme!r} not allowed"


class RedirectLoop(IgnoreRequest):
    """A redirect back to a URL already in the request's redirect chain."""


class RedirectGuardMiddleware:
    """Downloader middleware placed before Scrapy's RedirectMiddleware on the way back
    (a higher number): a redirect's target is checked against the scope, and against the
    chain it came through, before a request to it exists. A loop would otherwise be
    dropped silently by the duplicate filter; an out-of-scope target is refused here with
    the URL it pointed to."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Any, spider: Spider | None = None) -> Any:
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        if response.status in request.meta.get("handle_httpstatus_list", ()):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            raise RedirectLoop(f"{request.url} redirects back to {target} "
                               f"(chain of {len(chain)}: {' -> '.join(chain[-4:])})")
        scope = getattr(self.crawler.spider, "scope", None)
        reason = scope.refuse_fetch(target) if scope else None
        if reason:
            self.crawler.stats.inc_value("regwatch/scope/refused")
            raise OutOfScope(f"redirect from {request.url} to {target}: {reason}")
        return response
