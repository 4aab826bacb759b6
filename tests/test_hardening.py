"""Hardening: extreme magnitudes, infinities, huge ints, ambiguous fractions, empty flags.

Every number is checked before arithmetic (formulas/_arrays.py) and every result after: an
input inside its range whose value makes a result overflow is an error naming that input,
the quantity it makes overflow and which way to change it, never a ZeroDivisionError, an
OverflowError or a silent 0. The cases of tests/bad_inputs.py that apply to some faces
only (``SOME_FACES``) run here on formulas and the command line; test_reliability.py runs
them on the Excel functions and the HTTP server.
"""

import csv
import datetime
import inspect
import io
import json
import math
import subprocess
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import xlwings
from bad_inputs import CASES, NAN, SOME_FACES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlplugin.formulas import _arrays
from xlplugin.formulas.errors import OverflowInputError
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS, PROJECTION_INPUTS

from xlplugin import formulas, functions
from xlplugin.cli import main

OUTPUT_NAMES = [q.name for q in OUTPUTS]
# The seed document's formula, where the inference model is a choice: its 61 GPUs.
SEED = {"inference_model": "flops"} if "inference_model" in INPUT else {}


def _error(call, *args, **kwargs) -> str:
    """The one-line message ``call`` raises (an EstimateError, and so a ValueError)."""
    with pytest.raises(formulas.EstimateError) as raised:
        call(*args, **kwargs)
    message = str(raised.value)
    assert "\n" not in message and isinstance(raised.value, ValueError)
    return message


def _excel_error(call, *args, **kwargs) -> str:
    """The one-line message of an Excel function's call that fails as a whole: raised as
    an xlwings XlwingsError (xlwings Server: 400 and a #VALUE! with the message) that is the
    EstimateError formulas raised."""
    with pytest.raises(formulas.EstimateError) as raised:
        call(*args, **kwargs)
    assert isinstance(raised.value, xlwings.XlwingsError), type(raised.value)
    message = str(raised.value)
    assert "\n" not in message, message
    return message


def _all_finite(result: dict) -> bool:
    return all(math.isfinite(result[name]) for name in OUTPUT_NAMES)


# The bad-input matrix's cases for some faces only: formulas and the command line


def _on(face):
    return [case for case in SOME_FACES if face in case.faces]


@pytest.mark.parametrize("case", _on("formulas"), ids=[c.id for c in _on("formulas")])
def test_formulas_face(case):
    expect = case.expected("formulas")
    if isinstance(expect, str):
        assert _error(formulas.estimate, **case.inputs).startswith(expect)
    else:
        result = formulas.estimate(**case.inputs)
        assert result[case.output] == pytest.approx(expect) and _all_finite(result)


def _flags(inputs: dict) -> list[str]:
    return [f"--{name.replace('_', '-')}={value}" for name, value in inputs.items()]


@pytest.mark.parametrize("case", _on("cli"), ids=[c.id for c in _on("cli")])
def test_cli_face(case, capsys):
    status = main(["estimate", "--format", "json", *_flags(case.inputs)])
    out, err = capsys.readouterr()
    expect = case.expected("cli")
    if isinstance(expect, str):
        assert status == 2
        assert err.startswith(f"xlplugin: error: {expect}") and err.count("\n") == 1
    else:
        assert status == 0, err
        assert json.loads(out)[case.output] == pytest.approx(expect)


def test_the_matrix_grew_and_its_ids_stay_unique():
    ids = [c.id for c in CASES + SOME_FACES]
    assert len(ids) == len(set(ids)) and len(SOME_FACES) >= 25
    assert all(c.faces <= {"formulas", "cli", "excel", "http", "workbook"} for c in SOME_FACES)
    # a case every face answers alike belongs in CASES, unless it asks for the whole
    # estimate (ESTIMATE), which only SOME_FACES' cases call
    assert all(
        c.faces != {"formulas", "cli", "excel", "http", "workbook"} or c.output == "estimate"
        for c in SOME_FACES
    )


# 1. Extreme magnitudes: the input to change, the quantity and the way


@pytest.mark.parametrize(
    ("inputs", "name", "way"),
    [
        ({"utilization": 1e-320}, "utilization", "larger"),
        ({"compute_efficiency": 1e-320}, "compute_efficiency", "larger"),
        ({"compute_efficiency": 5e-324}, "compute_efficiency", "larger"),
        ({"params": 1e308}, "params", "smaller"),
        ({"memory_bandwidth_efficiency": 1e-320}, "memory_bandwidth_efficiency", "larger"),
        ({"measured_inference_seconds": 1e-320}, "measured_inference_seconds", "larger"),
        ({"usable_memory_fraction": 1e-320}, "usable_memory_fraction", "larger"),
        ({"dau": 1e308}, "dau", "smaller"),
        ({"dau": 1e-320}, "dau", "larger"),
        ({"requests_per_user": 1e-320}, "requests_per_user", "larger"),
        ({"peak_factor": 1e308}, "peak_factor", "smaller"),
        ({"gpu_hourly_usd": 1e308}, "gpu_hourly_usd", "smaller"),
        ({"response_bytes": 1e308}, "response_bytes", "smaller"),
        # two extreme inputs: the one whose default lets the result be computed
        ({"dau": 1e-3, "utilization": 1e-320}, "utilization", "larger"),
        ({"params": 1e4, "compute_efficiency": 1e-320}, "compute_efficiency", "larger"),
    ],
)
def test_an_overflow_names_the_input_to_change(inputs, name, way):
    message = _error(formulas.estimate, **inputs)
    assert message.startswith(f"{name}: got ")
    assert "overflow (too large to compute)" in message and message.endswith(f"a {way} value")


def test_the_overflow_error_is_an_invalid_input_error_with_its_fields():
    with pytest.raises(OverflowInputError) as raised:
        formulas.estimate(dau=1e308)
    error = raised.value
    assert isinstance(error, formulas.InvalidInputError)
    assert (error.name, error.value, error.row) == ("dau", 1e308, None)
    assert error.quantity == "profile_storage_bytes" and error.smaller
    assert str(error) == (
        "dau: got 1e+308; accepts a number > 0, but this value makes profile_storage_bytes "
        "overflow (too large to compute): try a smaller value"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: formulas.gpu_count(1e8, 10, 8.1e9, gpu_flops=1e-320),
        lambda: formulas.qps_per_gpu(8.1e9, gpu_flops=5e-324),
        lambda: formulas.gpu_count(1e8, 10, 8.1e9, gpu=1e-320),
        lambda: formulas.usd_per_1k_requests(1e-320, 1e-10, 8.1e9),
        lambda: formulas.gpus_per_replica(8.1e9, gpu_memory_bytes=1e-320),
    ],
)
def test_the_per_output_functions_raise_no_arithmetic_error(call):
    message = _error(call)
    assert message.split(":")[0] in INPUT


