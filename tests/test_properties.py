"""Properties over random inputs: the vectorised and scalar paths agree; more traffic never
needs fewer GPUs."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xlplugin import formulas

GPUS = ["A100", "A100-80GB", "H100", "H200", "B200", "L40S", "MI300X", "TPU-v6e"]
scenario = st.fixed_dictionaries(
    {
        "dau": st.floats(1e3, 1e10),
        "requests_per_user": st.floats(0.01, 1e3),
        "params": st.floats(1e6, 1e11),
        "gpu": st.sampled_from(GPUS),
        "precision": st.sampled_from(["FP16", "BF16", "FP8", "INT8", "INT4"]),
        "steps": st.floats(1, 2000),
        "utilization": st.floats(0.05, 1.0),
        "peak_factor": st.floats(1.0, 5.0),
        "headroom": st.floats(0.0, 1.0),
        "max_gpus_per_replica": st.just(64),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(scenario, min_size=1, max_size=8))
def test_table_agrees_with_scalar_path(rows):
    table = formulas.estimate_table(pd.DataFrame(rows))
    for i, row in enumerate(rows):
        expected = formulas.estimate(**row)
        for name, value in expected.items():
            got = table[name].iloc[i]
            if value is None:
                assert pd.isna(got), name
            else:
                assert got == value or np.isclose(got, value, rtol=1e-12, atol=0), name


@settings(max_examples=100, deadline=None)
@given(scenario, st.floats(1.0, 100.0), st.floats(1.0, 100.0))
def test_gpu_count_never_falls_as_traffic_rises(row, dau_factor, rpu_factor):
    base = formulas.gpu_count(**_gpu_count_args(row))
    more = dict(
        row, dau=row["dau"] * dau_factor, requests_per_user=row["requests_per_user"] * rpu_factor
    )
    assert formulas.gpu_count(**_gpu_count_args(more)) >= base


def _gpu_count_args(row):
    return {k: v for k, v in row.items()}
