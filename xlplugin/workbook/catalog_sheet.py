"""The reference sheets: precisions, compute units and GPUs (Catalog) and model presets
(Models), as Excel tables."""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo

from xlplugin.formulas import catalog

from . import styles
from .layout import (
    CATALOG_TABLES,
    COMPUTE_UNITS,
    FLAG_COLUMN,
    GPU_UNIT_COLUMNS,
    WHY_SPAN,
    Layout,
)

__all__ = ["write_catalog", "write_models"]

_TITLES = {
    "gpus": (
        "GPUs",
        "Accelerators: dense peak rates, memory and on-demand price per GPU-hour, "
        "each with its source and date (formulas/data/gpus.csv). confidence: P, read "
        "from the vendor's own page; S2, the vendor's figure in 2 or more independent "
        "copies; S1, in one.",
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
        "What a request takes (parameters, precision, steps, sizes) and the architecture "
        "(layers, attention, image and audio sizes), each with its source and date.",
    ),
}
# Units of the numeric columns: they show scaled, as on the other sheets.
_UNITS = {
    "fp16_flops": "FLOP/s",
    "fp8_flops": "FLOP/s",
    "int8_ops": "OP/s",  # integer operations, not floating-point (the datasheets' TOPS)
    "memory_bytes": "B",
    "memory_bandwidth_bytes_per_second": "B/s",
    "tdp_watts": "W",
    "hourly_usd": "USD/GPU-hour",
    "params": "parameters",
    "bytes_per_param": "B/parameter",
    "steps": "steps/request",
    "request_bytes": "B/request",
    "response_bytes": "B/request",
    "stored_bytes_per_request": "B/request",
    "active_params": "parameters",
    "text_encoder_params": "parameters",
    "audio_seconds": "s",
    "unet_flops_per_pixel": "FLOP/pixel/step",
}
# Each table's columns in the order shown: the long texts (sources, notes) of every table
# fall in the same sheet columns (D and E), which are wide and wrap; the GPU compute
# columns stay side by side (catalog_gpu_units spans them).
_ORDER = {
    "gpus": (
        "name",
        "vendor",
        "hourly_usd",
        "price_source",
        "notes",
        "fp16_flops",
        "fp8_flops",
        "int8_ops",
        "memory_bytes",
        "memory_bandwidth_bytes_per_second",
        "tdp_watts",
        "aliases",
        "description",
        "price_as_of",
        "spec_source",
        "spec_as_of",
        "confidence",
    ),
    "precisions": ("name", "compute", "bytes_per_param", "source", "notes"),
    "units": ("compute", "gpu_column"),
    "models": (
        "name",
        "modality",
        "precision",
        "source",
        "notes",
        "params",
        "steps",
        "request_bytes",
        "response_bytes",
        "stored_bytes_per_request",
        "active_params",
        "text_encoder_params",
        "backbone",
        "guidance_passes",
        "layers",
        "attention_heads",
        "kv_heads",
        "head_dim",
        "input_tokens",
        "output_tokens",
        "image_width",
        "image_height",
        "vae_factor",
        "patch_size",
        "unet_flops_per_pixel",
        "audio_seconds",
        "aliases",
        "as_of",
        "architecture_as_of",
        "architecture_source",
    ),
}
_WIDTHS = (17, 12, 10, 24, 72, 14, 14, 14, 14, 14, 10, 18, 26, 11, 26, 10, 11)
_TEXT_SIZE = 8
_HEADER_SIZE = 9
_WIDEST = 22  # the widest a short text widens its column to (a longer one wraps)
_WRAPPED = {
    "price_source",
    "notes",
    "source",
    "aliases",
    "description",
    "spec_source",
    "architecture_source",
}


# Widths of the Models sheet's text columns (its numbers widen to their headers).
_MODEL_WIDTHS = {
    "name": 17,
    "modality": 12,
    "precision": 10,
    "source": 24,
    "notes": 72,
    "aliases": 18,
    "architecture_source": 26,
}


def _frames() -> dict[str, pd.DataFrame]:
    units = [{"compute": key, "gpu_column": column} for key, column in COMPUTE_UNITS]
    return {
        "gpus": catalog.gpus(),
        "precisions": catalog.precisions(),
        "units": pd.DataFrame(units),
        "models": catalog.models(),
    }


def write_catalog(wb, ws, layout: Layout) -> None:
    """The Catalog sheet: the precisions, the compute units and the GPUs."""
    styles.title(
        ws,
        "Catalog",
        "Reference data the formulas look up (the Python package reads the same CSV "
        "files). To add a GPU or a precision, unprotect the sheet and insert a table row "
        "above a table's last row: the catalog_* names and the Inputs lists grow with it.",
    )
    _write_tables(wb, ws, layout, _WIDTHS)


