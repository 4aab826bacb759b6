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

import inspect
import math
import re
import time

import openpyxl
import pandas as pd
import pytest
from bad_inputs import CASES, MATRIX, Case
from guards import needs_soffice
from xlplugin.formulas.inference import KV_UNEVEN, UNEVEN
from xlplugin.formulas.serving import ACTIVE_AT_MOST, KV_AT_MOST
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from xlplugin import formulas
from xlplugin.libreoffice import recalculate_many
from xlplugin.workbook.build import build_workbook, default_scenarios
from xlplugin.workbook.checks_sheet import FIRST_CHECK_ROW, GUARD_ROW, SCENARIOS_LABEL
from xlplugin.workbook.estimate_sheet import NEED_A_REQUEST
from xlplugin.workbook.layout import Layout
from xlplugin.workbook.values import scenario_inputs

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
        and case.output in INPUT.keys() | {o.name for o in OUTPUTS} | {"estimate"}
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
    (``&`` writes 1000 and 16200, not 1,000 and 16,200; 2E+291 or 6.55E+018, not 2e+291 or
    6.55e+18), and the "did
    you mean" of an unknown name."""
    message = message.split(" (did you mean")[0]
    # Text in a number cell is never read there: the sheet says what the cell takes, not
    # that '1e400' is past the largest float (which formulas, reading text, can say),
    # nor the hint about small numbers that goes with what the cell takes.
    message = message.replace(", at most 1.8e+308 (a larger one cannot be computed)", "")
    message = re.sub(r" \(below [^)]*\)", "", message)
    message = re.sub(r"(?<=\d)[Ee]([+-])0*(?=\d)", r"e\1", message)  # LibreOffice: E+018
    return re.sub(r"(?<=\d),(?=\d{3})", "", message)


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


def _typed_over_inputs(folder, cases: list[dict]) -> tuple[Layout, list]:
    """A built template with each case's values typed over its Inputs sheet, all
    recalculated in one LibreOffice run: the layout and the workbooks' values, in order."""
    template = build_workbook(folder / "template.xlsx")
    layout = Layout(len(default_scenarios()))
    paths = []
    for number, case in enumerate(cases):
        wb = openpyxl.load_workbook(template)
        for name, value in case.items():
            _write(wb["Inputs"], layout.input_row[name], value)
        paths.append(folder / f"case{number:03d}.xlsx")
        wb.save(paths[-1])
    start = time.perf_counter()
    done = recalculate_many(paths, folder / "lo")
    seconds = time.perf_counter() - start
    print(f"\nLibreOffice recalculated {len(done)} workbooks in {seconds:.1f} s")
    return layout, [openpyxl.load_workbook(p, data_only=True) for p in done]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guards")
    layout, books = _typed_over_inputs(folder, [case.inputs for case in WORKBOOK_CASES])
    return layout, dict(zip((c.id for c in WORKBOOK_CASES), books, strict=True))


def _true(value) -> bool:
    return value is True or (isinstance(value, int) and not isinstance(value, bool) and value == 1)


def _false(value) -> bool:
    return value is False or (isinstance(value, int) and not isinstance(value, bool) and value == 0)


def test_the_matrix_reaches_the_workbook():
    assert len(WORKBOOK_CASES) >= 25 and len(INPUTS_VALUE_CASES) >= 15
    assert all(
        not _applies(c)
        for c in CASES
        if any(isinstance(v, float) and not math.isfinite(v) for v in c.inputs.values())
    )


def _is_error_value(value) -> bool:
    return isinstance(value, str) and value.startswith(("#", "Err:"))


def _no_error_values(wb, layout: Layout) -> None:
    """Whatever the inputs, the sheets people read show numbers, messages or nothing: no
    Projection cell, Scenarios output or Sensitivity case is an error value."""
    projection = wb["Projection"]
    for row in range(layout.projection_first, layout.projection_last + 1):
        for column in layout.projection_column.values():
            assert not _is_error_value(projection.cell(row, column).value), ("Projection", row)
    scenarios = wb["Scenarios"]
    checked = [o.name for o in OUTPUTS] + ["ok", "message", "bad_input"]
    for row in range(layout.scenario_first, layout.scenario_last + 1):
        for name in checked:
            got = scenarios.cell(row, layout.scenario_column[name]).value
            assert not _is_error_value(got), ("Scenarios", row, name, got)
    sensitivity = wb["Sensitivity"]
    cases = [c for c in layout.sensitivity_column if c not in ("label", "name", "base")]
    for row in layout.sensitivity_row.values():
        for name in cases:
            got = sensitivity.cell(row, layout.sensitivity_column[name]).value
            assert not _is_error_value(got), ("Sensitivity", row, name, got)


