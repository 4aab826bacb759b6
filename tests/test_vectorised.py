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
