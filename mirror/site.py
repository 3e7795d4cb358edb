"""The offline mirror: MOFCOM and GACC pages rendered from the project's own data.

The mirror keeps the real sites' URL patterns, page structure and quirks (GB18030 pages
behind a header that says UTF-8, a visit counter that changes, paginated lists), and
has *days*: day 1 is the initial state, later days add announcements and corrections.
Faults (an anti-bot challenge, 403, 500, a JavaScript shell, a soft 404, an oversized
page) are switched on by name so each failure mode can be crawled for real.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from core import yamldata
from mirror import forms as site_forms
from mirror.penalties import penalty_page

DATA_DIR = Path(__file__).parent / "data"
DATA_FILES = ("announcements.yaml", "announcements_en.yaml")
PAGE_SIZE = 10

MOFCOM_LIST = "/zwgk/zcfb/index.html"
GACC_BASE = "/customs/302249/302266/302267"
GACC_LIST = f"{GACC_BASE}/index.html"
MOFCOM_EN_BASE = "/policies/announcements"
XKZJ_BASE = "/tzgg"  # the licensing bureau's 通知公告 (xkzj.mofcom.gov.cn), where it reposts
LIST_PATHS = {"mofcom": MOFCOM_LIST, "gacc": GACC_LIST, "mofcom_en": f"{MOFCOM_EN_BASE}/index.html",
              "mofcom_xkzj": f"{XKZJ_BASE}/index.html",
              "mofcom_spokesperson": "/xwfb/xwfyrth/index.html"}
CHALLENGE_COOKIE = "__jsl_clearance"

FAULTS = {
    "challenge": "the customs site answers every request with HTTP 412 and a JavaScript cookie page",
    "forbidden": "one MOFCOM detail page answers 403",
    "server-error": "one MOFCOM detail page answers 500 every time",
    "js-shell": "one MOFCOM detail page is an empty JavaScript-only shell",
    "soft-404": "one MOFCOM detail page is an error page served with status 200",
    "oversize": "one MOFCOM detail page is larger than the crawler's download cap",
    "empty-list": "the GACC list page holds no entries",
    "hang": "one MOFCOM detail page takes two minutes to answer (a hung crawl)",
    "en-mismatch": "an English page disagrees with its Chinese original (its `mismatch` text)",
}



@cache
def _default_files() -> dict[str, tuple[bytes, str]]:
    """The attachment files of the mirror's own entries (built once: about a second)."""
    from mirror.files import build_files

    return build_files(load_entries())


def fault_path(name: str) -> str:
    """Faulty pages live at ordinary detail-page URLs, as they would on the real site."""
    return f"/zwgk/zcfb/art/2026/art_{hashlib.md5(name.encode()).hexdigest()}.html"


FAULT_PATHS = {fault_path(name): name for name in FAULTS}