def test_the_excel_functions_answer_an_overflow_with_its_message():
    one = _excel_error(functions.gpu_count, 1e8, 10, 8.1e9, compute_efficiency=1e-320)
    assert one.startswith("compute_efficiency: got 1e-320; accepts a number in (0, 1], but")
    # the usual call (the core, no argument binding) names the input as formulas does
    for args in ((1e8, 10, 1e308, "A100"), (1e300, 1e300, 8.1e9, "A100")):
        try:
            formulas.gpu_count(*args)
        except formulas.EstimateError as error:
            assert _excel_error(functions.gpu_count, *args) == str(error)
        else:
            raise AssertionError(f"{args} did not overflow")
    # in a spilled column, the cell that overflows holds the message; the other computes
    [[good], [bad]] = functions.gpu_count(
        [[1e8], [2e8]], 10, 8.1e9, compute_efficiency=[[0.5], [1e-320]]
    )
    assert good == int(formulas.gpu_count(1e8, 10, 8.1e9, compute_efficiency=0.5))
    assert bad.startswith("#VALUE! compute_efficiency: got 1e-320; accepts a number in (0, 1], but")
    many = _excel_error(functions.estimate, 1e8, 10, 8.1e9, compute_efficiency=5e-324)
    assert many.startswith("compute_efficiency: got 5e-324; accepts a number in (0, 1], but")


def test_an_overflow_in_a_table_names_its_row():
    frame = pd.DataFrame({"dau": [1e8, 2e8, 1e308], "utilization": [0.5, 0.5, 0.5]})
    message = _error(formulas.estimate_table, frame)
    assert message.startswith("dau: got 1e+308 (row 3); accepts a number > 0, but this value")
    arrays = _error(formulas.estimate, compute_efficiency=np.array([0.5, 1e-320, 1e-320]))
    assert arrays.startswith("compute_efficiency: got 1e-320 (row 2); accepts a number in (0, 1]")


def test_the_command_line_answers_an_overflow_in_one_line_without_a_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", "estimate", "--compute-efficiency", "1e-320"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("xlplugin: error: compute_efficiency: got 1e-320; accepts")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("inputs", "name"),
    [
        ({"dau": 10**400}, "dau"),
        ({"params": 10**400}, "params"),
        ({"max_gpus_per_replica": 10**400}, "max_gpus_per_replica"),
        ({"gpu": 10**400}, "gpu"),
        ({"gpu": -(10**5000)}, "gpu"),  # more digits than int's repr allows
        ({"dau": np.array([1e8, 10**400], dtype=object)}, "dau"),
        ({"dau": pd.Series([1e8, 10**400])}, "dau"),
    ],
)
def test_an_int_too_large_for_a_float_is_refused_by_name(inputs, name):
    message = _error(formulas.estimate, **inputs)
    assert message.startswith(f"{name}: got ")
    assert message.endswith("at most 1.8e+308 (a larger one cannot be computed)")


def test_an_int_a_float_can_hold_is_taken():
    assert formulas.estimate(dau=100_000_000, params=8_100_000_000, **SEED)["gpu_count"] == 61
    assert formulas.estimate(gpu_hourly_usd=10**250)["gpu_hourly_usd"] == 1e250


def test_a_gpu_array_holding_a_huge_int_is_refused_by_row():
    gpus = np.array(["A100", 10**400], dtype=object)
    message = _error(formulas.estimate, gpu=gpus, gpu_hourly_usd=2.745)
    assert message.startswith("gpu: got 1e+400 (row 2); accepts a catalogue name or a FLOP/s")


# 2. Silently wrong answers


@pytest.mark.parametrize("gpu", [math.inf, np.array([312e12, math.inf])])
def test_an_infinite_gpu_is_refused(gpu):
    message = _error(formulas.estimate, gpu=gpu, gpu_hourly_usd=2.745)
    assert (
        message.startswith("gpu: got inf")
        and "a catalogue name or a FLOP/s number >= 1,000,000,000,000" in message
    )
    assert _error(formulas.inference_seconds, 8.1e9, gpu=gpu).startswith("gpu: got inf")


@pytest.mark.parametrize(
    ("dau", "requests_per_user", "params"),
    [(1e-300, 1e-300, 8.1e9), (1e-320, 10, 8.1e9), (5e-324, 1, 70e9), (1e-300, 10, 70e9)],
)
def test_positive_traffic_never_needs_zero_gpus(dau, requests_per_user, params):
    per_replica = formulas.gpus_per_replica(params)
    assert formulas.gpu_count(dau, requests_per_user, params) == per_replica >= 1
    rows = formulas.gpu_count(np.array([dau, 1e8]), requests_per_user, params)
    assert rows[0] == per_replica and rows[1] >= per_replica
    [[cell]] = functions.gpu_count(dau, requests_per_user, params)
    assert cell == per_replica


def test_the_seed_and_normal_counts_are_unchanged():
    assert formulas.estimate(**SEED)["gpu_count"] == 61
    assert formulas.gpu_count(1e8, 10, 8.1e9, **SEED) == 61
    assert formulas.gpu_count(1e-300, 10, 8.1e9) == 1
    assert list(formulas.gpu_count(np.array([1e8, 2e8]), 10, 8.1e9, **SEED)) == [61, 121]


def test_memory_too_small_to_compute_is_not_one_gpu():
    # roundup(infinity) was NaN, which "memory unknown" turned into one GPU per replica
    assert _arrays.roundup(math.inf) == math.inf
    assert list(_arrays.roundup(np.array([math.inf, 2.5]))) == [math.inf, 3.0]
    assert math.isnan(_arrays.roundup(math.nan))
    message = _error(formulas.gpus_per_replica, 8.1e9, usable_memory_fraction=1e-320)
    assert message.startswith("usable_memory_fraction: got 1e-320; accepts a number in (0, 1]")


def test_at_least_one_keeps_nan_and_larger_counts():
    assert _arrays.at_least_one(0.0) == 1.0 and _arrays.at_least_one(3.0) == 3.0
    assert math.isnan(_arrays.at_least_one(math.nan))
    assert list(_arrays.at_least_one(np.array([0.0, 2.0, np.nan]))[:2]) == [1.0, 2.0]


# 3. Fractions: a plain number above 1 is ambiguous


FRACTIONS = [q.name for q in INPUTS + PROJECTION_INPUTS if q.unit.split("/")[0] == "fraction"]


def test_the_fraction_inputs_and_their_choice():
    # the seed's five decided: a plain 20 means 20 % far more often than 2,000 %
    seed = ["index_overhead", "usable_memory_fraction", "utilization", "headroom", "dau_growth"]
    assert set(seed) <= set(FRACTIONS)
    assert not any(INPUT[name].plain_above_one for name in seed)
    assert set(_arrays._FRACTIONS) == {n for n in FRACTIONS if not INPUT[n].plain_above_one}


@pytest.mark.parametrize("value", [20, 20.0, "20", " 20 ", np.float64(20), "0.02K"])
def test_a_plain_number_above_one_is_refused_with_a_suggestion(value):
    message = _error(formulas.estimate, headroom=value)
    assert message == (
        "headroom: got 20; accepts a fraction >= 0 such as 0.2 or 20%, above 1 only with % "
        "(did you mean 20%?)"
    )


@pytest.mark.parametrize(
    "array",
    [
        np.array([0.2, 20.0]),
        [0.2, 20],
        pd.Series([0.2, 20.0]),
        np.array(["20%", "20"], dtype=object),
    ],
)
def test_a_plain_number_above_one_is_refused_in_an_array_by_row(array):
    message = _error(formulas.estimate, headroom=array)
    assert message.startswith("headroom: got 20 (row 2); accepts a fraction >= 0")
    assert message.endswith("(did you mean 20%?)")