@pytest.mark.parametrize("case", WORKBOOK_CASES, ids=[c.id for c in WORKBOOK_CASES])
def test_case_on_the_workbook(case, recalculated):
    layout, books = recalculated
    wb = books[case.id]
    checks, estimate = wb["Checks"], wb["Estimate"]
    outputs = {o.name: estimate.cell(layout.estimate_row[o.name], 2).value for o in OUTPUTS}
    is_error, expected = _expected(case)
    _no_error_values(wb, layout)
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
    if isinstance(case.expect, str) and not case.expect.startswith(("request body:",)):
        assert _comparable(message).startswith(_comparable(case.expected("workbook")))
    for name, got in outputs.items():
        assert not (isinstance(got, str) and got.startswith(("#", "Err:"))), (name, got)
    if OVERFLOWS in expected:  # the inputs are accepted; the outputs that overflow say so,
        assert _true(checks[f"B{GUARD_ROW}"].value)  # naming the input to change
        root = re.search(r"makes (\w+) overflow", expected).group(1)
        assert outputs[root] == message
        assert outputs["total_usd_per_month"] == message  # the first overflow on its way
    elif no_request(expected):  # judged after the inputs (see concurrency_check): the
        assert _true(checks[f"B{GUARD_ROW}"].value)  # outputs that need a request say so
        assert outputs == _refused_one_by_one(case, message), outputs
        projection = wb["Projection"]  # every month: the same replicas, the same refusal
        for name, column in list(layout.projection_column.items())[2:]:
            got = projection.cell(layout.projection_first, column).value
            if name in NEED_A_REQUEST:
                assert got == message, (name, got)
            else:
                assert isinstance(got, int | float), (name, got)
    else:
        assert _false(checks[f"B{GUARD_ROW}"].value)
        assert checks[f"C{GUARD_ROW}"].value == message
        assert set(outputs.values()) == {message}  # every output: readable text


def test_every_sheet_says_why_its_flag_is_red(recalculated):
    """Beside the master flag on every sheet, the first failing check's message, in full
    (an output cell shows only its start); nothing where every check holds."""
    from xlplugin.workbook.layout import why_cells

    _, books = recalculated
    bad, good = books["negative"], books["zero-where-allowed"]
    assert bad["Checks"]["C3"].value == "dau: got -5; accepts a number > 0"
    for sheet, ref in why_cells().items():
        assert bad[sheet][ref].value == bad["Checks"]["C3"].value, sheet
        assert good[sheet][ref].value in ("", None), sheet


def test_one_bad_input_fails_its_own_check_only(recalculated):
    """The fit, the price, the outputs and the routes to them are judged once the inputs
    hold: a refused input is its own red check, not six restating it (and the Scenarios
    rows that take its value, which the rows check names)."""
    from xlplugin.workbook.checks_sheet import FIRST_CHECK_ROW

    _, books = recalculated
    checks = books["negative"]["Checks"]
    rows = range(FIRST_CHECK_ROW, checks.max_row + 1)
    failing = [checks.cell(r, 1).value for r in rows if _false(checks.cell(r, 2).value)]
    assert len(failing) == 2 and "(dau)" in failing[0], failing
    assert failing[1].startswith("Every Scenarios row"), failing


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
    first_bad = default_scenarios()["scenario"][1]  # names the row and gives its message
    assert got["Checks"]["C3"].value == f"Scenarios row '{first_bad}': {dau}"


_INPUT_MESSAGE = re.compile(r"^(\w+): got ")
INHERITED = " (the Inputs sheet's value)"
# formulas.serving.no_request's three messages: tensor_parallel, the request, the target
_NO_REQUEST = (
    "at least one request's KV cache within the latency targets",
    "KV cache fits beside the weights on",
    "GPUs per replica meet with one request",
)


