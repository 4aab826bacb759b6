"""Charts: cost breakdown and scenarios on the Estimate, storage and cost on the Projection.

Charts read formula cells, so they draw from the cached values until Excel recalculates.
A scenario chart shows at most the first ``MAX_SCENARIOS`` rows.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart.series import SeriesLabel

from .layout import Layout

__all__ = ["MAX_SCENARIOS", "add_charts"]

MAX_SCENARIOS = 30
_SIZE = {"width": 18, "height": 8}


def add_charts(wb, layout: Layout) -> None:
    estimate, scenarios, projection = wb["Estimate"], wb["Scenarios"], wb["Projection"]
    estimate.add_chart(_cost_breakdown(estimate, layout), "H5")
    last = min(layout.scenario_last, layout.scenario_first + MAX_SCENARIOS - 1)
    estimate.add_chart(_scenario_gpus(scenarios, layout, last), "H22")
    estimate.add_chart(_scenario_costs(scenarios, layout, last), "H39")
    projection.add_chart(_projection_storage(projection, layout), "P5")
    projection.add_chart(_projection_cost(projection, layout), "P22")


def _sized(chart, title: str, y_title: str = ""):
    chart.title = title
    chart.width, chart.height = _SIZE["width"], _SIZE["height"]
    if y_title:
        chart.y_axis.title = y_title
    return chart


def _cost_breakdown(ws, layout: Layout):
    first = layout.estimate_row["gpu_usd_per_month"]
    last = layout.estimate_row["egress_usd_per_month"]
    chart = _sized(PieChart(), "Cost per month: GPU, storage, egress (USD)")
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    return chart


def _scenario_gpus(ws, layout: Layout, last: int):
    chart = _sized(BarChart(), "GPUs by scenario", "GPUs")
    chart.type = "bar"
    column = layout.scenario_column["gpu_count"]
    chart.add_data(
        Reference(ws, min_col=column, min_row=layout.scenario_first - 1, max_row=last),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=layout.scenario_first, max_row=last))
    chart.legend = None
    return chart


def _scenario_costs(ws, layout: Layout, last: int):
    chart = _sized(BarChart(), "Cost per month by scenario (USD)", "USD/month")
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    first = layout.scenario_column["gpu_usd_per_month"]
    final = layout.scenario_column["egress_usd_per_month"]
    chart.add_data(
        Reference(
            ws, min_col=first, max_col=final, min_row=layout.scenario_first - 1, max_row=last
        ),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=layout.scenario_first, max_row=last))
    return chart


def _projection_series(ws, layout: Layout, names, title: str, y_title: str):
    chart = _sized(LineChart(), title, y_title)
    for name in names:
        column = layout.projection_column[name]
        chart.add_data(
            Reference(
                ws, min_col=column, min_row=layout.projection_first, max_row=layout.projection_last
            ),
            titles_from_data=False,
        )
    for series, name in zip(chart.series, names, strict=True):
        series.tx = SeriesLabel(v=name)
    chart.set_categories(
        Reference(ws, min_col=1, min_row=layout.projection_first, max_row=layout.projection_last)
    )
    chart.x_axis.title = "Month"
    return chart


def _projection_storage(ws, layout: Layout):
    return _projection_series(
        ws, layout, ["retained_storage_bytes"], "Bytes stored (with retention)", "B"
    )


def _projection_cost(ws, layout: Layout):
    return _projection_series(
        ws,
        layout,
        [
            "gpu_usd_per_month",
            "storage_usd_per_month",
            "egress_usd_per_month",
            "total_usd_per_month",
        ],
        "Cost per month (USD)",
        "USD/month",
    )
