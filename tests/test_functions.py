"""The Excel functions (xlplugin.functions) through xlwings' own machinery, no mocks.

xlwings records the Office.js metadata (xlwings Lite and Server) only when
XLWINGS_ON_SERVER is set before it is imported; the classic (Windows, COM) path is
checked in subprocesses, with xlwings/udfs.py's own decorators and VBA generator.
"""

import asyncio
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import xlwings
import xlwings.server
from bad_inputs import CASES, INF, NAN
from hypothesis import given, settings
from hypothesis import strategies as st
from serving import office_js_request
from xlplugin.formulas import _arrays as arrays
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUT, OUTPUTS

from xlplugin import _excel, formulas, functions

TABLES = {"estimate", "scenarios", "gpu_spec"}
NAMES = [q.name for q in OUTPUTS]
SEED = formulas.estimate()
# GPU_COUNT for the seed workload under the default (roofline) model, and for twice the users.
SEED_GPUS = int(formulas.gpu_count(1e8, 10, 8.1e9, "A100"))
DOUBLE_GPUS = int(formulas.gpu_count(2e8, 10, 8.1e9, "A100"))


def body(name: str, *args) -> dict:
    """A request as Excel's Office.js runtime sends it: every argument a 2-D list."""
    return office_js_request(name, [_cells(a) for a in args])


def _cells(value):
    if isinstance(value, list):
        return [[_cell(v) for v in row] for row in value]
    return [[_cell(value)]]


def _cell(value):  # Office.js sends every number as a float
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def call(name: str, *args):
    return asyncio.run(xlwings.server.custom_functions_call(body(name, *args), functions))


def call_with(name: str, inputs: dict):
    """Call an Excel function with inputs by name, the seed for required ones left out."""
    parameters = list(getattr(functions, name).__signature__.parameters.values())
    args = [
        inputs.get(p.name, _seed_cell(p.name) if p.default is p.empty else None) for p in parameters
    ]
    while args and args[-1] is None and parameters[len(args) - 1].default is None:
        args.pop()  # Excel sends trailing omitted arguments as nulls; either way works
    return call(name, *args)


def _seed_cell(name):
    return INPUT[name].default


def message_of(thunk) -> str:
    """The message of a call that fails as a whole, which Excel shows as a real #VALUE!:
    raised as an xlwings XlwingsError (xlwings Server answers it with 400 and the message;
    Lite and Server's script make it CustomFunctions.Error) that is still the EstimateError
    formulas raised, whose one line is the message as it is."""
    with pytest.raises(formulas.EstimateError) as caught:
        thunk()
    assert isinstance(caught.value, xlwings.XlwingsError), type(caught.value)
    message = str(caught.value)
    assert "\n" not in message and not message.startswith("#VALUE!"), message
    return message


@pytest.fixture(scope="module")
def meta():
    return xlwings.server.custom_functions_meta(functions)


def _function(meta, name):
    return next(f for f in meta["functions"] if f["id"] == name.upper())


# Metadata: names, descriptions, optional flags, dropdowns


def test_one_function_per_output_and_three_tables(meta):
    assert set(functions.__all__) == set(NAMES) | TABLES
    assert sorted(f["name"] for f in meta["functions"]) == sorted(
        n.upper() for n in functions.__all__
    )


def test_every_function_and_argument_is_described(meta):
    for f in meta["functions"]:
        assert f["description"] and not f["description"].startswith("Python function")
        assert len(f["description"]) < 255 and "\n" not in f["description"]
        for p in f["parameters"]:
            assert not p["description"].startswith("Positional argument"), (f["id"], p)
            assert len(p["description"]) < 255, (f["id"], p["name"])


def test_descriptions_come_from_the_vocabulary(meta):
    gpu_count = _function(meta, "gpu_count")
    assert gpu_count["description"].startswith(f"{OUTPUT['gpu_count'].label} [GPUs]: ")
    assert OUTPUT["gpu_count"].description in gpu_count["description"]
    by_name = {p["name"]: p["description"] for p in gpu_count["parameters"]}
    assert by_name["dau"] == "Users active on a day. [users/day] Required."
    assert by_name["steps"].startswith(INPUT["steps"].description)
    assert by_name["steps"].endswith("Default: 100.")
    assert "[fraction] Default: 0.9." in by_name["usable_memory_fraction"]


def test_gpu_count_keeps_the_design_cards_argument_order(meta):
    parameters = _function(meta, "gpu_count")["parameters"]
    assert [p["name"] for p in parameters[:4]] == ["dau", "requests_per_user", "params", "gpu"]
    assert [p.get("optional", False) for p in parameters[:4]] == [False, False, False, True]
    assert all(p["optional"] for p in parameters[3:])


def test_optional_flags_follow_the_python_defaults(meta):
    for name in functions.__all__:
        signature = getattr(functions, name).__signature__.parameters.values()
        flags = {p["name"]: p.get("optional", False) for p in _function(meta, name)["parameters"]}
        assert flags == {p.name: p.default is not p.empty for p in signature}, name


