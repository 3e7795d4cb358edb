"""The other forms MOFCOM's sites give the same notices (#20): what one list layout misses.

Each form is rendered from the mirror's own MOFCOM announcements of the day (the numbered
ones), as *copies* at their own URLs, so crawling them adds documents but never an
announcement:

- **yearly indexes** (部令公告): ``/zcfb/blgg/gg/index.html`` links one list per year,
  ``/zcfb/blgg/gg/{YYYY}/index.html``, paged TRS-style (``index.html``, ``index_1.html``, …)
  where the page count is only in a ``createPageHTML(count, current, "index", "html")``
  script call; an attachment there is a tokenised download link that answers 403 unless
  the request's Referer is the page that links it;
- **a JavaScript shell filled by a JSON API** (对外贸易管理, ``/zfxxgk/fdzdgknr/ztfl/dwmygl/``):
  the list page has no links, its script asks the CMS's "page build" unit API, whose JSON
  carries the list as HTML; the API's page 1 says ``charset=ISO-8859-1`` but is UTF-8,
  its page 2 says UTF-8 but is GB18030;
- **a bureau's JavaScript list with no API to declare** (aqygzj.mofcom.gov.cn,
  ``/zcfg/index.html``): the links exist only after a browser has run the page's script.

mirror/data/NOTES.md says what each is modelled on.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

PAGE_SIZE = 10
BLGG_INDEX = "/zcfb/blgg/gg/index.html"
BLGG_YEAR = re.compile(r"^/zcfb/blgg/gg/(\d{4})/index(?:_(\d+))?\.html$")
DOWNLOAD = "/cms_files/filemanager/download"
DWMYGL_BASE = "/zfxxgk/fdzdgknr/ztfl/dwmygl"
DWMYGL_LIST = f"{DWMYGL_BASE}/index.html"
API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
# the unit API's fixed query (the ids are the mirror's own, the shape is the CMS's)
API_QUERY = {"parseType": "bulidstatic", "webId": "5e2b1c7a9d3f4e0b8a6c2d1f0e9b7a35",
             "tplSetId": "c41d8e7f2a6b4953b0e1f7d2a8c5e396", "pageType": "column",
             "tagId": "分页列表", "editType": "null", "pageId": "8d0f3b6e1c2a4f57a9e4b2c7d1e0f863"}
AQ_LIST = "/zcfg/index.html"
AQ_JSON = "/zcfg/list.json"
AQ_SIZE = 5
# the one page id the fact sheet gives for this section (No. 70, §5 "URL patterns")
KNOWN_IDS = {("dwmygl", "mofcom-2025-70"): "00667414c0524b018985abd28b8847a5"}
NUMBERED = re.compile(r"公告(\d{4})年第?\d+")

# what each form is, for the mirror's control answer and tests
FORMS = {
    "blgg": "yearly indexes /zcfb/blgg/gg/, TRS createPageHTML paging, Referer-bound downloads",
    "dwmygl": "JavaScript list filled from the page-build JSON API (lying charsets)",
    "aqygzj": "bureau JavaScript list with no declared API (needs a browser)",
}


def _year(entry: dict[str, Any]) -> int:
    value = entry["date"]
    return value.year if isinstance(value, date) else int(str(value)[:4])


def numbered(visible: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mirror's MOFCOM announcements that carry a 公告…年第N号 number, newest first."""
    return [e for e in visible if e["site"] == "mofcom" and not e.get("copy_of")
            and NUMBERED.search(str(e.get("doc_number") or ""))]


def page_id(form: str, entry: dict[str, Any]) -> str:
    return KNOWN_IDS.get((form, entry["key"])) or hashlib.md5(
        f"{form}-{entry['key']}".encode()).hexdigest()


def art_path(form: str, entry: dict[str, Any]) -> str:
    base = {"blgg": "/zcfb/blgg", "dwmygl": DWMYGL_BASE, "aqygzj": "/zcfg"}[form]
    return f"{base}/art/{_year(entry)}/art_{page_id(form, entry)}.html"


def token(referer_path: str, file_path: str) -> str:
    return hashlib.sha256(f"{referer_path}|{file_path}".encode()).hexdigest()[:24]


class Forms:
    """The form pages for one mirror day: copies by path, tokens by value."""

    def __init__(self, visible: list[dict[str, Any]]) -> None:
        self.entries = numbered(visible)
        self.years: dict[int, list[dict[str, Any]]] = {}
        for entry in self.entries:
            self.years.setdefault(int(NUMBERED.search(entry["doc_number"]).group(1)), []).append(entry)
        self.dwmygl = [e for e in self.entries if _year(e) == 2025 and e.get("export_control")]
        self.aqygzj = [e for e in self.entries if e.get("export_control")][:AQ_SIZE]
        self.pages: dict[str, tuple[str, dict[str, Any]]] = {}   # path -> (template, entry)
        self.downloads: dict[str, tuple[str, str]] = {}         # token -> (referer path, file)
        for entry in self.entries:
            self._copy("blgg", entry, "mofcom_detail.html", tokenised=True)
        for entry in self.dwmygl:
            self._copy("dwmygl", entry, "mofcom_detail.html")
        for entry in self.aqygzj:
            self._copy("aqygzj", entry, "mofcom_xkzj_detail.html")

    def _copy(self, form: str, entry: dict[str, Any], template: str, tokenised: bool = False) -> None:
        path = art_path(form, entry)
        page = {k: v for k, v in entry.items() if k not in ("copies", "revisions")}
        page.update(key=f"{entry['key']}@{form}", copy_of=entry["key"], page_id=page_id(form, entry))
        attachments = []
        for i, a in enumerate(entry.get("attachments") or [], start=1):
            original = a.get("url") or f"/cms_files/attach/{entry['page_id']}_{i}.pdf"
            url = original
            if tokenised:
                value = token(path, original)
                self.downloads[value] = (path, original)
                url = f"{DOWNLOAD}?token={value}&fileName={quote(f'附件{i}')}{original[original.rfind('.'):]}"
            attachments.append({**a, "url": url})
        page["attachments"] = attachments
        self.pages[path] = (template, page)

    def rows(self, entries: list[dict[str, Any]], form: str) -> list[dict[str, str]]:
        from mirror.site import _posted, full_title

        return [{"title": full_title(e), "url": art_path(form, e),
                 "posted": _posted(e).strftime("%Y-%m-%d")} for e in entries]


