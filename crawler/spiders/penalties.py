"""Customs penalty-disclosure lists (行政处罚信息公示), one spider per regional customs site.

Every regional site runs the same CMS: a paginated list of decisions, each linking to a
decision page, some of which only attach a PDF. That is the announcement spider's shape
(the PDF is an attachment), so a penalty source is only a sources.yaml entry with
``kind: penalties``; the spider classes are made here from those entries, so adding a
regional customs site is one entry and no code.
"""

from __future__ import annotations

from crawler.sources import load_sources
from crawler.spiders.base import AnnouncementSpider

KIND = "penalties"


def penalty_sources() -> list[str]:
    """The ids of the declared penalty-list sources, in file order."""
    return [sid for sid, source in load_sources().items() if source.get("kind") == KIND]


def _spider(source_id: str) -> type[AnnouncementSpider]:
    name = "".join(part.title() for part in source_id.split("_")) + "Spider"
    return type(name, (AnnouncementSpider,), {"name": source_id, "source_id": source_id,
                                              "__module__": __name__})


# Scrapy's spider loader finds spider classes among a module's attributes.
SPIDERS = {sid: _spider(sid) for sid in penalty_sources()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