def test_arguments_are_vocabulary_inputs_and_cover_the_formulas(meta):
    for name in NAMES:
        params = list(getattr(functions, name).__signature__.parameters)
        assert set(params) <= set(INPUT), name
        formula = getattr(formulas, name, None)
        if formula is not None:  # every input of the formulas function is reachable
            needs = set(formula.__signature__.parameters)
            assert needs <= set(params), (name, needs - set(params))
    # Each output's arguments are its formulas twin's, in the same order.
    for name in NAMES:
        if name in formulas.OUTPUT_FUNCTIONS:
            twin = list(inspect.signature(formulas.OUTPUT_FUNCTIONS[name]).parameters)
            assert list(getattr(functions, name).__signature__.parameters) == twin, name
    everything = [q.name for q in INPUTS]
    assert list(functions.estimate.__signature__.parameters) == everything


def test_gpu_and_precision_offer_the_catalogue_as_a_dropdown(meta):
    enums = {e["id"]: [v["stringValue"] for v in e["values"]] for e in meta["enums"]}
    for f in meta["functions"]:
        for p in f["parameters"]:
            if p["name"] in ("gpu", "precision"):
                expected = (
                    formulas.gpu_names() if p["name"] == "gpu" else formulas.precision_names()
                )
                assert enums[p["customEnumId"]] == expected, f["id"]
    tooltips = {
        v["name"]: v.get("tooltip")
        for e in meta["enums"]
        if e["id"] == "GPU_COUNT.GPU"
        for v in e["values"]
    }
    assert tooltips["H100"].startswith("NVIDIA H100")
    assert "memory_bytes" in enums["GPU_SPEC.FIELD"]


def test_results_are_cached_by_arguments():
    for name in functions.__all__:
        assert getattr(functions, name).__xlfunc__["cache"] is True, name


# Calls, as Excel's Office.js runtime makes them


def test_gpu_count_of_the_seed_is_61():
    assert call("gpu_count", 100_000_000, 10, 8.1e9, "A100") == [[SEED_GPUS]]
    assert call("GPU_COUNT", 100_000_000, 10, 8.1e9, "A100") == [[SEED_GPUS]]  # the Excel spelling
    assert call("Gpu_Count", 100_000_000, 10, 8.1e9, "A100") == [[SEED_GPUS]]  # any case, as Excel


def test_a_list_inside_a_range_cell_is_refused_as_one():
    """A Python caller's ragged rows holding lists raised TypeError (unhashable)."""
    message = message_of(lambda: call("gpu_count", [[1e8], [[1, 2]]], 10, 8.1e9))
    assert message == "dau: got a cell holding a list; accepts a range of single values"


@pytest.mark.parametrize("name", NAMES)
def test_each_output_equals_formulas(name):
    [[value]] = call_with(name, {})
    assert value == pytest.approx(SEED[name], rel=1e-12)


def test_omitted_arguments_and_empty_cells_take_the_defaults():
    full = [None] * 12  # Excel sends the 12 optional arguments as nulls
    assert call("gpu_count", 1e8, 10, 8.1e9, None, *full) == [[SEED_GPUS]]
    assert call("gpu_count", 1e8, 10, 8.1e9, "") == [[SEED_GPUS]]


def test_single_cells_take_the_same_path_however_they_arrive():
    seed = (1e8, 10.0, 8.1e9, "A100")
    assert functions.gpu_count(*seed) == [[SEED_GPUS]]
    assert functions.gpu_count(*[[[v]] for v in seed]) == [[SEED_GPUS]]  # classic xlwings, ndim=2
    assert functions.gpu_count(*seed, math.nan) == [[SEED_GPUS]]  # NaN: an empty cell, the default
    bad = message_of(lambda: functions.gpu_count(*seed, steps=True))
    assert bad == "steps: got True; accepts a number > 0"


def test_an_output_takes_only_the_inputs_it_depends_on():
    [[total]] = call("total_usd_per_month", 1e8, 10, 8.1e9, "A100")
    assert total == pytest.approx(SEED["total_usd_per_month"], rel=1e-12)
    # Request size moves ingress bandwidth, not cost: TOTAL_USD_PER_MONTH does not take it.
    assert "request_bytes" not in functions.total_usd_per_month.__signature__.parameters
    bad = message_of(lambda: call_with("total_usd_per_month", {"response_bytes": -1}))
    assert bad == "response_bytes: got -1; accepts a number >= 0"


def test_numbers_may_be_text_with_si_suffixes():
    assert call("gpu_count", "100M", "10", "8.1B", "A100") == [[SEED_GPUS]]
    [[per_day]] = call("interaction_storage_bytes_per_day", "100M", 10, "1MB")
    assert per_day == SEED["interaction_storage_bytes_per_day"]


def test_gpu_also_accepts_flops():
    """The seed's formula needs only a GPU's FLOP/s (the roofline also its memory and
    bandwidth, which a number does not carry: tests/bad_inputs.py)."""
    flops = {"gpu": 312e12, "inference_model": "flops"}
    assert call_with("gpu_count", flops) == [[int(formulas.gpu_count(1e8, 10, 8.1e9, **flops))]]
    named = call_with("qps_per_gpu", {"gpu": "A100", "inference_model": "flops"})
    assert call_with("qps_per_gpu", {"gpu": "312T", "inference_model": "flops"}) == named