@pytest.mark.parametrize(
    ("text", "value"), [("150%", 1.5), (" 150 % ", 1.5), ("20%", 0.2), ("1000%", 10.0)]
)
def test_text_with_a_percent_sign_is_taken_as_written(text, value):
    assert formulas.estimate(headroom=text)["headroom"] == value
    table = formulas.estimate_table(pd.DataFrame({"headroom": ["20%", text]}))
    assert list(table["gpu_count"]) == [
        formulas.estimate(headroom=0.2)["gpu_count"],
        formulas.estimate(headroom=text)["gpu_count"],
    ]
    assert list(formulas.gpu_count(1e8, 10, 8.1e9, headroom=np.array([0.2, text]))) == [
        formulas.gpu_count(1e8, 10, 8.1e9, headroom=0.2),
        formulas.gpu_count(1e8, 10, 8.1e9, headroom=text),  # a plain 1.5 is refused
    ]


def test_one_and_below_are_plain_fractions():
    for name in ("index_overhead", "headroom"):
        assert formulas.estimate(**{name: 1})[name] == 1.0
        assert formulas.estimate(**{name: 0.999})[name] == 0.999


def test_each_fraction_refuses_a_plain_percentage():
    assert _error(formulas.estimate, index_overhead=25).endswith("(did you mean 25%?)")
    assert _error(formulas.estimate, utilization=40) == (
        "utilization: got 40; accepts a number in (0, 1] (did you mean 40%?)"
    )
    assert _error(formulas.estimate, usable_memory_fraction="90").endswith("(did you mean 90%?)")
    # above the bound either way: no suggestion that would be refused too
    assert _error(formulas.estimate, utilization=150) == (
        "utilization: got 150; accepts a number in (0, 1]"
    )
    assert _error(formulas.estimate, utilization="150%") == (
        "utilization: got '150%'; accepts a number in (0, 1]"  # as typed, not 1.5
    )
    # a fraction that may exceed 1 only as a percentage: 1.5 may be 1.5 % or 150 %
    assert _error(formulas.estimate, headroom=1.5).endswith("(did you mean 1.5% or 150%?)")
    assert _error(formulas.estimate, headroom=20).endswith("(did you mean 20%?)")


def test_monthly_growth_is_a_fraction_too():
    assert _error(formulas.projection, months=3, dau_growth=5) == (
        "dau_growth: got 5; accepts a fraction in (-1, 10] such as 0.2 or 20%, above 1 only "
        "with % (did you mean 5%?)"
    )
    plan = formulas.projection(months=3, dau_growth="500%")
    assert list(plan["dau"]) == [1e8, 6e8, 36e8]
    assert _error(formulas.projection, months=3, dau_growth=50).startswith(
        "dau_growth: got 50; accepts a number in (-1, 10] (did you mean 50%?)"
    )


def test_the_defaults_and_the_seed_pass():
    for q in INPUTS + PROJECTION_INPUTS:
        if q.kind != "name" and q.default is not None:
            assert _arrays.number_array(q.name, q.default) == q.default
            assert _arrays.valid(q.name, float(q.default)) == q.default
    assert formulas.estimate(**SEED)["gpu_count"] == 61


def test_the_excel_functions_refuse_a_plain_percentage_too():
    message = _excel_error(functions.gpu_count, 1e8, 10, 8.1e9, headroom=20.0)
    assert message.startswith("headroom: got 20; accepts a fraction >= 0")
    assert functions.gpu_count(1e8, 10, 8.1e9, headroom="150%", **SEED) == [[151]]


def test_the_one_cell_check_stays_one_comparison(monkeypatch):
    # a float well inside a fraction's range never reaches the general path
    def refuse(*args):
        raise AssertionError("the general path was taken")

    monkeypatch.setattr(_arrays, "number_array", refuse)
    for name, value in (("headroom", 0.2), ("utilization", 0.5), ("index_overhead", 0.25)):
        assert _arrays.valid(name, value) == value
    assert _arrays._INSIDE["headroom"] == (0.0, 1.0)
    assert _arrays._INSIDE["dau"] == (0.0, math.inf)


# 4. The command line refuses an empty value


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--dau", ""], "--dau: got an empty value; accepts a number > 0"),
        (["--dau="], "--dau: got an empty value; accepts a number > 0"),
        (["--gpu", "  "], "--gpu: got an empty value; accepts a catalogue name"),
        (
            ["--gpu-flops", ""],
            "--gpu-flops: got an empty value; accepts a number >= 1,000,000,000,000",
        ),
        (["--model", ""], "--model: got an empty value; accepts a model preset name"),
    ],
)
def test_an_empty_flag_is_refused(flags, message, capsys):
    assert main(["estimate", *flags]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"xlplugin: error: {message}") and err.count("\n") == 1


def test_an_empty_flag_exits_2_in_a_process():
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", "estimate", "--dau", ""],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr == (
        "xlplugin: error: --dau: got an empty value; accepts a number > 0 (leave the flag out "
        "for the default: 100,000,000)\n"
    )


# 5. The parser's suggestion survives


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"dau": "1,5"}, "dau: got '1,5'; accepts a number > 0 (did you mean 1.5?)"),
        ({"dau": "1,5M"}, "dau: got '1,5M'; accepts a number > 0 (did you mean 1.5M?)"),
        ({"params": "8,1B"}, "params: got '8,1B'; accepts a number >= 1,000 (below 1,000 looks "),
        ({"response_bytes": "1,5MB"}, "response_bytes: got '1,5MB'; accepts a number >= 0 (did"),
        ({"headroom": "0,2"}, "headroom: got '0,2'; accepts a number >= 0"),
        (  # the cell's row is named, as for a number out of range
            {"dau": np.array(["1e8", "2,5"])},
            "dau: got '2,5' (row 2); accepts a number > 0 (did you mean",
        ),
    ],
)
def test_the_parsers_suggestion_is_kept(inputs, message):
    assert _error(formulas.estimate, **inputs).startswith(message)


def test_a_suggestion_the_input_would_refuse_is_left_out():
    assert _error(formulas.estimate, params="8,1").endswith("write 8.1E9)")
    assert _error(formulas.estimate, params="8,1B").endswith("(did you mean 8.1B?)")
    assert _error(formulas.estimate, utilization="1,5") == (
        "utilization: got '1,5'; accepts a number in (0, 1]"
    )


# 7. Properties: any value of one input gives finite outputs or a one-line error


NUMBERS = [q.name for q in INPUTS if q.kind != "name"]
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=-1e-300, max_value=1e-300, allow_subnormal=True),
    st.floats(min_value=1e290, max_value=1e308),
    st.sampled_from([0.0, -0.0, 5e-324, 1e-320, 1e-308, 1e308, 1.7976931348623157e308, 1.5, 20.0]),
)
texts = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A *[-+]?[0-9,_.]{1,8}(e[-+]?[0-9]{1,3})? ?(K|M|B|G|T|KB|MB|GB|%)? *\Z"),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "1e-400", "1e308M", "1,5", "150%", "20", ""]),
)
ints = st.one_of(st.integers(), st.sampled_from([10**308, 10**309, -(10**400), 2**1024]))
values = st.one_of(floats, texts, ints, st.booleans(), st.none())


