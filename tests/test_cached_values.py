"""Tests of xlplugin.workbook.cached_values: computed values stored next to formulas."""

from __future__ import annotations

import decimal
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from defusedxml import ElementTree
from guards import needs_soffice

from xlplugin.libreoffice import recalculate
from xlplugin.workbook.cached_values import write_cached_values

SPACED = "Input Sheet"


def _build(path: Path) -> Path:
    """Two sheets of formulas of every result type; one title has spaces."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SPACED
    ws["A1"] = 21
    ws["A2"] = "plain text"
    ws["B1"] = "=A1*2"
    ws["B2"] = "=A1/3"
    ws["B3"] = '=IF(A1>1,"big","small")'
    ws["B4"] = "=A1>1"
    ws["B5"] = '=IF(A1>100,A1,"")'
    other = wb.create_sheet("Results")
    other["A1"] = f"='{SPACED}'!B1+1"
    other["A2"] = f"=SUM('{SPACED}'!B1:B2)"
    wb.save(path)
    return path


VALUES = {
    SPACED: {"B1": 42, "B2": 7.0, "B3": "big", "B4": True, "B5": None},
    "Results": {"A1": 43, "A2": 49.0},
}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return _build(tmp_path / "book.xlsx")


def _members(path: Path) -> dict[str, tuple[int, bytes]]:
    with zipfile.ZipFile(path) as package:
        return {i.filename: (i.compress_type, package.read(i)) for i in package.infolist()}


def test_readers_that_do_not_calculate_see_the_values(book: Path) -> None:
    write_cached_values(book, VALUES)

    values = openpyxl.load_workbook(book, data_only=True)
    assert [values[SPACED][f"B{row}"].value for row in range(1, 6)] == [42, 7, "big", True, None]
    assert values["Results"]["A1"].value == 43
    assert values["Results"]["A2"].value == 49
    frame = pd.read_excel(book, sheet_name="Results", header=None)
    assert frame[0].tolist() == [43, 49]
    spaced = pd.read_excel(book, sheet_name=SPACED, header=None)
    assert spaced[1].tolist()[:4] == [42, 7, "big", True]


def test_formulas_and_plain_cells_are_kept(book: Path) -> None:
    write_cached_values(book, VALUES)

    formulas = openpyxl.load_workbook(book)
    assert formulas[SPACED]["B1"].value == "=A1*2"
    assert formulas[SPACED]["B3"].value == '=IF(A1>1,"big","small")'
    assert formulas["Results"]["A1"].value == f"='{SPACED}'!B1+1"
    assert formulas[SPACED]["A1"].value == 21
    assert formulas[SPACED]["A2"].value == "plain text"


def test_types_are_written_as_excel_expects(book: Path) -> None:
    write_cached_values(book, VALUES)

    with zipfile.ZipFile(book) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B1"><f>A1*2</f><v>42</v></c>' in sheet
    assert '<c r="B3" t="str"><f>IF(A1&gt;1,"big","small")</f><v>big</v></c>' in sheet
    assert '<c r="B4" t="b"><f>A1&gt;1</f><v>1</v></c>' in sheet
    assert '<c r="B5"><f>IF(A1&gt;100,A1,"")</f><v/></c>' in sheet


def test_only_the_patched_sheet_changes(book: Path) -> None:
    before = _members(book)
    write_cached_values(book, {"Results": {"A1": 43}})
    after = _members(book)

    assert list(after) == list(before)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["xl/worksheets/sheet2.xml"]
    assert after["xl/worksheets/sheet2.xml"][0] == before["xl/worksheets/sheet2.xml"][0]
    # Excel still recalculates the whole workbook when it opens it.
    assert b'fullCalcOnLoad="1"' in after["xl/workbook.xml"][1]


def test_numbers_round_trip_exactly(book: Path) -> None:
    numbers = {
        "B1": 0.1 + 0.2,
        "B2": 1 / 3,
        "B3": 1e-300,
        "B4": -0.0,
        "B5": 2**53 + 1,
    }
    write_cached_values(book, {SPACED: numbers, "Results": {"A1": 12345678.901234567}})

    values = openpyxl.load_workbook(book, data_only=True)
    for ref, number in numbers.items():
        assert values[SPACED][ref].value == number, ref
    assert values["Results"]["A1"].value == 12345678.901234567


def test_numpy_decimal_and_bool_values(book: Path) -> None:
    write_cached_values(
        book,
        {
            SPACED: {"B1": np.int64(42), "B2": np.float64(2.5), "B4": np.bool_(False)},
            "Results": {"A1": decimal.Decimal("1.25"), "A2": np.float32(0.5)},
        },
    )

    values = openpyxl.load_workbook(book, data_only=True)
    assert values[SPACED]["B1"].value == 42
    assert values[SPACED]["B2"].value == 2.5
    assert values[SPACED]["B4"].value is False
    assert values["Results"]["A1"].value == 1.25
    assert values["Results"]["A2"].value == 0.5


def test_strings_are_escaped(book: Path) -> None:
    text = 'a < b & c > "d" Zürich € \r\n end'
    write_cached_values(book, {SPACED: {"B3": text}})

    assert openpyxl.load_workbook(book, data_only=True)[SPACED]["B3"].value == text


def test_writing_twice_replaces_the_value_and_its_type(book: Path) -> None:
    write_cached_values(book, {SPACED: {"B3": "big"}})
    write_cached_values(book, {SPACED: {"B3": 5}})
    write_cached_values(book, {SPACED: {"B1": 1}})
    write_cached_values(book, {SPACED: {"B1": None}})

    values = openpyxl.load_workbook(book, data_only=True)[SPACED]
    assert values["B3"].value == 5
    assert values["B1"].value is None


def test_references_are_normalized(book: Path) -> None:
    write_cached_values(book, {SPACED: {"$B$1": 42, "b2": 7}})

    values = openpyxl.load_workbook(book, data_only=True)[SPACED]
    assert (values["B1"].value, values["B2"].value) == (42, 7)


@pytest.mark.parametrize(
    ("cells", "error", "message"),
    [
        ({"B9": 1}, ValueError, r"'Input Sheet'!B9: no such cell"),
        ({"A1": 1}, ValueError, r"'Input Sheet'!A1: the cell holds no formula"),
        ({"A2": "x"}, ValueError, r"'Input Sheet'!A2: the cell holds no formula"),
        ({"B1": math.nan}, ValueError, r"'Input Sheet'!B1: nan cannot be stored"),
        ({"B1": np.float64("inf")}, ValueError, r"'Input Sheet'!B1: inf cannot be stored"),
        ({"B3": "bell\x07"}, ValueError, r"'Input Sheet'!B3: .*character XML cannot carry"),
        ({"B1": [1]}, TypeError, r"'Input Sheet'!B1: cannot store a list"),
        ({"B1": 1 + 2j}, TypeError, r"'Input Sheet'!B1: cannot store a complex"),
    ],
)
def test_bad_cells_are_rejected_and_the_file_is_untouched(
    book: Path, cells: dict[str, object], error: type[Exception], message: str
) -> None:
    before = book.read_bytes()

    with pytest.raises(error, match=message):
        write_cached_values(book, {SPACED: cells})

    assert book.read_bytes() == before
    assert [p.name for p in book.parent.iterdir()] == [book.name]


def test_unknown_sheet_is_rejected(book: Path) -> None:
    with pytest.raises(ValueError, match=r"no worksheet named 'Nope'"):
        write_cached_values(book, {"Nope": {"A1": 1}})


def test_nothing_to_write_leaves_the_file_alone(book: Path) -> None:
    before = book.stat().st_mtime_ns, book.read_bytes()

    write_cached_values(book, {SPACED: {}})

    assert (book.stat().st_mtime_ns, book.read_bytes()) == before


@pytest.mark.parametrize("values", [{"Results": {"A1": 43}}, {SPACED: {}}])
def test_deflate_all_compresses_a_stored_package(tmp_path: Path, values: dict) -> None:
    book = _build(tmp_path / "book.xlsx")
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(stored, "w") as target:
        for info in source.infolist():  # every member stored, none compressed
            target.writestr(zipfile.ZipInfo(info.filename, info.date_time), source.read(info))
    assert {kind for kind, _ in _members(stored).values()} == {zipfile.ZIP_STORED}

    write_cached_values(stored, values, deflate_all=True)

    after = _members(stored)
    assert {kind for kind, _ in after.values()} == {zipfile.ZIP_DEFLATED}
    assert list(after) == list(_members(book))
    assert stored.stat().st_size < book.stat().st_size * 1.1
    assert openpyxl.load_workbook(stored, data_only=True)["Results"]["A1"].value == (
        43 if "Results" in values else None
    )


def test_file_mode_is_kept(book: Path) -> None:
    book.chmod(0o640)

    write_cached_values(book, {SPACED: {"B1": 42}})

    assert book.stat().st_mode & 0o777 == 0o640


# A sheet as Excel writes it: XML declaration, prefixes that only mc:Ignorable
# names, attributes in other namespaces, a shared formula, an old error value.
EXCEL_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
    'xr:uid="{00000000-0001-0000-0000-000000000000}">'
    '<dimension ref="A1:B3"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols><col min="1" max="1" '
    'width="9"/></cols><sheetData>'
    '<row r="1" spans="1:2" x14ac:dyDescent="0.25"><c r="A1"><v>2</v></c>'
    '<c r="B1" s="0" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    '<row r="2" spans="1:2"><c r="A2"><v>3</v></c>'
    '<c r="B2"><f t="shared" ref="B2:B3" si="0">A2*10</f><v>30</v></c></row>'
    '<row r="3" spans="1:2"><c r="A3"><v>4</v></c><c r="B3"><f t="shared" si="0"/>'
    "<v>40</v></c></row>"
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
    'footer="0.3"/></worksheet>'
)


def _as_excel_writes_it(path: Path) -> Path:
    """Move the first sheet to another part name behind a relative target."""
    rewritten = path.with_name("excel.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            name = info.filename
            if name == "xl/worksheets/sheet1.xml":
                name, data = "xl/worksheets/sheet9.xml", EXCEL_SHEET.encode()
            elif name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(b"/xl/worksheets/sheet1.xml", b"/xl/worksheets/sheet9.xml")
                data = data.replace(b'Target="/xl/worksheets/', b'Target="worksheets/')
            target.writestr(zipfile.ZipInfo(name, info.date_time), data, info.compress_type)
    return rewritten


def test_excel_style_sheet_keeps_its_declaration_and_namespaces(book: Path) -> None:
    excel = _as_excel_writes_it(book)

    write_cached_values(excel, {SPACED: {"B1": 1.5, "B2": 20, "B3": 30}})

    with zipfile.ZipFile(excel) as package:
        sheet = package.read("xl/worksheets/sheet9.xml").decode()
    ElementTree.fromstring(sheet.encode())  # still well-formed
    cells = re.search(r"<sheetData>.*</sheetData>", sheet)[0]
    assert sheet.replace(cells, "") == EXCEL_SHEET.replace(
        re.search(r"<sheetData>.*</sheetData>", EXCEL_SHEET)[0], ""
    )
    assert '<c r="B1" s="0"><f>1/0</f><v>1.5</v></c>' in cells
    assert '<c r="B3"><f t="shared" si="0"/><v>30</v></c>' in cells
    values = openpyxl.load_workbook(excel, data_only=True)[SPACED]
    assert [values[f"B{row}"].value for row in (1, 2, 3)] == [1.5, 20, 30]
    assert openpyxl.load_workbook(excel)[SPACED]["B1"].value == "=1/0"


def test_prefixed_main_namespace(book: Path) -> None:
    with zipfile.ZipFile(book) as package:
        original = package.read("xl/worksheets/sheet2.xml").decode()
    prefixed = re.sub(r"<(/?)(?=[a-zA-Z])", r"<\1x:", original).replace("xmlns=", "xmlns:x=")
    rewritten = book.with_name("prefixed.xlsx")
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = prefixed.encode()
            target.writestr(info, data)

    write_cached_values(rewritten, {"Results": {"A1": 43}})

    with zipfile.ZipFile(rewritten) as package:
        sheet = package.read("xl/worksheets/sheet2.xml").decode()
    assert "<x:c r=\"A1\"><x:f>'Input Sheet'!B1+1</x:f><x:v>43</x:v></x:c>" in sheet


@pytest.mark.libreoffice
@needs_soffice
def test_libreoffice_opens_the_patched_file(book: Path, tmp_path: Path) -> None:
    write_cached_values(book, VALUES)

    recalculated = recalculate(book, tmp_path / "out")

    values = openpyxl.load_workbook(recalculated, data_only=True)
    assert values[SPACED]["B1"].value == 42
    assert values[SPACED]["B3"].value == "big"
    assert values["Results"]["A2"].value == 49