def respond(mirror: Any, raw_path: str, headers: dict[str, str]) -> Any:
    """The mirror's answer for a form page, or None when ``raw_path`` is none of them."""
    from mirror.site import Response, _env

    parts = urlsplit(raw_path)
    path = parts.path
    forms: Forms = mirror.forms
    html = "text/html; charset=utf-8"
    if path == BLGG_INDEX:
        years = sorted(forms.years, reverse=True)
        body = _env.get_template("forms_year_index.html").render(years=years)
        return Response(200, body.encode("utf-8"), {"Content-Type": html})
    match = BLGG_YEAR.match(path)
    if match and int(match.group(1)) in forms.years:
        rows = forms.rows(forms.years[int(match.group(1))], "blgg")
        index = int(match.group(2) or 0)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        if index >= pages or match.group(2) == "0":
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        body = _env.get_template("forms_trs_list.html").render(
            year=match.group(1), rows=rows[index * PAGE_SIZE:(index + 1) * PAGE_SIZE],
            pages=pages, index=index)
        return Response(200, body.encode("utf-8"), {"Content-Type": html})
    if path == DOWNLOAD:
        return _download(mirror, parse_qs(parts.query), headers)
    if path == DWMYGL_LIST:
        body = _env.get_template("forms_api_shell.html").render(api=API, query=API_QUERY)
        return Response(200, body.encode("utf-8"), {"Content-Type": html})
    if path == API:
        return _api(forms, parse_qs(parts.query))
    if path == AQ_LIST:
        body = _env.get_template("forms_js_list.html").render(source=AQ_JSON)
        return Response(200, body.encode("utf-8"), {"Content-Type": html})
    if path == AQ_JSON:
        rows = forms.rows(forms.aqygzj, "aqygzj")
        return Response(200, json.dumps({"list": rows}, ensure_ascii=False).encode("utf-8"),
                        {"Content-Type": "application/json; charset=utf-8"})
    if path in forms.pages:
        template, entry = forms.pages[path]
        return mirror._detail(entry, headers, template=template)
    return None


def _download(mirror: Any, query: dict[str, list[str]], headers: dict[str, str]) -> Any:
    """A tokenised download: the file only for a request that comes from its page."""
    from mirror.site import Response

    value = (query.get("token") or [""])[0]
    found = mirror.forms.downloads.get(value)
    if found is None:
        return Response(404, b"not found", {"Content-Type": "text/plain"})
    referer_path, file_path = found
    if urlsplit(headers.get("referer", "")).path != referer_path:
        return Response(403, "<html><body><h1>403 Forbidden</h1><p>非法请求</p></body></html>"
                        .encode(), {"Content-Type": "text/html; charset=utf-8"})
    try:
        body, content_type = mirror.file(file_path)
    except KeyError:  # the original link's file is missing too
        return Response(404, b"not found", {"Content-Type": "text/plain"})
    return Response(200, body, {"Content-Type": content_type,
                                "Content-Disposition": "attachment"})


def _api(forms: Forms, query: dict[str, list[str]]) -> Any:
    """The page-build unit: ``{"success", "data": {"html", "total", "pageCount", "pageNo"}}``."""
    from mirror.site import Response, _env

    if any((query.get(k) or [""])[0] != v for k, v in API_QUERY.items()):
        body = json.dumps({"success": False, "code": "400", "message": "参数错误"}, ensure_ascii=False)
        return Response(200, body.encode("utf-8"), {"Content-Type": "application/json;charset=UTF-8"})
    number = int((query.get("pageNo") or ["1"])[0] or 1)
    size = int((query.get("pageSize") or [str(PAGE_SIZE)])[0] or PAGE_SIZE)
    rows = forms.rows(forms.dwmygl, "dwmygl")
    pages = max(1, -(-len(rows) // size))
    chunk = rows[(number - 1) * size:number * size] if number >= 1 else []
    html = _env.get_template("forms_api_unit.html").render(rows=chunk)
    body = json.dumps({"success": True, "code": "200", "message": "操作成功",
                       "data": {"html": html, "total": len(rows), "pageCount": pages,
                                "pageNo": number}}, ensure_ascii=False)
    if number == 1:    # UTF-8 bytes behind a Latin-1 label
        return Response(200, body.encode("utf-8"), {"Content-Type": "application/json;charset=ISO-8859-1"})
    if number == 2:    # GB18030 bytes behind a UTF-8 label
        return Response(200, body.encode("gb18030"), {"Content-Type": "application/json;charset=UTF-8"})
    return Response(200, body.encode("utf-8"), {"Content-Type": "application/json;charset=UTF-8"})