def no_request(message: str) -> bool:
    """Whether ``message`` says that a replica runs no request within the targets."""
    return any(text in message for text in _NO_REQUEST)


OVERFLOWS = "overflow (too large to compute)"


def _refused_one_by_one(case, message: str) -> dict[str, object]:
    """Each output as formulas' own function for it answers ``case``: its number, or
    ``message`` where it refuses (the outputs computed from what a replica runs at once,
    when a replica runs no request within the targets)."""
    out = {}
    for o in OUTPUTS:
        function = getattr(formulas, o.name)
        given = {
            n: v for n, v in case.inputs.items() if n in inspect.signature(function).parameters
        }
        required = [
            n for n, p in inspect.signature(function).parameters.items() if p.default is p.empty
        ]
        seed = {n: INPUT[n].default for n in required if n not in given}
        try:
            value = function(**seed, **given)
        except formulas.EstimateError as error:
            assert _comparable(str(error)) == _comparable(message), (o.name, str(error))
            out[o.name] = message
        else:
            out[o.name] = pytest.approx(value, rel=REL)
    return out


def _replica_check(message: str) -> bool:
    """formulas' checks of the inputs together: the model fits a replica, tensor_parallel is
    within max_gpus_per_replica and splits the heads (a row's fit check, not one input's)."""
    return (
        "a model that fits" in message
        or "(max_gpus_per_replica)" in message
        or any(why in message for why in (ACTIVE_AT_MOST, KV_AT_MOST, UNEVEN, KV_UNEVEN))
    )


def _inherits(scenarios, layout: Layout, row: int, names) -> bool:
    """True when the Scenarios row leaves every input of ``names`` empty."""
    return all(scenarios.cell(row, layout.scenario_column[n]).value is None for n in names)


def _one_inputs_value(case) -> bool:
    """A case whose error is one input's value, which some default scenario leaves to the
    Inputs sheet."""
    is_error, expected = _expected(case)
    bad = _INPUT_MESSAGE.match(expected) if is_error else None
    if bad is None or bad.group(1) not in case.inputs or _replica_check(expected):
        return False  # not one input's own value: the rows judge their own results
    if OVERFLOWS in expected or no_request(expected):
        return False  # a value in range whose results fail: see the rows' own case
    inherited = default_scenarios()[bad.group(1)].isna().any()
    return inherited


INPUTS_VALUE_CASES = [case for case in WORKBOOK_CASES if _one_inputs_value(case)]


