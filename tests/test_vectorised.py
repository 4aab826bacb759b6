"""Each domain function: a scalar in gives a scalar out, an array an array, a Series a Series."""

import inspect

import numpy as np
import pandas as pd
import pytest

from xlplugin import formulas

CASES = [
    (formulas.trps, dict(dau=1e8, requests_per_user=10)),
    (formulas.peak_rps, dict(dau=1e8, requests_per_user=10, peak_factor=2.5)),
    (formulas.model_size_bytes, dict(params=8.1e9, bytes_per_param=2)),
    (formulas.profile_storage_bytes, dict(dau=1e8, profile_bytes=1e4)),
    (
        formulas.interaction_storage_bytes_per_day,
        dict(dau=1e8, requests_per_user=10, stored_bytes_per_request=1e6),
    ),
    (
        formulas.storage_bytes_per_day,
        dict(dau=1e8, requests_per_user=10, stored_bytes_per_request=1e6, index_overhead=0.25),
    ),
    (
        formulas.storage_bytes_per_month,
        dict(
            dau=1e8,
            requests_per_user=10,
            stored_bytes_per_request=1e6,
            index_overhead=0.25,
            days_per_month=30,
        ),
    ),
    (formulas.ingress_bits_per_second, dict(dau=1e8, requests_per_user=10, request_bytes=2e3)),
    (formulas.egress_bits_per_second, dict(dau=1e8, requests_per_user=10, response_bytes=1e6)),
    (formulas.inference_seconds, dict(params=8.1e9, steps=100)),
    (formulas.qps_per_gpu, dict(params=8.1e9, steps=100, utilization=0.5)),
    (formulas.gpus_per_replica, dict(params=30e9, gpu="A100")),
    (formulas.gpu_count, dict(dau=1e8, requests_per_user=10, params=8.1e9, gpu="A100")),
]
IDS = [f.__name__ for f, _ in CASES]


@pytest.mark.parametrize(("function", "kwargs"), CASES, ids=IDS)
def test_scalar_gives_scalar(function, kwargs):
    result = function(**kwargs)
    assert isinstance(result, float) and np.isfinite(result)


@pytest.mark.parametrize(("function", "kwargs"), CASES, ids=IDS)
def test_array_broadcasts(function, kwargs):
    name, value = next(iter(kwargs.items()))
    values = np.array([value, value * 2, value * 3]) if name != "gpu" else value
    result = function(**{**kwargs, name: values})
    expected = [function(**{**kwargs, name: v}) for v in values]
    assert isinstance(result, np.ndarray) and result.shape == (3,)
    np.testing.assert_allclose(result, expected, rtol=1e-15)


@pytest.mark.parametrize(("function", "kwargs"), CASES, ids=IDS)
def test_series_keeps_index(function, kwargs):
    name, value = next(iter(kwargs.items()))
    series = pd.Series([value, value * 2], index=["low", "high"])
    result = function(**{**kwargs, name: series})
    assert isinstance(result, pd.Series) and list(result.index) == ["low", "high"]
    assert result["low"] == function(**kwargs)


def test_two_dimensional_broadcast():
    dau = np.array([[1e6], [1e8]])
    rpu = np.array([[1, 10, 100]])
    result = formulas.trps(dau, rpu)
    assert result.shape == (2, 3)
    assert result[1, 1] == formulas.trps(1e8, 10)


def test_gpu_names_broadcast_with_numbers():
    gpus = np.array(["A100", "H100", "L4"], dtype=object)
    result = formulas.gpu_count(1e8, 10, 8.1e9, gpus)
    assert list(result) == [formulas.gpu_count(1e8, 10, 8.1e9, g) for g in gpus]


def test_text_with_suffixes():
    assert formulas.gpu_count("100M", "10", "8.1B", "A100", inference_model="flops") == 61
    assert formulas.model_size_bytes("8.1B", bytes_per_param=2) == 16.2e9
    assert formulas.profile_storage_bytes("100M", "10KB") == 1e12


def test_cost_functions_equal_the_estimate():
    seed = formulas.estimate()
    assert formulas.gpu_usd_per_month(1e8, 10, 8.1e9) == seed["gpu_usd_per_month"]
    assert formulas.storage_usd_per_month(1e8, 10, 8.1e9) == seed["storage_usd_per_month"]
    assert formulas.egress_usd_per_month(1e8, 10) == seed["egress_usd_per_month"]
    assert formulas.total_usd_per_month(1e8, 10, 8.1e9) == seed["total_usd_per_month"]
    assert formulas.usd_per_1k_requests(1e8, 10, 8.1e9) == seed["usd_per_1k_requests"]
    # Storage cost needs no GPU: a model too big for any replica still has one.
    assert formulas.storage_usd_per_month(1e8, 10, 4.05e11) > seed["storage_usd_per_month"]


