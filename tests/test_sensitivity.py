"""The Sensitivity sheet: every low and high case is the graph's own computation.

LibreOffice recalculates the workbook; each swung input's total cost per month and GPU
count at its low and high value must equal ``formulas.estimate`` with that one input
changed (to 1e-9; GPUs exactly), the low and high values must follow the rule the sheet
states, and the sorted table must list the inputs by impact, largest first.
"""

from __future__ import annotations

import math

import openpyxl
import pytest
from guards import needs_soffice
from openpyxl.chart import BarChart
from openpyxl.formula import Tokenizer
from openpyxl.utils import FORMULAE

from xlplugin import formulas
from xlplugin.libreoffice import recalculate_many
from xlplugin.workbook.build import build_workbook, default_scenarios
from xlplugin.workbook.inputs_sheet import SWING_HIGH_COLUMN, SWING_LOW_COLUMN
from xlplugin.workbook.layout import SWUNG, Layout
from xlplugin.workbook.sensitivity_sheet import swung_value

REL = 1e-9
# Functions of Excel 2010 (no _xlfn. prefix: not XLOOKUP, LET, LAMBDA, SORT), which
# LibreOffice 7.4 has too; the sheet adds these to the graph's templates.
PORTABLE = FORMULAE
ADDED = {"IF", "IFERROR", "ISNUMBER", "INDEX", "MATCH", "ROUND", "MIN", "MAX", "ABS", "AND"}
ADDED |= {"SUMPRODUCT", "LARGE", "INT", "OR"}  # a case's checks: INT, OR
ADDED |= {"MOD"}  # a given tensor_parallel divides the attention heads


@pytest.fixture(scope="module")
def layout():
    return Layout(len(default_scenarios()))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_workbook(tmp_path_factory.mktemp("s") / "t.xlsx")


def test_the_sheet_swings_the_key_inputs(built, layout):
    wb = openpyxl.load_workbook(built)
    ws = wb["Sensitivity"]
    names = [ws.cell(row, 2).value for row in layout.sensitivity_row.values()]
    assert names == list(SWUNG)
    for required in (
        "dau",
        "params",
        "layers",
        "utilization",
        "gpu_hourly_usd",
        "retention_months",
    ):
        assert required in names
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                for token in Tokenizer(cell.value).items:
                    if token.type == "FUNC" and token.subtype == "OPEN":
                        assert token.value[:-1] in PORTABLE, (cell.coordinate, token.value)
    table = [c for row in ws.iter_rows(max_col=len(layout.sensitivity_column)) for c in row]
    for cell in table:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            for token in Tokenizer(cell.value).items:
                if token.type == "FUNC" and token.subtype == "OPEN":
                    assert token.value[:-1] in ADDED, (cell.coordinate, token.value)
    (chart,) = ws._charts
    assert isinstance(chart, BarChart) and chart.type == "bar" and len(chart.series) == 2
    assert wb["Inputs"].cell(layout.input_row["dau"], SWING_LOW_COLUMN).style == "Input"


def _check(ws, layout, given: dict) -> dict:
    """Every swing of the sheet equals formulas.estimate with the input changed; each
    input's impact on cost."""
    column = layout.sensitivity_column
    base = formulas.estimate(**given)
    impacts = {}
    for name, row in layout.sensitivity_row.items():
        cells = {c: ws.cell(row, i).value for c, i in column.items()}
        assert math.isclose(cells["base"], base[name], rel_tol=REL), name
        for side in ("low", "high"):
            value = cells[side]
            expected = formulas.estimate(**{**given, name: value})
            cost, gpus = cells[f"cost_{side}"], cells[f"gpus_{side}"]
            assert math.isclose(cost, expected["total_usd_per_month"], rel_tol=REL), (name, side)
            assert gpus == expected["gpu_count"], (name, side, gpus)
        impacts[name] = abs(cells["cost_high"] - cells["cost_low"])
    ranked = sorted(impacts, key=lambda n: -impacts[n])
    sorted_col = layout.sorted_column
    shown = [
        ws.cell(row, sorted_col["label"]).value
        for row in range(layout.sorted_first, layout.sorted_last + 1)
    ]
    labels = {name: ws.cell(row, 1).value for name, row in layout.sensitivity_row.items()}
    assert shown == [labels[n] for n in ranked]
    for row, name in zip(range(layout.sorted_first, layout.sorted_last + 1), ranked, strict=True):
        impact = ws.cell(row, sorted_col["impact"]).value
        assert math.isclose(impact, impacts[name], rel_tol=REL, abs_tol=1e-6), name
        delta = ws.cell(row, sorted_col["high_delta"]).value
        high = ws.cell(layout.sensitivity_row[name], layout.sensitivity_column["cost_high"]).value
        assert math.isclose(delta, high - base["total_usd_per_month"], rel_tol=1e-6, abs_tol=1e-6)
    return impacts


