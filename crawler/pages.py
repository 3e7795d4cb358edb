"""Tell an announcement page from everything else a site may answer with.

Plain functions over the decoded page, so they are tested without a crawl. Each check
returns a reason code (stored with the source error) and a human-readable detail, or None.
"""

from __future__ import annotations

import re
from typing import Any

# Reason codes, as stored in source_errors.reason.
ANTI_BOT = "anti-bot"
FORBIDDEN = "forbidden"
SERVER_ERROR = "server-error"
NOT_FOUND = "not-found"
HTTP_ERROR = "http-error"
JS_SHELL = "js-shell"
SOFT_ERROR = "soft-error"
OVERSIZE = "oversize"
NETWORK = "network"
UNDECODABLE = "undecodable"
NOT_ANNOUNCEMENT = "not-announcement"
EMPTY_LIST = "empty-list"
OUT_OF_SCOPE = "out-of-scope"        # a URL outside the source's hosts/schemes (crawler/scope.py)
REDIRECT_LOOP = "redirect-loop"
TOO_DEEP = "too-deep"                # nesting past documents.content.MAX_DEPTH
PARSE_TIMEOUT = "parse-timeout"      # main-content parsing over its time budget
TOO_MANY_LINKS = "too-many-links"    # a list page over the source's max_links_per_list_page
NEW_DOCUMENT_CAP = "new-document-cap"  # a crawl over the source's max_new_documents_per_run
CHARSET_MISMATCH = "charset-mismatch"  # a warning: the header's charset is not the bytes' one

CHALLENGE = re.compile(
    r"document\.cookie\s*=.*?(location\.(reload|href|replace)|window\.location)", re.S | re.I
)
CHALLENGE_MARKERS = re.compile(r"__jsl_clearance|acw_sc__|_waf_|captcha|验证码|安全验证|访问验证", re.I)
SOFT_ERROR_TEXT = re.compile(
    r"页面不存在|页面已被删除|您访问的页面|找不到.{0,6}页面|访问出错|系统繁忙|404\s*not\s*found|"
    r"page\s+not\s+found|not\s+found|服务器错误|error\s+page",
    re.I,
)
SCRIPT = re.compile(r"<script\b", re.I)

MIN_ANNOUNCEMENT_CHARS = 40


def check_status(status: int, body: bytes) -> tuple[str, str] | None:
    """Classify a non-2xx answer."""
    if status == 304 or 200 <= status < 300:
        return None
    text = body[:20000].decode("utf-8", "replace")
    if status in (412, 403, 429, 521) and (CHALLENGE.search(text) or CHALLENGE_MARKERS.search(text)):
        return ANTI_BOT, f"HTTP {status} with a JavaScript/cookie challenge page"
    if status == 403:
        return FORBIDDEN, "HTTP 403 Forbidden"
    if status == 404:
        return NOT_FOUND, "HTTP 404 Not Found"
    if status >= 500:
        return SERVER_ERROR, f"HTTP {status} (after retries)"
    return HTTP_ERROR, f"HTTP {status}"


def check_page(html: str, page: dict[str, Any]) -> tuple[str, str] | None:
    """Classify a 200 answer that should be an announcement page."""
    text = page.get("text") or ""
    visible = re.sub(r"\s+", "", text)
    if CHALLENGE.search(html) and len(visible) < 200:
        return ANTI_BOT, "HTTP 200 with a JavaScript/cookie challenge page"
    if len(visible) < MIN_ANNOUNCEMENT_CHARS:
        if SOFT_ERROR_TEXT.search(text) or SOFT_ERROR_TEXT.search(page.get("title") or ""):
            return SOFT_ERROR, f"error page served with HTTP 200: {text[:80]!r}"
        if SCRIPT.search(html):
            return JS_SHELL, "empty page that only loads JavaScript (nothing to read without a browser)"
        return NOT_ANNOUNCEMENT, f"page has almost no text ({len(visible)} characters)"
    if len(visible) < 300 and SOFT_ERROR_TEXT.search(page.get("title") or ""):
        return SOFT_ERROR, f"error page served with HTTP 200: {page.get('title')!r}"
    return None