_env = Environment(
    loader=PackageLoader("mirror", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds the server waits before answering


def load_entries(path: Path | None = None) -> list[dict[str, Any]]:
    """The mirror's announcements as written in its YAML data files (or one given file)."""
    entries: list[dict[str, Any]] = []
    for file in [path] if path else [DATA_DIR / name for name in DATA_FILES]:
        with open(file, encoding="utf-8") as fh:
            entries += yamldata.load(fh) or []
    return entries


def generate_entries(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Synthetic MOFCOM announcements for benchmarks: realistic shape, made-up numbers."""
    rng = random.Random(seed)
    materials = ["镓", "锗", "锑", "石墨", "钨", "碲", "铋", "钼", "铟", "钐", "钆", "铽", "镝"]
    entries = []
    for i in range(count):
        year = 2000 + (i // 300)
        num = i % 300 + 1
        day_of_year = min(num, 365)
        d = date.fromordinal(date(year, 1, 1).toordinal() + day_of_year - 1)
        material = rng.choice(materials)
        hs = "".join(rng.choice("0123456789") for _ in range(10))
        entries.append({
            "key": f"gen-{year}-{num}",
            "site": "mofcom",
            "page_id": hashlib.md5(f"gen-{i}".encode()).hexdigest(),
            "doc_number": f"商务部公告{year}年第{num}号",
            "title": f"关于对{material}相关物项实施出口管制的公告（合成第{i}号）",
            "bureau": "安全与管制局",
            "kind": "原创",
            "date": d,
            "posted": f"{d.isoformat()} 10:00",
            "day": 1,
            "export_control": True,
            "body": [
                f"依照有关法律法规，决定对{material}相关物项实施出口管制。",
                {"table": [["序号", "物项名称", "参考海关商品编号"], ["1", f"{material}及其制品", hs]]},
                "本公告自公布之日起正式实施。",
            ],
            "signature": ["商务部", f"{d.year}年{d.month}月{d.day}日"],
        })
    return entries


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _posted(entry: dict[str, Any]) -> datetime:
    value = entry.get("posted") or entry["date"]
    if isinstance(value, datetime):
        return value
    text = str(value)
    try:
        return datetime.strptime(text[:16], "%Y-%m-%d %H:%M")
    except ValueError:
        return datetime.combine(_as_date(text), datetime.min.time())


def state_on(entries: list[dict[str, Any]], day: int) -> list[dict[str, Any]]:
    """Entries visible on ``day`` with their revisions up to that day applied, newest first."""
    visible = []
    for entry in entries:
        if int(entry.get("day", 1)) > day:
            continue
        current = dict(entry)
        current["revised_on"] = int(entry.get("day", 1))
        for revision in sorted(entry.get("revisions") or [], key=lambda r: r["day"]):
            if int(revision["day"]) <= day:
                current.update({k: v for k, v in revision.items() if k != "day"})
                current["revised_on"] = int(revision["day"])
        visible.append(current)
    visible.sort(key=lambda e: (_posted(e), e["key"]), reverse=True)
    return visible


def copies_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The other pages that carry ``entry`` (its ``copies``): the same notice at another URL,
    word for word unless the copy drops lines (``drop_lines``: the body lines that start so)."""
    pages = []
    for copy in entry.get("copies") or []:
        page = {k: v for k, v in entry.items() if k not in ("copies", "revisions")}
        page.update({k: v for k, v in copy.items() if k != "drop_lines"})
        page["key"] = f"{entry['key']}@{copy['site']}"
        page["copy_of"] = entry["key"]
        drops = tuple(copy.get("drop_lines") or ())
        if drops:
            page["body"] = [line for line in entry["body"]
                            if not (isinstance(line, str) and line.startswith(drops))]
        # the attachments stay the original's files, linked by their own addresses
        page["attachments"] = [
            {**a, "url": a.get("url") or f"/cms_files/attach/{entry['page_id']}_{i}.pdf"}
            for i, a in enumerate(entry.get("attachments") or [], start=1)]
        pages.append(page)
    return pages


def detail_path(entry: dict[str, Any]) -> str:
    year = _as_date(entry["date"]).year
    if entry["site"] == "mofcom_spokesperson":  # 新闻发布 > 新闻发言人谈话
        return f"/xwfb/xwfyrth/art/{year}/art_{entry['page_id']}.html"
    if entry["site"] == "mofcom_xkzj":
        return f"{XKZJ_BASE}/art/{year}/art_{entry['page_id']}.html"
    if entry["site"] == "gacc":
        return f"{GACC_BASE}/{entry['page_id']}/index.html"
    if entry["site"] == "mofcom_en":
        return f"{MOFCOM_EN_BASE}/art/{year}/art_{entry['page_id']}.html"
    return f"/zwgk/{entry.get('section', 'zcfb')}/art/{year}/art_{entry['page_id']}.html"


def list_path(site: str, page: int) -> str:
    base = LIST_PATHS[site]
    return base if page == 1 else base.replace("index.html", f"index_{page}.html")


def printed_date(entry: dict[str, Any]) -> str:
    if entry.get("date_style"):
        return str(entry["date_style"])
    d = _as_date(entry["date"])
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


def full_title(entry: dict[str, Any]) -> str:
    if entry["site"] in ("gacc", "mofcom_en"):
        return str(entry["title"])
    number = entry.get("title_number") or entry.get("doc_number")
    return f"{number} {entry['title']}" if number else str(entry["title"])


def challenge_numbers(seed: str) -> tuple[int, int]:
    """The two numbers the challenge page's JavaScript multiplies to earn its cookie."""
    digest = hashlib.sha1(seed.encode()).hexdigest()
    return int(digest[:6], 16) % 9000 + 1000, int(digest[6:12], 16) % 900 + 100


def challenge_value(seed: str) -> str:
    """The cookie value the challenge page computes, and the only one the server accepts."""
    a, b = challenge_numbers(seed)
    return str(a * b + 17)


class Mirror:
    """Renders the mirror's pages for one day, with the faults that are switched on."""

    def __init__(
        self,
        day: int = 1,
        faults: set[str] | None = None,
        entries: list[dict[str, Any]] | None = None,
        generate: int = 0,
        files: dict[str, tuple[bytes, str]] | None = None,
    ) -> None:
        unknown = set(faults or ()) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        self.faults = set(faults or ())
        self.extra_files = dict(files or {})  # path -> (bytes, content type): tests add their own
        self.entries = list(entries if entries is not None else load_entries())
        if "en-mismatch" in self.faults:
            self.entries = [{**e, **e["mismatch"]} if e.get("mismatch") else e for e in self.entries]
        if generate:
            self.entries += generate_entries(generate)
        self.set_day(day)

    def set_day(self, day: int) -> None:
        self.day = int(day)
        visible = state_on(self.entries, self.day)
        copies = [c for e in visible for c in copies_of(e)]
        self.visible = visible + sorted(copies, key=lambda e: (_posted(e), e["key"]), reverse=True)
        self.by_path = {detail_path(e): e for e in self.visible}
        self.forms = site_forms.Forms(visible)  # the same notices in the sites' other forms

    # -- routing -----------------------------------------------------------------

    def respond(self, path: str, headers: dict[str, str]) -> Response:
        form = site_forms.respond(self, path.split("#", 1)[0], headers)  # mirror/forms.py
        if form is not None:
            return form
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path == "/robots.txt":
            return Response(200, b"User-agent: *\nDisallow: /search/\n", {"Content-Type": "text/plain"})
        if path in FAULT_PATHS:
            return self._fault_page(FAULT_PATHS[path])
        penalty = penalty_page(path, self.day)  # customs penalty lists, decisions and PDFs (mirror/penalties.py)
        if penalty is not None:
            return self._conditional(Response(200, penalty[0], {
                "Content-Type": penalty[1], "ETag": '"' + hashlib.md5(penalty[0]).hexdigest() + '"'}),
                headers)
        files = self.extra_files if path in self.extra_files else _default_files()
        if path in files:
            body, content_type = files[path]
            return self._conditional(Response(200, body, {
                "Content-Type": content_type, "ETag": '"' + hashlib.md5(body).hexdigest() + '"'}),
                headers)
        if path.startswith("/customs/") and "challenge" in self.faults:
            expected = challenge_value(f"day{self.day}")
            if f"{CHALLENGE_COOKIE}={expected}" not in headers.get("cookie", ""):
                return self._challenge()
        for site in LIST_PATHS:
            page = self._list_page_number(site, path)
            if page:
                return self._list(site, page)
        entry = self.by_path.get(path)
        if entry is None:
            return Response(404, _env.get_template("not_found.html").render().encode(),
                            {"Content-Type": "text/html; charset=utf-8"})
        return self._detail(entry, headers)

    @staticmethod
    def _list_page_number(site: str, path: str) -> int:
        base = LIST_PATHS[site]
        if path == base:
            return 1
        prefix = base.replace("index.html", "index_")
        if path.startswith(prefix) and path.endswith(".html"):
            number = path[len(prefix):-5]
            return int(number) if number.isdigit() and int(number) > 1 else 0
        return 0

    # -- pages -------------------------------------------------------------------

    def _counter(self, key: str) -> int:
        """A visit counter that moves from day to day: page chrome that must not make versions."""
        return int(hashlib.md5(key.encode()).hexdigest()[:4], 16) + 137 * self.day

    def _fault_entries(self, site: str) -> list[dict[str, str]]:
        if site != "mofcom":
            return []
        return [
            {"title": f"关于{name}的通知", "url": fault_path(name), "posted": "2026-11-20"}
            for name in ("forbidden", "server-error", "js-shell", "soft-404", "oversize", "hang")
            if name in self.faults
        ]

    def _list(self, site: str, page: int) -> Response:
        entries = [e for e in self.visible if e["site"] == site]
        if site == "gacc" and "empty-list" in self.faults:
            entries = []
        rows = [
            {"title": full_title(e), "url": detail_path(e), "posted": _posted(e).strftime("%Y-%m-%d")}
            for e in entries
        ]
        rows = self._fault_entries(site) + rows
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        if page > pages:
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        chunk = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        html = _env.get_template(f"{site}_list.html").render(
            rows=chunk, page=page, pages=pages,
            prev_url=list_path(site, page - 1) if page > 1 else None,
            next_url=list_path(site, page + 1) if page < pages else None,
            counter=self._counter(f"list-{site}-{page}"),
        )
        return self._encode(site, html, last_modified=None)

    def file(self, path: str) -> tuple[bytes, str]:
        """An attachment file's bytes and content type (a test's own files first)."""
        return (self.extra_files if path in self.extra_files else _default_files())[path]

    def _detail(self, entry: dict[str, Any], headers: dict[str, str],
                template: str | None = None) -> Response:
        html = _env.get_template(template or f"{entry['site']}_detail.html").render(
            e=entry,
            title=full_title(entry),
            printed_date=printed_date(entry),
            e_date_en=_as_date(entry["date"]).strftime("%B %-d, %Y"),
            posted=_posted(entry).strftime("%Y-%m-%d %H:%M"),
            counter=self._counter(entry["key"]),
        )
        modified = datetime.combine(_as_date(entry["date"]), datetime.min.time())
        response = self._encode(entry["site"], html, last_modified=modified)
        return self._conditional(response, headers)

    def _encode(self, site: str, html: str, last_modified: datetime | None) -> Response:
        # The customs site serves GB18030 bytes while its header claims UTF-8.
        if site == "gacc":
            body = html.encode("gb18030")
            content_type = "text/html;charset=UTF-8"
        else:
            body = html.encode("utf-8")
            content_type = "text/html; charset=utf-8"
        headers = {"Content-Type": content_type, "ETag": '"' + hashlib.md5(body).hexdigest() + '"'}
        if last_modified is not None:
            headers["Last-Modified"] = format_datetime(last_modified.replace(tzinfo=UTC), usegmt=True)
        return Response(200, body, headers)

    @staticmethod
    def _conditional(response: Response, headers: dict[str, str]) -> Response:
        if headers.get("if-none-match") == response.headers.get("ETag"):
            return Response(304, b"", {"ETag": response.headers["ETag"]})
        return response

    def _challenge(self) -> Response:
        a, b = challenge_numbers(f"day{self.day}")
        html = _env.get_template("challenge.html").render(a=a, b=b, cookie=CHALLENGE_COOKIE)
        return Response(412, html.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    def _fault_page(self, name: str) -> Response:
        if name not in self.faults:
            return Response(404, b"not found", {"Content-Type": "text/plain"})
        if name == "forbidden":
            return Response(403, b"<html><body><h1>403 Forbidden</h1></body></html>",
                            {"Content-Type": "text/html"})
        if name == "server-error":
            return Response(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                            {"Content-Type": "text/html"})
        if name == "hang":
            return Response(200, b"<html><body>late</body></html>",
                            {"Content-Type": "text/html; charset=utf-8"}, delay=120.0)
        template = {"js-shell": "js_shell.html", "soft-404": "soft_404.html"}.get(name)
        if template:
            body = _env.get_template(template).render().encode("utf-8")
            return Response(200, body, {"Content-Type": "text/html; charset=utf-8"})
        # oversize: a real page padded past any sane announcement size (12 MiB).
        body = b"<html><body><div class='article'>" + b"<p>" + b"x" * (12 * 1024 * 1024) + b"</p></div></body></html>"
        return Response(200, body, {"Content-Type": "text/html; charset=utf-8"})
