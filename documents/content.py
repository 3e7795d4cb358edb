"""Find the main content of an announcement page.

One code path for every page: a crawled page, an eval document with ``html``, a
mirror page. Page chrome (navigation, footers, visit counters, clocks, share bars)
is dropped here so that the content hash and the extractor see only the announcement.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
from bs4 import BeautifulSoup, Comment, Tag

from core import han

# Real announcement pages nest 20-40 elements deep. libxml2's HTML parser stops building
# the tree at 256 levels (and drops the rest of the page), BeautifulSoup's walks recurse,
# and chrome detection costs depth x elements: a page nested past MAX_DEPTH is refused.
MAX_DEPTH = 200
# Seconds main-content parsing may take for one page (a time budget, checked as it walks).
PARSE_BUDGET = 5.0
# BeautifulSoup builds its tree before any budget check can run (~30 µs an element): a page
# of more elements than this could not be parsed within the budget and is refused up front.
# Real announcement pages have a few thousand; a 1,000-row annex table about 10,000.
MAX_ELEMENTS = 100_000


class PageRejected(ValueError):
    """A page that cannot be parsed within the limits; ``reason`` is the source-error code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class _Budget:
    """A deadline checked every ``every`` steps (the clock is not free)."""

    def __init__(self, seconds: float | None, every: int = 256) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.seconds, self.every, self.steps = seconds, every, 0

    def tick(self, where: str) -> None:
        self.steps += 1
        if self.deadline is None or self.steps % self.every:
            return
        if time.monotonic() > self.deadline:
            raise PageRejected("parse-timeout", f"main-content parsing passed its {self.seconds:g}s "
                                                f"budget ({where}, {self.steps} steps)")


def shape(html: str) -> tuple[int, int]:
    """``(nesting depth, elements)`` of a page as libxml2 reads it (linear, in C); a page
    at libxml2's own depth cap (256) reads as at least that deep."""
    try:
        root = lxml.etree.fromstring(html.encode("utf-8"), lxml.etree.HTMLParser(encoding="utf-8"))
    except (lxml.etree.XMLSyntaxError, ValueError):
        return 0, 0
    if root is None:
        return 0, 0
    depth = deepest = elements = 0
    for event, _element in lxml.etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            elements += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest, elements

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


def _strip_chrome(root: Tag, budget: _Budget | None = None) -> None:
    budget = budget or _Budget(None)
    for node in root.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in list(root.find_all(True)):
        budget.tick("page chrome")
        if tag.parent is not None and _is_chrome(tag):
            tag.decompose()


def block_text(root: Tag, budget: _Budget | None = None) -> str:
    """Text of ``root`` with one line per block element, inline runs kept together.

    Iterative (an explicit stack, not recursion), so nesting cannot exhaust Python's stack.
    """
    budget = budget or _Budget(None)
    parts: list[str] = []
    # a stack of nodes to visit, and of the closing marks a block or cell adds after it
    stack: list[Any] = [child for child in reversed(list(root.children))]
    while stack:
        budget.tick("block text")
        node = stack.pop()
        if isinstance(node, _Mark):
            parts.append(node.text)
        elif isinstance(node, Tag):
            close = "\n" if node.name in BLOCK_TAGS else "\t" if node.name in ("td", "th") else None
            if node.name in BLOCK_TAGS:
                parts.append("\n")
            if close:
                stack.append(_Mark(close))
            stack.extend(reversed(list(node.children)))
        elif isinstance(node, str):
            parts.append(str(node))
    lines = []
    for line in "".join(parts).replace("\xa0", " ").splitlines():
        line = re.sub(r"[ \t\r\f\v]+", " ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


class _Mark:
    """What block_text appends once an element's children are done."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _trim_site_name(title: str) -> str:
    """``公告…的决定 - 政策发布`` / ``…_商务部``: the <title> ends with the site or column name."""
    trimmed = re.sub(r"\s*(?:\s[-–—|]|[_|]|-(?=" + han.CHAR + r"))\s*[^-–—_|]{1,24}$", "", title)
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


def parse_page(html: str, url: str | None = None, budget: float | None = PARSE_BUDGET) -> dict[str, Any]:
    """Title, main text, bracket fields, meta line and attachment links of a page.

    :param html: the decoded page
    :param url: where it was fetched, to resolve attachment links
    :param budget: seconds the parsing may take (None: no limit)
    :raises PageRejected: ``too-deep`` past MAX_DEPTH, ``parse-timeout`` past the budget
    """
    clock = _Budget(budget)
    depth, elements = shape(html or "")
    if depth > MAX_DEPTH:
        raise PageRejected("too-deep", f"elements nested {depth}{'+' if depth >= 255 else ''} levels "
                                       f"deep (limit {MAX_DEPTH})")
    if budget is not None and elements > MAX_ELEMENTS:
        raise PageRejected("parse-timeout", f"{elements} elements: more than can be parsed within "
                                            f"the {budget:g}s budget (limit {MAX_ELEMENTS})")
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
    _strip_chrome(body, clock)
    h1 = body.find(["h1", "h2"])
    title = h1.get_text(" ", strip=True) if h1 else _trim_site_name(head_title)
    main = _pick_main(body)
    text = block_text(main, clock)
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