@settings(max_examples=60, deadline=None)
@given(
    dau=st.floats(1e3, 1e10),
    rpu=st.floats(0.1, 1e3),
    params=st.floats(1e6, 1e11),
    gpu=st.sampled_from(["A100", "H100", "MI300X", "L4", "B200"]),
    precision=st.sampled_from(["FP16", "FP8", "BF16"]),
)
def test_gpu_count_matches_formulas_for_any_valid_input(dau, rpu, params, gpu, precision):
    try:
        expected = formulas.gpu_count(dau, rpu, params, gpu, precision=precision)
    except formulas.EstimateError as error:
        refused = message_of(lambda: call("gpu_count", dau, rpu, params, gpu, precision))
        assert refused == str(error)
        return
    assert call("gpu_count", dau, rpu, params, gpu, precision) == [[int(expected)]]


# Arrays: any argument a cell, row, column or 2-D range; the result spills broadcast


def test_a_column_against_a_row_spills_a_table():
    daus, gpus = [1e7, 1e8, 1e9], ["A100", "H100"]
    cells = call("gpu_count", [[d] for d in daus], 10, 8.1e9, [gpus])
    expected = formulas.gpu_count(np.array(daus)[:, None], 10, 8.1e9, np.array([gpus], object))
    assert cells == expected.astype(int).tolist()
    assert np.shape(cells) == (3, 2)


def test_rows_columns_and_ranges_keep_their_shape():
    assert np.shape(call("trps", [[1e8, 2e8, 3e8]], 10)) == (1, 3)
    assert np.shape(call("trps", [[1e8], [2e8]], 10)) == (2, 1)
    table = call("trps", [[1e8, 2e8], [3e8, 4e8]], [[10], [20]])
    assert table == (np.array([[1e8, 2e8], [3e8, 4e8]]) * [[10], [20]] / 86_400).tolist()


@pytest.mark.parametrize("name", NAMES)
def test_every_function_broadcasts_a_column(name):
    parameters = getattr(functions, name).__signature__.parameters
    if "dau" in parameters:
        varied = {"dau": [[1e8], [2e8]]}
    elif "params" in parameters:
        varied = {"params": [[8.1e9], [2.5e9]]}
    else:  # the first number it takes: its default, then twice that
        first = next(n for n in parameters if INPUT[n].kind != "name" and INPUT[n].default)
        varied = {first: [[INPUT[first].default], [2 * INPUT[first].default]]}
    column = call_with(name, varied)
    assert np.shape(column) == (2, 1)
    assert column[0][0] == pytest.approx(SEED[name], rel=1e-12)


def test_empty_cells_in_ranges():
    # optional argument: the default; required argument: the result's cell stays empty
    assert call("gpu_count", 1e8, 10, 8.1e9, [["A100"], [None]]) == [[SEED_GPUS], [SEED_GPUS]]
    assert call("gpu_count", [[1e8], [None], [2e8]], 10, 8.1e9) == [
        [SEED_GPUS],
        [""],
        [DOUBLE_GPUS],
    ]


# Errors: one line naming the argument, what it got and what it accepts; a real #VALUE!
# for a call that fails as a whole, the line as text in the bad cells of a spilled table


def test_bad_input_is_a_value_error_naming_the_argument():
    assert message_of(lambda: call("gpu_count", -5, 10, 8.1e9)) == (
        "dau: got -5; accepts a number > 0"
    )
    unknown = message_of(lambda: call("gpu_count", 1e8, 10, 8.1e9, "H900"))
    assert unknown.startswith("gpu: got 'H900'; accepts one of A100, A100-80GB")
    text = message_of(lambda: call("gpu_count", "abc", 10, 8.1e9))
    assert text == "dau: got 'abc'; accepts a number > 0"


def test_in_process_text_that_reads_two_ways_is_refused():
    """In-process (xlwings Lite, classic xlwings) Excel's culture is not handed on: a German
    "1,500M" (1.5 million) read as 1.5 billion was 1,000 times too many GPUs. Text that a
    decimal-comma culture reads otherwise is refused naming both readings; the rest reads."""
    for text, readings in (("1,500M", "1500M or 1.5M"), ("1.500", "1500 or 1.5")):
        assert message_of(lambda text=text: call("gpu_count", text, 10, 8.1e9)) == (
            f"dau: got {text!r}; accepts a number > 0 (in a culture not known here, {text!r} "
            f"could be {readings}: write one of those)"
        )
    assert call("gpu_count", "1.5M", 10, 8.1e9) == call("gpu_count", 1.5e6, 10, 8.1e9)
    assert call("gpu_count", "1,500,000", 10, 8.1e9) == call("gpu_count", 1.5e6, 10, 8.1e9)
    rows = call("scenarios", [["dau"], ["1,500"], ["1.5K"]])
    assert rows[1][0].startswith("#VALUE! dau: got '1,500'; accepts a number > 0 (in a culture")
    assert rows[2][rows[0].index("gpu_count")] == formulas.gpu_count(1500, 10, 8.1e9)


def test_the_raised_error_keeps_its_class():
    # Callers in Python catch what formulas raises; xlwings Server catches an XlwingsError.
    with pytest.raises(formulas.UnknownNameError) as caught:
        call("gpu_count", 1e8, 10, 8.1e9, "H900")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, xlwings.XlwingsError)
    assert caught.value.name == "gpu" and caught.value.value == "H900"
    with pytest.raises(formulas.InvalidInputError) as caught:
        call_with("gpu_count", {"precision": "FP3"})
    assert str(caught.value).startswith("precision: got 'FP3'")