def write_models(wb, ws, layout: Layout) -> None:
    """The Models sheet: the model presets, one row each, with their architecture."""
    styles.title(
        ws,
        "Models",
        "Presets to copy to the Inputs sheet; the formulas do not look them up (the "
        "Python package reads the same CSV file, formulas/data/models.csv).",
    )
    columns = [c for c in _ordered("models", list(catalog.models().columns)) if c != "notes"]
    widths = tuple(_MODEL_WIDTHS.get(c, 10) for c in columns)
    # (the table, notes aside, is one printed page tall: no header to repeat, and one
    # repeated would print over the notes too)
    _write_tables(wb, ws, layout, widths, leave_out={"notes"}, repeat_header=False)
    _write_model_notes(ws, layout, len(columns))


def _one_page_columns(ws, columns: int) -> int:
    """How many columns from A print on one page at full size. A print area that takes no
    more pages than the sheet is fitted to is not shrunk (LibreOffice fits each area on
    its own): the notes must fit one page as they are, or they print cut in two.
    Measured in its PDF, LibreOffice prints a column about as many points wide as Excel
    gives it pixels (4/3 of Excel's width): columns that fit at that size fit in both."""
    used, count = 0.0, 0
    for column in range(1, columns + 1):
        used += styles.column_pixels(ws.column_dimensions[get_column_letter(column)].width)
        if used > styles.PRINTABLE_INCHES * 72:
            break
        count += 1
    return count


def _write_model_notes(ws, layout: Layout, columns: int) -> None:
    """The presets' notes (how each figure was found: a paragraph each) in a block under
    the table, each merged over the first page's columns. In the table, a column 72 wide,
    they made every row 10 to 25 lines tall on each of the pages across. The table and the
    notes are two print areas: each prints on pages of its own, the notes one page across
    (:func:`_one_page_columns`)."""
    last = layout.catalog_rows["models"][1]
    title, head = last + 2, last + 3
    span = _one_page_columns(ws, columns) - 1  # less A, the names
    ws.cell(title, 1, "Notes").style = "Headline 3"
    note = "How each preset's figures were found: model cards, configs and our arithmetic."
    ws.cell(title, 2, note).style = "Explanatory Text"
    styles.header(ws, head, ["name", "notes"])
    end = get_column_letter(1 + span)
    ws.merge_cells(f"B{head}:{end}{head}")
    width = sum(ws.column_dimensions[get_column_letter(c)].width for c in range(2, 2 + span))
    models = catalog.models()
    notes = zip(models["name"], models["notes"], strict=True)
    for row, (name, text) in enumerate(notes, start=head + 1):
        ws.cell(row, 1, name).alignment = styles.text_alignment("top")
        cell = ws.cell(row, 2, None if pd.isna(text) else text)
        cell.font = styles.font(_TEXT_SIZE)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"B{row}:{end}{row}")
        count = styles.lines(cell.value, width, _TEXT_SIZE)
        ws.row_dimensions[row].height = styles.LINE_HEIGHT * _TEXT_SIZE / 11 * count + 3
    table_end = get_column_letter(columns)
    ws.print_area = [f"A1:{table_end}{last}", f"A{title}:{end}{head + len(models)}"]


