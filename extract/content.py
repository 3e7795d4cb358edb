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
CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "form", "iframe", "svg")
CHROME_HINT = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumb|crumb|footer|header|topbar|share|counter|visit|"
    r"sidebar|related|toolbar|print|clock|position|location)([-_ ]|$)",
    re.I,
)

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
    if CHROME_HINT.search(names):
        return True
    style = str(attrs.get("style", "") or "").replace(" ", "").lower()
    return "display:none" in style


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
    title = h1.get_text(" ", strip=True) if h1 else head_title
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
