"""Reading a company's portfolio file (portfolio/read.py): every bad cell reported, nothing half-read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from extract.end_use import military
from portfolio import fields
from portfolio.read import read_portfolio

FIXTURES = Path(__file__).parent / "fixtures" / "portfolio"
SAMPLE = Path(__file__).parent.parent / "portfolio" / "samples" / "exporter.csv"

GOOD = [
    {"line": 2, "sku": "MAG-1", "description": "Sm2Co17 magnet rings, YXG-28", "hs_code": "8505111000",
     "materials": ["samarium", "cobalt"], "destination": "US", "destination_as_written": "USA",
     "end_use": "pump couplings", "end_user": None, "counterparty": "Lakeshore Pump Components Inc."},
    {"line": 3, "sku": "SEM-1", "description": "砷化镓衬底片 4英寸", "hs_code": "3818009004",
     "materials": ["gallium", "arsenic"], "destination": "KR", "destination_as_written": "韩国",
     "end_use": None, "end_user": None, "counterparty": None},
    {"line": 4, "sku": "BAT-1", "description": "Li-ion cells 320 Wh/kg", "hs_code": "85076000",
     "materials": [], "destination": "VN", "destination_as_written": "Viet Nam",
     "end_use": None, "end_user": None, "counterparty": None},
]


def test_good_file_reads_into_plain_dicts() -> None:
    rows, problems = read_portfolio(FIXTURES / "good.csv")
    assert problems == []
    assert rows == GOOD


def test_chinese_headers_read_the_same() -> None:
    rows, problems = read_portfolio(FIXTURES / "good_zh.csv")
    assert problems == []
    assert rows == GOOD


def test_five_kinds_of_bad_rows_all_reported_and_nothing_imported() -> None:
    rows, problems = read_portfolio(FIXTURES / "five_bad.csv")
    assert rows == []
    found = {(p["line"], p["column"], p["problem"]) for p in problems}
    assert found == {
        (3, "HS Code", "hs_format"),
        (4, "Destination", "unknown_country"),
        (5, "SKU", "empty_sku"),
        (6, "SKU", "duplicate_row"),
        (7, "Materials", "unknown_material"),
    }
    by_kind = {p["problem"]: p for p in problems}
    assert by_kind["hs_format"]["cell"] == "C3" and by_kind["hs_format"]["value"] == "8505.11"
    assert "'Narnia'" in by_kind["unknown_country"]["message"]
    assert "line 2" in by_kind["duplicate_row"]["message"]
    assert "'unobtainium'" in by_kind["unknown_material"]["message"]
    assert all(p["severity"] == "error" for p in problems)


def test_missing_required_column_is_an_error_on_the_header_line(tmp_path: Path) -> None:
    file = tmp_path / "p.csv"
    file.write_text("sku,description,destination\nA,thing,US\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert rows == []
    assert [(p["line"], p["field"], p["problem"]) for p in problems] == [(1, "hs_code", "missing_column")]


def test_title_row_gb18030_semicolons_and_an_extra_column(tmp_path: Path) -> None:
    file = tmp_path / "export.csv"
    text = "出口产品清单 2026\n物料号;品名;海关编码;目的国;单价\nW-1;碳化钨粉;2849902000;德国;12.5\n"
    file.write_bytes(text.encode("gb18030"))
    rows, problems = read_portfolio(file)
    assert [(p["problem"], p["severity"], p["line"], p["column"]) for p in problems] == [
        ("unknown_column", "warning", 2, "单价")]
    assert [(r["line"], r["sku"], r["description"], r["hs_code"], r["destination"]) for r in rows] == [
        (3, "W-1", "碳化钨粉", "2849902000", "DE")]


def test_erp_and_customs_form_headers_read_the_same(tmp_path: Path) -> None:
    """Headers as an ERP or a customs declaration writes them: a note in brackets, a
    generic last word, "#" for "No.", a country with its code; the good file's rows."""
    english = tmp_path / "erp.csv"
    english.write_text(
        "Part #,Product Description,HS Code (10-digit),Material Composition,"
        "Destination Country/Region,End Use Description,End User Name,Customer Name\n"
        'MAG-1,"Sm2Co17 magnet rings, YXG-28",8505.11.10.00,samarium; cobalt,USA,'
        "pump couplings,,Lakeshore Pump Components Inc.\n"
        "SEM-1,砷化镓衬底片 4英寸,3818009004,镓、砷,Korea (KR),,,\n"
        "BAT-1,Li-ion cells 320 Wh/kg,8507 60 00,,Viet Nam,,,\n", encoding="utf-8")
    rows, problems = read_portfolio(english)
    assert problems == []
    assert [{**r, "destination_as_written": None} for r in rows] == \
        [{**r, "destination_as_written": None} for r in GOOD]
    declaration = tmp_path / "declaration.csv"
    declaration.write_text(
        "货号,商品名称及规格型号,商品编号（10位）,运抵国（地区）,境外收货人\n"
        "W-1,碳化钨粉,2849902000,德国（DE）,Rheinfeld GmbH\n", encoding="utf-8")
    rows, problems = read_portfolio(declaration)
    assert problems == []
    assert [(r["sku"], r["description"], r["hs_code"], r["destination"], r["counterparty"])
            for r in rows] == [("W-1", "碳化钨粉", "2849902000", "DE", "Rheinfeld GmbH")]


