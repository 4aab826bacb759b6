"""What a finance reader sees: units people read, one visual language, validation that
stops mistakes, protection as About says it, and pages that print.

The print test renders the workbook with LibreOffice to PDF and reads each page's text:
every page belongs to a sheet (its header names it), no page is blank, and each sheet
prints on a bounded number of pages.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import zipfile

import bad_inputs
import openpyxl
import pytest
from guards import needs_soffice
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter
from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from xlplugin import formulas
from xlplugin.libreoffice import to_pdf
from xlplugin.workbook import checks_sheet
from xlplugin.workbook.about_sheet import BUILD_DATE_CELL
from xlplugin.workbook.build import build_workbook, default_scenarios
from xlplugin.workbook.charts import AXIS_FORMATS, CHARTS_FIRST_ROW, unlinked_label_formats
from xlplugin.workbook.inputs_sheet import HIGH_COLUMN, LOW_COLUMN, input_validation
from xlplugin.workbook.layout import (
    CATALOG_TABLES,
    PRINT,
    SCENARIOS_HEADER,
    SHEETS,
    Layout,
    flag_cells,
    why_cells,
)
from xlplugin.workbook.styles import (
    BOOLEAN,
    CALCULATION_FILL,
    FLAG_FORMAT,
    LEGEND,
    lines,
    number_format,
)

LEGEND_STYLES = {style for style, _ in LEGEND}
SCENARIOS = "Scenarios"  # its writer decides how rows are added to its table


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_workbook(tmp_path_factory.mktemp("p") / "t.xlsx", build_date="2026-02-03")


@pytest.fixture(scope="module")
def book(built):
    return openpyxl.load_workbook(built)


@pytest.fixture(scope="module")
def layout():
    return Layout(len(default_scenarios()))


# Units people read ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("unit", "shown"),
    [
        ("B", "PB"),
        ("B/day", "PB/day"),
        ("B/request", "MB"),
        ("bit/s", "Gbit/s"),
        ("USD/month", '"M"'),
        ("FLOP/s", "TFLOP/s"),
        ("parameters", "bn"),
        ("s", '" s"'),
    ],
)
def test_long_units_show_scaled(unit, shown):
    assert shown in number_format(unit)


def test_the_estimate_shows_scaled_units(book, layout):
    ws = book["Estimate"]
    for name, scale in (
        ("retained_storage_bytes", "PB"),
        ("egress_bits_per_second", "Gbit/s"),
        ("total_usd_per_month", "$"),
        ("gpu_count", "#,##0"),
    ):
        assert scale in ws.cell(layout.estimate_row[name], 2).number_format, name


def test_charts_speak_plain_words(book):
    charts = [c for ws in book.worksheets for c in ws._charts]
    assert len(charts) == 6
    for chart in charts:
        for series in chart.series:
            label = series.tx.v if isinstance(series.tx, SeriesLabel) else None
            assert label and "_" not in label, label
        axis = getattr(chart, "y_axis", None)
        if axis is not None and axis.title is not None:
            text = "".join(r.t for p in axis.title.tx.rich.p for r in (p.r or []))
            assert "_" not in text and text != "B", text


# One visual language ----------------------------------------------------------------------
def test_the_legend_samples_are_the_styles_used(book):
    ws = book["About"]
    samples = {}
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].style in LEGEND_STYLES and row[1].value:
            samples[row[0].style] = row[1].value
    assert set(samples) == LEGEND_STYLES
    used = set()
    flag_reasons = {(sheet, ref) for sheet, ref in why_cells().items()}
    for sheet in book.worksheets:
        if sheet.title in ("Scenarios", "About"):
            continue
        for row in sheet.iter_rows():
            for cell in row:
                if (sheet.title, cell.coordinate) in flag_reasons:
                    # The red flag's reason, in the flag's red, with no box round it.
                    assert cell.style == "Normal" and cell.font.color.rgb.endswith("9C0006")
                    assert not cell.border.left.style and cell.fill.fill_type is None
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    used.add(cell.style)
                    assert cell.style in LEGEND_STYLES, (sheet.title, cell.coordinate, cell.style)
    assert {"Calculation", "Output", "Linked Cell", "Check Cell"} <= used


def test_booleans_show_true_and_false(book):
    checks = book["Checks"]
    for row in range(3, checks.max_row + 1):
        cell = checks.cell(row, 2)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            assert cell.number_format == BOOLEAN, cell.coordinate
    assert number_format("") == BOOLEAN  # inputs_valid and ok on Scenarios
    # A step whose unit is TRUE/FALSE: LibreOffice shows an uncalculated one as 1 or 0.
    estimate = book["Estimate"]
    logical = [
        r for r in range(1, estimate.max_row + 1) if estimate.cell(r, 3).value == "TRUE/FALSE"
    ]
    assert len(logical) >= 3
    assert {estimate.cell(r, 2).number_format for r in logical} == {FLAG_FORMAT}


def test_every_sheet_shows_the_master_flag_readably(book):
    for sheet, ref in flag_cells().items():
        ws = book[sheet]
        cell = ws[ref]
        assert cell.value == "=master_check+0" and cell.style == "Check Cell", sheet
        assert cell.number_format == FLAG_FORMAT  # 1 shows TRUE, 0 FALSE
        rules = [r for cf in ws.conditional_formatting for r in cf.rules if ref in str(cf.sqref)]
        colours = {tuple(r.formula): r.dxf.font.color.rgb for r in rules}
        assert colours[("1",)].endswith("006100") and colours[("0",)].endswith("9C0006")
    assert set(flag_cells()) == set(SHEETS) - {"Checks"}  # Checks holds the flag itself (B3)


# Validation that stops mistakes -----------------------------------------------------------
def _validations(ws) -> dict[str, object]:
    return {str(r): dv for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}


def test_every_input_refuses_what_it_does_not_accept(book, layout):
    ws = book["Inputs"]
    found = _validations(ws)
    for q in INPUTS:
        dv = found[f"B{layout.input_row[q.name]}"]
        assert dv.showErrorMessage and dv.showInputMessage and dv.error and dv.prompt, q.name
        assert dv.errorStyle == ("warning" if q.name == "gpu" else "stop"), q.name
    assert found[f"B{layout.input_row['gpu']}"].formula1 == "catalog_gpu_name"
    assert found[f"B{layout.input_row['precision']}"].formula1 == "catalog_precision_name"
    assert found[f"B{layout.input_row['dau']}"].operator == "greaterThan"
    assert found[f"B{layout.input_row['profile_bytes']}"].operator == "greaterThanOrEqual"
    fraction = found[f"B{layout.input_row['usable_memory_fraction']}"]
    assert fraction.type == "custom" and ">0" in fraction.formula1 and "<=1" in fraction.formula1
    assert found[f"B{layout.input_row['retention_months']}"].type == "whole"
    assert "catalog_gpu_name" in book.defined_names  # the list grows with the table's rows


def test_scenario_checks_look_like_every_check(book, layout):
    """A row's checks green when TRUE, red when FALSE, down the whole table (they were
    plain text beside the green and red checks of every other sheet)."""
    ws = book["Scenarios"]
    for name in ("inputs_valid", "ok"):
        letter = get_column_letter(layout.scenario_column[name])
        ref = f"{letter}{layout.scenario_first}:{letter}{layout.scenario_last}"
        rules = [r for f in ws.conditional_formatting if str(f.sqref) == ref for r in f.rules]
        assert {tuple(r.formula) for r in rules} == {("TRUE",), ("FALSE",)}, name


def test_bounds_show_open_and_closed(book, layout):
    ws = book["Inputs"]
    assert ws.cell(layout.input_row["dau"], LOW_COLUMN).number_format.startswith('"> "')
    assert ws.cell(layout.input_row["profile_bytes"], LOW_COLUMN).number_format.startswith('"≥ "')
    assert ws.cell(layout.input_row["utilization"], HIGH_COLUMN).number_format.startswith('"≤ "')


def test_the_validation_helper_covers_a_range():
    dv = input_validation(INPUT["utilization"], "R6:R105")
    assert str(dv.sqref) == "R6:R105" and "R6" in dv.formula1 and "R7" not in dv.formula1
    assert dv.showErrorMessage and dv.errorStyle == "stop"


# Protection as About says it ---------------------------------------------------------------
@pytest.mark.parametrize("variant", ["native", "plugin"])
def test_protection_follows_about(tmp_path, variant):
    wb = openpyxl.load_workbook(build_workbook(tmp_path / "v.xlsx", variant=variant))
    about = " ".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    assert "Every sheet is protected without a password" in about
    for ws in wb.worksheets:
        if ws.title == SCENARIOS:
            continue
        expect = not (variant == "plugin" and ws.title == "Estimate")
        assert bool(ws.protection.sheet) == expect, ws.title
        assert not ws.protection.password, ws.title
        if not ws.protection.sheet:
            continue
        for row in ws.iter_rows():
            for cell in row:
                if cell.style == "Input":
                    assert not cell.protection.locked, (ws.title, cell.coordinate)
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.protection.locked, (ws.title, cell.coordinate)
    if variant == "plugin":
        assert "not protected" in about


# Print-ready --------------------------------------------------------------------------------
def test_print_settings(book):
    for ws in book.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        fit = PRINT[ws.title].get("fit_width")
        if fit:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
            tall = PRINT[ws.title].get("fit_height", 0)
            assert int(setup.fitToWidth) == fit and int(setup.fitToHeight) == tall, ws.title
        header, footer = ws.oddHeader, ws.oddFooter
        assert header.center.text == "&A" and "2026-02-03" in header.right.text
        assert "Version" in header.right.text and "&P" in footer.right.text
        assert "&N" in footer.right.text
    for sheet in ("Scenarios", "Projection"):
        ws = book[sheet]
        assert ws.print_title_rows and ws.print_title_cols.replace("$", "") == "A:A", sheet
    assert book["About"][BUILD_DATE_CELL].value == "2026-02-03"


def test_about_says_how_each_sheet_prints(book):
    """About's Printing row tells, sheet by sheet, what the file's page setup does (it said
    "fitted to the page width" of the Catalog, two pages wide, and the Scenarios, at 60 %)."""
    about = book["About"]
    [text] = [about.cell(r, 2).value for r in range(1, 40) if about.cell(r, 1).value == "Printing"]
    fitted = text.split(" fit the page width")[0].split(". ")[-1]
    words = {2: "two", 3: "three", 4: "four"}
    for ws in book.worksheets:
        setup, fits = ws.page_setup, ws.sheet_properties.pageSetUpPr.fitToPage
        if fits and int(setup.fitToWidth) == 1:
            assert ws.title in fitted, ws.title
        elif fits:
            wide = f"{words[int(setup.fitToWidth)]} pages wide"
            assert re.search(rf"the {ws.title} sheet (prints )?{wide}", text), ws.title
        else:
            assert f"the {ws.title} sheet at {int(setup.scale)} %" in text, ws.title
            assert ws.title not in fitted
    # A block of scenarios prints its inputs and then its outputs, before the next block.
    assert book["Scenarios"].page_setup.pageOrder == "overThenDown"
    assert "columns take, across then down" in text


def _lines(ws, cell) -> int:
    """Lines a text takes in its column, unclipped: about a character of "0" a character (a
    tenth more in bold, scaled by its size), plus its indent."""
    width = ws.column_dimensions[cell.column_letter].width or 8.43
    font = cell.font
    size, bold = (font.sz or 11) if font else 11, bool(font and font.b)
    indent = cell.alignment.indent if cell.alignment else 0
    need = len(str(cell.value)) * size / 11 * (1.1 if bold else 1) + indent
    return math.ceil(need / width)


def _cut(ws, cell) -> bool:
    """A text cut at its column's edge: longer than a line, unless it wraps in a row as
    tall as its lines (15 points a line of 11-point text)."""
    lines = _lines(ws, cell)
    if lines == 1:
        return False
    size = (cell.font.sz or 11) if cell.font else 11
    height = ws.row_dimensions[cell.row].height or 15
    return not (cell.alignment and cell.alignment.wrap_text and height >= lines * 15 * size / 11)


def test_names_units_and_headers_are_not_cut(book, layout):
    """The vocabulary names and units beside the numbers, and the Catalog's headers and
    units, whole (they were cut: interaction_storage_bytes_per_day,
    output_tokens_per_second_per_gpu, parameters/dimension², unet_flops_per_pixel)."""
    estimate, inputs, catalog = book["Estimate"], book["Inputs"], book["Catalog"]
    cells = [estimate.cell(row, c) for row in layout.estimate_row.values() for c in (3, 5)]
    rows = range(layout.input_row["dau"], layout.inputs_last + 1)
    cells += [inputs.cell(row, c) for row in rows for c in (3, 4)]
    for header, _ in layout.catalog_rows.values():
        cells += [c for row in (header - 1, header) for c in catalog[row] if c.value]
    cut = [(c.parent.title, c.coordinate, c.value) for c in cells if c.value and _cut(c.parent, c)]
    assert len(cells) > 300 and not cut, cut


def test_catalog_text_stands_apart_from_numbers(book, layout):
    """A Catalog text cell right of a number (right-aligned, at its column's edge) is
    indented: "2021" then "S2" read as "2021S2" otherwise (spec_as_of, confidence)."""
    ws, checked = book["Catalog"], 0
    for header, last in layout.catalog_rows.values():
        for row in ws.iter_rows(min_row=header + 1, max_row=last, min_col=2):
            for cell in row:
                left = ws.cell(cell.row, cell.column - 1).value
                if isinstance(cell.value, str) and isinstance(left, int | float):
                    assert cell.alignment.indent >= 1, (cell.coordinate, left, cell.value)
                    checked += 1
    assert checked >= 30  # the GPUs' price sources, aliases and confidences at least


def test_charts_lie_inside_the_print_area(book):
    """A printed chart is cut where its sheet's print area ends: each one's bottom edge (its
    anchor row plus its height, over the rows' heights) is within the area."""
    checked = 0
    for ws in book.worksheets:
        if not ws.print_area:
            continue
        last_row = int(re.search(r"\$(\d+)$", str(ws.print_area))[1])
        for chart in ws._charts:
            anchor = chart.anchor
            row, height = anchor._from.row + 1, anchor.ext.height / 12_700  # EMU to points
            while height > 0:  # rows below the anchor, until the chart's height is used up
                height -= ws.row_dimensions[row].height or 15
                row += 1
            assert row - 1 <= last_row, (ws.title, row - 1, ws.print_area)
            checked += 1
    assert checked >= 1  # the Sensitivity sheet's tornado


def test_a_chart_page_starts_with_an_empty_row(book):
    """Each row of charts on the Charts sheet starts a printed page (the first under the
    sheet's title), one empty row below the break: a chart anchored on the page's first
    row printed its top border at the foot of the page before."""
    ws = book["Charts"]
    breaks = {b.id for b in ws.row_breaks.brk}
    anchors = {chart.anchor._from.row + 1 for chart in ws._charts}
    starts = sorted(row for row in anchors if row - 2 in breaks)
    assert len(starts) == 1, (anchors, breaks)  # the costs; the pie and GPUs on page 1
    assert min(anchors) == CHARTS_FIRST_ROW and not breaks & set(range(CHARTS_FIRST_ROW))
    for row in starts:
        assert not any(cell.value for cell in ws[row - 1]), row


def test_no_chart_prints_under_a_table_header(book):
    """The Estimate's pages are its table: its header row repeats on each, and printed
    above its charts it headed no rows."""
    assert not book["Estimate"]._charts and len(book["Charts"]._charts) == 3


def test_the_pie_shows_shares_that_add_up(built):
    """The pie's percentages to a tenth, in a format of their own (not the cells', which
    LibreOffice takes when ``sourceLinked`` is missing): 96 % + 4 % + 1 % printed 101 %."""
    with zipfile.ZipFile(built) as package:
        charts = [package.read(n) for n in package.namelist() if n.startswith("xl/charts/")]
    labels = [re.findall(rb"<dLbls><numFmt [^>]*>", xml) for xml in charts]
    assert [found for found in labels if found] == [
        [b'<dLbls><numFmt formatCode="0.0%" sourceLinked="0" />']
    ]


def test_label_formats_change_in_chart_parts_only():
    xml = b'<c:dLbls><c:numFmt formatCode="0%"/><c:showVal val="1"/></c:dLbls>'
    assert unlinked_label_formats("xl/charts/chart7.xml", xml) == (
        b'<c:dLbls><c:numFmt formatCode="0%" sourceLinked="0" /><c:showVal val="1"/></c:dLbls>'
    )
    assert unlinked_label_formats("xl/worksheets/sheet1.xml", xml) == xml
    axis = b'<numFmt formatCode="0" sourceLinked="0" />'  # an axis's: as it is
    assert unlinked_label_formats("xl/charts/chart1.xml", axis) == axis


def test_cost_axes_read_in_billions_millions_or_dollars():
    sections = AXIS_FORMATS["USD/month"].split(";")
    assert [s.split("]")[0] for s in sections[:2]] == ["[>=1E9", "[>=1E5"]
    assert sections[0].endswith(',,,"B"') and sections[1].endswith(',,"M"')
    assert "," not in sections[2].replace("#,##0", "")  # under a million: whole dollars


def test_gpu_bars_say_their_count(book):
    """On a log axis a bar's length understates ratios: each GPU bar carries its value."""
    [chart] = [
        c
        for c in book["Charts"]._charts
        if getattr(c, "y_axis", None) and c.y_axis.scaling.logBase == 10
    ]
    assert chart.series[0].tx.v == "GPUs"
    assert chart.dataLabels.showVal and not chart.dataLabels.showPercent


def test_messages_in_figure_cells_stay_in_their_cells(book, layout):
    """A message where a figure goes is right-aligned like the figures, so that it is cut at
    its neighbour: left-aligned, the Projection's last column ran past the table (printed
    smaller) and the Sensitivity base case ran under its neighbour's label."""
    projection = book["Projection"]
    for column in layout.projection_column.values():
        if column > 1:
            cell = projection.cell(layout.projection_first, column)
            assert cell.alignment.horizontal == "right", cell.coordinate
    sensitivity = book["Sensitivity"]
    assert {sensitivity[ref].alignment.horizontal for ref in ("C3", "C4")} == {"right"}


def test_names_typed_beside_numbers_stand_apart(book, layout):
    """Scenarios: "8.1 bn" then "A100" read as "8.1 bnA100" without an indent."""
    ws = book["Scenarios"]
    for q in INPUTS:
        if q.kind == "name":
            cell = ws.cell(layout.scenario_last, layout.scenario_column[q.name])
            assert cell.alignment.indent >= 1 and cell.alignment.horizontal == "left", q.name


def test_about_says_what_the_defaults_reproduce(book):
    """The defaults are the seed's workload sized by the roofline; the seed's own figures
    stand beside them (About said "Inputs reproduce the seed estimate" above 132,117 GPUs
    against the seed's 61)."""
    about = book["About"]
    [text] = [about.cell(r, 2).value for r in range(1, 40) if about.cell(r, 1).value == "Defaults"]
    assert "roofline" in text and "(its FLOPs formula: 61 GPUs)" in text
    assert '"Seed (as published)" reproduces every figure the seed states' in text
    assert "Inputs reproduce the seed estimate" not in text


def test_a_long_word_wraps_onto_more_lines_than_its_length_fills():
    """A URL breaks at a / or a -, not at the cell's edge: its lines are not full."""
    # 108 narrow characters fill 2.9 lines of a 24-wide column of 8-point text, end to end
    assert lines("a" * 108, 24, 8) == 4
    assert lines("a " * 54, 24, 8) == 3  # the same in words: three full lines


def test_fixed_figures_are_notes_not_calculations(book, layout):
    """The constants the formulas use and the Projection's months are fixed figures, not
    formulas: the legend's Note, locked (they were drawn as Calculation: a formula)."""
    from xlplugin.workbook.excel_formulas import CONSTANTS

    inputs = book["Inputs"]
    for name in [c.name for c in CONSTANTS] + ["months"]:
        cell = inputs.cell(layout.input_row[name], 2)
        assert cell.style == "Note" and cell.protection.locked, name


def test_the_costs_print_together(book, layout):
    ws = book["Estimate"]
    [cost] = [row for row, title in layout.estimate_sections if title == "Cost"]
    assert cost - 1 in {b.id for b in ws.row_breaks.brk}
    assert ws["B3"].alignment.wrap_text  # the scenario shown, on the flag row's two lines


def test_figures_of_refused_inputs_are_drawn_blank(book, layout):
    """Under a refused input, the Estimate's steps and the Sensitivity's swings and impacts
    are drawn in their fill's colour (they showed #VALUE!, "$0.0k" ranked 1 to 17 and an
    empty tornado): the red flag's reason beside them says why."""
    from openpyxl.utils.cell import range_boundaries

    from xlplugin.workbook.sensitivity_sheet import NO_BASE_CASE

    def hidden(ws, condition="NOT(inputs_ok)") -> set[tuple[int, int]]:
        cells = set()
        for formatting in ws.conditional_formatting:
            for rule in formatting.rules:
                if rule.formula == [condition]:
                    assert rule.dxf.font.color.rgb.endswith(CALCULATION_FILL)
                    for ref in str(formatting.sqref).split():
                        c1, r1, c2, r2 = range_boundaries(ref)
                        cells |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        return cells

    # and where the base case is no figure (the plugin variant without its add-in)
    assert "NOT(inputs_ok)" in NO_BASE_CASE and "ISNUMBER($C$3)" in NO_BASE_CASE
    assert book["Sensitivity"]["C3"].value == "=Estimate!$B$" + str(
        layout.estimate_row["total_usd_per_month"]
    )
    sensitivity = hidden(book["Sensitivity"], NO_BASE_CASE)
    for row in layout.sensitivity_row.values():
        for column, number in layout.sensitivity_column.items():
            assert ((row, number) in sensitivity) == (column not in ("label", "name", "base"))
    for row in range(layout.sorted_first, layout.sorted_last + 1):
        for column, number in layout.sorted_column.items():
            assert ((row, number) in sensitivity) == (column != "rank"), (row, column)
    estimate = hidden(book["Estimate"])
    assert (layout.estimate_row["catalog_flops"], 2) in estimate
    assert (layout.estimate_row["gpu_count"], 2) not in estimate  # an output: its message


def test_an_outputs_message_wraps_where_its_row_has_room(book, layout):
    """A refused input's message in an output cell: whole in a row of several lines, its
    start (the input's name) in a one-line row."""
    ws = book["Estimate"]
    tall = 0
    for o in OUTPUTS:
        row = layout.estimate_row[o.name]
        lines_ = (ws.row_dimensions[row].height or 15) > 15
        assert bool(ws.cell(row, 2).alignment.wrap_text) == lines_, o.name
        tall += lines_
    assert 0 < tall < len(OUTPUTS)


def test_checks_rows_hold_the_longest_messages_whole(book):
    """A failing check's message prints whole where the rows cannot grow to it: the rows
    that show the estimate's own messages (the master flag, the Estimate's inputs, the fit,
    a replica that runs no request, the Scenarios rows) hold every refusal of the bad-input
    matrix, after the longest preloaded scenario's name. (A fit message in the Scenarios
    rows' check printed its fourth line cut, in a row of three.)"""
    ws = book["Checks"]
    names = [ws.cell(row, 1).value for row in range(1, ws.max_row + 1)]
    longest = max(default_scenarios()["scenario"], key=len)
    messages = []
    for case in bad_inputs.MATRIX:
        if "workbook" in case.faces:
            try:
                formulas.estimate(**case.inputs)
            except formulas.EstimateError as error:
                messages.append(str(error))
    assert len(messages) > 40 and any("split evenly" in m for m in messages)
    in_rows = [f"Scenarios row '{longest}': {m}" for m in messages]
    shown = {
        3: in_rows,  # the master flag: the first failing check's message
        4: messages,  # the Estimate's inputs
        1 + names.index(checks_sheet.FITS_LABEL): messages,
        1 + names.index(checks_sheet.CONCURRENCY_LABEL): messages,
        1 + names.index(checks_sheet.SCENARIOS_LABEL): in_rows,
    }
    width = ws.column_dimensions["C"].width / 1.1  # the message is bold
    for row, texts in shown.items():
        size = ws.cell(row, 3).font.sz
        assert ws.cell(row, 3).font.b
        room = ws.row_dimensions[row].height
        most = max(texts, key=lambda text: lines(text, width, size))
        assert 15 * size / 11 * lines(most, width, size) <= room, (row, most)


def test_scenario_columns_are_captioned_in_plain_words(book, layout):
    """Above each snake_case header, which formulas and readers use, its name in words and
    its unit, whole on its row."""
    ws = book["Scenarios"]
    row = SCENARIOS_HEADER - 1
    captions = {}
    for name, column in layout.scenario_column.items():
        captions[name] = ws.cell(row, column).value
        assert column == 1 or (captions[name] and "_" not in captions[name]), name
        assert not _cut(ws, ws.cell(row, column)), (name, captions[name])
    assert captions["dau"] == f"{INPUT['dau'].label} (users/day)"
    assert captions["retained_storage_bytes"].endswith("(B)")
    assert ws.row_dimensions[row].height >= 3 * 15


# Pages the sheets print on, on US letter (LibreOffice's default here).
PAGES = {
    "About": 1,
    "Inputs": 4,
    "Catalog": 6,
    "Models": 7,  # the table 3 pages across, the notes 4 pages under it
    "Estimate": 4,
    "Charts": 2,
    "Scenarios": 9,  # the inputs no scenario sets folded
    "Projection": 1,
    "Sensitivity": 2,
    "Checks": 4,  # rows tall enough for the message a failure shows
}


HEADER = r"xlplugin capacity and cost estimate\s+(\w+)\s+Version"


def _pdftotext(pdf, page: int) -> str:
    """A page's text in the order it is drawn: the header and footer come first, whole
    (a layout reading interleaves them with the labels of charts beside them)."""
    return subprocess.run(
        ["pdftotext", "-raw", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
    reason="pdftotext (poppler-utils) is not installed; CI must have it",
)
def test_every_page_prints_with_content(built, tmp_path):
    pdf = to_pdf(built, tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])
    counts = dict.fromkeys(SHEETS, 0)
    text = ""
    noted = {name: 0 for name in catalog.model_names()}  # notes pages naming each preset
    for page in range(1, pages + 1):
        body = _pdftotext(pdf, page)
        sheet = re.search(HEADER, body)[1]
        counts[sheet] += 1
        assert f"Page {page} of {pages}" in body, page
        words = len(body.split()) - 15  # less the header's and the footer's words
        assert words >= 8, (page, sheet, body)  # no blank page
        if sheet in CATALOG_TABLES:  # each page's rows under their table's header, or
            # the presets' notes under the Models table, each beside its preset's name
            notes = sheet == "Models" and set(body.splitlines()) & set(catalog.model_names())
            assert re.search(r"^name\b", body, re.MULTILINE) or notes, (page, sheet, body)
            if notes and not re.search(r"^Models$", body, re.MULTILINE):  # not the table
                for name in notes:
                    noted[name] += 1
        text += body + "\n"
    for sheet, most in PAGES.items():
        assert 1 <= counts[sheet] <= most, (sheet, counts)
    # each preset's note prints whole on one page (cut at the page's edge, the rest of its
    # lines printed on a second page beside its name again)
    assert set(noted.values()) == {1}, noted
    for shown in ("450.00 PB", "1.25 PB/day", "16.20 GB", "92.6 Gbit/s", "185.2 Mbit/s"):
        assert shown in text, shown
    assert "$11.97M" in text and "0.00519 s" in text
    # an input the roofline does not read (utilization) changes nothing, in words
    assert "no change" in text
    # an impact of cents reads in dollars and cents, not "$0.0k" as if it were nothing
    assert "$0.0k" not in text and "$0.19" in text
    # and a change of cents in the sorted table, or of thousands, in its own scale (a
    # conditional number format), not "-$0.00M"
    assert "$0.00M" not in text
    assert {"-$0.09", "+$0.09", "-$375.0k", "+$375.0k"} <= set(text.split())
    # bounds in their input's units, not "≥ 1E+12"
    assert "≥ 1.0 TFLOP/s" in text and "≥ 1.00 GB" in text and "≥ 1E+" not in text
    # The Estimate's logical steps as Excel shows them, not as 1 and 0.
    assert "Image model TRUE TRUE/FALSE" in text and "Speech model FALSE TRUE/FALSE" in text
    assert "450,001,016" not in text and "###" not in text
    assert "Err:" not in text and "#NAME?" not in text and "#VALUE!" not in text
