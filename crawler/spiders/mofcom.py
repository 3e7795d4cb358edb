"""Ministry of Commerce policy releases (政策发布): the export-control announcements."""

from crawler.spiders.base import AnnouncementSpider


class MofcomSpider(AnnouncementSpider):
    name = source_id = "mofcom"