@pytest.mark.libreoffice
@needs_soffice
def test_low_and_high_cases_equal_formulas(built, layout, tmp_path):
    # The build as it is, and a changed case: other inputs, a low and a high typed in.
    wb = openpyxl.load_workbook(built)
    inputs = wb["Inputs"]
    changed = {"gpu": "H100", "utilization": 0.5, "peak_factor": 2.0, "dau": 3e8}
    for name, value in changed.items():
        inputs.cell(layout.input_row[name], 2).value = value
    inputs.cell(layout.input_row["dau"], SWING_LOW_COLUMN).value = 1e8
    inputs.cell(layout.input_row["steps"], SWING_HIGH_COLUMN).value = 250
    wb.save(tmp_path / "changed.xlsx")
    default, other = recalculate_many([built, tmp_path / "changed.xlsx"], tmp_path / "out")

    ws = openpyxl.load_workbook(default, data_only=True)["Sensitivity"]
    base = formulas.estimate()
    for name, row in layout.sensitivity_row.items():
        for side in ("low", "high"):
            got = ws.cell(row, layout.sensitivity_column[side]).value
            assert math.isclose(got, swung_value(name, base[name], side), rel_tol=REL), name
    low = ws.cell(layout.sensitivity_row["utilization"], layout.sensitivity_column["high"])
    assert low.value <= 1  # within the input's bounds
    impacts = _check(ws, layout, {})
    # The seed's image transformer: its work follows its depth, not its parameter count
    # (which only sizes the stored weights), so layers move the cost and params hardly.
    assert impacts["layers"] > 0.5 * impacts["dau"] and impacts["params"] < 1e-6 * impacts["layers"]

    ws = openpyxl.load_workbook(other, data_only=True)["Sensitivity"]
    assert ws.cell(layout.sensitivity_row["dau"], layout.sensitivity_column["low"]).value == 1e8
    assert ws.cell(layout.sensitivity_row["steps"], layout.sensitivity_column["high"]).value == 250
    _check(ws, layout, changed)


@pytest.mark.libreoffice
@needs_soffice
def test_a_bad_swing_is_named_and_moves_nothing(built, layout, tmp_path):
    """The swing and the low and high values are inputs too: a value they do not accept
    fails its check with formulas' kind of message and gives no case; a base that is text
    (a bad input, named by its own check) gives empty cases, not #VALUE!."""
    swing_row = layout.input_row["sensitivity_swing"]
    edits = {
        "swing": [(swing_row, 2, 1)],
        "low": [(layout.input_row["dau"], SWING_LOW_COLUMN, -5)],
        "high": [(layout.input_row["steps"], SWING_HIGH_COLUMN, "many")],
        "text": [(layout.input_row["dau"], 2, "lots")],
    }
    paths = []
    for case, cells in edits.items():
        wb = openpyxl.load_workbook(built)
        for row, column, value in cells:
            wb["Inputs"].cell(row, column).value = value
        paths.append(tmp_path / f"{case}.xlsx")
        wb.save(paths[-1])
    books = dict(
        zip(
            edits,
            (openpyxl.load_workbook(p, data_only=True) for p in recalculate_many(paths, tmp_path)),
            strict=True,
        )
    )
    messages = {
        "swing": "sensitivity_swing: got 1; accepts a number in (0, 1)",
        "low": "dau (Sensitivity: low): got -5; accepts a number > 0, or an empty cell",
        "high": "steps (Sensitivity: high): got 'many'; accepts a number > 0, or an empty cell",
        "text": "dau: got 'lots'; accepts a number > 0",
    }
    for case, message in messages.items():
        checks = books[case]["Checks"]
        assert checks["B3"].value in (False, 0) and checks["C3"].value == message, case
    column, row = layout.sensitivity_column, layout.sensitivity_row
    sheet = books["low"]["Sensitivity"]
    assert sheet.cell(row["dau"], column["cost_low"]).value in ("", None)
    assert isinstance(sheet.cell(row["dau"], column["cost_high"]).value, float)
    assert isinstance(sheet.cell(row["steps"], column["cost_low"]).value, float)
    sheet = books["swing"]["Sensitivity"]  # 100 % down: 0 users, which dau refuses
    assert sheet.cell(row["dau"], column["cost_low"]).value in ("", None)
    for name in SWUNG:  # a base that is not a number moves to nothing; errors show nowhere
        for side in ("low", "high"):
            got = books["text"]["Sensitivity"].cell(row[name], column[side]).value
            assert not (isinstance(got, str) and got.startswith(("#", "Err:"))), (name, got)
    assert books["text"]["Sensitivity"].cell(row["dau"], column["low"]).value in ("", None)


@pytest.mark.libreoffice
@needs_soffice
def test_a_swing_that_formulas_refuses_gives_no_case(built, layout, tmp_path):
    """125 B parameters fill the eight GPUs a replica may have: 25 % more do not fit, and
    formulas refuses that case; the sheet leaves it empty instead of costing it."""
    wb = openpyxl.load_workbook(built)
    wb["Inputs"].cell(layout.input_row["params"], 2).value = 125e9
    wb.save(tmp_path / "full.xlsx")
    (done,) = recalculate_many([tmp_path / "full.xlsx"], tmp_path / "out")
    ws = openpyxl.load_workbook(done, data_only=True)["Sensitivity"]
    row, column = layout.sensitivity_row["params"], layout.sensitivity_column
    high = ws.cell(row, column["high"]).value
    with pytest.raises(formulas.DoesNotFitError):
        formulas.estimate(params=high)
    for result in ("cost_high", "gpus_high"):
        assert ws.cell(row, column[result]).value in ("", None), result
    low = formulas.estimate(params=ws.cell(row, column["low"]).value)
    assert ws.cell(row, column["gpus_low"]).value == low["gpu_count"]
    assert math.isclose(ws.cell(row, column["cost_low"]).value, low["total_usd_per_month"])
