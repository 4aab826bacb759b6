import importlib

import numpy as np
import pandas as pd
import pytest
from xlplugin.formulas import InvalidInputError, UnknownNameError
from xlplugin.formulas.vocabulary import INPUTS, OUTPUTS

from xlplugin import formulas


def test_estimate_returns_every_input_and_output():
    result = formulas.estimate()
    assert set(result) == {q.name for q in INPUTS} | {q.name for q in OUTPUTS}
    assert result["gpu_flops"] == 312e12 and result["bytes_per_param"] == 2


def test_costs():
    r = formulas.estimate(inference_model="flops")
    assert r["gpu_usd_per_month"] == pytest.approx(61 * r["gpu_hourly_usd"] * 24 * 30)
    assert r["retained_storage_bytes"] == pytest.approx(16.2e9 + 1e12 + 12 * 3.75e16)
    assert r["storage_usd_per_month"] == pytest.approx(r["retained_storage_bytes"] / 1e9 * 0.023)
    assert r["egress_usd_per_month"] == pytest.approx(1e8 * 10 * 30 * 1e6 / 1e9 * 0.05)
    total = r["gpu_usd_per_month"] + r["storage_usd_per_month"] + r["egress_usd_per_month"]
    assert r["total_usd_per_month"] == pytest.approx(total)
    assert r["usd_per_1k_requests"] == pytest.approx(total / (1e8 * 10 * 30) * 1000)


def test_precision_sets_bytes_per_param_unless_given():
    assert formulas.estimate(precision="INT4")["model_size_bytes"] == 8.1e9 * 0.5
    assert formulas.estimate(precision="INT4", bytes_per_param=1)["model_size_bytes"] == 8.1e9


def test_blank_inputs_take_defaults():
    assert (
        formulas.estimate(dau=None, gpu="", utilization=float("nan"), inference_model="flops")[
            "gpu_count"
        ]
        == 61
    )


def test_neutral_realism_keeps_the_seed():
    realistic = formulas.estimate(
        utilization=1.0, peak_factor=1.0, headroom=0.0, inference_model="flops"
    )
    assert realistic["gpu_count"] == 61


def test_gpu_without_price_asks_for_one():
    with pytest.raises(
        InvalidInputError,
        match=r"^gpu_hourly_usd: missing; accepts a price "
        r"in USD per GPU-hour >= 0 \(the catalogue has "
        r"no price for gpu 1e\+15\)",
    ):
        formulas.estimate(gpu=1e15, inference_model="flops")
    priced = formulas.estimate(gpu=1e15, gpu_hourly_usd=2.0, inference_model="flops")
    assert priced["gpu_usd_per_month"] > 0


def test_unknown_input_name():
    with pytest.raises(UnknownNameError, match=r"^input: got 'daus'; .*did you mean dau"):
        formulas.estimate(daus=5)


def test_table_equals_the_scalar_path():
    frame = pd.DataFrame(
        {
            "dau": [1e8, 5e6, 2e9],
            "gpu": ["A100", "H100", None],
            "precision": ["FP16", "FP8", "BF16"],
            "utilization": [1.0, 0.4, np.nan],
            "gpu_hourly_usd": [np.nan, 3.0, np.nan],
        },
        index=["seed", "small", "big"],
    )
    table = formulas.estimate_table(frame)
    assert list(table.index) == ["seed", "small", "big"]
    for key, row in frame.iterrows():
        inputs = {k: v for k, v in row.items() if not pd.isna(v)}
        expected = formulas.estimate(**inputs)
        for name, value in expected.items():
            got = table.loc[key, name]
            assert got == value or (value is None and pd.isna(got)), (key, name)


def test_table_with_no_rows_and_no_columns():
    assert len(formulas.estimate_table(pd.DataFrame(index=range(0)))) == 0
    defaults = formulas.estimate_table(pd.DataFrame(index=range(2)))
    assert list(defaults["gpu_count"]) == [formulas.estimate()["gpu_count"]] * 2
    seed = formulas.estimate_table(pd.DataFrame({"inference_model": ["flops"] * 2}))
    assert list(seed["gpu_count"]) == [61, 61]