def _check_outcome(name: str, call) -> None:
    try:
        result = call()
    except formulas.EstimateError as error:
        message = str(error)
        assert "\n" not in message, message
        assert message.split(":")[0] in INPUT, message  # starts with an input's name
        return
    assert _all_finite(result), {n: result[n] for n in OUTPUT_NAMES}
    assert result["gpu_count"] >= 1 and result["gpu_count"] >= result["gpus_per_replica"]


@pytest.mark.parametrize("name", NUMBERS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values)
def test_any_value_of_one_input_is_a_result_or_a_one_line_error(name, value):
    _check_outcome(name, lambda: formulas.estimate(**{name: value}))


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(floats, texts, ints))
def test_any_gpu_is_a_result_or_a_one_line_error(value):
    _check_outcome("gpu", lambda: formulas.estimate(gpu=value, gpu_hourly_usd=2.745))


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(NUMBERS),
    value=st.one_of(floats, texts),
    other=st.sampled_from(NUMBERS),
    extreme=st.sampled_from([5e-324, 1e-320, 1e-300, 1e300, 1e308]),
)
def test_two_extreme_inputs_are_a_result_or_a_one_line_error(name, value, other, extreme):
    _check_outcome(name, lambda: formulas.estimate(**{other: extreme, name: value}))


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(NUMBERS), value=st.one_of(floats, texts))
def test_an_excel_cell_is_a_number_or_a_one_line_message(name, value):
    # GPU_COUNT through the one-cell path: Office.js sends floats, text or null
    if name not in functions.gpu_count.__signature__.parameters:
        name = "utilization"
    args = {"dau": 1e8, "requests_per_user": 10.0, "params": 8.1e9, name: value}
    if isinstance(value, float) and not math.isfinite(value):
        args[name] = None if math.isnan(value) else "#NUM!"
    try:
        [[cell]] = functions.gpu_count(**args)
    except formulas.EstimateError as error:  # a real #VALUE! with the message
        assert isinstance(error, xlwings.XlwingsError), type(error)
        named = str(error).split(":")[0]  # the input to change, or the output that overflows
        assert "\n" not in str(error) and named in {*INPUT, *OUTPUT_NAMES}, str(error)
        return
    assert isinstance(cell, int) and cell >= 1


def test_nan_is_still_an_empty_value():
    assert formulas.estimate(utilization=NAN, headroom=NAN, **SEED)["gpu_count"] == 61


# 8. The same properties on the other faces: the command line, scenario files and HTTP. Each
# answer is formulas' for the same text, or its one-line refusal.


def _formulas_answer(call) -> dict | str:
    try:
        return call()
    except formulas.EstimateError as error:
        return str(error)


def _same_outputs(got: dict, expected: dict) -> bool:
    return all(got[n] == pytest.approx(expected[n], rel=1e-12, abs=0) for n in OUTPUT_NAMES)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(NUMBERS), text=texts)
def test_any_text_on_the_command_line_is_formulas_answer(name, text, capsys):
    status = main(["estimate", "--format", "json", f"--{name.replace('_', '-')}={text}"])
    out, err = capsys.readouterr()
    expected = _formulas_answer(lambda: formulas.estimate(**{name: text}))
    if status == 0:
        assert isinstance(expected, dict), (text, expected)
        assert _same_outputs(json.loads(out), expected)
        return
    assert status == 2 and err.startswith("xlplugin: error: ") and err.count("\n") == 1, err
    # the command line refuses an empty value, which formulas takes as "use the default"
    assert isinstance(expected, str) or not text.strip(), (text, err)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.sampled_from(NUMBERS), text=texts)
def test_any_text_in_a_scenario_file_is_formulas_answer(name, text, tmp_path_factory):
    import csv
    import io

    from xlplugin.scenario_file import ScenarioFileError, read_scenarios

    buffer = io.StringIO()
    csv.writer(buffer).writerows([["scenario", name], ["A", text]])
    path = tmp_path_factory.mktemp("file") / "s.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    expected = _formulas_answer(lambda: formulas.estimate(**{name: text}))
    try:
        frame = read_scenarios(path)
    except ScenarioFileError as error:
        message = str(error)
        assert "\n" not in message and message.startswith("s.csv"), message
        # a file refuses control characters, which formulas' text reader may never see
        assert isinstance(expected, str) or any(ord(c) < 32 for c in text), (text, message)
        return
    assert isinstance(expected, dict), (text, expected)
    row = formulas.estimate_table(frame.drop(columns="scenario")).iloc[0]
    assert _same_outputs(row, expected)


@pytest.mark.parametrize("blank", [None, NAN, "", "  "])
def test_a_blank_input_of_an_output_function_is_its_default_or_missing(blank):
    """As in estimate: a blank optional input takes its default; a blank required one is
    missing (None used to reach the arithmetic as a TypeError)."""
    seed = formulas.gpu_count(1e8, 10, 8.1e9)
    assert formulas.gpu_count(1e8, 10, 8.1e9, utilization=blank, gpu=blank) == seed
    message = _error(formulas.gpu_count, blank, 10, 8.1e9)
    assert message == "dau: missing (required); accepts a number > 0"
    with pytest.raises(formulas.MissingInputError):
        formulas.total_usd_per_month(1e8, blank, 8.1e9)


# A cell and a range agree ---------------------------------------------------------------
# Extreme values against the cells of a two-cell range: numpy goes on where Python floats
# raise (a FLOP/s that overflows makes 0 s, not an error), so a range once answered 0 or a
# number built on an overflow where the single cell was refused (1,048 of 24,892 cases).
AGREE_OUTPUTS = ["inference_seconds", "qps_per_gpu", "gpu_count", "max_concurrency_per_replica"]
AGREE_CASES = [
    ("gpu", 1e308, {"tensor_parallel": 2.0}),
    ("gpu", 1e-300, {}),
    ("bytes_per_param", 5e-324, {"inference_model": "flops"}),
    ("attention_heads", 1e200, {}),
    ("head_dim", 1e200, {"modality": "text"}),
    ("image_width", 1e200, {"inference_model": "flops"}),
    ("input_tokens", 1e300, {"backbone": "unet"}),
    ("gpu_memory_bandwidth", 1e-300, {}),
    ("layers", 1e308, {"modality": "speech"}),
]


def _outcome(call):
    try:
        return "value", float(np.ravel(call())[0])
    except formulas.EstimateError as error:
        return "error", str(error).replace(" (row 1)", "")


@pytest.mark.parametrize("output", AGREE_OUTPUTS)
@pytest.mark.parametrize(("name", "value", "context"), AGREE_CASES)
def test_a_cell_of_a_range_answers_as_the_single_cell(output, name, value, context):
    function = getattr(formulas, output)
    inputs = {"dau": 1e8, "requests_per_user": 10.0, "params": 8.1e9, **context}
    inputs = {k: v for k, v in inputs.items() if k in inspect.signature(function).parameters}
    if name not in inspect.signature(function).parameters:
        pytest.skip(f"{output} does not take {name}")
    other = "A100" if name == "gpu" else INPUT[name].default
    cells = np.array([value, other], dtype=object if name == "gpu" else float)
    alone = _outcome(lambda: function(**inputs, **{name: value}))
    in_range = _outcome(lambda: function(**inputs, **{name: cells}))
    assert alone == in_range
    if alone[0] == "value":  # the other cell of the range is its own answer
        both = np.broadcast_to(function(**inputs, **{name: cells}), (2,))
        assert both[1] == function(**inputs, **{name: other})