def test_a_header_naming_a_column_less_closely_gives_way(tmp_path: Path) -> None:
    """"Customer" names the counterparty as listed, "Customer Name" once its last word is
    set aside: the first is read, the second ignored with a warning, wherever it stands;
    two headers naming a column as loosely keep the first; two listed ones are an error."""
    file = tmp_path / "p.csv"
    file.write_text("sku,Customer Name,description,hs_code,destination,Customer,Consignee Name\n"
                    "A,Name Co,thing,85051110,US,Buyer Co,Consignee Co\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert [r["counterparty"] for r in rows] == ["Buyer Co"]
    assert [(p["column"], p["problem"], p["severity"]) for p in problems] == [
        ("Customer Name", "ignored_column", "warning"),
        ("Consignee Name", "ignored_column", "warning")]
    file.write_text("sku,description,hs_code,destination,Customer Name,Consignee Name\n"
                    "A,thing,85051110,US,Name Co,Consignee Co\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert [r["counterparty"] for r in rows] == ["Name Co"]
    assert [(p["column"], p["problem"]) for p in problems] == [("Consignee Name", "ignored_column")]
    file.write_text("sku,description,hs_code,destination,customer,buyer\n"
                    "A,thing,85051110,US,X,Y\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert rows == []
    assert [(p["column"], p["problem"]) for p in problems] == [("buyer", "duplicate_column")]


@pytest.mark.parametrize(("value", "expected"), [
    ("GaAs", ["gallium", "arsenic"]), ("Sb2O3", ["antimony"]), ("Sm2Co17", ["samarium", "cobalt"]),
    ("Nd-Fe-B", ["neodymium", "iron"]), ("Dy", ["dysprosium"]), ("Ge", ["germanium"]),
    ("LiFePO4", ["lithium", "iron"]), ("gallium arsenide wafer", ["gallium", "arsenic"]),
    ("tungsten carbide", ["tungsten"]), ("antimony trioxide", ["antimony"]),
    ("artificial graphite anode material", ["graphite"]), ("silver paste", ["silver"]),
    ("Dy-doped NdFeB magnet", ["dysprosium", "neodymium", "iron"]),
    ("indium tin oxide", ["indium", "tin"]), ("heavy rare earths", ["heavy rare earths"]),
    ("砷化镓", ["arsenic", "gallium"]), ("三氧化二锑", ["antimony"]), ("人造石墨", ["graphite"]),
    ("银浆", ["silver"]), ("N/A", []), ("-", []), ("无", []), ("none", []),
    ("Ga (99.9999%)", ["gallium"]), ("Ge 5N", ["germanium"]), ("Dy 2.5 wt%", ["dysprosium"]),
    ("W 90% Ni 7% Fe 3%", ["tungsten", "nickel", "iron"]), ('GaAs 4"', ["gallium", "arsenic"]),
    ("钕铁硼", ["neodymium", "iron"]), ("烧结钕铁硼磁体", ["neodymium", "iron"]),
    ("钐钴磁钢", ["samarium", "cobalt"]), ("镝铁合金", ["dysprosium", "iron"]),
    ("高纯锗", ["germanium"]), ("磷化铟", ["indium"]),
])
def test_materials_as_a_spreadsheet_writes_them(value: str, expected: list[str]) -> None:
    """A formula, a name with words of form, a group or Chinese text (a compound's name
    read character by character, its words of form set aside) is read into the
    vocabulary's materials; "none" in any spelling is none."""
    assert fields.materials(value) == expected


@pytest.mark.parametrize("value", ["PVC", "ABS", "WC", "W", "Y", "SiO2", "steel", "CO", "99.99%",
                                   "PVC 20%", "银行", "铁路", "碳化硅",
                                   "cobalt-free cathode", "lead-free", "无铅焊料", "不含钴"])
def test_materials_not_understood_or_not_contained_are_errors(value: str) -> None:
    """An all-capital abbreviation or a single letter is not read as a formula (PVC is not
    vanadium), a formula of no vocabulary element names none, a Chinese word holding an
    element's character is not that element (银行 is a bank), and a material the product
    does not contain is not one of its materials: each is reported, never guessed."""
    with pytest.raises(fields.FieldError) as error:
        fields.materials(value)
    assert error.value.kind == "unknown_material"


def test_a_family_of_materials_is_a_warning(tmp_path: Path) -> None:
    file = tmp_path / "p.csv"
    file.write_text("sku,description,hs_code,materials,destination\n"
                    "A,magnet,8505111000,rare earths; cobalt,US\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert rows[0]["materials"] == ["rare earths", "cobalt"]
    assert [(p["problem"], p["severity"], p["value"]) for p in problems] == [
        ("material_family", "warning", "rare earths")]


def test_a_material_read_loosely_is_a_warning_naming_the_reading(tmp_path: Path) -> None:
    file = tmp_path / "p.csv"
    file.write_text("sku,description,hs_code,materials,destination\n"
                    "A,wafer,3818009004,GaAs,KR\nB,magnet,8505111000,samarium; cobalt,JP\n"
                    "C,cable,85444211,N/A,US\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert [r["materials"] for r in rows] == [["gallium", "arsenic"], ["samarium", "cobalt"], []]
    assert [(p["line"], p["cell"], p["problem"], p["severity"], p["message"]) for p in problems] == [
        (2, "D2", "material_read_as", "warning", "'GaAs' read as gallium, arsenic")]


@pytest.mark.parametrize(("value", "expected"), [
    ("2805.30.19.10", "2805301910"), ("2805 3019 10", "2805301910"), ("71051020", "71051020"),
    ("２８０５３０１９１０", "2805301910"), (8505111000, "8505111000"), (8505111000.0, "8505111000"),
    (1061100, "01061100"), ("0106.11.00", "01061100"),
    ("8505111000.0", "8505111000"), ("1061100.0", "01061100"), ("106110000.0", "0106110000"),
    ("85051110.00", "8505111000"), ("HS: 8505.11.10.00", "8505111000"), ("HTS 85051110", "85051110"),
    ("税号：8505111000", "8505111000"),
])
def test_hs_codes_read(value: object, expected: str) -> None:
    assert fields.hs_code(value) == expected


@pytest.mark.parametrize("value", ["2805.30", "28053019100", "1061100", "ABCD1234", "9912345678", "7712345678", "HS 2805"])
def test_bad_hs_codes_rejected(value: str) -> None:
    with pytest.raises(fields.FieldError) as caught:
        fields.hs_code(value)
    assert caught.value.kind == "hs_format"


def test_scientific_notation_says_digits_were_lost() -> None:
    with pytest.raises(fields.FieldError) as caught:
        fields.hs_code("8.505111E+09")
    assert caught.value.kind == "hs_format" and "scientific notation" in str(caught.value)


def test_sample_portfolio_is_clean_and_covers_the_brief() -> None:
    rows, problems = read_portfolio(SAMPLE)
    assert problems == []
    assert len(rows) >= 40
    assert {r["destination"] for r in rows} == {"US", "JP", "DE", "KR", "VN", "MX"}
    materials = {m for r in rows for m in r["materials"]}
    assert {"samarium", "dysprosium", "gallium", "germanium", "graphite", "antimony", "tungsten",
            "silver", "lithium", "superhard materials"} <= materials
    written = {r["destination_as_written"] for r in rows}
    assert {"USA", "美国", "United States", "日本", "Viet Nam", "墨西哥"} <= written


def _write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle)):
            if number and cells[2].isdigit():  # an HS code typed into Excel becomes a number
                cells[2] = int(cells[2])
            sheet.append([cell if cell != "" else None for cell in cells])
    book.save(xlsx_path)


def test_xlsx_reads_the_same_as_csv(tmp_path: Path) -> None:
    xlsx = tmp_path / "exporter.xlsx"
    _write_xlsx(SAMPLE, xlsx)
    from_csv, csv_problems = read_portfolio(SAMPLE)
    from_xlsx, xlsx_problems = read_portfolio(xlsx)
    assert csv_problems == xlsx_problems == []
    assert from_xlsx == from_csv


def test_xlsx_problems_carry_line_and_column(tmp_path: Path) -> None:
    xlsx = tmp_path / "bad.xlsx"
    _write_xlsx(FIXTURES / "five_bad.csv", xlsx)
    rows, problems = read_portfolio(xlsx)
    assert rows == []
    assert {(p["line"], p["column"], p["problem"]) for p in problems} == {
        (3, "HS Code", "hs_format"), (4, "Destination", "unknown_country"), (5, "SKU", "empty_sku"),
        (6, "SKU", "duplicate_row"), (7, "Materials", "unknown_material")}


def test_not_a_portfolio_file(tmp_path: Path) -> None:
    file = tmp_path / "p.pdf"
    file.write_bytes(b"%PDF-1.4")
    rows, problems = read_portfolio(file)
    assert rows == [] and problems[0]["problem"] == "unreadable_file"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("utf16-garbage.csv", b"\xff\xfe\x00\xd8garbage", "not text in UTF-8, UTF-16 or GB18030"),
    ("nul.csv", b"sku,description\x00,hs_code\n", "NUL bytes"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "old binary Excel workbook"),
    ("huge.csv", b'sku,description,hs_code,destination\nA,"' + b"x" * 200_000 + b'",85051110,US\n',
     "not a readable CSV from line 2"),
])
def test_a_file_that_cannot_be_read_is_one_clear_error(tmp_path: Path, name: str, content: bytes,
                                                       message: str) -> None:
    """Bytes no reader can take (a broken UTF-16 file, a binary, an old .xls, a cell past
    the CSV reader's limit) are one error naming the file and why, never a crash."""
    file = tmp_path / name
    file.write_bytes(content)
    rows, problems = read_portfolio(file)
    assert rows == []
    assert [p["problem"] for p in problems] == ["unreadable_file"]
    assert problems[0]["message"].startswith(name) and message in problems[0]["message"]


def test_unicode_text_a_workbook_named_csv_and_a_cover_sheet(tmp_path: Path) -> None:
    """Excel's "Unicode text" (UTF-16, tabs) reads; so does a workbook saved under a .csv
    name; a workbook opening on a notes sheet is read from its first sheet with a header,
    with a warning naming it."""
    text = tmp_path / "unicode.csv"
    text.write_bytes("sku\tdescription\ths_code\tdestination\nA\t镓\t8112929090\t日本\n"
                     .encode("utf-16"))
    rows, problems = read_portfolio(text)
    assert problems == [] and [(r["sku"], r["hs_code"], r["destination"]) for r in rows] == [
        ("A", "8112929090", "JP")]
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["Products we export, 2026"])
    sheet = book.create_sheet("Products")
    sheet.append(["Part #", "Product Description", "HS Code (10-digit)", "Destination"])
    sheet.append(["A", "gallium metal", 8112929090, "Japan (JP)"])
    for name in ("book.xlsx", "book.csv"):
        book.save(tmp_path / name)
        rows, problems = read_portfolio(tmp_path / name)
        assert [(p["problem"], p["severity"]) for p in problems] == [("sheet_read", "warning")]
        assert "'Products'" in problems[0]["message"]
        assert [(r["sku"], r["hs_code"], r["destination"]) for r in rows] == [
            ("A", "8112929090", "JP")]


