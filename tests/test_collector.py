"""Pausing the cyclic garbage collector: restored as it was, whatever happens inside."""

from __future__ import annotations

import gc

import pandas as pd
import pytest

from xlplugin import _excel
from xlplugin._collector import collector_paused


@pytest.fixture
def collector():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


@pytest.mark.parametrize("before", [True, False])
def test_paused_inside_and_restored_after(collector, before):
    (gc.enable if before else gc.disable)()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is before


def test_restored_after_an_error(collector):
    gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("inside")
    assert gc.isenabled()


def test_scenarios_are_computed_with_the_collector_paused(collector, monkeypatch):
    gc.enable()
    seen = []
    estimate_table, output_array = _excel.formulas.estimate_table, _excel.formulas.output_array

    def spy(frame):
        seen.append(gc.isenabled())
        return output_array(frame)

    monkeypatch.setattr(_excel.formulas, "output_array", spy)
    rows = _excel.scenario_rows([["dau", "gpu"], [1e8, "A100"]])
    assert (
        rows[1][rows[0].index("gpu_count")]
        == estimate_table(pd.DataFrame({"dau": [1e8], "gpu": ["A100"]}))["gpu_count"][0]
    )
    assert seen == [False] and gc.isenabled()
