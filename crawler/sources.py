"""The declared sources (sources.yaml) and the mapping of their URLs onto a mirror."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core import yamldata


@cache
def load_sources() -> dict[str, dict[str, Any]]:
    # importlib.resources: the file is read from a Scrapyd egg (a zip) as from a checkout
    sources = yamldata.load(files("crawler").joinpath("sources.yaml").read_text(encoding="utf-8"))
    for position, (source_id, source) in enumerate(sources.items()):
        source["id"] = source_id
        source["position"] = position
    return sources


def get_source(source_id: str) -> dict[str, Any]:
    sources = load_sources()
    if source_id not in sources:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(sorted(sources))}")
    return sources[source_id]


class UrlMap:
    """Fetch from a mirror, record under the real site's URL.

    Documents are keyed by their canonical (real-site) URL, so the same announcement
    crawled from a mirror on any port, or from the real site, is one document.
    """

    def __init__(self, base_url: str, mirror: str | None = None) -> None:
        self.base = urlsplit(base_url)
        self.mirror = urlsplit(mirror.rstrip("/")) if mirror else None

    def to_fetch(self, url: str) -> str:
        if not self.mirror:
            return url
        parts = urlsplit(url)
        return urlunsplit((self.mirror.scheme, self.mirror.netloc, parts.path, parts.query, ""))

    def canonical(self, url: str) -> str:
        if not self.mirror:
            return url
        parts = urlsplit(url)
        if parts.netloc != self.mirror.netloc:
            return url
        return urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
