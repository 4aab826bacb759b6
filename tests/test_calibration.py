"""The roofline against published measurements: one set of default efficiencies, no
per-point tuning (formulas/data/measurements.csv, each row with its source and date)."""

import pytest
from xlplugin.formulas import calibration

from xlplugin import formulas


@pytest.fixture(scope="module")
def table():
    return calibration.calibration_table()


def test_every_measurement_cites_a_source_and_a_date(table):
    assert table["source"].str.startswith(("http", "MLPerf")).all()
    assert table["as_of"].notna().all()


def test_the_fit_covers_sizes_generations_and_lengths(table):
    used = table[table["excluded"] == ""]
    language = used[used["metric"] == "output_tokens_per_second"]
    assert len(language) >= 20
    assert {"Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B"} <= set(language["model"])
    assert {"A100-80GB", "H100"} <= set(language["gpu"])  # Ampere and Hopper
    assert language["shape"].nunique() >= 4
    images = used[used["metric"].isin(["seconds_per_image", "images_per_second"])]
    assert len(images) >= 3


def test_the_roofline_holds_against_the_measurements(table):
    found = calibration.summary(table)
    assert found["geometric_mean"] <= 1.25, found
    assert found["worst"] <= 2.0, found


def test_the_efficiencies_are_the_vocabulary_defaults():
    defaults = {q.name: q.default for q in formulas.INPUTS}
    tuned = calibration.calibration_table(compute_efficiency=0.9)
    assert calibration.summary(tuned)["geometric_mean"] > 1.25  # the defaults matter
    assert defaults["compute_efficiency"] == 0.45
    assert defaults["memory_bandwidth_efficiency"] == 0.7


def test_excluded_points_say_why(table):
    left_out = table[table["excluded"] != ""]
    assert len(left_out) and left_out["excluded"].str.len().min() > 20


def test_the_seed_model_is_measured_and_fits(table):
    """SD3.5 Large, the seed's model, against its own published times (compiled and eager):
    counting all 8.1 B parameters a token predicted 2.4× the compiled time."""
    seed = table[(table["model"] == "SD3.5-Large") & (table["excluded"] == "")]
    assert len(seed) >= 2
    assert seed["ratio"].between(0.5, 1.25).all(), seed[["case", "ratio"]]


def test_no_measurement_is_dropped_silently(table):
    """Every row of measurements.csv is in the table; one the roofline cannot be asked about
    (MLPerf's Llama 2 70B: no precision, no mean lengths in the source) says what is missing
    and is not in the fit."""
    from importlib import resources

    import pandas as pd

    path = resources.files("xlplugin.formulas").joinpath("data/measurements.csv")
    with path.open(encoding="utf-8") as f:
        cases = pd.read_csv(f)["case"]
    assert list(table["case"]) == list(cases)
    unasked = table[table["predicted"].isna()]
    assert len(unasked) >= 1 and unasked["ratio"].isna().all()
    assert unasked["excluded"].str.startswith("the source states no ").all()
    mlperf = unasked[unasked["case"].str.startswith("mlperf41-llama-2-70b-8xh100")]
    assert "precision" in mlperf["excluded"].iloc[0]
    assert "mean prompt and output lengths" in mlperf["excluded"].iloc[0]