def test_an_overflow_in_a_range_is_refused_at_its_cell_not_answered_zero():
    gpus = np.array(["A100", 1e308], dtype=object)
    # (the seed's formula: the roofline needs memory figures a FLOP/s number does not carry)
    known = {"tensor_parallel": 2, "inference_model": "flops"}
    message = _error(formulas.inference_seconds, params=8.1e9, gpu=gpus, **known)
    assert message.startswith("gpu: got 1e+308 (row 2); accepts a catalogue name or a FLOP/s")
    [[good], [bad]] = functions.inference_seconds(8.1e9, [["A100"], [1e308]], **known)
    assert good == formulas.inference_seconds(params=8.1e9, **known)
    assert bad.startswith("#VALUE! gpu: got 1e+308; accepts")


def test_weights_too_small_to_measure_still_take_a_gpu():
    """A share of a GPU that underflows to 0 is still one GPU (it gave 0 GPUs a replica)."""
    assert formulas.gpus_per_replica(params=8.1e9, bytes_per_param=5e-324) == 1
    assert formulas.gpu_count(1e8, 10, 8.1e9, bytes_per_param=5e-324) >= 1


def test_a_table_without_rows_is_an_empty_answer_whatever_its_columns():
    for column in ("gpu", "precision", "kv_precision", "modality"):
        frame = pd.DataFrame(
            {"dau": pd.Series([], dtype=float), column: pd.Series([], dtype=object)}
        )
        assert formulas.estimate_table(frame).empty, column
        assert (
            formulas.gpu_count(np.array([]), 10, 8.1e9, **{column: frame[column].to_numpy()}).size
            == 0
        )


@pytest.mark.parametrize(
    "value", [1, 0, -5.0, True, 1e300, "FP99", np.array(["FP8", 1.0], dtype=object)]
)
def test_a_kv_precision_that_is_no_precision_is_refused_by_its_own_name(value):
    """A number was taken for an empty cell (the weights' precision), and an unknown name
    was refused as ``precision``."""
    message = _error(formulas.gpu_count, 1e8, 10, 8e9, modality="text", kv_precision=value)
    assert message.startswith("kv_precision: got "), message


def test_a_name_input_given_once_names_no_row():
    assert _error(formulas.gpu_count, 1e8, 10, 8.1e9, modality=1) == (
        "modality: got 1; accepts one of text, image, speech"
    )


# The command line's own errors ----------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["estimate", "--dau=--"], "--dau: got an empty value"),  # a traceback
        (["estimate", "--dau", "-1e5"], "--dau=-5"),  # 43 lines of usage
        (["estimate", "--format", "xml"], "invalid choice: 'xml'"),
        (["estimate", "--head", "5"], "could match --headroom, --head-dim"),
        (["estimate", "--dau"], "expected one argument"),
        (["estimate", "--dau", "5", "--dau", "6"], "--dau: given twice ('5' and '6')"),  # 6
        (["estimate", "--model", "SDXL", "--model=SD3-Medium"], "--model: given twice"),
        (["build", "--culture", "de-DE", "--culture", "en-US"], "--culture: given twice"),
        (["build", "-o", "a.xlsx", "--output=b.xlsx"], "given twice ('a.xlsx' and 'b.xlsx')"),
        (["estimate", "--format", "json", "--format", "csv"], "--format: given twice"),
        (["gpus", "--format", "csv", "--format", "json"], "--format: given twice"),
        (["nothing"], "invalid choice: 'nothing'"),
    ],
)
def test_every_command_line_error_is_one_line_and_status_2(args, says):
    done = _cli(*args)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "usage:" not in done.stderr


def test_culture_reads_text_as_that_culture_writes_it(tmp_path):
    note = "(in de-DE, '1.500' could be 1500 or 1.5: write one of those)"
    done = _cli("estimate", "--dau", "1.500", "--culture", "de-DE")
    assert done.returncode == 2 and done.stderr.endswith(note + "\n"), done.stderr
    (tmp_path / "plan.csv").write_text('scenario,dau,utilization\nA,"1.500",0.5\n')
    built = ["build", "-o", str(tmp_path / "o.xlsx"), "--scenarios", str(tmp_path / "plan.csv")]
    done = _cli(*built, "--culture", "de-DE")
    assert done.returncode == 2 and done.stderr == (
        f"xlplugin: error: plan.csv row 2, column dau: got '1.500'; accepts a number > 0 {note}\n"
    ), done.stderr
    assert not (tmp_path / "o.xlsx").exists()
    assert _cli(*built).returncode == 0  # without a culture, text reads as Python reads it
    assert _cli(*built, "--culture", "en-US", "--force").returncode == 0
    for culture in ("de DE", "xx", "ed-DE"):  # a language no locale table knows: refused,
        done = _cli("estimate", "--culture", culture)  # not taken for a decimal comma
        assert done.returncode == 2, culture
        assert f"--culture: got {culture!r}; accepts a culture name" in done.stderr