@pytest.mark.parametrize("case", INPUTS_VALUE_CASES, ids=[c.id for c in INPUTS_VALUE_CASES])
def test_a_bad_inputs_value_is_named_by_the_rows_that_use_it(case, recalculated):
    """A bad value on the Inputs sheet reaches every Scenarios row whose cell for that input
    is empty: the row names it as its own bad input, says it is the Inputs sheet's value,
    and shows that message in its outputs instead of numbers or error values; a row that
    gives its own value is not touched by it."""
    layout, books = recalculated
    expected = _expected(case)[1]
    bad = _INPUT_MESSAGE.match(expected)
    scenarios = books[case.id]["Scenarios"]
    column = layout.scenario_column
    rows = range(layout.scenario_first, layout.scenario_last + 1)
    inheriting = [r for r in rows if _inherits(scenarios, layout, r, [bad.group(1)])]
    own = [r for r in rows if r not in inheriting]
    assert inheriting
    value = expected.split("; accepts ")[0]
    for row in inheriting:
        got = {n: scenarios.cell(row, column[n]).value for n in ("bad_input", "message", "ok")}
        if isinstance(case.inputs[bad.group(1)], bool) and not got["bad_input"]:
            continue  # LibreOffice's TRUE is 1 in a logical format (test_case_on_a_scenarios_row)
        assert got["bad_input"] == bad.group(1), (row, got, expected)
        assert _comparable(got["message"]) == _comparable(
            expected.replace(value, value + INHERITED, 1)
        ), (row, got, expected)
        assert _false(got["ok"])
        for o in OUTPUTS:
            assert scenarios.cell(row, column[o.name]).value == got["message"], (row, o.name)
    for row in own:
        assert scenarios.cell(row, column["bad_input"]).value != bad.group(1), row


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
    names formulas' first bad input, with formulas' message, an error value ('#N/A')
    included."""
    row = scenario_rows[case.id]
    is_error, expected = _expected(case)
    if not is_error:
        assert _true(row["inputs_valid"]), row
        for name in ("gpu_count", "total_usd_per_month"):
            assert math.isclose(row[name], expected[name], rel_tol=REL), (name, row, expected)
        return
    bad = _INPUT_MESSAGE.match(expected)
    held = case.inputs.get(bad.group(1)) if bad else None
    if OVERFLOWS in expected:  # the inputs hold; the outputs that overflow say so (a row
        # gives formulas' general sentence, naming the output, not the input to change)
        assert _true(row["inputs_valid"]) and _false(row["ok"]) and not row["message"], row
        assert row["total_usd_per_month"] == (
            "total_usd_per_month: the result overflows; the inputs are too large to compute"
        )
        return
    if no_request(expected):  # the inputs hold; the outputs that need a request say so
        assert _true(row["inputs_valid"]) and _false(row["ok"]) and not row["message"], row
        assert row["gpu_count"] == row["total_usd_per_month"], row
        assert _comparable(row["gpu_count"]) == _comparable(expected), (row, expected)
        return
    if _replica_check(expected):  # each input holds; together they do not fit
        assert _true(row["inputs_valid"]) and _false(row["ok"]), row
        assert not row["bad_input"], row
        assert _comparable(row["message"]) == _comparable(expected), (row, expected)
        assert row["gpu_count"] == row["total_usd_per_month"] == row["message"]
        return
    if isinstance(held, bool) and _true(row["inputs_valid"]):
        # LibreOffice holds TRUE as 1 in a logical format, a format its arrays do not keep:
        # the row reads 1 (Excel, whose TRUE is no number, names the input as below)
        assert row["gpu_count"] == formulas.estimate(**{bad.group(1): int(held)})["gpu_count"]
        return
    if bad is None or held is None:
        return  # not about one cell's value (a result that overflows or does not fit)
    assert _false(row["inputs_valid"]), row
    assert row["bad_input"] == bad.group(1), (row, expected)
    assert _comparable(row["message"]) == _comparable(expected), (row, expected)
    assert row["gpu_count"] == row["message"]


def test_growth_and_overflow_show_messages_not_errors(tmp_path):
    """A refused growth rate empties the Projection (the Checks name it); an input so large
    that results overflow shows formulas' overflow sentence on the Projection and on every
    Scenarios row that takes it, as on the Estimate, never #NUM!."""
    layout, (growth, huge) = _typed_over_inputs(tmp_path, [{"dau_growth": -2}, {"dau": 1e308}])
    assert growth["Checks"]["C3"].value == "dau_growth: got -2; accepts a number in (-1, 10]"
    rows = range(layout.projection_first, layout.projection_last + 1)
    cells = [(r, c) for r in rows for c in list(layout.projection_column.values())[1:]]
    assert {growth["Projection"].cell(r, c).value for r, c in cells} <= {"", None}
    _no_error_values(huge, layout)
    gpus = layout.projection_column["gpu_count"]
    assert huge["Projection"].cell(layout.projection_first, gpus).value == (
        "gpu_count: the result overflows; the inputs are too large to compute"
    )
    scenarios, column = huge["Scenarios"], layout.scenario_column
    inheriting = [
        r
        for r in range(layout.scenario_first, layout.scenario_last + 1)
        if scenarios.cell(r, column["dau"]).value is None
    ]
    assert inheriting
    checks = huge["Checks"]
    (row,) = [r for r in range(1, checks.max_row + 1) if checks.cell(r, 1).value == SCENARIOS_LABEL]
    first = scenarios.cell(inheriting[0], column["scenario"]).value
    assert checks.cell(row, 3).value == (
        f"Scenarios row '{first}': total_usd_per_month: the result overflows; the inputs are "
        "too large to compute"
    )
    for row in inheriting:
        assert scenarios.cell(row, column["ok"]).value in (False, 0)
        assert scenarios.cell(row, column["profile_storage_bytes"]).value == (
            "profile_storage_bytes: the result overflows; the inputs are too large to compute"
        )


