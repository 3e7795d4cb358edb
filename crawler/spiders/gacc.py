"""General Administration of Customs announcements (海关总署公告)."""

from crawler.spiders.base import AnnouncementSpider


class GaccSpider(AnnouncementSpider):
    name = source_id = "gacc"
