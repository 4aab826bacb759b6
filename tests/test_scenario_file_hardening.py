"""Scenario files the workbook would misread: names its MATCH cannot tell apart, and merged
cells whose value shows in cells that do not hold it."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from guards import no_hang
from scenario_files import error_of, write_csv, write_xlsx

from xlplugin import scenario_file
from xlplugin.scenario_file import ScenarioFileError, read_scenarios
from xlplugin.workbook.scenarios_sheet import default_scenarios


# Names the workbook's MATCH cannot tell apart -------------------------------------------
# ("ı", "I"): casefold keeps a dotless i apart from I, LibreOffice's MATCH does not (the
# Estimate picked as "I" showed the other scenario's figures); likewise a long s.
@pytest.mark.parametrize(
    ("first", "second"), [("Plan", "plan"), ("Été", "ÉTÉ"), ("ı", "I"), ("I", "ı"), ("ſ", "S")]
)
def test_names_equal_but_for_case_are_refused_naming_both_rows(tmp_path, first, second):
    message = error_of(write_csv(tmp_path, f"scenario,dau\n{first},1M\nOther,2M\n{second},3M\n"))
    assert message.startswith(
        f"scenarios.csv row 4, column scenario: scenario name {second!r} differs from "
        f"{first!r} (row 2) only in case; accepts names that differ in more than case"
    )
    assert "rename one" in message


def test_a_made_up_name_never_clashes_with_a_given_one_in_another_case(tmp_path):
    frame = read_scenarios(write_csv(tmp_path, "scenario,dau\n,5\nscenario 1,6\n"))
    assert list(frame["scenario"]) == ["Scenario 2", "scenario 1"]


@pytest.mark.parametrize(
    ("name", "wildcard", "suggested"),
    [("A*", "*", "'A'"), ("Plan ? B", "?", "'Plan B'"), ("a~b", "~", "'ab'")],
)
def test_names_with_wildcards_are_refused_with_the_name_without_them(
    tmp_path, name, wildcard, suggested
):
    message = error_of(write_csv(tmp_path, f"scenario,dau\nAB,1M\n{name},2M\n"))
    assert message.startswith(
        f"scenarios.csv row 3, column scenario: got {name!r}, holding {wildcard!r}; "
        f"accepts a name without *, ? or ~, such as {suggested} "
    )
    assert "reads them as wildcards" in message


def test_a_name_of_wildcards_only_gets_no_empty_suggestion(tmp_path):
    message = error_of(write_csv(tmp_path, "scenario,dau\n???,1M\n"))
    assert "accepts a name without *, ? or ~ (the workbook" in message


def test_the_builds_own_default_scenarios_pass_the_same_checks(tmp_path):
    defaults = default_scenarios()
    path = tmp_path / "defaults.csv"
    defaults.to_csv(path, index=False)
    assert list(read_scenarios(path)["scenario"]) == list(defaults["scenario"])


# Merged cells ---------------------------------------------------------------------------
def test_a_merged_value_over_two_scenarios_is_refused_naming_the_range(tmp_path):
    rows = [["scenario", "dau", "gpu"], ["A", "500M", "H100"], ["B", None, None]]
    message = error_of(write_xlsx(tmp_path, rows, merged=("B2:B3",)))
    assert message == (
        "scenarios.xlsx: cells B2:B3 are merged; the value shown in each is held by B2 only "
        "(the others would take the default); accepts one value per cell: unmerge them and "
        "type each scenario's value"
    )


@pytest.mark.parametrize("cells", ["C2:D2", "A1:B1", "A3:C4"])
def test_any_merge_whose_first_cell_holds_a_value_is_refused(tmp_path, cells):
    rows = [["scenario", "dau", "gpu"], ["A", "500M", "H100"], ["B", 1e6, "A100"]]
    assert f"cells {cells} are merged" in error_of(write_xlsx(tmp_path, rows, merged=(cells,)))


def test_merged_empty_cells_are_formatting_and_accepted(tmp_path):
    rows = [["scenario", "dau", "gpu"], ["A", "500M", None], ["B", 1e6, None]]
    frame = read_scenarios(write_xlsx(tmp_path, rows, merged=("C2:C3", "E5:G9")))
    assert list(frame["dau"]) == [5e8, 1e6]


def with_merge_cells(path: Path, refs: list[str]) -> Path:
    """The package with ``refs`` as the first sheet's merges, written into its XML where
    the schema puts them (after the cells): for refs openpyxl would not write."""
    member = "xl/worksheets/sheet1.xml"
    merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs)
    element = f'</sheetData><mergeCells count="{len(refs)}">{merges}</mergeCells>'.encode()
    with zipfile.ZipFile(path) as package:
        parts = [(info.filename, package.read(info)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            package.writestr(
                name, data.replace(b"</sheetData>", element) if name == member else data
            )
    return path


def test_a_merge_written_with_dollars_is_named_without_them(tmp_path):
    rows = [["scenario", "dau"], ["A", "5M"], ["B", 1]]
    path = with_merge_cells(write_xlsx(tmp_path, rows), ["$B$2:$B$3"])
    assert error_of(path).startswith("scenarios.xlsx: cells B2:B3 are merged; ")


@pytest.mark.parametrize("ref", ["B2:", "2:3", "B3:B2"])
def test_a_merge_that_is_no_range_of_cells_is_refused_in_one_line(tmp_path, ref):
    path = with_merge_cells(write_xlsx(tmp_path, [["scenario", "dau"], ["A", 1]]), [ref])
    assert "cannot be read as an .xlsx workbook" in error_of(path)  # by openpyxl, first


def test_many_merges_of_empty_cells_are_read_as_a_stream(tmp_path):
    refs = [f"E{row}:F{row}" for row in range(1, scenario_file.MAX_MERGED_RANGES + 1)]
    path = with_merge_cells(write_xlsx(tmp_path, [["scenario", "dau"], ["A", 1]]), refs)
    with no_hang(10):
        assert list(read_scenarios(path)["dau"]) == [1.0]


def test_too_many_merges_are_refused_before_openpyxl_reads_them(tmp_path, monkeypatch):
    """openpyxl reads every merge as an object even in read-only mode: two million, in a
    9 MB file, cost it 25 s and 1.3 GB. They are counted first."""

    def never(*args):
        raise AssertionError("openpyxl read the cells (and the merges)")

    monkeypatch.setattr(scenario_file, "_sheet_rows", never)
    limit = scenario_file.MAX_MERGED_RANGES
    refs = [f"E{row}:F{row}" for row in range(1, limit + 2)]
    path = with_merge_cells(write_xlsx(tmp_path, [["scenario", "dau"], ["A", 1]]), refs)
    assert error_of(path) == (
        f"scenarios.xlsx: merged cells: got more than {limit:,} ranges; accepts at most "
        f"{limit:,} ranges"
    )


def test_the_merge_reader_builds_no_tree():
    """Memory stays flat however long the sheet: 200,000 rows of cells, 20 MB of XML."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>S{r}</t></is></c><c r="B{r}"><v>{r}</v>'
        "</c></row>"
        for r in range(1, 200_001)
    )
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData>{rows}</sheetData><mergeCells count="1"><mergeCell ref="C1:D1"/>'
        "</mergeCells></worksheet>"
    ).encode()
    found = []
    tracemalloc.start()
    try:
        scenario_file._each_merge(io.BytesIO(xml), found.append)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == ["C1:D1"]
    assert peak < len(xml) // 10, peak


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (["Plan", "plan"], "differs from 'Plan' (row 1) only in case"),
        (["Plan", "Plan"], "repeats row 1"),
        (["A*", "B"], "holding '*'"),
    ],
)
def test_a_table_built_from_python_is_held_to_the_same_names(tmp_path, names, says):
    """build_workbook(scenarios=DataFrame) bypasses the file reader: its names are checked
    all the same, before anything is written."""
    from xlplugin.workbook.build import build_workbook

    target = tmp_path / "t.xlsx"
    with pytest.raises(ScenarioFileError, match=re.escape(says)):
        build_workbook(target, pd.DataFrame({"scenario": names, "dau": [1e8, 2e8]}))
    assert not target.exists() and not list(tmp_path.iterdir())


