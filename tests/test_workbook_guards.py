"""The bad-input matrix (tests/bad_inputs.py) against the template workbook's guards.

Each matrix case a cell can hold (a number, text, an empty cell, TRUE/FALSE, an error
value such as #N/A) is typed over the Inputs sheet of a built template with openpyxl,
which bypasses data validation as a paste or another tool would. All the cases are
recalculated by LibreOffice in one soffice run. Skipped: cases whose values are NaN or
+-infinity (no cell holds them: an xlsx cell cannot store NaN or inf) and ranges (the
Inputs sheet has one cell per input).

On the workbook face a number cell takes numbers only: text such as "100M" or "4MB",
which formulas parses, is refused ("dau: got '100M'; accepts a number > 0"); suffixes are
the functions' and the command line's convenience, not the sheet's.

An error case must show a failing Checks row whose message equals formulas' message up to
what the sheet cannot spell (see :func:`_comparable`), FALSE in the master flag, and that
message in every Estimate output instead of an Excel error value. A valid case must give
formulas' numbers to 1e-9 relative and TRUE in the master flag.
"""

from __future__ import annotations

import math
import re
import time

import openpyxl
import pandas as pd
import pytest
from bad_inputs import CASES, MATRIX
from guards import needs_soffice
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from xlplugin import formulas
from xlplugin.libreoffice import recalculate_many
from xlplugin.workbook.build import build_workbook, default_scenarios
from xlplugin.workbook.checks_sheet import FIRST_CHECK_ROW, GUARD_ROW
from xlplugin.workbook.layout import Layout
from xlplugin.workbook.scenarios_sheet import BAD_ROW

pytestmark = [pytest.mark.libreoffice, needs_soffice]
REL = 1e-9
SHEET_INPUTS = {q.name for q in INPUTS}
ERROR_VALUES = ("#N/A", "#VALUE!", "#DIV/0!", "#NUM!", "#REF!", "#NAME?", "#NULL!")


def _cell_can_hold(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)  # no cell holds NaN or infinity
    return value is None or isinstance(value, bool | int | str)


def _applies(case) -> bool:
    return (
        "workbook" in case.faces
        and case.output in INPUT.keys() | {o.name for o in OUTPUTS}
        and bool(case.inputs)
        and set(case.inputs) <= SHEET_INPUTS
        and all(_cell_can_hold(v) for v in case.inputs.values())
    )


WORKBOOK_CASES = [case for case in MATRIX if _applies(case)]
SKIPPED = [case for case in CASES if not _applies(case)]


def _text_in_a_number_cell(case):
    """The first (name, text) the workbook refuses though formulas parses it ("100M")."""
    for name, value in case.inputs.items():
        if (
            INPUT[name].kind == "number"
            and isinstance(value, str)
            and value.strip()
            and value not in ERROR_VALUES
        ):
            return name, value
    return None


def _expected(case) -> tuple[bool, object]:
    """(is an error, formulas' message or outputs) on the workbook face."""
    try:
        result = formulas.estimate(**case.inputs)
    except formulas.EstimateError as error:
        return True, str(error)
    refused = _text_in_a_number_cell(case)
    if refused:
        name, value = refused
        return True, f"{name}: got {value!r}; accepts {INPUT[name].accepts}"
    return False, result


def _comparable(message: str) -> str:
    """formulas' message less what the sheet cannot spell: a number's thousands separators
    (``&`` writes 1000 and 16200, not 1,000 and 16,200), the "did you mean" of an unknown
    name, and the GB figure of a model that does not fit (4 significant digits in formulas,
    all of them on the sheet)."""
    message = message.split(" (did you mean")[0]
    message = re.sub(r"(?<=\d),(?=\d{3})", "", message)
    return re.sub(r"GPUs: [\d.e+]+ GB of weights", "GPUs: N GB of weights", message)


def _weights_gb(message: str) -> str | None:
    """The GB figure of a model that does not fit, as written (None if there is none)."""
    found = re.search(r"GPUs: ([\d.e+,]+) GB of weights", message)
    return found[1] if found else None


