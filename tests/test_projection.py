import warnings

import numpy as np
import pytest
from xlplugin.formulas import InvalidInputError

from xlplugin import formulas


def test_flat_projection_reaches_the_steady_state():
    plan = formulas.projection(months=24, dau_growth=0.0, inference_model="flops")
    steady = formulas.estimate(inference_model="flops")
    assert list(plan["month"]) == list(range(1, 25))
    assert (plan["gpu_count"] == 61).all()
    # The 12-month retention window fills, then holds.
    assert plan["retained_storage_bytes"].iloc[11] == pytest.approx(
        steady["retained_storage_bytes"]
    )
    assert plan["retained_storage_bytes"].iloc[23] == pytest.approx(
        steady["retained_storage_bytes"]
    )
    assert plan["retained_storage_bytes"].iloc[0] == pytest.approx(16.2e9 + 1e12 + 3.75e16)


def test_growth_compounds_and_gpus_follow():
    plan = formulas.projection(months=12, dau_growth=0.1, gpu="H100")
    np.testing.assert_allclose(plan["dau"], 1e8 * 1.1 ** np.arange(12))
    for _, row in plan.iterrows():
        assert row["gpu_count"] == formulas.gpu_count(row["dau"], 10, 8.1e9, "H100")
    assert plan["gpu_count"].is_monotonic_increasing


def test_retention_window_sums_recent_months():
    plan = formulas.projection(months=5, dau_growth=0.5, retention_months=2)
    monthly = plan["storage_bytes_per_month"].to_numpy()
    fixed = 16.2e9 + plan["dau"].to_numpy() * 1e4
    np.testing.assert_allclose(
        plan["retained_storage_bytes"], fixed + monthly + np.r_[0, monthly[:-1]]
    )
    total = plan["gpu_usd_per_month"] + plan["storage_usd_per_month"] + plan["egress_usd_per_month"]
    np.testing.assert_allclose(plan["total_usd_per_month"], total)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(months=0), r"^months: got 0; accepts a whole number in \[1, 600\]"),
        (dict(months=2.5), r"^months: got 2.5"),
        (dict(dau_growth=-1), r"^dau_growth: got -1; accepts a number in \(-1, 10\]"),
    ],
)
def test_bad_projection_inputs(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        formulas.projection(**kwargs)


def test_growth_past_a_float_is_an_error_naming_the_month_not_a_warning():
    """Users that grow past the largest float by some month: the one-line error for that
    month, and no RuntimeWarning from numpy on the way (a pure function stays quiet). The
    first month computes, so the growth took it there: dau_growth is named, as given."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidInputError, match=r"^dau_growth: got '100%' \(row 2\); .*"):
            formulas.projection(months=3, dau=1e304, dau_growth="100%")
        with pytest.raises(
            InvalidInputError, match=r"^dau_growth: got '900%' \(row 6\); .*smaller"
        ):
            formulas.projection(months=36, dau=1e300, dau_growth="900%")
        # daily users that overflow in the first month are the ones to change
        with pytest.raises(InvalidInputError, match=r"^dau: got 1e\+308 \(row 1\); .*smaller"):
            formulas.projection(months=3, dau=1e308)


def test_growth_to_an_overflow_from_ordinary_users_names_the_growth():
    """1,000 % a month for 300 months blamed dau, given as the default 100 million."""
    with pytest.raises(InvalidInputError) as caught:
        formulas.projection(dau_growth="1000%", months=300)
    assert str(caught.value).startswith("dau_growth: got '1000%' (row 286); accepts")


@pytest.mark.parametrize(
    "kwargs",
    [dict(dau=[1, 2]), dict(dau_growth=[0.1, 0.2]), dict(months=[1, 2]), dict(gpu=["A100", "L4"])],
)
def test_a_projection_takes_single_values_not_arrays(kwargs):
    """They raised numpy's broadcast ValueError, or TypeError for months."""
    [(name, value)] = kwargs.items()
    with pytest.raises(InvalidInputError) as caught:
        formulas.projection(**kwargs)
    assert str(caught.value) == (
        f"{name}: got {value!r}; accepts a single value: a projection plans one scenario "
        "month by month (estimate_table takes one scenario a row)"
    )