def test_model_size_from_precision():
    assert formulas.model_size_bytes(8.1e9, precision="INT4") == 4.05e9
    assert (
        formulas.retained_storage_bytes(1e8, 10, 8.1e9)
        == formulas.estimate()["retained_storage_bytes"]
    )


def test_alias_that_looks_like_a_number_is_a_gpu():
    assert formulas.gpu_count(1e8, 10, 8.1e9, "4090") == formulas.gpu_count(
        1e8, 10, 8.1e9, "RTX4090"
    )


def test_total_cost_equals_the_estimate_row_by_row():
    daus = pd.Series([1e6, 1e8, 3e9], index=["small", "seed", "big"])
    inputs = {"params": 2e10, "gpu": "H100", "precision": "FP8", "retention_months": 3}
    total = formulas.total_usd_per_month(daus, 10, **inputs)
    per_1k = formulas.usd_per_1k_requests(daus, 10, **inputs)
    assert list(total.index) == ["small", "seed", "big"]
    for key, dau in daus.items():
        expected = formulas.estimate(dau=dau, requests_per_user=10, **inputs)
        assert total[key] == expected["total_usd_per_month"]
        assert per_1k[key] == expected["usd_per_1k_requests"]


def test_every_output_is_a_function_equal_to_the_estimate():
    seed = formulas.estimate()
    for q in formulas.OUTPUTS:
        function = getattr(formulas, q.name)
        needed = {
            name: seed[name]
            for name, p in inspect.signature(function).parameters.items()
            if p.default is p.empty
        }
        assert function(**needed) == seed[q.name], q.name


# An array for an input the calculation path does not use --------------------------------
# The default roofline model does not use utilization: a Series of it came back a scalar.


def test_an_array_the_formula_does_not_use_still_shapes_the_result():
    utilization = pd.Series([0.5, 0.6], index=["x", "y"])
    result = formulas.gpu_count(1e8, 10, 8.1e9, utilization=utilization)
    assert isinstance(result, pd.Series) and list(result.index) == ["x", "y"]
    assert list(result) == [formulas.gpu_count(1e8, 10, 8.1e9, utilization=u) for u in utilization]
    column = formulas.gpu_count(1e8, 10, 8.1e9, utilization=np.array([[0.5], [0.6]]))
    assert isinstance(column, np.ndarray) and column.shape == (2, 1) and column.flags.writeable


def test_every_output_takes_the_shape_of_every_array_it_is_given():
    seed = formulas.estimate()
    for q in formulas.OUTPUTS:
        function = getattr(formulas, q.name)
        parameters = inspect.signature(function).parameters
        needed = {n: seed[n] for n, p in parameters.items() if p.default is p.empty}
        for name, p in parameters.items():
            if p.default is p.empty or p.default is None:
                continue
            result = function(**needed, **{name: pd.Series([p.default] * 2, index=["a", "b"])})
            assert isinstance(result, pd.Series), (q.name, name)
            assert list(result.index) == ["a", "b"], (q.name, name)
            assert list(result) == [function(**needed)] * 2, (q.name, name)


def test_the_estimate_takes_the_shape_of_an_array_no_output_uses():
    utilization = pd.Series([0.5, 0.6], index=["x", "y"])
    result = formulas.estimate(utilization=utilization)
    for q in formulas.OUTPUTS:
        value = result[q.name]
        assert isinstance(value, pd.Series) and list(value.index) == ["x", "y"], q.name
    assert list(result["gpu_count"]) == [
        formulas.estimate(utilization=u)["gpu_count"] for u in utilization
    ]
    # the inputs as given: a scalar stays one, an array is the caller's shape
    assert (result["gpu"], result["dau"]) == ("A100", 1e8)
    assert list(result["utilization"]) == [0.5, 0.6]
    grid = formulas.estimate(utilization=np.array([[0.5, 0.6]]))
    assert all(np.shape(grid[q.name]) == (1, 2) for q in formulas.OUTPUTS)
    assert grid["gpu_count"].flags.writeable


def test_a_series_against_a_column_gives_the_table_not_a_pandas_error():
    # pandas cannot hold a table in a Series: the broadcast array, not a ValueError.
    result = formulas.trps(pd.Series([1e6, 1e8]), np.array([[1], [10], [100]]))
    assert isinstance(result, np.ndarray) and result.shape == (3, 2)
    assert result[1, 1] == formulas.trps(1e8, 10)


