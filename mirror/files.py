"""The mirror's attachment files (PDF, DOCX, XLSX), made from mirror/data/attachments.yaml.

Real announcements keep their item lists in attachments, so the mirror needs real
files for the crawler and the attachment reader to work on. They are generated with the
same libraries the reader uses (fpdf2 for PDF, python-docx, openpyxl), and they are
byte-for-byte the same on every run: creation dates, zip timestamps and document
properties are fixed, so content hashes, and the versions built on them, stay stable.

Chinese text in a PDF needs an embedded CJK font. fpdf2 embeds a subset of a TrueType
font found on the machine (Debian package ``fonts-wqy-microhei``; ``REGWATCH_CJK_FONT``
overrides). Without one, PDF attachments are left out with a warning rather than
failing the whole mirror.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core import yamldata
from core.settings import env
from mirror.site import GACC_BASE

DATA = Path(__file__).parent / "data" / "attachments.yaml"

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CJK_FONTS = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]


def load_specs(path: Path = DATA) -> dict[str, list[dict[str, Any]]]:
    """Attachment specs keyed by announcement entry key."""
    with open(path, encoding="utf-8") as fh:
        return yamldata.load(fh) or {}


def attachment_path(entry: dict[str, Any], number: int, ext: str) -> str:
    """Where the real site keeps attachment ``number`` (1-based) of ``entry``."""
    if entry["site"] == "gacc":
        return f"{GACC_BASE}/{entry['page_id']}/files/attach{number}.{ext}"
    return f"/cms_files/attach/{entry['page_id']}_{number}.{ext}"


def manifest(entries: list[dict[str, Any]], path: Path = DATA) -> dict[str, list[dict[str, str]]]:
    """Entry key -> [{name, path, content_type}] for every generated attachment.

    :raises ValueError: if a spec names an attachment its entry does not list
    """
    specs = load_specs(path)
    out: dict[str, list[dict[str, str]]] = {}
    for entry in entries:
        names = [a["name"] for a in entry.get("attachments") or []]
        for spec in specs.get(entry["key"], []):
            if spec["name"] not in names:
                raise ValueError(f"{entry['key']}: attachment {spec['name']!r} not on the entry")
            number = names.index(spec["name"]) + 1
            out.setdefault(entry["key"], []).append({
                "name": spec["name"],
                "path": attachment_path(entry, number, spec["format"]),
                "content_type": CONTENT_TYPES[spec["format"]],
            })
    return out


def build_files(entries: list[dict[str, Any]], path: Path = DATA) -> dict[str, tuple[bytes, str]]:
    """URL path -> (bytes, content type) for the attachments of ``entries``."""
    specs = {(key, s["name"]): s for key, items in load_specs(path).items() for s in items}
    font = find_cjk_font()
    files: dict[str, tuple[bytes, str]] = {}
    for key, items in manifest(entries, path).items():
        for item in items:
            spec = specs[(key, item["name"])]
            if spec["format"] == "pdf" and font is None:
                warnings.warn(f"no CJK font: {item['path']} not generated "
                              "(apt-get install fonts-wqy-microhei)", stacklevel=2)
                continue
            files[item["path"]] = (render(spec, font), item["content_type"])
    return files


def render(spec: dict[str, Any], font: str | None = None) -> bytes:
    """The file for one attachment spec."""
    when = fixed_datetime(spec.get("date", "2025-01-01"))
    if spec["format"] == "pdf":
        return render_pdf(spec["blocks"], when, font or find_cjk_font() or "")
    if spec["format"] == "docx":
        return render_docx(spec["blocks"], when)
    if spec["format"] == "xlsx":
        return render_xlsx(spec["sheets"], when)
    raise ValueError(f"unknown attachment format {spec['format']!r}")


def find_cjk_font() -> str | None:
    """A TrueType font with CJK glyphs, or None."""
    for candidate in [env("REGWATCH_CJK_FONT", ""), *CJK_FONTS]:
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def fixed_datetime(value: Any) -> datetime:
    """09:00 UTC on the attachment's date: the one timestamp every generated file carries."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


# --- PDF ------------------------------------------------------------------------------------


def render_pdf(blocks: list[dict[str, Any]], when: datetime, font: str) -> bytes:
    """A4 document with titles, headings, paragraphs and ruled tables (fpdf2)."""
    from fpdf import FPDF, FontFace

    pdf = FPDF(format="A4")
    pdf.set_creation_date(when)
    pdf.set_producer("regwatch mirror")
    pdf.add_font("cjk", fname=font)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    for block in blocks:
        if "title" in block:
            pdf.set_font("cjk", size=15)
            pdf.multi_cell(0, 9, block["title"], align="C", new_x="LMARGIN", new_y="NEXT")
        elif "heading" in block:
            pdf.ln(3)
            pdf.set_font("cjk", size=12)
            pdf.multi_cell(0, 8, block["heading"], new_x="LMARGIN", new_y="NEXT")
        elif "text" in block:
            pdf.set_font("cjk", size=10.5)
            pdf.multi_cell(0, 6, block["text"], new_x="LMARGIN", new_y="NEXT")
        elif "table" in block:
            pdf.set_font("cjk", size=9)
            widths = _pdf_widths(block["table"][0])
            with pdf.table(col_widths=widths, line_height=5.5,
                           headings_style=FontFace(emphasis=None)) as table:
                for values in block["table"]:
                    row = table.row()
                    for value in values:
                        row.cell(str(value))
            pdf.ln(2)
    return bytes(pdf.output())


def _pdf_widths(header: list[str]) -> tuple[int, ...]:
    """Column widths (mm of 190) that keep codes on as few lines as possible."""
    preset = {"序号": 10, "管制编码": 20}
    fixed = sum(preset.get(h, 0) for h in header)
    free = [h for h in header if h not in preset]
    rest = (190 - fixed) // max(len(free), 1)
    return tuple(preset.get(h, rest) for h in header)


# --- DOCX and XLSX ------------------------------------------------------------------------------


def render_docx(blocks: list[dict[str, Any]], when: datetime) -> bytes:
    """A Word form: centred title, paragraphs and a ruled table (python-docx)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    props = document.core_properties
    props.author, props.last_modified_by, props.revision = "海关总署", "海关总署", 1
    props.created = props.modified = when.replace(tzinfo=None)
    for block in blocks:
        if "title" in block:
            document.add_paragraph(block["title"], style="Title").alignment = (
                WD_ALIGN_PARAGRAPH.CENTER)
        elif "heading" in block:
            document.add_heading(block["heading"], level=2)
        elif "text" in block:
            document.add_paragraph(block["text"])
        elif "table" in block:
            rows = block["table"]
            table = document.add_table(rows=len(rows), cols=len(rows[0]), style="Table Grid")
            for r, values in enumerate(rows):
                for c, value in enumerate(values):
                    table.cell(r, c).text = str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue(), when)


def render_xlsx(sheets: list[dict[str, Any]], when: datetime) -> bytes:
    """A workbook of text cells, so codes keep their leading digits exactly (openpyxl)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.creator = "商务部"
    book.properties.created = book.properties.modified = when.replace(tzinfo=None)
    for spec in sheets:
        sheet = book.create_sheet(spec["title"])
        for values in spec["rows"]:
            sheet.append([str(v) for v in values])
        for column, width in zip("ABCD", (8, 48, 56, 36), strict=False):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue(), when)


_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def stable_zip(blob: bytes, when: datetime) -> bytes:
    """Rewrite an OOXML zip with fixed member timestamps and document dates."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, data)
    return out.getvalue()