def test_table_rejects_unknown_and_duplicate_columns():
    with pytest.raises(UnknownNameError, match=r"^column: got 'gpus'"):
        formulas.estimate_table(pd.DataFrame({"gpus": ["A100"]}))
    duplicate = pd.DataFrame([[1e8, 2e8]], columns=["dau", "dau"])
    with pytest.raises(InvalidInputError, match=r"^column: got 'dau'; accepts each input name"):
        formulas.estimate_table(duplicate)


def test_table_error_names_the_row():
    frame = pd.DataFrame({"dau": [1e8, -5, 1e8]})
    with pytest.raises(InvalidInputError, match=r"^dau: got -5 \(row 2\); accepts a number > 0"):
        formulas.estimate_table(frame)
    with pytest.raises(UnknownNameError, match=r"^gpu: got 'X1' \(row 3\)"):
        formulas.estimate_table(pd.DataFrame({"gpu": ["A100", "H100", "X1"]}))


@pytest.fixture
def small_chunks(monkeypatch):
    """estimate_table in chunks of 64 rows on two threads, as a million rows are."""
    module = importlib.import_module("xlplugin.formulas.estimate")
    monkeypatch.setattr(module, "CHUNK_ROWS", 64)
    monkeypatch.setattr(module, "WORKERS", 2)
    pools = []

    class Pool(module.ThreadPoolExecutor):
        def map(self, function, parts):
            pools.append(len(parts))
            return super().map(function, parts)

    monkeypatch.setattr(module, "ThreadPoolExecutor", Pool)
    return pools  # how many chunks each table computed on threads had


def _mixed_table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "dau": rng.uniform(1e6, 1e9, rows).round(),
            "params": rng.uniform(1e8, 3e10, rows).round(-6),
            "gpu": rng.choice(["A100", "h100", "L4", "", "MI300X"], rows),
            "precision": rng.choice(["FP16", "fp8", "BF16"], rows),
            "utilization": np.where(rng.random(rows) < 0.1, np.nan, rng.uniform(0.2, 1, rows)),
        },
        index=pd.RangeIndex(1000, 1000 + rows),
    )


def test_table_in_chunks_on_threads_equals_one_chunk(request):
    frame = _mixed_table(1_000)
    whole = formulas.estimate_table(frame)  # 1,000 rows: one chunk, this thread
    threaded = request.getfixturevalue("small_chunks")
    chunked = formulas.estimate_table(frame)
    assert threaded == [16]  # 1,000 rows: 16 chunks of 63 rows (55 in the last)
    pd.testing.assert_frame_equal(chunked, whole)
    assert chunked.loc[1017, "gpu_count"] == formulas.estimate(**_row(frame.loc[1017]))["gpu_count"]


def test_output_array_holds_the_tables_outputs(small_chunks):
    """What SCENARIOS sends: estimate_table's outputs, without the table, in chunks too."""
    frame = _mixed_table(1_000)
    expected = formulas.estimate_table(frame)[[q.name for q in formulas.OUTPUTS]]
    named = frame.assign(scenario=[f"s{i}" for i in range(len(frame))])  # names are left out
    for given in (frame, named):
        array = formulas.output_array(given)
        assert array.shape == (1_000, len(formulas.OUTPUTS)) and array.dtype == float
        np.testing.assert_array_equal(array, expected.to_numpy(dtype=float))
    with pytest.raises(UnknownNameError, match=r"^column: got 'gpus'"):
        formulas.output_array(pd.DataFrame({"gpus": ["A100"]}))
    frame.loc[1700, "dau"] = -1.0
    with pytest.raises(InvalidInputError, match=r"^dau: got -1 \(row 701\)"):
        formulas.output_array(frame)


def test_output_array_in_blocks_of_rows_equals_the_table():
    """output_array writes its rows 1,024 at a time: 2,500 rows in one chunk are two whole
    blocks and part of a third."""
    frame = _mixed_table(2_500)
    expected = formulas.estimate_table(frame)[[q.name for q in formulas.OUTPUTS]]
    array = formulas.output_array(frame)
    assert array.flags.c_contiguous  # as orjson takes it, with no copy
    np.testing.assert_array_equal(array, expected.to_numpy(dtype=float))