def test_a_header_without_rows_imports_nothing(tmp_path: Path) -> None:
    """A file with its header and no product is an error: imported, it would remove every
    lane of the portfolio it is imported into."""
    file = tmp_path / "p.csv"
    file.write_text("sku,description,hs_code,destination\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert rows == [] and [(p["line"], p["problem"]) for p in problems] == [(1, "no_rows")]


@pytest.mark.parametrize(("value", "expected"), [
    ("missile guidance actuators", True), ("defence prime contractor", True), ("PLA Navy", True),
    ("MoD procurement", True), ("军事最终用户", True), ("武器系统", True), ("military end users", True),
    ("mod kit", False), ("civil aircraft position sensors", False), ("non-military use only", False),
    ("not for military use", False), ("民用无人机", False), ("dual-use research", False), ("", False),
])
def test_military_end_use_or_user_as_written(value: str, expected: bool) -> None:
    assert military(value) is expected


LANES = ("SKU,Description,HS Code,Destination,Customer,End use\n"
         "MAG-1,SmCo magnets,8505111000,US,Acme Motors,\n"
         "MAG-1,SmCo magnets,8505111000,US,Lakeshore Pumps,\n"
         "MAG-1,SmCo magnets,8505111000,US,,\n"
         "MAG-1,SmCo magnets,8505111000,US,,military: radar\n")


def test_the_same_sku_to_one_country_for_two_customers_is_two_lanes(tmp_path: Path) -> None:
    file = tmp_path / "lanes.csv"
    file.write_text(LANES, encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert problems == []
    assert [(r["sku"], r["destination"], r["counterparty"], r["end_use"]) for r in rows] == [
        ("MAG-1", "US", "Acme Motors", None), ("MAG-1", "US", "Lakeshore Pumps", None),
        ("MAG-1", "US", None, None), ("MAG-1", "US", None, "military: radar")]


def test_a_lane_written_twice_is_still_a_duplicate(tmp_path: Path) -> None:
    file = tmp_path / "lanes.csv"
    file.write_text(LANES + "MAG-1,SmCo magnets,8505.11.10.00,USA,Acme Motors ,\n",
                    encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert rows == []
    assert [(p["line"], p["problem"]) for p in problems] == [(6, "duplicate_row")]
    assert problems[0]["message"] == "sku 'MAG-1' to US for 'Acme Motors' is already on line 2"


def test_a_totals_row_under_the_lines_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """A spreadsheet's "Total" or "合计" row names no product: read as a lane it would fail
    the whole file on its empty cells. A SKU that only starts with the word is a lane."""
    file = tmp_path / "p.csv"
    file.write_text("Item No.,Description,HS Code,Destination,Value\n"
                    "A,thing,8505111000,US,100\n\n"
                    "Total Motors,widget,85051110,US,50\n"
                    "Grand Total,,,,150\n合计,,,,150\n", encoding="utf-8")
    rows, problems = read_portfolio(file)
    assert [r["sku"] for r in rows] == ["A", "Total Motors"]
    assert [(p["line"], p["problem"], p["severity"]) for p in problems
            if p["problem"] != "unknown_column"] == [(5, "totals_row", "warning"),
                                                     (6, "totals_row", "warning")]