def test_a_missing_required_argument_says_which():
    assert message_of(lambda: call("gpu_count", 1e8, None, 8.1e9)) == (
        "requests_per_user: missing (required); accepts a number > 0"
    )
    assert message_of(lambda: call("gpu_spec", None, "memory_bytes")) == (
        "gpu: missing (required); accepts a catalogue name"
    )


def test_in_a_spilled_range_only_the_bad_cells_hold_the_message():
    daus = [[1e8], ["abc"], [2e8], [-5]]
    cells = call("gpu_count", daus, 10, 8.1e9)
    assert cells == [
        [SEED_GPUS],
        ["#VALUE! dau: got 'abc'; accepts a number > 0"],
        [DOUBLE_GPUS],
        ["#VALUE! dau: got -5; accepts a number > 0"],
    ]
    table = call("gpu_count", [[1e8], [2e8]], 10, 8.1e9, [["A100", "H900", "H100"]])
    expected = formulas.gpu_count(
        np.array([[1e8], [2e8]]), 10, 8.1e9, np.array([["A100", "H100"]], object)
    )
    assert [[row[0], row[2]] for row in table] == expected.astype(int).tolist()
    assert all(row[1].startswith("#VALUE! gpu: got 'H900'; accepts one of") for row in table)
    # A bad single-cell argument fails every cell: the whole call is the #VALUE!.
    whole = message_of(lambda: call("gpu_count", daus, 10, 8.1e9, "H900"))
    assert whole.startswith("gpu: got 'H900'; accepts")


def test_a_range_with_too_many_bad_cells_fails_as_a_whole():
    many = [[1e8]] + [["abc"]] * (_excel.MAX_BAD_CELLS + 1)
    assert message_of(lambda: call("gpu_count", many, 10, 8.1e9)) == (
        "dau: got 'abc' (row 2); accepts a number > 0"  # the first, as for numbers:
    )
    numbers = [[1e8]] + [[-5.0]] * (_excel.MAX_BAD_CELLS + 1)
    assert message_of(lambda: call("gpu_count", numbers, 10, 8.1e9)) == (
        "dau: got -5 (row 2); accepts a number > 0"
    )
    few = [[1e8]] + [["abc"]] * _excel.MAX_BAD_CELLS
    cells = call("gpu_count", few, 10, 8.1e9)
    assert cells[0] == [SEED_GPUS]
    assert cells[1:] == [["#VALUE! dau: got 'abc'; accepts a number > 0"]] * _excel.MAX_BAD_CELLS