def _row(row: pd.Series) -> dict:
    return {k: v for k, v in row.items() if not (isinstance(v, float) and np.isnan(v)) and v != ""}


def test_small_tables_stay_on_one_thread(small_chunks):
    formulas.estimate_table(_mixed_table(128))  # two chunks: not worth starting threads
    assert small_chunks == []
    formulas.estimate_table(_mixed_table(129))
    assert small_chunks == [4]  # three chunks of 64 rows at most, made four equal ones


def test_table_error_in_a_later_chunk_names_its_row(small_chunks):
    frame = _mixed_table(1_000)
    frame.loc[1700, "dau"] = -1.0
    with pytest.raises(InvalidInputError, match=r"^dau: got -1 \(row 701\)"):
        formulas.estimate_table(frame)


def test_table_columns_read_from_the_frame_are_shared_not_copied():
    frame = pd.DataFrame({"dau": [1e8, 2e8], "utilization": [0.5, np.nan], "steps": [50, 40]})
    table = formulas.estimate_table(frame)
    assert list(table.columns) == [q.name for q in INPUTS] + [
        q.name for q in OUTPUTS if q.name not in {i.name for i in INPUTS}
    ]
    assert np.shares_memory(table["dau"].to_numpy(), frame["dau"].to_numpy())  # as given
    assert list(table["utilization"]) == [0.5, 1.0]  # a blank took the default: a new column
    assert not np.shares_memory(table["utilization"].to_numpy(), frame["utilization"].to_numpy())
    assert table["steps"].dtype == float and list(table["steps"]) == [50.0, 40.0]  # resolved
    table.loc[0, "dau"] = 1.0  # copy on write: the caller's frame keeps its value
    assert frame.loc[0, "dau"] == 1e8


def test_table_names_come_out_as_they_went_in():
    frame = pd.DataFrame({"gpu": ["h100", "A100"], "precision": ["fp8", " "]})
    table = formulas.estimate_table(frame)
    assert list(table["gpu"]) == ["h100", "A100"]  # as given: the caller's own column
    assert list(table["precision"]) == ["fp8", "FP16"]  # a blank cell takes the default
    assert list(table["gpu_flops"]) == [1979e12, 312e12]  # H100 at FP8, A100 at FP16


def test_table_accepts_text_cells():
    frame = pd.DataFrame({"dau": ["100M", 1e8], "stored_bytes_per_request": ["1MB", None]})
    assert list(formulas.estimate_table(frame)["storage_bytes_per_day"]) == [1.25e15, 1.25e15]


@pytest.mark.parametrize(
    ("name", "text"), [("dau", "5%"), ("params", "1%"), ("response_bytes", "10%"), ("gpu", "20%")]
)
def test_a_percentage_is_refused_where_the_input_is_not_a_fraction(name, text):
    # "5%" of users read as 0.05 users, "20%" as a GPU of 0.2 FLOP/s: nonsense, not guessed
    with pytest.raises(formulas.InvalidInputError, match=rf"^{name}: got '{text}'; accepts "):
        formulas.estimate(**{name: text})


def test_a_percentage_gives_a_fraction_or_a_ratio():
    seed = formulas.estimate()
    assert (
        formulas.estimate(headroom="20%")["gpu_count"]
        == formulas.estimate(headroom=0.2)["gpu_count"]
    )
    assert formulas.estimate(peak_factor="250%")["peak_rps"] == 2.5 * seed["trps"]


def test_a_decimal_is_taken_as_the_number_it_is():
    from decimal import Decimal

    assert formulas.estimate(dau=Decimal("1e8"), headroom=Decimal("0.2")) == formulas.estimate(
        dau=1e8, headroom=0.2
    )
    with pytest.raises(formulas.InvalidInputError, match=r"^peak_factor: got -5; accepts"):
        formulas.estimate(peak_factor=Decimal("-5"))
