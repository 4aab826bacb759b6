"""Charts: cost breakdown and scenarios on a sheet of their own (Charts), storage and cost
on the Projection, the tornado on the Sensitivity sheet.

Charts read formula cells, so they draw from the cached values until Excel recalculates.
A scenario chart shows at most the first ``MAX_SCENARIOS`` rows. Axes and legends are in
plain words, and the value axes show the cells' units scaled (PB, $M) with the same number
formats as the cells.
"""

from __future__ import annotations

import re

from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.worksheet.pagebreak import Break

from . import styles
from .layout import FLAG_COLUMN, WHY_SPAN, Layout

__all__ = [
    "MAX_SCENARIOS",
    "SERIES_LABELS",
    "SIGNED_USD_MILLIONS",
    "SIGNED_USD_SMALLER",
    "USD_IMPACT",
    "add_charts",
    "tornado",
    "unlinked_label_formats",
]

MAX_SCENARIOS = 30
# A change of cost; none at all (an input the model in use does not read) in words: it
# read "$0M" in the changes and "$0.0k" in the impact beside them.
SIGNED_USD_MILLIONS = '+$#,##0.00,,"M";-$#,##0.00,,"M";"no change"'
# The same below $1M and below $1,000, by conditional formatting (a number format has two
# conditions, not enough for two signs and three scales): a change of cents read "-$0.00M".
SIGNED_USD_SMALLER = (
    (1_000, '+$#,##0.00;-$#,##0.00;"no change"'),
    (1_000_000, '+$#,##0.0,"k";-$#,##0.0,"k";"no change"'),
)
# An impact (never negative): $M, $k, and below $1,000 in dollars and cents, so that a
# storage price's few cents a month do not read "$0.0k" like an input that moves nothing.
USD_IMPACT = '[>=1000000]$#,##0.00,,"M";[>=1000]$#,##0.0,"k";$#,##0.00'
# Value axes: round steps, so fewer decimals than the cells.
# Dollars past a billion in $B ("$9.0B", not "$9,000.0M"), from $100,000 in $M ("$0.5M"
# beside "$1.0M"), and below that in whole dollars, so that a small scenario's axis does
# not read $0.0M at every step.
AXIS_FORMATS = {
    "B": '#,##0,,,,," PB"',
    "USD/month": '[>=1E9]$#,##0.0,,,"B";[>=1E5]$#,##0.0,,"M";$#,##0',
}
# The pie's shares to a tenth of a percent: whole percents rounded apart can sum to 101%.
SHARE_FORMAT = "0.0%"
_SIZE = {"width": 16, "height": 8}
# Legend entries in plain words, by quantity.
SERIES_LABELS = {
    "gpu_usd_per_month": "GPUs",
    "storage_usd_per_month": "Storage",
    "egress_usd_per_month": "Egress",
    "total_usd_per_month": "Total",
    "retained_storage_bytes": "Data stored",
    "gpu_count": "GPUs",
}


# The Charts sheet: its charts from this row, the second of each row from this column.
CHARTS_FIRST_ROW = 5
_SECOND_COLUMN = "J"  # 9 columns of _CHART_COLUMN_WIDTH (1.98 cm) right of the first's 16 cm
_CHART_COLUMN_WIDTH = 10


def add_charts(wb, layout: Layout) -> None:
    """The Charts sheet (a sheet of its own: under the Estimate's table, each printed page
    of charts repeated the table's header row), the Projection's charts."""
    sheet, scenarios, projection = wb["Charts"], wb["Scenarios"], wb["Projection"]
    _heading(sheet, layout)
    below = CHARTS_FIRST_ROW
    sheet.add_chart(_cost_breakdown(wb["Estimate"], layout), f"A{below}")
    last = _last_shown(layout)
    sheet.add_chart(_scenario_gpus(scenarios, layout, last), f"{_SECOND_COLUMN}{below}")
    rows = round(_scenario_height(last - layout.scenario_first + 1) / 0.5) + 2  # 0.5 cm a row
    sheet.add_chart(_scenario_costs(scenarios, layout, last), f"A{below + max(17, rows)}")
    # Each row of charts on a page of its own when printed: a chart is never cut in two.
    # The break leaves an empty row above the charts: a chart anchored on the page's first
    # row prints its top border at the foot of the page before.
    sheet.row_breaks.append(Break(id=below + max(17, rows) - 2))
    below = layout.projection_last + 3
    projection.add_chart(_projection_storage(projection, layout), f"A{below}")
    projection.add_chart(_projection_cost(projection, layout), f"H{below}")