def test_bad_cells_found_by_computing_cost_a_few_computations_of_the_range():
    """Each of k cells that fail only when computed (a model that does not fit) used to cost
    one computation of the rest of the range: k of them. Halving costs about log2(k)."""
    size, bad = 4_096, 40
    positions = set(range(7, size, size // bad))
    computed = []

    def compute(at, _numbers):
        computed.append(len(at))
        for i, position in enumerate(at.tolist()):
            if position in positions:
                raise formulas.DoesNotFitError("params", 9e11, "a model that fits", row=i)
        return [1.0] * len(at)

    first = formulas.DoesNotFitError("params", 9e11, "a model that fits", row=7)
    values, errors = _excel._cell_by_cell(compute, size, first, lambda e: False, {})
    assert sorted(errors) == sorted(positions)
    assert all(values[i] == 1.0 for i in range(size) if i not in positions)
    assert sum(computed) < 10 * size  # one computation each: about 40 times size


def test_text_in_a_range_is_read_once_however_often_parts_are_computed(monkeypatch):
    """A range of text with cells that fail only when computed (a model too large for the
    GPU) is computed again in parts. Its text used to be read again in each part: a
    million cells of "8.1B" with 50 of "300B" held a shared server for 40 s."""
    reads = []
    read = arrays.text_number
    monkeypatch.setattr(arrays, "text_number", lambda *a: reads.append(a) or read(*a))
    params = [["8.1B"] * 40 for _ in range(50)]
    for row in (3, 17, 41):
        params[row][row % 40] = "300B"
    cells = call("gpu_count", 1e8, 10, params, "A100")
    flat = [value for row in cells for value in row]
    assert flat.count(SEED_GPUS) == 2_000 - 3
    assert sum(str(v).startswith("#VALUE! params: got 300000000000") for v in flat) == 3
    assert len(reads) <= 3 * 2  # each distinct text a few times, not 2,000 cells a part


def test_cells_as_office_js_sends_them_inside_ranges(monkeypatch):
    from xlplugin import _excel

    class JsNull:  # what Pyodide >= 0.28 (xlwings Lite) passes for an empty cell
        pass

    monkeypatch.setattr(_excel, "JsNull", JsNull)
    number = {"type": "Double", "basicValue": 2e8}  # a formatted number (a data type)
    assert call("gpu_count", [[1e8], [number], [JsNull()]], 10, 8.1e9) == [
        [SEED_GPUS],
        [DOUBLE_GPUS],
        [""],
    ]
    na = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
    [[seed], [message]] = call("gpu_count", 1e8, 10, 8.1e9, [["A100"], [na]])
    assert seed == SEED_GPUS
    assert message.startswith("#VALUE! gpu: got '#N/A'; accepts one of")


@pytest.mark.parametrize(
    "entity",
    [
        {"type": "Entity", "text": "H100"},  # no basic value: not an empty cell
        {"basicValue": None},
        {"basicValue": [[1e8], [2e8]]},  # a data type holds one value, not a range
        {"basicValue": {"a": 1}},
    ],
)
def test_a_data_type_without_one_basic_value_is_refused_not_defaulted(entity):
    """It was read as an empty cell (the default GPU's answer) or raised a TypeError."""
    assert message_of(lambda: call("gpu_count", 1e8, 10, 8.1e9, entity)).startswith(
        "gpu: got '#VALUE!'; accepts one of"
    )
    [[seed], [message]] = call("gpu_count", [[1e8], [entity]], 10, 8.1e9)
    assert seed == SEED_GPUS and message == "#VALUE! dau: got '#VALUE!'; accepts a number > 0"
    [header, row] = call("scenarios", [["dau", "gpu"], [1e8, entity]])
    assert header[0] == "model_size_bytes"
    assert set(row) == {"#VALUE! gpu: got '#VALUE!'; accepts one of " + row[0].split("one of ")[1]}


def test_whole_numbers_beyond_int64_spill_as_the_numbers_they_are():
    """A GPU count past 2**63 in a spilled range was cast to -9,223,372,036,854,775,808."""
    alone = formulas.gpu_count(1e25, 10, 8.1e9)
    [[huge], [seed]] = call("gpu_count", [[1e25], [1e8]], 10, 8.1e9)
    assert huge == alone > 2**63 and seed == SEED_GPUS
    flops = {"inference_model": "flops"}  # (a GPU given as FLOP/s has no memory figures)
    [[slow_gpu], [a100]] = call_with("gpu_count", {"dau": 1e25, "gpu": [[1e12], ["A100"]], **flops})
    assert slow_gpu == formulas.gpu_count(1e25, 10, 8.1e9, 1e12, **flops) > 2**63
    assert a100 == formulas.gpu_count(1e25, 10, 8.1e9, **flops)


@pytest.mark.parametrize("column", ["gpu", "precision", "kv_precision", "modality"])
def test_a_scenario_table_of_headers_only_answers_its_header(column):
    """An IndexError in the catalogue look-up (HTTP 500) for a name column without rows."""
    [header, _] = call("scenarios", [["dau"], [1e8]])
    assert call("scenarios", [["dau", column]]) == [header]


def test_the_pyodide_lookup_shortcut_keeps_xlwings_answers():
    from xlwings.pro import udfs_officejs

    assert xlwings.utils.is_jsnull(None) is False
    marker = object()
    assert udfs_officejs.js_to_none(marker) is marker
    assert udfs_officejs.to_scalar([[5.0]]) == 5.0 and udfs_officejs.to_scalar([[1, 2]]) == [1, 2]


def test_an_error_cell_is_named_not_replaced_by_the_default():
    na = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
    assert message_of(lambda: call("gpu_count", 1e8, na, 8.1e9)) == (
        "requests_per_user: got '#N/A'; accepts a number > 0"
    )


def test_ranges_that_do_not_stretch_to_one_size():
    message = message_of(lambda: call("gpu_count", [[1e8], [2e8], [3e8]], [[10], [20]], 8.1e9))
    assert message.startswith(
        "ranges of different sizes: dau is 3x1, requests_per_user is 2x1; accepts"
    )


def _excel_value(value):
    return None if value is NAN else value  # NaN stands for an empty cell


EXCEL_CASES = [
    c for c in CASES if not any(v in (INF, -INF) for v in c.inputs.values() if isinstance(v, float))
]  # no cell holds inf


@pytest.mark.parametrize("case", EXCEL_CASES, ids=[c.id for c in EXCEL_CASES])
def test_bad_input_matrix(case):
    # ESTIMATE takes every input, each optional, as formulas.estimate does
    inputs = {k: _excel_value(v) for k, v in case.inputs.items()}
    if case.is_error:
        message = message_of(lambda: call_with("estimate", inputs))
        assert message.startswith(case.expect)
        assert "Traceback" not in message
        return
    rows = call_with("estimate", inputs)
    assert dict((name, value) for name, value, _ in rows)[case.output] == pytest.approx(case.expect)
    takes = getattr(functions, case.output).__signature__.parameters
    if not any(
        v is None and takes[k].default is takes[k].empty for k, v in inputs.items() if k in takes
    ):  # an empty required cell: below
        [[value]] = call_with(case.output, {k: v for k, v in inputs.items() if k in takes})
        assert value == pytest.approx(case.expect)


# Tables: ESTIMATE, SCENARIOS, GPU_SPEC


def test_estimate_spills_name_value_unit():
    rows = call("estimate")
    assert [r[0] for r in rows] == list(SEED)
    values = {name: value for name, value, _ in rows}
    assert values == pytest.approx(SEED)
    units = {name: unit for name, _, unit in rows}
    assert units["gpu_count"] == "GPUs" and units["gpu"] == "" and units["dau"] == "users/day"
    assert values["gpu_count"] == SEED_GPUS and isinstance(values["gpu_count"], int)


def test_estimate_takes_arguments_and_refuses_ranges():
    rows = {r[0]: r[1] for r in call("estimate", 2e8, 10, 8.1e9, "H100")}
    assert rows == pytest.approx(formulas.estimate(dau=2e8, gpu="H100"))
    message = message_of(lambda: call("estimate", [[1e8], [2e8]]))
    assert message.startswith("ESTIMATE: got a range; accepts single cells")


def test_scenarios_spill_every_output_under_a_header():
    table = [
        ["dau", "GPU", "params"],
        [1e8, "A100", None],
        [None, None, None],
        ["200M", "H100", "2.5B"],
    ]
    rows = call("scenarios", table)
    assert rows[0] == NAMES
    frame = pd.DataFrame({"dau": [1e8, 2e8], "gpu": ["A100", "H100"], "params": [None, 2.5e9]})
    expected = formulas.estimate_table(frame)[NAMES].to_numpy()
    assert rows[1] == pytest.approx(list(expected[0]))
    assert rows[2] == [""] * len(NAMES)  # an empty row stays empty
    assert rows[3] == pytest.approx(list(expected[1]))


def test_scenarios_errors_name_the_column_or_fill_the_bad_rows():
    unknown = message_of(lambda: call("scenarios", [["dau", "gpuz"], [1e8, "A100"]]))
    assert unknown.startswith("column: got 'gpuz'; accepts one of scenario, dau")
    headless = message_of(lambda: call("scenarios", [["dau", None], [1e8, 5]]))
    assert headless.startswith("table: column 2 has values but no header")
    # an error cell as a header: named as one (it read "got '#value!' (did you mean dau?)")
    for error in ("#VALUE!", {"type": "Error", "basicValue": "#N/A"}):
        shown = error if isinstance(error, str) else error["basicValue"]
        erring = message_of(lambda error=error: call("scenarios", [["dau", error], [1e8, 5]]))
        assert erring == (
            f"table: column 2's header is the error value {shown!r}; accepts a header row "
            "naming an input in each column (dau, requests_per_user, params, gpu, ...)"
        )
    table = [["dau", "gpu"], [1e8, "A100"], [-1, "H100"], ["2e8", "H999"], ["3e8", "H200"]]
    header, seed, negative, unknown_gpu, last = call("scenarios", table)
    assert header == NAMES
    good = pd.DataFrame({"dau": [1e8, 3e8], "gpu": ["A100", "H200"]})
    expected = formulas.estimate_table(good)[NAMES].to_numpy()
    assert seed == pytest.approx(list(expected[0]), rel=1e-12)
    assert last == pytest.approx(list(expected[1]), rel=1e-12)
    assert negative == ["#VALUE! dau: got -1; accepts a number > 0"] * len(NAMES)
    assert len(set(unknown_gpu)) == 1
    assert unknown_gpu[0].startswith("#VALUE! gpu: got 'H999'; accepts one of A100")


def test_scenarios_with_too_many_bad_rows_fail_as_a_whole():
    bad = [[1e8]] + [[-1]] * _excel.MAX_BAD_CELLS
    rows = call("scenarios", [["dau"], *bad])
    assert rows[2:] == [["#VALUE! dau: got -1; accepts a number > 0"] * len(NAMES)] * (
        _excel.MAX_BAD_CELLS
    )
    message = message_of(lambda: call("scenarios", [["dau"], *bad, [-1]]))
    assert message == "dau: got -1 (row 2); accepts a number > 0"


def test_scenarios_read_number_columns_as_given():
    """A column with a number in every cell is read in one pass; a True or False among
    them (1 and 0 to that pass) is still refused as the cell it is, and an integer beyond
    a float's range (as a request's JSON may carry) still names its row. Called directly:
    these are the cells as Python holds them."""
    table = [
        ["dau", "requests_per_user", "utilization"],
        [100_000_000, 1, 0.4],
        [2e8, True, 1],
        [3e8, 2, 0.5],
        [10**400, 2, 0.5],
    ]
    header, whole, flagged, plain, huge = functions.scenarios(table)
    assert header == NAMES
    expected = formulas.estimate_table(
        pd.DataFrame(
            {"dau": [1e8, 3e8], "requests_per_user": [1.0, 2.0], "utilization": [0.4, 0.5]}
        )
    )[NAMES].to_numpy()
    assert whole == pytest.approx(list(expected[0]), rel=1e-12)
    assert plain == pytest.approx(list(expected[1]), rel=1e-12)
    assert flagged == ["#VALUE! requests_per_user: got True; accepts a number > 0"] * len(NAMES)
    assert huge[0].startswith("#VALUE! dau: got 1e+400; accepts a number > 0, at most")


def test_scenarios_of_10000_rows_take_no_per_cell_python_step(monkeypatch):
    """A table is cleaned a column at a time: no Python function runs once per cell (that
    would cost seconds for 10,000 rows; the time itself is measured in benchmarks/)."""
    rng = np.random.default_rng(7)
    table = [["dau", "requests_per_user", "gpu"]] + [
        [float(d), 10.0, str(g)]
        for d, g in zip(
            rng.integers(10**6, 10**9, 10_000),
            rng.choice(["A100", "H100", "L4"], 10_000),
            strict=True,
        )
    ]
    calls = {"blank": 0, "cell": 0, "is_blank": 0}
    for module, name in ((_excel, "blank"), (_excel, "cell"), (arrays, "is_blank")):
        original = getattr(module, name)

        def counted(value, _name=name, _original=original):
            calls[_name] += 1
            return _original(value)

        monkeypatch.setattr(module, name, counted)
    rows = asyncio.run(xlwings.server.custom_functions_call(body("scenarios", table), functions))
    assert len(rows) == 10_001 and len(rows[1]) == len(NAMES)
    assert sum(calls.values()) < 100, calls


def test_gpu_spec_reads_the_catalogue():
    assert call("gpu_spec", "A100", "memory_bytes") == [[40e9]]
    assert call("gpu_spec", "a100-sxm4", "fp16_flops") == [[312e12]]  # aliases, any case
    table = call("gpu_spec", [["A100"], ["H100"]], [["fp16_flops", "fp8_flops"]])
    assert table == [[312e12, ""], [989e12, 1979e12]]  # A100 has no FP8: empty
    field = message_of(lambda: call("gpu_spec", "A100", "colour"))
    assert field.startswith("field: got 'colour'; accepts one of")
    [[h100], [unknown]] = call("gpu_spec", [["H100"], ["H900"]], "memory_bytes")
    assert h100 == formulas.gpu_spec("H100", "memory_bytes")
    assert unknown.startswith("#VALUE! gpu: got 'H900'; accepts one of")


def test_gpu_spec_refuses_a_range_of_many_unknown_names():
    """As the other functions' tables: up to MAX_BAD_CELLS bad cells hold their messages,
    more refuse the call with the first (a million were a 200 MB answer)."""
    most = _excel.MAX_BAD_CELLS
    names = [["A100"]] + [["H900"]] * most
    cells = call("gpu_spec", names, "memory_bytes")
    assert cells[0] == [40e9] and all(c[0].startswith("#VALUE! gpu: got 'H900'") for c in cells[1:])
    message = message_of(lambda: call("gpu_spec", [*names, ["H900"]], "memory_bytes"))
    assert message.startswith("gpu: got 'H900'; accepts one of")
    fields = [[f"colour{i}" for i in range(1000)]]
    assert message_of(lambda: call("gpu_spec", "A100", fields)).startswith(
        "field: got 'colour0'; accepts one of"
    )


def test_results_are_json_for_the_http_answer():
    for name in NAMES:
        json.dumps(call_with(name, {"dau": [[1e8], [None]]}), allow_nan=False)
    json.dumps(call("estimate"), allow_nan=False)
    rows = call_with(
        "estimate", {"gpu": 312e12, "gpu_hourly_usd": 2.745, "inference_model": "flops"}
    )
    assert ["gpu_memory_bytes", "", "B"] in rows  # unknown for a GPU given as FLOP/s
    json.dumps(rows, allow_nan=False)
    json.dumps(call("scenarios", [["dau"], [1e8], [None]]), allow_nan=False)
    json.dumps(call("gpu_spec", [["L4"], ["A100"]], "fp8_flops"), allow_nan=False)


# Classic xlwings (Windows, COM): in subprocesses, without XLWINGS_ON_SERVER


def _run(script: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_module_imports_without_excel_or_pywin32():
    done = _run("""
        import sys
        import xlwings
        from xlplugin import functions
        assert not xlwings.on_server and "pywintypes" not in sys.modules
        assert not hasattr(functions.gpu_count, "__xlfunc__")  # decorators are no-ops here
        print(functions.gpu_count(1e8, 10, "8.1B", "A100"))
    """)
    assert done.stdout.strip() == f"[[{SEED_GPUS}]]"


VBA_RESERVED = {
    "and",
    "as",
    "boolean",
    "byref",
    "byte",
    "byval",
    "call",
    "case",
    "const",
    "currency",
    "date",
    "decimal",
    "declare",
    "dim",
    "do",
    "double",
    "each",
    "else",
    "empty",
    "end",
    "enum",
    "eqv",
    "erase",
    "error",
    "event",
    "exit",
    "false",
    "for",
    "friend",
    "function",
    "get",
    "global",
    "gosub",
    "goto",
    "if",
    "imp",
    "implements",
    "in",
    "integer",
    "is",
    "let",
    "like",
    "long",
    "loop",
    "lset",
    "me",
    "mod",
    "new",
    "next",
    "not",
    "nothing",
    "null",
    "on",
    "option",
    "optional",
    "or",
    "paramarray",
    "preserve",
    "private",
    "property",
    "public",
    "raiseevent",
    "redim",
    "rem",
    "resume",
    "return",
    "rset",
    "select",
    "set",
    "single",
    "static",
    "step",
    "stop",
    "string",
    "sub",
    "then",
    "to",
    "true",
    "type",
    "typeof",
    "until",
    "variant",
    "wend",
    "while",
    "with",
    "xor",
    "array",
    "name",
    "caller",
    "len",
    "val",
    "format",
    "str",
    "mid",
    "left",
    "right",
}


def test_classic_xlwings_accepts_every_signature():
    done = _run("""
        import io, json, sys, types
        # Stand-ins for pywin32, so that xlwings/udfs.py itself can be imported here.
        for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
            sys.modules[name] = types.ModuleType(name)
        sys.modules["pythoncom"].CoInitialize = lambda: None
        sys.modules["pywintypes"].com_error = type("com_error", (Exception,), {})
        sys.modules["win32com"].client = sys.modules["win32com.client"]
        sys.modules["win32com.client"].Dispatch = lambda *args: None
        import xlwings as xw
        import xlwings.udfs as udfs
        from xlwings import conversion

        class Excel:  # what xlwings._xlwindows (pywin32) does to cell values, in short
            name, type = "excel", "desktop"
            errors = {-2146826246: "#N/A"}
            @classmethod
            def clean_value_data(cls, data, dates, empty_as, numbers, err_to_str):
                return [[empty_as if c in ("", None) else cls.errors.get(c, c) if
                         isinstance(c, int) and err_to_str else c for c in row] for row in data]
            @staticmethod
            def prepare_xl_data_element(x, options):
                return "" if x is None else x

        xw.engines.add(xw.main.Engine(impl=Excel()))
        xw.func, xw.arg, xw.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret  # the classic ones
        from xlplugin import functions as F

        class Book:
            Name = "Book1.xlsm"
        vba = io.StringIO()
        udfs.generate_vba_wrapper("xlplugin.functions", F, vba, Book())

        def call(f, *values):  # as udfs.call_udf converts arguments and the result
            info = f.__xlfunc__
            args = [conversion.read(None, v, a["options"]) for v, a in zip(values, info["args"])]
            args += [a["optional"] for a in info["args"][len(values):]]
            return conversion.write(f(*args), None, info["ret"]["options"])

        funcs = {n: getattr(F, n).__xlfunc__ for n in F.__all__}
        print(json.dumps({
            "funcs": {n: {"args": [[a["name"], a["doc"], "optional" in a, a["vararg"]]
                                      for a in x["args"]], "doc": x["ret"]["doc"]}
                      for n, x in funcs.items()},
            "vba": vba.getvalue(),
            "seed": call(F.gpu_count, 1e8, 10.0, "8.1B", "A100"),
            "column": call(F.gpu_count, ((1e8,), (2e8,)), 10.0, 8.1e9, (("A100", "H100"),)),
            "error": call(F.gpu_count, 1e8, -2146826246, 8.1e9),
            "text": call(F.gpu_count, "abc", 10.0, 8.1e9),
            "cells": call(F.gpu_count, ((1e8,), ("abc",)), 10.0, 8.1e9),
            "table": call(F.scenarios, (("dau", "gpu"), (1e8, "A100")))[1][11],
        }))
    """)
    result = json.loads(done.stdout)
    assert result["seed"] == [[SEED_GPUS]]
    expected = formulas.gpu_count(
        np.array([[1e8], [2e8]]), 10, 8.1e9, np.array([["A100", "H100"]], dtype=object)
    )
    assert result["column"] == expected.astype(int).tolist()
    # Classic xlwings: a failed call is the one line as text, not an exception, which its
    # VBA wrapper would put in the cell as Err.Description (the traceback)
    assert result["error"] == [["#VALUE! requests_per_user: got '#N/A'; accepts a number > 0"]]
    assert result["text"] == [["#VALUE! dau: got 'abc'; accepts a number > 0"]]
    assert result["cells"] == [[SEED_GPUS], ["#VALUE! dau: got 'abc'; accepts a number > 0"]]
    assert "failed:\n    gpu_count = Err.Description" in result["vba"].replace("\r", "")
    assert result["table"] == SEED_GPUS
    vba = result["vba"]
    for name, info in result["funcs"].items():
        args = info["args"]
        assert len(args) <= 60  # a VBA procedure takes at most 60 arguments
        assert not any(vararg for *_, vararg in args)
        assert len(info["doc"]) <= 255 and all(len(doc) <= 255 for _, doc, *_ in args)
        assert name.lower() not in VBA_RESERVED
        assert not {a[0].lower() for a in args} & VBA_RESERVED, name
        required = [a[0] for a in args if not a[2]]
        assert [a[0] for a in args[: len(required)]] == required  # optional ones trail
        signature = ", ".join(a[0] if not a[2] else f"Optional {a[0]}" for a in args)
        assert f"Function {name}({signature})" in vba.replace(" _\n", "")
    assert max(len(line) for line in vba.splitlines()) < 1024  # VBA's line limit
    statements = vba.split("\n")
    assert all(s.count(" _") < 25 for s in statements)  # at most 24 continuations


def test_no_keyword_only_arguments_or_varargs():
    import inspect

    for name in functions.__all__:
        for p in getattr(functions, name).__signature__.parameters.values():
            assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, (name, p.name)


def test_nan_cells_never_reach_excel():
    # formulas refuses to return infinity or NaN; an overflow is a message naming the input
    # to change, as formulas' own, not a number
    message = message_of(lambda: call("profile_storage_bytes", 1e308, 1e10))
    assert message.startswith("dau: got 1e+308; accepts a number > 0, but this value makes ")
    with pytest.raises(formulas.EstimateError) as raised:
        formulas.profile_storage_bytes(1e308, 1e10)
    assert message == str(raised.value)
    assert not any(isinstance(v, float) and math.isnan(v) for v in call("estimate")[0])


def test_dropdowns_can_give_way_to_ranges():
    # XLPLUGIN_DROPDOWNS=0: gpu and precision are declared as ranges, like every argument
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        import json, xlwings.server
        from xlplugin import functions
        meta = xlwings.server.custom_functions_meta(functions)
        gpu = next(p for f in meta["functions"] if f["id"] == "GPU_COUNT"
                   for p in f["parameters"] if p["name"] == "gpu")
        print(json.dumps([gpu, "enums" in meta]))
    """),
        ],
        env={**os.environ, "XLPLUGIN_DROPDOWNS": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    gpu, has_enums = json.loads(done.stdout)
    assert gpu["dimensionality"] == "matrix" and "customEnumId" not in gpu and not has_enums
    assert gpu["description"].startswith(INPUT["gpu"].description)
