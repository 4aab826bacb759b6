"""The Excel functions: a range of many bad cells stays cheap to refuse, and SCENARIOS and
GPU_SPEC read names as the other faces do."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import xlwings

from xlplugin import _excel, formulas, functions


def message_of(thunk) -> str:
    """The one line of a call that fails as a whole (raised: a real #VALUE! in Excel)."""
    with pytest.raises(formulas.EstimateError) as caught:
        thunk()
    assert isinstance(caught.value, xlwings.XlwingsError), type(caught.value)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def bad_cells(count: int) -> list[list[str]]:
    """A column of ``count`` distinct texts that are no number: "0x", "1x", ..."""
    return [[f"{i}x"] for i in range(count)]


# A range of many distinct bad cells -----------------------------------------------------
def test_many_distinct_bad_cells_are_refused_after_reading_a_few(monkeypatch):
    """A million such cells took 40 s to refuse: each distinct one was read before the
    count of bad cells was compared with MAX_BAD_CELLS. The reading now stops past it."""
    few = 60
    assert few > _excel.MAX_BAD_CELLS + 1
    expected = message_of(lambda: functions.gpu_count(bad_cells(few), 10, 8.1e9))
    assert expected == "dau: got '0x' (row 1); accepts a number > 0"

    read = []
    original = _excel.valid

    def counted(name, value):
        read.append(value)
        return original(name, value)

    monkeypatch.setattr(_excel, "valid", counted)
    many = bad_cells(200_000)
    assert message_of(lambda: functions.gpu_count(many, 10, 8.1e9)) == expected
    assert len(read) <= _excel.MAX_BAD_CELLS + 1, len(read)


def test_bad_cells_up_to_the_limit_still_get_their_own_messages():
    cells = functions.gpu_count([[1e8], *bad_cells(_excel.MAX_BAD_CELLS)], 10, 8.1e9)
    assert cells[0] == [int(formulas.gpu_count(1e8, 10, 8.1e9))]
    assert cells[1:] == [
        [f"#VALUE! dau: got '{i}x'; accepts a number > 0"] for i in range(_excel.MAX_BAD_CELLS)
    ]


# SCENARIOS headers and GPU_SPEC fields, as the scenario file reader reads them ----------
@pytest.mark.parametrize(
    "header", ["requests per user", "requests-per-user", " Requests Per User ", "REQUESTS_PER_USER"]
)
def test_scenarios_read_headers_as_a_scenario_file_does(header):
    expected = functions.scenarios([["dau", "requests_per_user"], [1e6, 5], [2e6, 3]])
    assert functions.scenarios([["dau", header], [1e6, 5], [2e6, 3]]) == expected


def test_scenarios_refuse_one_input_under_two_spellings():
    table = [["requests per user", "requests_per_user"], [5, 6]]
    assert message_of(lambda: functions.scenarios(table)) == (
        "table: got the column 'requests_per_user' twice; accepts each input once"
    )


@pytest.mark.parametrize("field", ["MEMORY_BYTES", "Memory-Bytes", " memory bytes "])
def test_gpu_spec_reads_a_field_in_any_case(field):
    assert functions.gpu_spec("H100", field) == functions.gpu_spec("H100", "memory_bytes")
    table = functions.gpu_spec([["A100"], ["H100"]], [[field, "FP16_FLOPS"]])
    assert table == functions.gpu_spec([["A100"], ["H100"]], [["memory_bytes", "fp16_flops"]])


def test_gpu_spec_names_an_unknown_field_as_typed():
    message = message_of(lambda: functions.gpu_spec("H100", "Colour"))
    assert message.startswith("field: got 'Colour'; accepts one of")


def test_the_functions_need_nothing_lite_does_not_install():
    """xlwings Lite installs numpy and pandas with the wheel: every Excel function, GPU_SPEC
    and SCENARIOS included, runs without openpyxl and defusedxml (the scenario file
    reader's)."""
    code = textwrap.dedent("""
        import sys

        class Absent:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("openpyxl", "defusedxml"):
                    raise ModuleNotFoundError(name)

        sys.meta_path.insert(0, Absent())
        from xlplugin import functions
        assert functions.gpu_spec("A100", "MEMORY_BYTES") == [[40e9]]
        rows = functions.scenarios([["dau", "requests per user", "params"], [1e8, 10, 8.1e9]])
        assert rows[1][rows[0].index("gpu_count")] > 0
        assert functions.gpu_count(1e8, 10, 8.1e9)[0][0] > 0
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize(
    "gpu", [10**400, -(10**400), [[10**400]]], ids=["big", "negative", "range"]
)
def test_gpu_spec_refuses_an_integer_past_the_largest_float_as_a_name(gpu):
    """A whole number is tried as a name it spells (4090); one too large for a float
    raised OverflowError (a 500 on the server) instead of naming the argument."""
    message = message_of(lambda: functions.gpu_spec(gpu, "memory_bytes"))
    assert message.startswith("gpu: got "), message
    assert "; accepts one of A100, " in message, message


def test_gpu_spec_reads_a_typed_4090_as_the_name_it_spells():
    """Excel sends a typed 4090 as 4090.0: GPU_SPEC takes names only, so it is the RTX 4090,
    in-process and as the server receives it alike."""
    memory = formulas.gpu_spec("RTX4090", "memory_bytes")
    assert functions.gpu_spec(4090, "memory_bytes") == [[memory]]
    assert functions.gpu_spec(4090.0, "memory_bytes") == [[memory]]