def _heading(ws, layout: Layout) -> None:
    """The Charts sheet's title, what it shows, and the master flag."""
    styles.title(
        ws,
        "Charts",
        "The Estimate's cost per month by part, then GPUs and cost per month for each "
        "scenario of the Scenarios table" + _which(layout, _last_shown(layout)) + ". "
        "Growth over time is on the Projection, what moves the cost most on Sensitivity.",
    )
    last = FLAG_COLUMN["Charts"] + 1 + WHY_SPAN["Charts"]
    styles.widths(ws, (_CHART_COLUMN_WIDTH,) * last)  # where the charts' anchors fall
    styles.master_flag(ws, FLAG_COLUMN["Charts"], span=WHY_SPAN["Charts"])
    styles.wrap_subtitle(ws, FLAG_COLUMN["Charts"] - 1)
    ws.protection.sheet = True


def _last_shown(layout: Layout) -> int:
    return min(layout.scenario_last, layout.scenario_first + MAX_SCENARIOS - 1)


def _sized(chart, title: str, y_title: str = "", y_format: str | None = None):
    chart.title = title
    chart.width, chart.height = _SIZE["width"], _SIZE["height"]
    if y_title:
        chart.y_axis.title = y_title
    if y_format:
        chart.y_axis.numFmt = NumFmt(formatCode=y_format, sourceLinked=False)
    for axis in (getattr(chart, "x_axis", None), getattr(chart, "y_axis", None)):
        if axis is not None:
            axis.delete = False  # openpyxl leaves it unset: some Excel builds hide the axis
    return chart


def _cost_breakdown(ws, layout: Layout):
    first = layout.estimate_row["gpu_usd_per_month"]
    last = layout.estimate_row["egress_usd_per_month"]
    chart = _sized(PieChart(), "Cost per month: GPUs, storage, egress")
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.series[0].tx = SeriesLabel(v="Cost per month")
    chart.dataLabels = _labels(showPercent=True)
    chart.dataLabels.numFmt = SHARE_FORMAT
    return chart


def _labels(**shown: bool) -> DataLabelList:
    """Data labels showing what ``shown`` names (showVal, showPercent), nothing else."""
    labels = DataLabelList()
    labels.showVal = labels.showPercent = labels.showCatName = False
    labels.showSerName = labels.showLegendKey = False
    for name, show in shown.items():
        setattr(labels, name, show)
    return labels


