"""The attachment reader: good files keep their rows, hostile files are flagged, none crash."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from fixtures import attachment_files as F
from fpdf import FPDF

import documents.attachments as attachments
from documents.attachments import REASONS, Limits, read_attachment
from documents.formats import _pdf_cell
from mirror.files import build_files, find_cjk_font, manifest
from mirror.site import load_entries

KEYS = {"status", "reason", "kind", "text", "tables", "pages", "sha256"}
NO61_PDF = "/cms_files/attach/7fc9bff0fb4546ecb02f66ee77d0e5f6_1.pdf"
NO51_XLSX = "/cms_files/attach/25c9d39c1dfd3e4d26b731d5ddddb6e2_1.xlsx"
NO89_XLSX = "/cms_files/attach/fbf5376ec61f2e85f60cf101e4d789f1_1.xlsx"
GACC_FORMS = "/customs/302249/302266/302267/6571903/files/attach{}.docx"


def code(result: dict) -> str:
    """The stable reason code of a result ('' when ok)."""
    return (result["reason"] or "").split(":")[0]


@pytest.fixture(scope="module")
def mirror_files() -> dict[str, tuple[bytes, str]]:
    assert find_cjk_font(), "no CJK font for the mirror's PDFs: apt-get install fonts-wqy-microhei"
    return build_files(load_entries())


# --- the mirror's attachments --------------------------------------------------------------


def test_no61_annex_pdf_keeps_code_item_and_hs_codes_in_one_row(mirror_files):
    data, ctype = mirror_files[NO61_PDF]
    result = read_attachment(data, "附件1.pdf", ctype)
    assert (result["status"], result["kind"], result["pages"]) == ("ok", "pdf", 1)
    part_one, part_two = result["tables"]
    assert part_one["where"] == "page 1 table 1"
    assert part_one["rows"][0] == ["序号", "管制编码", "物项名称及描述", "参考海关商品编号"]
    assert part_one["rows"][1] == [
        "1", "1C902.a", "钐金属；钐钴、钐铁、钐镍、钐铝、钐镁合金；钐靶材、钐钴靶材、钐铁靶材；钐钴永磁体",
        "钐金属：2805301910；靶材：3824999922、8486909110",
    ]
    assert part_one["rows"][3][3] == ("2846902810、2846902910、2846903910、2846904820、"
                                      "2846904910、2846909920、3824999922")
    assert len(part_one["rows"]) == 22
    assert part_two["rows"][2] == ["2", "1C902.a", "钐靶材、钐钴靶材、钐铁靶材", "3824999922、8486909110"]
    text = result["text"]
    assert text.index("第一部分") < text.index("1\t1C902.a\t") < text.index("第二部分")
    assert "1C902.a\t钐金属；" in text and "钐金属：2805301910；靶材" in text


def test_dual_use_list_xlsx_rows(mirror_files):
    data, ctype = mirror_files[NO51_XLSX]
    result = read_attachment(data, "清单.xlsx", ctype)
    assert (result["status"], result["kind"], result["pages"]) == ("ok", "xlsx", None)
    [table] = result["tables"]
    assert table["where"] == "sheet 清单（节选）"
    assert table["rows"][0] == ["中华人民共和国两用物项出口管制清单（节选）"]
    assert table["rows"][2] == ["1", "金属镓（单质）", "8110929010、8112929090、8112999000",
                                "商务部 海关总署公告2023年第23号"]
    assert table["rows"][17][1:3] == ["天然鳞片石墨及其制品（包括球化石墨、膨胀石墨等）",
                                      "2504101000、2504109100、3801901000、3801909010、"
                                      "3824999940、6815190020"]
    assert table["rows"][18][1:3] == ["锑矿及原料", "2617101000、2617109001、2617109090、2830902000"]
    assert len(table["rows"]) == 27


def test_licence_catalogue_lists_silver(mirror_files):
    result = read_attachment(*mirror_files[NO89_XLSX][:1], "目录.xlsx")
    assert result["status"] == "ok"
    assert result["tables"][0]["rows"][2] == ["白银", "国营贸易；出口许可证", "商务部公告2025年第68号"]


def test_gacc_forms_are_docx_with_their_titles_and_tables(mirror_files):
    first = read_attachment(mirror_files[GACC_FORMS.format(1)][0], "attach1.docx")
    second = read_attachment(mirror_files[GACC_FORMS.format(2)][0], "attach2.docx")
    assert (first["status"], first["kind"], second["status"]) == ("ok", "docx", "ok")
    assert first["text"].splitlines()[0] == "两用物项出口管制海关质疑通知书"
    assert "7个工作日内" in first["text"]
    assert first["tables"] == [{"where": "table 1",
                                "rows": [["报关单号", "商品名称", "商品编号", "申报数量"]]}]
    assert second["text"].splitlines()[0] == "两用物项出口管制海关质疑/组织鉴别结果告知书"
    assert second["tables"][0]["rows"][1] == ["", "", "", "□属于两用物项　□不属于两用物项"]


def test_mirror_files_are_byte_stable_and_where_the_pages_link(mirror_files):
    entries = load_entries()
    again = build_files(entries)
    assert {p: b for p, (b, _) in again.items()} == {p: b for p, (b, _) in mirror_files.items()}
    paths = {key: [a["path"] for a in items] for key, items in manifest(entries).items()}
    assert paths == {
        "mofcom-2025-61": [NO61_PDF],
        "mofcom-2024-51": [NO51_XLSX],
        "mofcom-2025-89": [NO89_XLSX],
        "gacc-2025-123": [GACC_FORMS.format(1), GACC_FORMS.format(2)],
        "mofcom-2025-13": ["/cms_files/attach/76f2e4b924ac10df28d7020b1ad5b989_1.pdf"],
        "mofcom-2025-21": ["/cms_files/attach/9dc33ade7abe72dc452724f1c79cf53b_1.docx"],
        "mofcom-2025-22": ["/cms_files/attach/50eec07fd9003f5245d6e370b06976a8_1.xlsx"],
        "mofcom-2025-uel-7": ["/cms_files/attach/204df55568927037ed3d2c79b6a06d03_1.docx"],
        "mofcom-2025-uel-8": ["/cms_files/attach/7fb5afb2aacc60d9b3a57399d013e46f_1.pdf"],
    }
    assert set(mirror_files) == {p for items in paths.values() for p in items}


# --- readers -----------------------------------------------------------------------------------


def test_docx_text_and_tables_in_document_order():
    data = F.docx_with_table([["管制编码", "物项", "参考海关商品编号"],
                              ["1C903.b", "钆的氧化物\n及其混合物", "2846901930"]], "前言", "后记")
    result = read_attachment(data, "a.docx")
    assert result["text"] == ("前言\n管制编码\t物项\t参考海关商品编号\n"
                              "1C903.b\t钆的氧化物 及其混合物\t2846901930\n后记")
    assert result["tables"][0]["rows"][1] == ["1C903.b", "钆的氧化物\n及其混合物", "2846901930"]


def test_xlsx_numbers_come_back_as_the_digits_and_empty_rows_go():
    from datetime import datetime

    data = F.xlsx_with_rows({
        "附件1": [["管制编码", "参考海关商品编号", "日期"], [], ["1C902.a", 2805301910, datetime(2025, 4, 4)],
                ["1C902.b", 2846901940.0, None], ["x", 1.5]],
        "附件2": [["第二部分"]],
    })
    result = read_attachment(data, "a.xlsx")
    assert [t["where"] for t in result["tables"]] == ["sheet 附件1", "sheet 附件2"]
    assert result["tables"][0]["rows"] == [["管制编码", "参考海关商品编号", "日期"],
                                           ["1C902.a", "2805301910", "2025-04-04"],
                                           ["1C902.b", "2846901940"], ["x", "1.5"]]


def test_xlsx_with_a_bogus_million_row_dimension_reads_only_real_rows():
    good = F.xlsx_with_rows({"S": [["1C902.a", "2805301910"]]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b'<dimension ref="A1:B1"/>',
                                    b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in body
            dst.writestr(info.filename, body)
    result = read_attachment(out.getvalue(), "a.xlsx", limits=Limits(timeout_seconds=10))
    assert result["status"] == "ok"
    assert result["tables"][0]["rows"] == [["1C902.a", "2805301910"]]


def test_legacy_xls_is_read_with_xlrd():
    data = F.legacy_xls("附件", [["管制编码", "物项名称", "参考海关商品编号"],
                                 ["1C902.a", "钐金属", 2805301910.0]])
    result = read_attachment(data, "list.xls")
    assert (result["status"], result["kind"]) == ("ok", "xls")
    assert result["tables"] == [{"where": "sheet 附件", "rows": [
        ["管制编码", "物项名称", "参考海关商品编号"], ["1C902.a", "钐金属", "2805301910"]]}]


@pytest.mark.parametrize(("cell", "expected"), [
    ("钐金属：2805301910；靶材：3824\n999922、8486909110", "钐金属：2805301910；靶材：3824999922、8486909110"),
    ("28469019\n40", "2846901940"),
    ("2846901940\n2846901993", "2846901940 2846901993"),
    ("28053019\n28053019", "28053019 28053019"),
    ("diamond wire\nsaws", "diamond wire saws"),
    ("钐钴、钐铁、钐\n镍合金", "钐钴、钐铁、钐镍合金"),
    (None, ""),
])
def test_pdf_cells_are_unwrapped_without_gluing_codes(cell, expected):
    assert _pdf_cell(cell) == expected


def test_type_comes_from_the_bytes_not_the_name():
    docx_named_pdf = read_attachment(F.docx_with_table([["a"]]), "annex.pdf", "application/pdf")
    pdf_named_xlsx = read_attachment(F.pdf_pages(1), "annex.xlsx")
    assert (docx_named_pdf["status"], docx_named_pdf["kind"]) == ("ok", "docx")
    assert (pdf_named_xlsx["status"], pdf_named_xlsx["kind"]) == ("ok", "pdf")


# --- hostile and broken files ---------------------------------------------------------------------


def test_zip_bomb_over_the_size_cap_is_refused_before_inflating():
    started = time.perf_counter()
    result = read_attachment(F.zip_bomb("xlsx", 1024 * F.MIB), "list.xlsx")
    assert (result["status"], code(result), result["kind"]) == ("flagged", "zip-bomb", "xlsx")
    assert "1024.0 MiB" in result["reason"]
    assert result["text"] == "" and result["tables"] == []
    assert time.perf_counter() - started < 5


def test_zip_bomb_under_the_size_cap_is_caught_by_its_ratio():
    result = read_attachment(F.zip_bomb("docx", 50 * F.MIB), "form.docx")
    assert (code(result), result["kind"]) == ("zip-bomb", "docx")
    assert "word/document.xml" in result["reason"] and "ratio cap of 100" in result["reason"]


def test_truncated_pdf():
    whole = F.pdf_pages(6)
    assert read_attachment(whole, "a.pdf")["status"] == "ok"
    result = read_attachment(whole[: len(whole) // 2], "a.pdf")
    assert (result["status"], code(result), result["kind"]) == ("flagged", "truncated", "pdf")


def test_html_error_page_named_pdf():
    result = read_attachment(F.html_error_page(), "附件1.pdf", "application/pdf")
    assert (code(result), result["kind"]) == ("wrong-type", "html")
    assert "附件1.pdf" in result["reason"] and "404 页面不存在" in result["reason"]


def test_100_mb_file_is_refused_on_its_length_before_any_parsing(monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed a file over the size cap")

    monkeypatch.setattr(attachments, "_parse_isolated", must_not_parse)
    data = F.big_file(100 * F.MIB)
    started = time.perf_counter()
    result = read_attachment(data, "big.pdf")
    assert (result["status"], code(result), result["kind"]) == ("flagged", "too-large", "pdf")
    assert "104857600 bytes" in result["reason"]
    assert len(result["sha256"]) == 64
    assert time.perf_counter() - started < 3


def test_encrypted_pdf_needs_a_password():
    result = read_attachment(F.encrypted_pdf(user_password="secret"), "a.pdf")
    assert (result["status"], code(result), result["kind"]) == ("flagged", "encrypted", "pdf")


def test_pdf_with_only_an_owner_password_is_read():
    result = read_attachment(F.encrypted_pdf(user_password=""), "a.pdf")
    assert result["status"] == "ok"
    assert "1C902.a code 2805301910" in result["text"]


def test_corrupt_and_truncated_xlsx():
    corrupt = read_attachment(F.corrupt_xlsx(), "a.xlsx")
    cut = read_attachment(F.xlsx_with_rows({"S": [["a"]]})[:2000], "a.xlsx")
    assert (code(corrupt), corrupt["kind"]) == ("corrupt", "xlsx")
    assert (code(cut), cut["kind"]) == ("truncated", "xlsx")


def test_legacy_doc_is_flagged_unreadable_and_an_encrypted_one_encrypted():
    plain = read_attachment(F.legacy_doc(), "附件.doc")
    locked = read_attachment(F.legacy_doc(encrypted=True), "附件.doc")
    assert (plain["status"], code(plain), plain["kind"]) == ("flagged", "unreadable-format", "doc")
    assert (code(locked), locked["kind"]) == ("encrypted", "doc")


def test_a_pathological_pdf_is_killed_at_the_time_cap_and_the_next_file_is_read():
    started = time.perf_counter()
    result = read_attachment(F.slow_pdf(), "slow.pdf", limits=Limits(timeout_seconds=1))
    elapsed = time.perf_counter() - started
    assert (result["status"], code(result), result["kind"]) == ("flagged", "timeout", "pdf")
    assert elapsed < 3
    assert read_attachment(F.pdf_pages(1), "next.pdf")["status"] == "ok"


def test_a_long_healthy_pdf_stops_near_the_time_cap_with_its_first_pages():
    result = read_attachment(F.pdf_pages(80, lines=30), "long.pdf",
                             limits=Limits(timeout_seconds=1.5))
    assert (result["status"], code(result), result["pages"]) == ("flagged", "timeout", 80)
    assert "of 80 pages" in result["reason"]
    assert "Page 1 line 30:" in result["text"] and "Page 80 line" not in result["text"]


def test_pdf_over_the_page_cap_keeps_its_first_pages():
    result = read_attachment(F.pdf_pages(7, lines=1), "a.pdf", limits=Limits(max_pdf_pages=5))
    assert (code(result), result["pages"]) == ("too-many-pages", 7)
    assert "Page 5 line 1" in result["text"] and "Page 6" not in result["text"]


def test_pdf_that_inflates_past_the_memory_cap():
    result = read_attachment(F.pdf_memory_bomb(512 * F.MIB), "bomb.pdf",
                             limits=Limits(max_memory_bytes=128 * F.MIB))
    assert code(result) == "too-large"
    assert "memory" in result["reason"]
    assert read_attachment(F.pdf_pages(1), "next.pdf")["status"] == "ok"


def test_row_cap_keeps_the_first_rows():
    data = F.xlsx_with_rows({"S": [[f"row {i}"] for i in range(50)]})
    result = read_attachment(data, "a.xlsx", limits=Limits(max_rows=10))
    assert code(result) == "too-large"
    assert result["tables"][0]["rows"][-1] == ["row 9"] and len(result["tables"][0]["rows"]) == 10


def test_images_and_scans_are_recorded_not_read():
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 100, style="F")
    scan = read_attachment(bytes(pdf.output()), "scan.pdf")
    image = read_attachment(b"\x89PNG\r\n\x1a\n" + bytes(100), "附件.png")
    assert (code(scan), scan["kind"], scan["pages"]) == ("image-not-read", "pdf", 1)
    assert (code(image), image["kind"]) == ("image-not-read", "image")


def test_empty_unknown_and_non_bytes_never_raise():
    assert code(read_attachment(b"", "a.pdf")) == "truncated"
    assert code(read_attachment(b"just some text", "a.pdf")) == "wrong-type"
    assert code(read_attachment(b"Rar!\x1a\x07\x00", "a.rar")) == "unreadable-format"
    assert code(read_attachment("not bytes", "a.pdf")) == "corrupt"  # type: ignore[arg-type]


def test_a_run_with_hostile_files_goes_on_and_reads_the_good_ones():
    batch = [
        ("bomb.xlsx", F.zip_bomb("xlsx", 200 * F.MIB), "zip-bomb"),
        ("list.docx", F.docx_with_table([["1C902.a", "2805301910"]]), ""),
        ("error.pdf", F.html_error_page(), "wrong-type"),
        ("annex.pdf", F.pdf_pages(2), ""),
        ("locked.pdf", F.encrypted_pdf(), "encrypted"),
        ("old.doc", F.legacy_doc(), "unreadable-format"),
        ("list.xlsx", F.xlsx_with_rows({"S": [["1C902.a", 2805301910]]}), ""),
    ]
    results = [read_attachment(data, name) for name, data, _ in batch]
    assert [code(r) for r in results] == [expected for _, _, expected in batch]
    assert [r["status"] for r in results] == ["flagged", "ok", "flagged", "ok", "flagged",
                                             "flagged", "ok"]
    for result in results:
        assert set(result) == KEYS
        assert json.loads(json.dumps(result)) == result
        assert code(result) in REASONS or result["status"] == "ok"
    assert results[6]["tables"][0]["rows"] == [["1C902.a", "2805301910"]]