def _write(ws, row: int, value, name: str = "", layout: Layout | None = None) -> None:
    """``value`` typed in column B of ``row`` (the Inputs sheet's value column), or in the
    column of input ``name`` on the Scenarios sheet."""
    cell = ws.cell(row, layout.scenario_column[name] if layout else 2)
    cell.value = value
    if isinstance(value, str) and value not in ERROR_VALUES:
        cell.data_type = "s"  # text as typed, never a formula
    # "#N/A" stays an error cell (openpyxl's type "e"), as pasted from another sheet
    if isinstance(value, bool):
        # LibreOffice has no boolean type: TRUE is 1 in a boolean format, and ISLOGICAL reads
        # the format. Loading an xlsx, it keeps the cell's own number format (#,##0 here),
        # and TRUE becomes a plain 1; typing TRUE in Calc sets the boolean format, which
        # General lets it do on load too. Excel keeps TRUE a boolean either way.
        cell.number_format = "General"


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guards")
    template = build_workbook(folder / "template.xlsx")
    layout = Layout(len(default_scenarios()))
    paths = []
    for number, case in enumerate(WORKBOOK_CASES):
        wb = openpyxl.load_workbook(template)
        for name, value in case.inputs.items():
            _write(wb["Inputs"], layout.input_row[name], value)
        paths.append(folder / f"case{number:03d}.xlsx")
        wb.save(paths[-1])
    start = time.perf_counter()
    done = recalculate_many(paths, folder / "lo")
    seconds = time.perf_counter() - start
    print(f"\nLibreOffice recalculated {len(done)} workbooks in {seconds:.1f} s")
    books = [openpyxl.load_workbook(p, data_only=True) for p in done]
    return layout, dict(zip((c.id for c in WORKBOOK_CASES), books, strict=True))


def _true(value) -> bool:
    return value is True or (isinstance(value, int) and not isinstance(value, bool) and value == 1)


def _false(value) -> bool:
    return value is False or (isinstance(value, int) and not isinstance(value, bool) and value == 0)


def test_the_matrix_reaches_the_workbook():
    assert len(WORKBOOK_CASES) >= 25
    assert all(
        not _applies(c)
        for c in CASES
        if any(isinstance(v, float) and not math.isfinite(v) for v in c.inputs.values())
    )


@pytest.mark.parametrize("case", WORKBOOK_CASES, ids=[c.id for c in WORKBOOK_CASES])
def test_case_on_the_workbook(case, recalculated):
    layout, books = recalculated
    wb = books[case.id]
    checks, estimate = wb["Checks"], wb["Estimate"]
    outputs = {o.name: estimate.cell(layout.estimate_row[o.name], 2).value for o in OUTPUTS}
    is_error, expected = _expected(case)
    if not is_error:
        for name, got in outputs.items():
            assert isinstance(got, int | float) and not isinstance(got, bool), (name, got)
            assert math.isclose(got, expected[name], rel_tol=REL), (name, got, expected[name])
        assert _true(checks["B3"].value) and _true(estimate["E3"].value)
        assert not checks["C3"].value
        return
    assert _false(checks["B3"].value) and _false(estimate["E3"].value)
    message = checks["C3"].value
    failing = [
        (checks.cell(r, 1).value, checks.cell(r, 3).value)
        for r in range(FIRST_CHECK_ROW, checks.max_row + 1)
        if _false(checks.cell(r, 2).value)
    ]
    assert failing and failing[0][1] == message, failing
    assert _comparable(message) == _comparable(expected), (message, expected)
    if _weights_gb(expected) is not None:  # the same weights, to formulas' 4 digits
        sheet, written = float(_weights_gb(message)), float(_weights_gb(expected).replace(",", ""))
        assert math.isclose(sheet, written, rel_tol=5e-4), (message, expected)
    if isinstance(case.expect, str) and not case.expect.startswith(("request body:",)):
        assert _comparable(message).startswith(_comparable(case.expected("workbook")))
    for name, got in outputs.items():
        assert not (isinstance(got, str) and got.startswith(("#", "Err:"))), (name, got)
    if "overflows" in expected:  # the inputs are accepted; the outputs that overflow say so
        assert _true(checks[f"B{GUARD_ROW}"].value)
        assert outputs[expected.split(":")[0]] == expected
        assert all(isinstance(got, str) for got in list(outputs.values())[-4:])
    else:
        assert _false(checks[f"B{GUARD_ROW}"].value)
        assert checks[f"C{GUARD_ROW}"].value == message
        assert set(outputs.values()) == {message}  # every output: readable text


