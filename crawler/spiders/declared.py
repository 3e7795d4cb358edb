"""Spiders made from their declaration alone (``spider: declared`` in sources.yaml).

A source whose list and detail pages fit the one spider shape needs no module of its own:
its class is made here, as the penalty sources' are (crawler/spiders/penalties.py).
"""

from __future__ import annotations

from crawler.sources import load_sources
from crawler.spiders.base import AnnouncementSpider


def declared_sources() -> list[str]:
    """The ids of the sources declared ``spider: declared``, in file order."""
    return [sid for sid, source in load_sources().items() if source.get("spider") == "declared"]


def _spider(source_id: str) -> type[AnnouncementSpider]:
    name = "".join(part.title() for part in source_id.split("_")) + "Spider"
    return type(name, (AnnouncementSpider,), {"name": source_id, "source_id": source_id,
                                              "__module__": __name__})


# Scrapy's spider loader finds spider classes among a module's attributes.
SPIDERS = {sid: _spider(sid) for sid in declared_sources()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