def _scenario_gpus(ws, layout: Layout, last: int):
    title = "GPUs by scenario" + _which(layout, last)
    chart = _sized(BarChart(), title, "GPUs (log scale)", styles.number_format("GPUs"))
    # Scenarios span orders of magnitude (the seed's 61 GPUs, 10x users' millions): on a
    # linear axis the small ones draw no bar at all.
    chart.y_axis.scaling.logBase = 10
    chart.type = "bar"
    column = layout.scenario_column["gpu_count"]
    chart.add_data(Reference(ws, min_col=column, min_row=layout.scenario_first, max_row=last))
    chart.series[0].tx = SeriesLabel(v="GPUs")
    chart.set_categories(Reference(ws, min_col=1, min_row=layout.scenario_first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # first scenario on top, as in the table
    chart.legend = None
    chart.height = _scenario_height(last - layout.scenario_first + 1)
    # On a log axis a bar's length understates ratios (61 GPUs against 132,117 draws as
    # about 1 to 4): each bar says its count, in the cells' format.
    chart.dataLabels = _labels(showVal=True)
    chart.dataLabels.dLblPos = "outEnd"
    return chart


def _which(layout: Layout, last: int) -> str:
    """The title's " (the first 30 of 10,000 scenarios)" where it shows only some, else ""."""
    shown = last - layout.scenario_first + 1
    if shown >= layout.scenario_count:
        return ""
    return f" (the first {shown} of {layout.scenario_count:,} scenarios)"


def _scenario_height(count: int) -> float:
    """Tall enough for every scenario's name on the axis (cm)."""
    return min(20.0, max(_SIZE["height"], 0.9 * count + 3))


def _scenario_costs(ws, layout: Layout, last: int):
    chart = _sized(
        BarChart(),
        "Cost per month by scenario" + _which(layout, last),
        "Cost per month (USD)",
        AXIS_FORMATS["USD/month"],
    )
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    chart.width = 2 * _SIZE["width"]
    chart.height = max(10.0, _scenario_height(last - layout.scenario_first + 1))
    for name in ("gpu_usd_per_month", "storage_usd_per_month", "egress_usd_per_month"):
        column = layout.scenario_column[name]
        chart.add_data(Reference(ws, min_col=column, min_row=layout.scenario_first, max_row=last))
        chart.series[-1].tx = SeriesLabel(v=SERIES_LABELS[name])
    chart.set_categories(Reference(ws, min_col=1, min_row=layout.scenario_first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"
    chart.legend.position = "b"
    return chart


def _projection_series(ws, layout: Layout, names, title: str, y_title: str, unit: str):
    chart = _sized(LineChart(), title, y_title, AXIS_FORMATS[unit])
    for name in names:
        column = layout.projection_column[name]
        chart.add_data(
            Reference(
                ws, min_col=column, min_row=layout.projection_first, max_row=layout.projection_last
            ),
            titles_from_data=False,
        )
        chart.series[-1].tx = SeriesLabel(v=SERIES_LABELS[name])
    chart.set_categories(
        Reference(ws, min_col=1, min_row=layout.projection_first, max_row=layout.projection_last)
    )
    chart.x_axis.title = "Month"
    chart.legend.position = "b"
    return chart


def _projection_storage(ws, layout: Layout):
    chart = _projection_series(
        ws, layout, ["retained_storage_bytes"], "Data stored (with retention)", "Stored", "B"
    )
    chart.legend = None
    return chart


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
        "Cost per month",
        "Cost per month (USD)",
        "USD/month",
    )


def tornado(ws, layout: Layout):
    """The Sensitivity sheet's tornado: for each input, by impact (largest on top), the
    change in total cost per month at its low value and at its high value."""
    chart = _sized(
        BarChart(),
        "Change in total cost per month at each input's low and high value",
        "Change from the base case (USD per month)",
        '+$#,##0.0,,"M";-$#,##0.0,,"M";$0"M"',
    )
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "bar", "clustered", 100, 40
    first, last = layout.sorted_first, layout.sorted_last
    for key, label in (("low_delta", "Low value"), ("high_delta", "High value")):
        column = layout.sorted_column[key]
        chart.add_data(Reference(ws, min_col=column, min_row=first, max_row=last))
        chart.series[-1].tx = SeriesLabel(v=label)
    label_column = layout.sorted_column["label"]
    chart.set_categories(Reference(ws, min_col=label_column, min_row=first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # the largest impact on top
    chart.x_axis.tickLblPos = "low"  # input names at the left edge, clear of the bars
    chart.legend.position = "b"
    count = layout.sorted_last - first + 1
    chart.width, chart.height = 26, max(11.0, 0.9 * count + 3)  # a line for every input
    return chart


# openpyxl writes a data label's number format as a bare ``formatCode`` (its DataLabelList
# holds the format as a string); without ``sourceLinked="0"`` LibreOffice takes the
# source cells' format instead, and the pie's shares show as whole percents. XlsxWriter
# writes the attribute (``<c:numFmt formatCode="0.0%" sourceLinked="0"/>``).
_LABEL_FORMAT = re.compile(rb'(<(?:\w+:)?dLbls><(?:\w+:)?numFmt formatCode="[^"]*") ?/>')
_CHART_PART = re.compile(r"xl/charts/chart\d+\.xml")


def unlinked_label_formats(part: str, data: bytes) -> bytes:
    """A package part with its charts' data-label formats marked as not linked to the
    source cells (every other part as it is)."""
    if not _CHART_PART.fullmatch(part):
        return data
    return _LABEL_FORMAT.sub(rb'\1 sourceLinked="0" />', data)