def test_a_file_name_with_a_line_break_stays_on_one_line(tmp_path):
    done = _cli("build", "-o", str(tmp_path / "o.xlsx"), "--scenarios", str(tmp_path / "a\nb.csv"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "a\\nb.csv" in done.stderr


def test_unknown_figures_are_null_in_json_and_empty_in_csv():
    """A GPU given as FLOP/s has no memory: NaN, which is not JSON (strict readers refuse it)."""
    flags = ["estimate", "--gpu", "312T", "--gpu-hourly-usd", "2", "--inference-model", "flops"]
    done = _cli(*flags, "--format", "json")

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON")

    result = json.loads(done.stdout, parse_constant=refuse)
    assert result["gpu_memory_bytes"] is None and result["gpu_count"] > 0
    rows = list(csv.DictReader(io.StringIO(_cli(*flags, "--format", "csv").stdout)))
    assert rows[0]["gpu_memory_bytes"] == "" and "nan" not in rows[0].values()


# Odd Python values: the one-line error, never a TypeError or a reading of their bytes ----
@pytest.mark.parametrize(
    ("call", "starts"),
    [
        (lambda: formulas.gpu_count([[1, 2], [3]], 10, 8.1e9), "dau: got [[1, 2], [3]]; accepts"),
        (lambda: formulas.gpu_count(bytearray(b"100"), 10, 8.1e9), "dau: got bytearray(b'100')"),
        (lambda: formulas.gpu_count(np.array([1 + 1j]), 10, 8.1e9), "dau: got (1+1j); accepts"),
        (
            lambda: formulas.gpu_count(np.ma.masked_array([1e8, 2e8], mask=[1, 0]), 10, 8.1e9),
            "dau: got masked_array(",
        ),
        (lambda: formulas.gpu_count(1e8, 10, 8.1e9, gpu={"a": 1}), "gpu: got {'a': 1}; accepts"),
        (lambda: formulas.gpu_count(1e8, 10, 8.1e9, gpu=1j), "gpu: got 1j; accepts"),
        (
            lambda: formulas.gpu_count(1e8, 10, 8.1e9, gpu=np.bool_(True)),
            "gpu: got True; accepts one of",
        ),
        (lambda: formulas.gpu_count(1e8, 10, 8.1e9, modality={"a": 1}), "modality: got {'a': 1}"),
        (lambda: formulas.gpu_count(1e8, 10, 8.1e9, precision=[["FP8", [1]]]), "precision: got"),
        (lambda: formulas.estimate_table(pd.DataFrame({"dau": [1e8, [1, 2]]})), "dau: got [1, 2]"),
        (lambda: formulas.estimate_table({"dau": [1e8]}), "table: got {'dau': [100000000.0]}"),
        (lambda: formulas.estimate_table(None), "table: missing; accepts a pandas DataFrame"),
        (
            lambda: formulas.gpu_count(1e8, 10, 8e9, text_encoder_params=1e300),
            "text_encoder_params: got 1e+300; accepts a model that fits in 8 GPUs: 2e+291 GB",
        ),
    ],
)
def test_an_odd_python_value_is_a_one_line_error_naming_its_input(call, starts):
    message = _error(call)
    assert message.startswith(starts) and len(message) < 300, message
    assert "did you mean Trainium2" not in message  # no spelling hint for a non-text value


def test_a_blank_projection_plan_takes_its_defaults():
    """months=None reached int() as a TypeError."""
    plan = formulas.projection(months=None, dau_growth="")
    assert plan.equals(formulas.projection())


def test_a_request_that_generates_nothing_is_refused_as_such():
    """output_tokens 0 divided a text model's cost per output token by zero, and the error
    blamed params or dau; 1e-300 gave a cost of 4.6e301 USD per million tokens. A request
    makes one token at least (a mean such as 1.5 is a mean)."""
    for tokens in (0, 1e-300, 0.5):
        assert _error(formulas.estimate, modality="text", output_tokens=tokens) == (
            f"output_tokens: got {tokens!r}; accepts a number >= 1"
        )
    assert formulas.estimate(modality="text", output_tokens=1)["gpu_count"] > 0
    assert formulas.estimate(modality="text", output_tokens=1.5)["gpu_count"] > 0


def test_arrays_that_stretch_past_the_limit_are_refused_at_once():
    """A row of 100,000 against a column of 100,000: numpy asked for 74.5 GiB."""
    message = _error(formulas.gpu_count, np.ones((100_000, 1)), np.ones((1, 100_000)), 8e9)
    assert message.startswith("shape (arrays stretched to 100000 x 100000): got 10,000,000,000")
    assert formulas.gpu_count(np.ones((100, 1)) * 1e8, np.ones((1, 100)) * 10, 8e9).shape == (
        100,
        100,
    )


def test_series_on_different_indexes_are_refused_not_paired_by_position():
    dau = pd.Series([1e8, 2e8], index=["a", "b"])
    message = _error(formulas.gpu_count, dau, pd.Series([10, 20], index=["b", "a"]), 8.1e9)
    assert message.startswith("index: got 'dau and requests_per_user on different indexes'")
    same = formulas.gpu_count(dau, pd.Series([10, 20], index=["a", "b"]), 8.1e9)
    assert list(same.index) == ["a", "b"] and same["b"] == formulas.gpu_count(2e8, 20, 8.1e9)


def test_the_estimate_says_what_a_gpu_given_as_flops_leaves_unknown():
    """Its memory counts as holding any model (a 1T-parameter model on one GPU) and its
    bandwidth as instant: said in the printout, not left for the reader to find."""
    flops = ("--gpu", "312T", "--gpu-hourly-usd", "2", "--inference-model", "flops")
    done = _cli("estimate", *flops)
    assert "Unknown for this GPU: memory (the weights taken to fit one GPU) and memory" in (
        done.stdout
    )
    known = _cli("estimate", *flops, "--gpu-memory-bytes", "80GB")
    assert "Unknown for this GPU: memory bandwidth" in known.stdout
    assert "Unknown" not in _cli("estimate").stdout
    # the roofline, which needs both, refuses instead of taking them as unlimited
    roofline = _cli("estimate", *flops[:4], "--gpu-memory-bytes", "80GB")
    assert roofline.returncode == 2 and roofline.stderr.startswith(
        "xlplugin: error: gpu_memory_bandwidth: missing; accepts a GPU memory bandwidth"
    )


# A GPU given as FLOP/s: its memory, bandwidth and price are unknown by design ------------
# Steps computed from them are NaN in every cell: that is no overflow, and no reason to
# compute each cell again on its own (100,000 cells took 4 s, the estimate 0.01 s).


def test_a_range_with_a_gpu_given_as_flops_is_not_computed_cell_by_cell(monkeypatch):
    alone = formulas.gpu_count(1e8, 10, 8.1e9, gpu=1e15, inference_model="flops")
    cells = []
    computed_alone = _arrays._element
    monkeypatch.setattr(_arrays, "_element", lambda *a: cells.append(a) or computed_alone(*a))
    for gpu in (1e15, np.full(1_000, 1e15), np.array(["1e15", 1e15] * 500, dtype=object)):
        result = formulas.gpu_count(
            np.full(1_000, 1e8), 10, 8.1e9, gpu=gpu, inference_model="flops"
        )
        assert (result == alone).all()
    assert not cells


FLOPS_AGREE_CASES = [
    ("gpu", 1e308, {"tensor_parallel": 2.0}),
    ("gpu", 1e-300, {}),
    ("gpu", 5e-324, {"modality": "text"}),
    ("gpu_memory_bandwidth", 1e308, {"tensor_parallel": 2.0}),
    ("gpu_memory_bandwidth", 1e-300, {"modality": "text"}),
    ("gpu_memory_bytes", 5e-324, {}),
    ("bytes_per_param", 5e-324, {"modality": "text"}),
]


@pytest.mark.parametrize("output", AGREE_OUTPUTS)
@pytest.mark.parametrize(("name", "value", "context"), FLOPS_AGREE_CASES)
def test_a_cell_of_a_range_of_flops_answers_as_the_single_cell(output, name, value, context):
    """As test_a_cell_of_a_range_answers_as_the_single_cell, beside a GPU given as FLOP/s:
    the steps unknown for it no longer make each cell suspect, and an overflow still is."""
    function = getattr(formulas, output)
    parameters = inspect.signature(function).parameters
    inputs = {"dau": 1e8, "requests_per_user": 10.0, "params": 8.1e9, "gpu": 1e15, **context}
    inputs = {k: v for k, v in inputs.items() if k in parameters and k != name}
    if name not in parameters:
        pytest.skip(f"{output} does not take {name}")
    other = 1e15 if name == "gpu" else INPUT[name].default
    other = np.nan if other is None else other  # not given: the precision's, the catalogue's
    cells = np.array([value, other], dtype=float)
    alone = _outcome(lambda: function(**inputs, **{name: value}))
    in_range = _outcome(lambda: function(**inputs, **{name: cells}))
    assert alone == in_range
    if alone[0] == "value":
        both = np.broadcast_to(function(**inputs, **{name: cells}), (2,))
        assert both[1] == function(**inputs, **{name: other})


# Numbers of other types: Decimal, Fraction, numpy scalars -------------------------------
def test_a_signalling_nan_is_refused_by_name():
    """float(Decimal('sNaN')) raises ValueError, and it does not hash: it escaped as a bare
    ValueError, and from estimate_table as StopIteration."""
    snan = Decimal("sNaN")
    assert _error(formulas.gpu_count, snan, 10, 8.1e9) == (
        "dau: got Decimal('sNaN'); accepts a number > 0"
    )
    message = _error(formulas.gpu_count, pd.Series([1e8, snan]), 10, 8.1e9)
    assert message.startswith("dau: got Decimal('sNaN') (row 2)")
    message = _error(formulas.estimate_table, pd.DataFrame({"dau": [snan]}))
    assert message.startswith("dau: got Decimal('sNaN') (row 1)")
    message = _error(formulas.estimate_table, pd.DataFrame({"gpu": [snan]}))
    assert message.startswith("gpu: got Decimal('sNaN') (row 1); accepts a catalogue name")


@pytest.mark.parametrize(
    "nan", [np.float32("nan"), np.float16("nan"), np.array(np.nan), Decimal("NaN")]
)
def test_a_nan_of_any_number_type_takes_the_default(nan):
    expected = formulas.gpu_count(1e8, 10, 8.1e9)
    assert formulas.gpu_count(1e8, 10, 8.1e9, headroom=nan) == expected
    assert formulas.gpu_count(1e8, 10, 8.1e9, utilization=nan) == expected
    assert formulas.estimate(headroom=nan)["gpu_count"] == formulas.estimate()["gpu_count"]


@pytest.mark.parametrize(
    "gpu", [Decimal("989e12"), Fraction(989 * 10**12), np.float64(989e12), np.int64(989 * 10**12)]
)
def test_a_gpu_given_as_a_number_of_any_type_is_its_flops(gpu):
    expected = formulas.gpu_count(1e8, 10, 8.1e9, gpu=989e12, inference_model="flops")
    assert formulas.gpu_count(1e8, 10, 8.1e9, gpu=gpu, inference_model="flops") == expected
    frame = pd.DataFrame({"gpu": [gpu, "H100"], "gpu_hourly_usd": [2.0, None]})
    frame["inference_model"] = "flops"
    table = formulas.estimate_table(frame)
    assert (
        table["gpu_count"][0]
        == formulas.estimate_table(frame.assign(gpu=[989e12, "H100"]))["gpu_count"][0]
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (np.float32(-1), "-1"),
        (np.int64(-1), "-1"),
        (Fraction(-1, 2), "-0.5"),
        (np.array(-1.0), "-1"),
    ],
)
def test_one_value_of_another_type_names_no_row(value, shown):
    assert _error(formulas.gpu_count, value, 10, 8.1e9) == f"dau: got {shown}; accepts a number > 0"


def test_a_date_in_one_cell_names_no_row():
    message = _excel_error(functions.gpu_count, datetime.datetime(2020, 1, 1), 10, 8.1e9)
    assert message == "dau: got datetime.datetime(2020, 1, 1, 0, 0); accepts a number > 0"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("1e400"), "Decimal('1E+400')"), (np.longdouble("1e400"), "np.longdouble('1e+400')")],
)
def test_a_number_beyond_a_float_is_refused_as_it_is_not_as_infinity(value, shown):
    if not np.isfinite(np.longdouble("1e400")) and isinstance(value, np.longdouble):
        pytest.skip("this platform's long double is a double")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning printed either
        message = _error(formulas.gpu_count, value, 10, 8.1e9)
    assert message == (
        f"dau: got {shown}; accepts a number > 0, at most 1.8e+308 (a larger one cannot be "
        "computed)"
    )