def test_a_bad_scenarios_row_names_its_bad_input_not_numbers(tmp_path):
    """A bad cell typed over a Scenarios row (validation bypassed, as by a paste): the row's
    message is formulas' own message for that input, and every output shows it."""
    path = build_workbook(tmp_path / "rows.xlsx", default_scenarios())
    layout = Layout(len(default_scenarios()))
    wb = openpyxl.load_workbook(path)
    ws = wb["Scenarios"]
    bad = {"dau": -5, "gpu": "H900", "params": "lots", "utilization": 1.5}
    rows = {}
    for offset, (name, value) in enumerate(bad.items(), start=1):
        rows[name] = layout.scenario_first + offset
        ws.cell(rows[name], layout.scenario_column[name], value)
    wb.save(path)
    (done,) = recalculate_many([path], tmp_path / "out")
    got = openpyxl.load_workbook(done, data_only=True)
    sheet = got["Scenarios"]
    column = layout.scenario_column
    for name, row in rows.items():
        assert sheet.cell(row, column["inputs_valid"]).value in (False, 0)
        assert sheet.cell(row, column["ok"]).value in (False, 0)
        assert sheet.cell(row, column["bad_input"]).value.split() == [name]
        message = sheet.cell(row, column["message"]).value
        if name != "gpu":  # the sheet's Accepts text for a GPU has no "did you mean"
            try:
                formulas.estimate(**{name: bad[name]})
            except formulas.EstimateError as error:
                assert _comparable(message) == _comparable(str(error)), (message, str(error))
        assert message.startswith(f"{name}: got "), message
        for o in OUTPUTS:
            assert sheet.cell(row, column[o.name]).value == message, (row, o.name)
    dau = sheet.cell(rows["dau"], column["message"]).value
    assert dau == "dau: got -5; accepts a number > 0"
    seed_row = layout.scenario_first
    assert sheet.cell(seed_row, column["gpu_count"]).value == 61
    assert sheet.cell(seed_row, column["inputs_valid"]).value in (True, 1)
    assert sheet.cell(seed_row, column["message"]).value in ("", None)
    assert got["Checks"]["B3"].value in (False, 0)  # the master flag


_INPUT_MESSAGE = re.compile(r"^(\w+): got ")


@pytest.fixture(scope="module")
def scenario_rows(tmp_path_factory):
    """Every matrix case typed over a row of its own in the Scenarios table (the other cells
    empty: the Inputs sheet's values, formulas' defaults), all in one recalculation."""
    folder = tmp_path_factory.mktemp("rows")
    frame = pd.DataFrame({"scenario": [c.id for c in WORKBOOK_CASES]})
    path = build_workbook(folder / "rows.xlsx", frame)
    layout = Layout(len(frame))
    wb = openpyxl.load_workbook(path)
    for offset, case in enumerate(WORKBOOK_CASES):
        for name, value in case.inputs.items():
            _write(wb["Scenarios"], layout.scenario_first + offset, value, name, layout)
    wb.save(path)
    (done,) = recalculate_many([path], folder / "lo")
    sheet = openpyxl.load_workbook(done, data_only=True)["Scenarios"]
    names = ("inputs_valid", "ok", "bad_input", "message", "gpu_count", "total_usd_per_month")
    return {
        case.id: {
            n: sheet.cell(layout.scenario_first + offset, layout.scenario_column[n]).value
            for n in names
        }
        for offset, case in enumerate(WORKBOOK_CASES)
    }


@pytest.mark.parametrize("case", WORKBOOK_CASES, ids=[c.id for c in WORKBOOK_CASES])
def test_case_on_a_scenarios_row(case, scenario_rows):
    """A row's own check (all its inputs tested at once against the rule rows) agrees with
    formulas: a valid row computes formulas' numbers; a row with a bad number or name
    names formulas' first bad input, with formulas' message; a row holding an error value is
    refused with the general sentence."""
    row = scenario_rows[case.id]
    is_error, expected = _expected(case)
    if not is_error:
        assert _true(row["inputs_valid"]), row
        for name in ("gpu_count", "total_usd_per_month"):
            assert math.isclose(row[name], expected[name], rel_tol=REL), (name, row, expected)
        return
    bad = _INPUT_MESSAGE.match(expected)
    held = case.inputs.get(bad.group(1)) if bad else None
    if "accepts a model that fits" in expected:  # a result the row's ok column judges
        assert _true(row["inputs_valid"]) and _false(row["ok"]), row
        return
    if isinstance(held, bool) and _true(row["inputs_valid"]):
        # LibreOffice holds TRUE as 1 in a logical format, a format its arrays do not keep:
        # the row reads 1 (Excel, whose TRUE is no number, names the input as below)
        assert row["gpu_count"] == formulas.estimate(**{bad.group(1): int(held)})["gpu_count"]
        return
    if bad is None or held is None or held in ERROR_VALUES:
        # not about one cell's value (a result that overflows or does not fit), or an error
        # value, which the sheet does not spell
        if bad is not None and held is not None:
            assert _false(row["inputs_valid"]) and row["message"] == BAD_ROW, row
        return
    assert _false(row["inputs_valid"]), row
    assert row["bad_input"] == bad.group(1), (row, expected)
    assert _comparable(row["message"]) == _comparable(expected), (row, expected)
    assert row["gpu_count"] == row["message"]
