"""Ministry of Commerce English site: translations of the announcements."""

from crawler.spiders.base import AnnouncementSpider


class MofcomEnSpider(AnnouncementSpider):
    name = source_id = "mofcom_en"