# A blank cell of an array or a Series: as the same blank given alone -----------------------
BLANKS = [np.nan, None, pd.NA, "", "  "]


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_a_blank_cell_of_an_optional_input_takes_its_default(blank):
    seed = formulas.estimate()
    headroom = pd.Series([0.2, blank], index=["a", "b"])
    result = formulas.estimate(headroom=headroom)
    assert list(result["gpu_count"]) == [
        formulas.estimate(headroom=0.2)["gpu_count"],
        formulas.estimate(headroom=blank)["gpu_count"],
    ]
    assert list(result["gpu_count"].index) == ["a", "b"]
    table = formulas.estimate_table(pd.DataFrame({"headroom": headroom}))
    assert list(table["gpu_count"]) == list(result["gpu_count"])
    gpus = formulas.estimate(gpu=pd.Series(["H100", blank]))
    assert list(gpus["gpu_count"]) == [
        formulas.estimate(gpu="H100")["gpu_count"],
        seed["gpu_count"],
    ]
    cells = np.array(["H100", blank], dtype=object)
    assert list(formulas.gpu_count(1e8, 10, 8.1e9, gpu=cells, headroom=[0.2, blank])) == [
        formulas.gpu_count(1e8, 10, 8.1e9, gpu="H100", headroom=0.2),
        formulas.gpu_count(1e8, 10, 8.1e9, gpu=blank, headroom=blank),
    ]


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_a_blank_cell_of_a_number_without_a_default_is_not_given(blank):
    # gpu_memory_bytes: blank means the catalogue's figure, alone or in a cell
    result = formulas.gpus_per_replica(8.1e9, gpu_memory_bytes=[8e10, blank])
    assert list(result) == [
        formulas.gpus_per_replica(8.1e9, gpu_memory_bytes=8e10),
        formulas.gpus_per_replica(8.1e9, gpu_memory_bytes=blank),
    ]


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_a_blank_cell_of_a_required_input_is_missing_at_its_row(blank):
    with pytest.raises(formulas.MissingInputError) as error:
        formulas.gpu_count(pd.Series([1e8, blank]), 10, 8.1e9)
    assert str(error.value) == "dau: missing (required) (row 2); accepts a number > 0"
    assert error.value.row == 1
    with pytest.raises(
        formulas.MissingInputError, match=r"^params: missing \(required\) \(row 1\)"
    ):
        formulas.gpu_count(1e8, 10, np.array([blank, "8.1B"], dtype=object))
    # In the estimate no input is required: a blank dau is the default, as alone.
    estimate = formulas.estimate(dau=pd.Series([1e6, blank]))
    assert estimate["gpu_count"].iloc[1] == formulas.estimate(dau=blank)["gpu_count"]


def test_a_bad_cell_before_a_blank_one_is_refused_first():
    # the call fails at its first bad cell, as the cells given one by one would
    with pytest.raises(formulas.InvalidInputError, match=r"^dau: got -5 \(row 1\)"):
        formulas.gpu_count([-5, None], 10, 8.1e9)
    with pytest.raises(formulas.MissingInputError, match=r"^dau: missing \(required\) \(row 1\)"):
        formulas.gpu_count([None, -5], 10, 8.1e9)


def test_no_text_encoder_is_zero_and_a_few_parameters_are_refused_in_arrays():
    """text_encoder_params takes 0 (none) or 1,000 and more, element by element: 0 holds
    only the backbone in memory; 4.7 (billions typed as units) is refused at its row.
    On a 24 GB L4, SD3.5 Large's 16.2 GB of weights fit one GPU; with its 11.2 GB of
    encoders they take two."""
    replica = formulas.estimate(text_encoder_params=np.array([0.0, 5.58e9]), gpu="L4")
    assert list(replica["gpus_per_replica"]) == [1, 2]
    with pytest.raises(formulas.InvalidInputError, match=r"got 4\.7 \(row 2\); accepts 0 or"):
        formulas.estimate(text_encoder_params=np.array([0.0, 4.7]))