def _write_tables(
    wb,
    ws,
    layout: Layout,
    widths: tuple[int, ...],
    leave_out: set[str] = frozenset(),
    repeat_header: bool = True,
) -> None:
    """The sheet's tables (layout.CATALOG_TABLES), each under its title and units, less the
    columns ``leave_out``; the last one's header and units repeat on every printed page it
    runs on to."""
    styles.master_flag(ws, FLAG_COLUMN[ws.title], span=WHY_SPAN[ws.title])
    frames = _frames()
    heights: dict[int, dict[int, object]] = {}
    labels: dict[int, list[str]] = {}  # each column's headers and units, over the tables
    values: dict[int, list[str]] = {}  # each column's short texts ("transformer", not cut)
    for key in CATALOG_TABLES[ws.title]:
        frame = frames[key].reset_index(drop=True)
        frame = frame[[c for c in _ordered(key, list(frame.columns)) if c not in leave_out]]
        header, last = layout.catalog_rows[key]
        _write_table(ws, key, frame, header, heights)
        for column, label in enumerate(frame.columns, start=1):
            labels.setdefault(column, []).append(label)
            if label not in _WRAPPED and not pd.api.types.is_numeric_dtype(frame[label]):
                values.setdefault(column, []).extend(str(v) for v in frame[label].dropna())
        ref = f"A{header}:{get_column_letter(len(frame.columns))}{last}"
        table = Table(displayName=_TITLES[key][0], ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(table)
        _names(wb, key, list(frame.columns), header, last)
    if repeat_header:
        ws.print_title_rows = f"{header - 1}:{header}"  # the last table's units and header
    styles.widths(ws, widths)
    for column, names in labels.items():  # a header on one line, its unit above it too
        # (a space wider than it, so that a right-aligned header does not run into the next
        # one: "spec_as_ofconfidence"; a name has no space to wrap at, and wrapped it broke
        # mid-word: "memory_bandwidth_bytes_pe / r_second")
        styles.fit_width(ws, column, names, size=_HEADER_SIZE, bold=True, indent=1)
        styles.fit_width(ws, column, [_UNITS.get(n, "") for n in names])
        styles.fit_width(ws, column, values.get(column, []), most=_WIDEST)
    for key in CATALOG_TABLES[ws.title]:  # a long note wrapped over the first columns
        _wrap_note(ws, layout.catalog_rows[key][0] - 2)
    for key in CATALOG_TABLES[ws.title]:  # as tall as its wrapped headers
        header = layout.catalog_rows[key][0]
        texts = {c.column: c.value for c in ws[header] if c.value}
        styles.fit_height(ws, header, texts, size=_HEADER_SIZE)
    for row, texts in heights.items():
        styles.fit_height(ws, row, texts, size=_TEXT_SIZE)
    styles.wrap_subtitle(ws, 6, first=2)  # column A prints on every page
    ws.freeze_panes = "B4"
    ws.protection.sheet = True


_NOTE_COLUMNS = 4  # a table's note spans these columns from B: on the first printed page


def _wrap_note(ws, row: int) -> None:
    """A table's note beside its name, merged over :data:`_NOTE_COLUMNS` columns and
    wrapped there when it is longer than they are wide: left to run on, the GPUs' note
    (with its key to the confidence column) was cut at the printed page's edge."""
    note = ws.cell(row, 2)
    last = 1 + _NOTE_COLUMNS
    width = sum(
        ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(2, last + 1)
    )
    size = note.font.sz or 11
    count = styles.lines(note.value, width, size)
    if count < 2:
        return
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=last)
    note.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = styles.LINE_HEIGHT * size / 11 * count + 3


def _write_table(ws, key: str, frame: pd.DataFrame, header: int, heights: dict) -> None:
    """One table's title, units, header and rows; its wrapped texts' rows in ``heights``."""
    name, note = _TITLES[key]
    ws.cell(header - 2, 1, name).style = "Headline 3"
    ws.cell(header - 2, 2, note).style = "Explanatory Text"
    for column, label in enumerate(frame.columns, start=1):
        ws.cell(header - 1, column, _UNITS.get(label, "")).style = "Explanatory Text"
    styles.header(ws, header, list(frame.columns))
    indented = _beside_numbers(frame)
    for column, label in enumerate(frame.columns, start=1):
        ws.cell(header, column).font = styles.font(_HEADER_SIZE, bold=True, color="FFFFFF")
        if pd.api.types.is_numeric_dtype(frame[label]):  # over its right-aligned numbers
            for cell in (ws.cell(header, column), ws.cell(header - 1, column)):
                cell.alignment = Alignment(horizontal="right", vertical="center", wrap_text=True)
        elif label in indented:  # set off from the right-aligned header on its left, as
            # its cells are from the numbers ("spec_as_ofconfidence")
            ws.cell(header, column).alignment = Alignment(
                horizontal="left", vertical="center", wrap_text=True, indent=1
            )
    for offset, record in enumerate(frame.itertuples(index=False), start=1):
        for column, value in enumerate(record, start=1):
            label = frame.columns[column - 1]
            cell = ws.cell(header + offset, column, _plain(value))
            cell.number_format = (
                styles.number_format(_UNITS[label]) if label in _UNITS else "General"
            )
            cell.alignment = styles.text_alignment(
                "top", wrap_text=label in _WRAPPED, indent=label in indented
            )
            if label in _WRAPPED:  # long texts a size smaller: rows half as tall
                cell.font = styles.font(_TEXT_SIZE)
                heights.setdefault(cell.row, {})[column] = cell.value


def _beside_numbers(frame: pd.DataFrame) -> set[str]:
    """The text columns whose left neighbour holds numbers (right-aligned, so that without
    an indent the two would read as one: "2021S2")."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    pairs = zip(frame.columns[1:], numeric[1:], numeric[:-1], strict=True)
    return {label for label, number, left in pairs if left and not number}


def _ordered(key: str, columns: list[str]) -> list[str]:
    """The table's columns in display order: :data:`_ORDER`'s, then any others as the CSV
    file has them, the long texts last."""
    known = [c for c in _ORDER[key] if c in columns]
    rest = [c for c in columns if c not in known]
    return known + [c for c in rest if c not in _WRAPPED] + [c for c in rest if c in _WRAPPED]


def _plain(value):
    """A catalogue value as a cell keeps it: NaN empty, a float in the 16 digits openpyxl
    writes (so that the fingerprint of the workbook built equals that of the file)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.16g}")
    return value


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
            "catalog_gpu_bandwidth": column_range("memory_bandwidth_bytes_per_second"),
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
