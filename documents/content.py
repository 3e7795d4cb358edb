"""Find the main content of an announcement page.

One code path for every page: a crawled page, an eval document with ``html``, a
mirror page. Page chrome (navigation, footers, visit counters, clocks, share bars)
is dropped here so that the content hash and the extractor see only the announcement.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, Tag

# Containers that real government CMSs (TRS, Easysite, eportal) use for the article body,
# tried in order; the first that holds enough text wins.
MAIN_SELECTORS = (
    "div.article",
    "div#zoom",
    "div.art-con",
    "div.TRS_Editor",
    "div.easysite-news-text",
    "div#easysiteText",
    "div.content_body",
    "div.article-content",
    "article",
    "div.content",
    "main",
)

# Elements that are never part of an announcement.
CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "form", "iframe", "svg",
               "aside")
CHROME_HINT = re.compile(
    r"(^|[-_ ])(nav|navbar|mainnav|topnav|menu|breadcrumb|crumbs?|bread|footer|foot|ft|ftr|bottom|"
    r"header|hdr|topbar|toplinks|share|counter|visits?|sidebar|side|widget|related|toolbar|tools|"
    r"print|clock|position|pos|location|locat|loc|weizhi|prenext|pager|pagination|search|logo|"
    r"copyright|today|fontsize|links|path)s?([-_ ]|$|[0-9])",
    re.I,
)
# Header-like names (head, top, banner) are chrome only when they hold no title or sentence.
HEADISH_HINT = re.compile(r"(^|[-_ ])(head|top|banner|brand|hd)([-_ ]|$|[0-9])", re.I)
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Page furniture recognised by its words when class names say nothing (ft, wz, gFoot…).
FURNITURE_TAGS = ("div", "p", "span", "ul", "ol", "dl", "table", "tr", "td", "section", "li",
                  "h2", "h3", "h4", "h5", "h6", "center")
FOOTER_TEXT = re.compile(
    r"ICP备|网站标识码|版权所有|京公网安备|公网安备|Copyright|©|访问量|浏览量|访客|阅读量|浏览次数|"
    r"访问次数|访问统计|累计访问|本页被访问|本文浏览|主办单位|承办单位|技术支持|总访问", re.I)
FURNITURE_HEAD = re.compile(
    r"^\s*(?:上一篇|下一篇|上一条|下一条|相关文件|相关阅读|相关链接|相关新闻|相关公告|热点|热门|推荐阅读|"
    r"延伸阅读|(?:当前|您的|您现在的|所在)?位置\s*[:：]|首页\s*[>›»|]|Related\s+posts|Recent\s+posts|"
    r"Previous(?:\s+post)?\s*[:：]|Next(?:\s+post)?\s*[:：]|Filed\s+under|分享\s*[:：]|字号\s*[:：])",
    re.I)
WEEKDAY_BAR = re.compile(r"^[^。，,]{0,12}20\d\d年\d{1,2}月\d{1,2}日\s*星期[一二三四五六日天]\s*$")

BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "section", "article", "blockquote", "pre", "dd", "dt", "ul", "ol",
}

# 【发布单位】安全与管制局 style fields, and their English renderings.
BRACKET_FIELD = re.compile(r"[【\[]\s*([^】\]\n]{2,40}?)\s*[】\]]\s*[:：]?\s*([^\n【\[]*)")
FIELD_ALIASES = {
    "issuing_unit": ("发布单位", "發布單位", "issuing unit", "issuing department",
                     "issuing authority", "issuing body"),
    "document_number": ("发布文号", "發布文號", "issuing document number", "issuance number",
                        "release number", "document no.", "document number"),
    "issue_date": ("发文日期", "發文日期", "issuing date", "date of issuance",
                   "date of publication", "release date"),
}
META_LINE = re.compile(r"(来源|來源|类型|類型|分类|分類)\s*[:：]")
POSTED = re.compile(r"(20\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|zip|rar|jpe?g|png|gif|tiff?)(\?|$)", re.I)


def _is_chrome(tag: Tag) -> bool:
    if tag.name in CHROME_TAGS:
        return True
    attrs = getattr(tag, "attrs", None) or {}
    names = " ".join(attrs.get("class", []) or []) + " " + str(attrs.get("id", "") or "")
    names = CAMEL.sub(" ", names)
    if CHROME_HINT.search(names):
        return True
    if HEADISH_HINT.search(names) and tag.find(["h1", "h2"]) is None:
        text = tag.get_text(" ", strip=True)
        if "。" not in text and "【" not in text and len(text) < 300:
            return True
    style = str(attrs.get("style", "") or "").replace(" ", "").lower()
    if "display:none" in style:
        return True
    return tag.name in FURNITURE_TAGS and _is_furniture(tag)


def _is_furniture(tag: Tag) -> bool:
    """Footers, prev/next links, related lists and breadcrumbs told by their words."""
    text = tag.get_text(" ", strip=True)
    if not text or len(text) > 400 or "。" in text:
        return False
    if FOOTER_TEXT.search(text) and len(text) < 300:
        return True
    if WEEKDAY_BAR.match(text):
        return True
    return bool(FURNITURE_HEAD.match(text)) and len(text) < 400


def _strip_chrome(root: Tag) -> None:
    for node in root.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in list(root.find_all(True)):
        if tag.parent is not None and _is_chrome(tag):
            tag.decompose()


def block_text(root: Tag) -> str:
    """Text of ``root`` with one line per block element, inline runs kept together."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                if child.name in BLOCK_TAGS:
                    parts.append("\n")
                    walk(child)
                    parts.append("\n")
                elif child.name in ("td", "th"):
                    walk(child)
                    parts.append("\t")
                else:
                    walk(child)
            elif isinstance(child, str):
                parts.append(str(child))

    walk(root)
    lines = []
    for line in "".join(parts).replace("\xa0", " ").splitlines():
        line = re.sub(r"[ \t\r\f\v]+", " ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def _trim_site_name(title: str) -> str:
    """``公告…的决定 - 政策发布`` / ``…_商务部``: the <title> ends with the site or column name."""
    trimmed = re.sub(r"\s*(?:\s[-–—|]|[_|]|-(?=[\u4e00-\u9fff]))\s*[^-–—_|]{1,24}$", "", title)
    return trimmed if len(trimmed) >= 8 else title


def _pick_main(body: Tag) -> Tag:
    for selector in MAIN_SELECTORS:
        found = body.select_one(selector)
        if found is not None and len(found.get_text(strip=True)) >= 20:
            return found
    return body


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for match in BRACKET_FIELD.finditer(text):
        label = match.group(1).strip().lower()
        for key, aliases in FIELD_ALIASES.items():
            if label in aliases and key not in fields:
                fields[key] = match.group(2).strip()
    return fields


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    """The 来源/类型/posting-time line above the article, when the page has one."""
    for node in soup.find_all(string=META_LINE):
        line = re.sub(r"\s+", " ", node.parent.get_text(" ", strip=True))
        meta: dict[str, str] = {"line": line}
        source = re.search(r"(?:来源|來源)\s*[:：]\s*(\S+)", line)
        if source:
            meta["source"] = source.group(1)
        posted = POSTED.search(line)
        if posted:
            y, m, d, hh, mm = posted.groups()
            meta["posted"] = f"{int(y):04d}-{int(m):02d}-{int(d):02d}" + (
                f" {int(hh):02d}:{mm}" if hh else ""
            )
        return meta
    return {}


def parse_page(html: str, url: str | None = None) -> dict[str, Any]:
    """Title, main text, bracket fields, meta line and attachment links of a page.

    :param html: the decoded page
    :param url: where it was fetched, to resolve attachment links
    """
    soup = BeautifulSoup(html or "", "lxml")
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    meta = _meta(soup)
    body = soup.body or soup
    attachments = []
    for link in body.find_all("a", href=True):
        href = link["href"].strip()
        name = link.get_text(" ", strip=True)
        if ATTACHMENT_EXT.search(href) or re.match(r"^附件\s*\d*", name):
            attachments.append({"name": name, "url": urljoin(url or "", href)})
    _strip_chrome(body)
    h1 = body.find(["h1", "h2"])
    title = h1.get_text(" ", strip=True) if h1 else _trim_site_name(head_title)
    main = _pick_main(body)
    text = block_text(main)
    if title and main is not body and title not in text:
        text = title + "\n" + text
    return {
        "title": title,
        "text": text,
        "fields": _fields(text),
        "meta": meta,
        "attachments": attachments,
    }


def normalise(text: str) -> str:
    """Text as compared for change: width-folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", " ", text).strip()


def content_hash(page: dict[str, Any]) -> str:
    """SHA-256 over the normalised title, main text and attachment list, not page chrome."""
    parts = [normalise(page.get("title", "")), normalise(page.get("text", ""))]
    # Attachment links by path only: the same page served from a mirror on another port
    # must hash the same.
    parts += [f"{a['name']}|{urlsplit(a['url']).path}" for a in page.get("attachments", [])]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