# Which worksheet ----------------------------------------------------------------------------
def _two_sheets(folder, hidden: bool, active: int):
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Old"
    first.append(["scenario", "dau"])
    first.append(["Plan", 1e8])
    second = book.create_sheet("Current")
    second.append(["scenario", "dau"])
    second.append(["Plan", 3e8])
    first.sheet_state = "hidden" if hidden else "visible"
    book.active = active
    path = folder / "scenarios.xlsx"
    book.save(path)
    return path


def test_a_hidden_first_worksheet_is_refused(tmp_path):
    """The scenarios are read from the first worksheet: hidden, its rows were built into
    the workbook without a word."""
    message = error_of(_two_sheets(tmp_path, hidden=True, active=1))
    assert message == (
        "scenarios.xlsx: the first worksheet, 'Old', is hidden; scenarios are read from "
        "the first worksheet: unhide it, or move the scenarios' sheet first"
    )


def test_a_workbook_open_on_another_sheet_is_refused(tmp_path):
    message = error_of(_two_sheets(tmp_path, hidden=False, active=1))
    assert "opens on worksheet 'Current', but scenarios are read from the first" in message
    frame = read_scenarios(_two_sheets(tmp_path, hidden=False, active=0))
    assert list(frame["dau"]) == [1e8]


# Numbers a workbook cell cannot hold ------------------------------------------------------
# formulas computes up to 1.8e+308; the Scenarios sheet bounds every input by Excel's largest
# number, so a row above it was cached as computed and then refused by the sheet's own check.
def test_a_number_beyond_excels_largest_is_refused_with_its_row(tmp_path):
    message = error_of(write_csv(tmp_path, "scenario,ttft_target_seconds\nA,5\nB,1.5e308\n"))
    assert message == (
        "scenarios.csv row 3, column ttft_target_seconds: got 1.5e+308; accepts a number > 0, "
        "at most 9.99999999999999e+307 (Excel's largest number)"
    )
    read_scenarios(write_csv(tmp_path, "scenario,ttft_target_seconds\nA,9.99999999999999e307\n"))


def test_a_table_beyond_excels_largest_is_refused_before_a_build(tmp_path):
    from xlplugin.workbook.build import build_workbook

    frame = pd.DataFrame({"scenario": ["A", "B"], "max_gpus_per_replica": [8, 1.7e308]})
    with pytest.raises(ValueError) as caught:
        build_workbook(tmp_path / "x.xlsx", frame)
    assert str(caught.value) == (
        "max_gpus_per_replica: got 1.7e+308 (row 2); accepts a whole number >= 1, "
        "at most 9.99999999999999e+307 (Excel's largest number)"
    )
    assert not list(tmp_path.iterdir())