@pytest.mark.parametrize(
    ("name", "accepts"),
    [
        ("dau", "a number > 0, at most 1.8e+308 (a larger one cannot be computed)"),
        ("params", "a number >= 1,000, at most 1.8e+308 (a larger one cannot be computed)"),
        ("utilization", "a number in (0, 1]"),  # its bound says it
    ],
)
def test_infinity_is_told_the_largest_number_not_only_the_smallest(name, accepts):
    """inf is "> 0": an input bounded only below says what infinity exceeds."""
    with pytest.raises(formulas.InvalidInputError) as caught:
        formulas.estimate(**{name: math.inf})
    assert str(caught.value) == f"{name}: got inf; accepts {accepts}"


def test_an_overflow_blamed_on_a_single_cell_fails_only_the_cells_it_overflows():
    """1e308 requests a user overflow for 2e8 users, not for 1: the call failed as a whole
    (HTTP 400) where the first cell computes alone."""
    cells = functions.gpu_count([[1], [2e8]], 1e308, 8.1e9)
    assert cells[0] == [formulas.gpu_count(1, 1e308, 8.1e9)]
    (message,) = cells[1]
    assert message.startswith("#VALUE! requests_per_user: got 1e+308; accepts a number > 0")
    assert "overflow" in message and "(row" not in message


def test_a_gpu_column_holding_a_decimal_beyond_a_float_is_refused_by_row():
    frame = pd.DataFrame({"gpu": ["H100", Decimal("1e400")]})
    message = _error(formulas.estimate_table, frame)
    assert message.startswith("gpu: got Decimal('1E+400') (row 2); accepts a catalogue name")
    assert message.endswith("at most 1.8e+308 (a larger one cannot be computed)")


@pytest.mark.parametrize(
    "cells",
    [
        [1e8, np.timedelta64(5, "s")],
        pd.Series(pd.to_timedelta(["1D"])),
    ],
)
def test_a_timedelta_among_numbers_is_refused_by_row(cells):
    """A timedelta64 is a numpy integer to numbers.Real; float() refused it: TypeError."""
    assert "(row " in _error(formulas.gpu_count, cells, 10, 8.1e9)


def test_a_timedelta_as_a_gpu_is_refused_by_row():
    frame = pd.DataFrame({"gpu": pd.Series(["A100", np.timedelta64(1, "s")], dtype=object)})
    assert _error(formulas.estimate_table, frame).startswith("gpu: got ")


@pytest.mark.parametrize(
    ("gpus", "row", "shown"),
    [
        ([Decimal("sNaN"), "A100"], 1, "Decimal('sNaN')"),
        (["A100", Decimal("sNaN")], 2, "Decimal('sNaN')"),
        ([312e12, np.longdouble("1e400")], 2, "np.longdouble('1e+400')"),
        (["A100", Fraction(10**400)], 2, "Fraction(1000"),
    ],
)
def test_a_gpu_number_that_is_no_float_is_refused_by_its_row(gpus, row, shown):
    """They raised TypeError (unhashable), or blamed dau for an overflow."""
    if isinstance(gpus[-1], np.longdouble) and not np.isfinite(np.longdouble("1e400")):
        pytest.skip("this platform's long double is a double")
    message = _error(formulas.gpu_count, 1e8, 10, 8.1e9, gpu=gpus)
    assert message.startswith(f"gpu: got {shown}"), message
    assert f"(row {row})" in message


