"""The Catalog sheet: GPUs, precisions, compute units and model presets as Excel tables."""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo

from xlplugin.formulas import catalog

from . import styles
from .layout import COMPUTE_UNITS, GPU_UNIT_COLUMNS, Layout

__all__ = ["write_catalog"]

_TITLES = {
    "gpus": (
        "GPUs",
        "Accelerators: dense peak rates, memory and on-demand price per GPU-hour, "
        "each with its source and date (formulas/data/gpus.csv).",
    ),
    "precisions": (
        "Precisions",
        "Bytes per parameter and the compute unit each precision "
        "uses (formulas/data/precisions.csv).",
    ),
    "units": (
        "ComputeUnits",
        "Which GPU column gives the peak rate of each compute unit; "
        "an empty rate falls back to fp16_flops (formulas.catalog).",
    ),
    "models": (
        "Models",
        "Model presets: parameters, precision and steps per request, with "
        "sources (formulas/data/models.csv). Copy a preset to the Inputs.",
    ),
}
_FORMATS = {
    "fp16_flops": "#,##0",
    "fp8_flops": "#,##0",
    "int8_ops": "#,##0",
    "memory_bytes": "#,##0",
    "memory_bandwidth_bytes_per_second": "#,##0",
    "hourly_usd": "#,##0.0000",
    "params": "#,##0",
    "bytes_per_param": "0.0",
}


def _frames():
    units = [{"compute": key, "gpu_column": column} for key, column in COMPUTE_UNITS]
    return {
        "gpus": catalog.gpus(),
        "precisions": catalog.precisions(),
        "units": pd.DataFrame(units),
        "models": catalog.models(),
    }


def write_catalog(wb, ws, layout: Layout) -> None:
    styles.title(
        ws,
        "Catalog",
        "Reference data the formulas look up. Add a row inside a "
        "table to extend it only after widening the catalog_* names (Formulas > "
        "Name Manager); the Python package reads the same CSV files.",
    )
    widest = 0
    for key, frame in _frames().items():
        frame = frame.reset_index(drop=True)
        header, last = layout.catalog_rows[key]
        name, note = _TITLES[key]
        ws.cell(header - 1, 1, f"{name}: {note}").style = "Headline 3"
        styles.header(ws, header, list(frame.columns))
        for offset, record in enumerate(frame.itertuples(index=False), start=1):
            for column, value in enumerate(record, start=1):
                cell = ws.cell(header + offset, column, _plain(value))
                cell.number_format = _FORMATS.get(frame.columns[column - 1], "General")
        ref = f"A{header}:{get_column_letter(len(frame.columns))}{last}"
        table = Table(displayName=name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
        widest = max(widest, len(frame.columns))
        _names(wb, key, list(frame.columns), header, last)
    styles.widths(ws, [16, 22, 12] + [20] * (widest - 3))
    ws.freeze_panes = "B4"


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _names(wb, key: str, columns: list[str], header: int, last: int) -> None:
    def column_range(column: str, rows: tuple[int, int] = (header + 1, last)) -> str:
        letter = get_column_letter(columns.index(column) + 1)
        return f"Catalog!${letter}${rows[0]}:${letter}${rows[1]}"

    def span(first: str, final: str, rows: tuple[int, int]) -> str:
        a = get_column_letter(columns.index(first) + 1)
        b = get_column_letter(columns.index(final) + 1)
        return f"Catalog!${a}${rows[0]}:${b}${rows[1]}"

    names = {}
    if key == "gpus":
        first, final = GPU_UNIT_COLUMNS[0], GPU_UNIT_COLUMNS[-1]
        names = {
            "catalog_gpu_name": column_range("name"),
            "catalog_gpu_units": span(first, final, (header + 1, last)),
            "catalog_gpu_units_header": span(first, final, (header, header)),
            "catalog_gpu_fp16_flops": column_range("fp16_flops"),
            "catalog_gpu_memory": column_range("memory_bytes"),
            "catalog_gpu_hourly": column_range("hourly_usd"),
        }
    elif key == "precisions":
        names = {
            "catalog_precision_name": column_range("name"),
            "catalog_precision_bytes": column_range("bytes_per_param"),
            "catalog_precision_compute": column_range("compute"),
        }
    elif key == "units":
        names = {
            "catalog_unit_key": column_range("compute"),
            "catalog_unit_gpu_column": column_range("gpu_column"),
        }
    for name, target in names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=target)