@pytest.mark.parametrize(
    ("inputs", "where"),
    [
        ({"dau": [1e6, -1]}, "(row 2)"),  # a list: its rows
        ({"dau": [[1e6], [-1]]}, "(row 2)"),  # a column range
        ({"dau": [[1e6, -1, 3]]}, "(column 2)"),  # a row range: not "row 2"
        ({"dau": [[1e6, 2], [3, -1]]}, "(row 2, column 2)"),  # not the flat "row 4"
        ({"dau": [[[1e6, 2], [3, 4]], [[5, 6], [7, -1]]]}, "(position 2, 2, 2)"),  # 3-D
        ({"dau": [["1", "x"]]}, "(column 2)"),  # text that is no number
        ({"gpu": [["A100", "H100x"]]}, "(column 2)"),  # a name the catalogue lacks
        ({"params": [[8e9, 1e13]]}, "(column 2)"),  # a check of the computation
        # broadcast: a column of KV heads against a row of attention heads
        (
            {"modality": "text", "kv_heads": [[8], [9]], "attention_heads": [8, 16]},
            "(row 2, column 1)",
        ),
    ],
)
def test_a_bad_cell_of_a_two_dimensional_array_is_named_by_row_and_column(inputs, where):
    with pytest.raises(formulas.InvalidInputError) as error:
        formulas.estimate(**inputs)
    assert f" {where}; accepts " in str(error.value)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: formulas.model_size_bytes(dau=1e8),  # an input it does not take
            "model_size_bytes() got an unexpected keyword argument 'dau'; accepts params, "
            "precision, bytes_per_param",
        ),
        (lambda: formulas.gpu_count(), "gpu_count() missing a required argument: 'dau'"),
        (lambda: formulas.gpu_count(1e8, dau=1e8), "gpu_count() multiple values for argument"),
        (lambda: formulas.model_size_bytes(*range(9)), "model_size_bytes() too many positional"),
    ],
)
def test_a_wrong_call_names_the_function(call, message):
    with pytest.raises(TypeError) as error:
        call()
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [  # the paths that flatten an array first: blanks, True among numbers, odd cells
        ({"dau": [[1e6, 2e6], [None, 3e6]]}, "dau: missing (required) (row 2, column 1)"),
        ({"dau": [[1e6, None, 3e6]]}, "dau: missing (required) (column 2)"),
        ({"dau": [[1e6, 2e6], [-5, None]]}, "dau: got -5 (row 2, column 1)"),
        ({"dau": [[1e6, "abc"], [3e6, None]]}, "dau: got 'abc' (row 1, column 2)"),
        ({"dau": [[1e6, 2e6], [True, 3e6]]}, "dau: got True (row 2, column 1)"),
        (
            {"gpu": np.array([["A100", "H100"], ["A100", {}]], dtype=object)},
            "gpu: got {} (row 2, column 2)",
        ),
        ({"gpu": np.array([["A100", 10**400]], dtype=object)}, "gpu: got 1e+400 (column 2)"),
        ({"dau": np.array([True, False])}, "dau: got True (row 1)"),
        # an optional input's blank is its default: the odd cell after it is the one named
        ({"tensor_parallel": [None, {}]}, "tensor_parallel: got {} (row 2)"),
        # a required input's blank fails where it stands: before an odd cell after it, as
        # before text after it
        ({"dau": [None, {}]}, "dau: missing (required) (row 1)"),
        ({"dau": [[1e6, None], [{}, 2e6]]}, "dau: missing (required) (row 1, column 2)"),
        ({"dau": [{}, None]}, "dau: got {} (row 1)"),
    ],
)
def test_a_bad_cell_is_named_where_it_stands_on_every_path(inputs, message):
    with pytest.raises(formulas.InvalidInputError) as error:
        formulas.gpu_count(**{"dau": 1e6, "requests_per_user": 10, "params": 8e9, **inputs})
    assert str(error.value).startswith(message + "; accepts ")


def test_a_large_grid_is_computed_in_bands_with_the_same_answer_and_positions(monkeypatch):
    """Past CHUNK_CELLS cells a function computes a band of rows at a time (every step of
    its formula would hold the whole grid at once): the same numbers, and an error names
    its cell in the whole grid, not in its band."""
    from xlplugin.formulas import _arrays

    dau = np.geomspace(1e5, 1e9, 37).reshape(-1, 1)
    params = np.linspace(1e9, 7e10, 11).reshape(1, -1)
    tokens = np.linspace(100, 1_000, 37).reshape(-1, 1)
    kw = dict(gpu="H100", modality="text", output_tokens=tokens)
    whole = formulas.total_usd_per_month(dau, 10, params, **kw)
    series = pd.Series(np.geomspace(1e5, 1e9, 200), index=range(100, 300))
    column = formulas.gpu_count(series, 10, 8.1e9)
    overflowing = dau.copy()
    overflowing[30, 0] = 1.7e308  # row 31 of the grid: its fourth band of 8 rows
    with pytest.raises(formulas.EstimateError) as at_once:
        formulas.total_usd_per_month(overflowing, 10, params)
    monkeypatch.setattr(_arrays, "CHUNK_CELLS", 90)  # bands of 8 rows of 11
    banded = formulas.total_usd_per_month(dau, 10, params, **kw)
    assert banded.shape == whole.shape == (37, 11)
    assert np.array_equal(banded, whole)
    with pytest.raises(formulas.EstimateError) as in_bands:
        formulas.total_usd_per_month(overflowing, 10, params)
    assert "(row 31, column 1)" in str(at_once.value)
    assert str(in_bands.value) == str(at_once.value)
    assert formulas.gpu_count(series, 10, 8.1e9).equals(column)  # a column, in bands too