def test_a_row_that_runs_no_request_within_its_targets_is_named(tmp_path):
    """A target so tight that a replica runs no request in it: formulas refuses; the row's
    ok column is FALSE, the master message names it with formulas' message, and the row's
    outputs are what formulas' function for each gives: that message where it refuses
    (GPUs, costs, latencies), numbers where it computes (storage, traffic)."""
    scenarios = default_scenarios()
    layout = Layout(len(scenarios))
    wb = openpyxl.load_workbook(build_workbook(tmp_path / "t.xlsx", scenarios))
    row = layout.scenario_first + 2  # "Planning (A100)", by the roofline
    _write(wb["Scenarios"], row, 1e-4, "tpot_target_seconds", layout)
    wb.save(tmp_path / "tight.xlsx")
    (done,) = recalculate_many([tmp_path / "tight.xlsx"], tmp_path / "lo")
    got = openpyxl.load_workbook(done, data_only=True)
    name = scenarios["scenario"][2]
    planned = scenario_inputs(scenarios.iloc[[2]]).iloc[0].to_dict()
    with pytest.raises(formulas.EstimateError) as refused:
        formulas.estimate(**{**planned, "tpot_target_seconds": 1e-4})
    assert got["Checks"]["C3"].value == f"Scenarios row '{name}': {refused.value}"
    assert got["Scenarios"].cell(row, layout.scenario_column["ok"]).value in (False, 0)
    case = Case("tight", {**planned, "tpot_target_seconds": 1e-4}, "")
    shown = {
        o.name: got["Scenarios"].cell(row, layout.scenario_column[o.name]).value for o in OUTPUTS
    }
    expected = _refused_one_by_one(case, str(refused.value))
    assert shown == expected
    assert {n for n, v in shown.items() if isinstance(v, str)} == set(NEED_A_REQUEST)


def test_an_overflow_on_the_estimate_names_the_input_to_change(tmp_path):
    """Inputs in range whose results overflow: the Estimate and its master message give
    formulas' message, the first output on the way that overflows and the input to change
    (of two extreme inputs, the farther from the seed), never #NUM! or the general
    sentence."""
    cases = [
        {"dau": 1e300, "requests_per_user": 1e300},
        {"profile_bytes": 1e308},
        {"steps": 1e300},
        {"dau": 1e308, "gpu_hourly_usd": 1e307},
    ]
    layout, books = _typed_over_inputs(tmp_path, cases)
    for case, wb in zip(cases, books, strict=True):
        with pytest.raises(formulas.EstimateError) as refused:
            formulas.estimate(**case)
        message = wb["Checks"]["C3"].value
        assert OVERFLOWS in message and _comparable(message) == _comparable(str(refused.value))
        root = re.search(r"makes (\w+) overflow", message).group(1)
        assert wb["Estimate"].cell(layout.estimate_row[root], 2).value == message
        _no_error_values(wb, layout)


# Where the Estimate's master message may differ from formulas' for an extreme value: the
# latency targets, which LibreOffice's ROUNDUP cannot take that large (the functions
# compute them; tests/test_libreoffice.py), and the fractions a cell takes above 1.
EXTREME_EXCEPTIONS = {"ttft_target_seconds", "tpot_target_seconds", "headroom", "index_overhead"}


def test_each_number_input_at_an_extreme_is_named_as_formulas_names_it(tmp_path):
    """Every number input typed at 1e305 (1e300 where that is out of its range) on the
    Inputs sheet, one at a time: the master message is formulas' message, or no message
    where formulas computes, but for the documented exceptions."""
    cases = []
    for q in INPUTS:
        if q.kind == "number" and not q.integer:
            value = next((v for v in (1e305, 1e300) if q.high is None or v <= q.high), None)
            if value is not None:
                cases.append({q.name: value})
    assert len(cases) >= 30
    _, books = _typed_over_inputs(tmp_path, cases)
    differ = set()
    for case, wb in zip(cases, books, strict=True):
        try:
            formulas.estimate(**case)
            expected = ""
        except formulas.EstimateError as error:
            expected = str(error)
        if _comparable(wb["Checks"]["C3"].value or "") != _comparable(expected):
            differ |= set(case)
        _no_error_values(wb, Layout(len(default_scenarios())))
    assert differ == EXTREME_EXCEPTIONS