@pytest.mark.parametrize(
    ("function", "args", "start"),
    [
        (formulas.gpu_spec, (["H100"], "memory_bytes"), "gpu: got ['H100']; accepts one of A100"),
        (formulas.gpu_spec, ("H100", ["memory_bytes"]), "field: got ['memory_bytes']; accepts"),
        (formulas.model_preset, (["SDXL"],), "model: got ['SDXL']; accepts one of SD3.5-Large"),
        (formulas.model_preset, ({"a": 1},), "model: got {'a': 1}; accepts one of"),
    ],
)
def test_a_list_given_as_a_name_is_refused_as_an_unknown_name(function, args, start):
    """They raised TypeError (unhashable)."""
    with pytest.raises(formulas.UnknownNameError) as caught:
        function(*args)
    assert str(caught.value).startswith(start), caught.value


@pytest.mark.parametrize(
    ("name", "cells"), [("dau", [1e8, True]), ("utilization", [0.5, np.True_])]
)
def test_true_among_numbers_is_refused_not_read_as_one(name, cells):
    inputs = {"dau": 1e8, "requests_per_user": 10, "params": 8.1e9, name: cells}
    message = _error(formulas.gpu_count, **inputs)
    assert message.startswith(f"{name}: got ") and "(row 2)" in message


def test_a_long_double_beyond_a_float_in_an_array_is_shown_as_given():
    if not np.isfinite(np.longdouble("1e400")):
        pytest.skip("this platform's long double is a double")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = _error(formulas.gpu_count, [1e8, np.longdouble("1e400")], 10, 8.1e9)
    assert message.startswith("dau: got np.longdouble('1e+400') (row 2)")


@pytest.mark.parametrize("value", [Decimal("1e-400"), Fraction(1, 10**400), "1e-400"])
def test_a_number_below_the_smallest_float_is_not_called_zero(value):
    message = _error(formulas.gpu_count, value, 10, 8.1e9)
    assert message.startswith(f"dau: got {value!r}"[:24])  # (a long value is shortened)
    assert message.endswith("; accepts a number > 0 (it is below the smallest float, 5e-324: 0)")


def test_nat_is_a_blank_on_every_face():
    frame = pd.DataFrame({"dau": pd.Series([pd.NaT, 2e8], dtype=object)})
    default = formulas.estimate()["dau"]
    assert formulas.estimate_table(frame)["dau"].tolist() == [default, 2e8]
    assert formulas.estimate(dau=pd.NaT)["dau"] == default
    assert "dau: missing (required)" in _error(formulas.gpu_count, pd.NaT, 10, 8.1e9)


@pytest.mark.parametrize(
    "scenario",
    [
        dict(modality="text", output_tokens=1e300, inference_model="flops"),
        dict(modality="text", output_tokens=1e300, input_tokens=1e250, inference_model="flops"),
        dict(modality="text", output_tokens=1e305, input_tokens=100, inference_model="flops"),
        dict(modality="text", output_tokens=1e300),
    ],
)
def test_one_scenario_and_a_table_of_it_agree_at_the_extremes(scenario):
    """A Python float raises in a branch the inputs do not choose (the serving model's
    times, with the napkin formula chosen), where numpy, and so a table, goes on: the
    scalar estimate refused what estimate_table accepted (61 GPUs)."""
    try:
        alone = formulas.estimate(**scenario)["gpu_count"]
    except formulas.EstimateError as error:
        alone = str(error)
    try:
        table = formulas.estimate_table(pd.DataFrame([scenario]))["gpu_count"].iloc[0]
    except formulas.EstimateError as error:
        table = str(error).replace(" (row 1)", "")
    assert alone == table
    assert "np." not in str(alone)  # the value as given: 1e+300, not np.float64(1e+300)
    # and each output's own function, which computes only its own steps, agrees too
    for output in ("gpu_count", "total_usd_per_month"):
        function = getattr(formulas, output)
        names = set(inspect.signature(function).parameters)
        inputs = {**formulas.estimate(), **scenario} if isinstance(alone, float) else {}
        if inputs:
            own = function(**{n: v for n, v in inputs.items() if n in names})
            assert own == formulas.estimate(**scenario)[output], output


@pytest.mark.parametrize(
    "bad",
    [
        {"peak_factor": 1e-5, "utilization": 5.0},
        {"utilization": 5.0, "peak_factor": 1e-5},
        {"headroom": -1, "peak_factor": 1e-5, "usable_memory_fraction": 2.0},
    ],
)
def test_of_several_bad_inputs_every_face_names_the_same_one(bad):
    """The first bad input in vocabulary order, whatever order the keywords came in: as a
    table's columns, the workbook's rows and the command line are checked."""
    messages = set()
    for call in (
        lambda: formulas.estimate(**bad),
        lambda: formulas.gpu_count(1e8, 10, 8.1e9, **bad),
        lambda: formulas.total_usd_per_month(1e8, 10, 8.1e9, **bad),
        lambda: formulas.estimate_table(pd.DataFrame([bad])),
        lambda: formulas.estimate_table(pd.DataFrame([dict(reversed(bad.items()))])),
    ):
        with pytest.raises(formulas.EstimateError) as refused:
            call()
        messages.add(str(refused.value).replace(" (row 1)", ""))
    assert len(messages) == 1, messages


def test_the_largest_max_gpus_per_replica_is_judged_in_tables_as_in_one_cell():
    """A table row with the largest float as max_gpus_per_replica never returned: its widest
    split, 2^1024, is infinite, and halving infinity never ends. A language model's row is
    refused as one cell is (the split overflows); an image pipeline's computes."""
    largest = sys.float_info.max
    text = {"modality": "text", "params": 8e9, "layers": 32, "attention_heads": 32, "kv_heads": 8}
    rows = pd.DataFrame([{**text, "max_gpus_per_replica": m} for m in (8, largest)])
    with pytest.raises(formulas.OverflowInputError) as table:
        formulas.estimate_table(rows)
    with pytest.raises(formulas.OverflowInputError) as one:
        formulas.estimate(**text, max_gpus_per_replica=largest)
    assert str(table.value) == str(one.value).replace("; accepts", " (row 2); accepts", 1)
    image = formulas.estimate_table(pd.DataFrame({"max_gpus_per_replica": [8, largest]}))
    assert image["gpu_count"].tolist() == [
        formulas.estimate(max_gpus_per_replica=m)["gpu_count"] for m in (8, largest)
    ]


@pytest.mark.parametrize("name", ["dau", "gpu"])
@pytest.mark.parametrize("cells", [[(5e6,)], [(1, 2), (3, 4)]], ids=["one", "pairs"])
def test_a_table_column_of_tuples_is_refused_by_name(name, cells):
    """Tuples of one length throughout a column became a second dimension of numpy's array
    of the distinct values, and pandas raised about buffer dimensions."""
    frame = pd.DataFrame({name: pd.Series(cells, dtype=object)})
    with pytest.raises(formulas.InvalidInputError) as caught:
        formulas.estimate_table(frame)
    assert str(caught.value).startswith(f"{name}: got {cells[0]!r} (row 1); accepts "), caught
