"""The Estimate sheet: every output by section, the catalogue look-ups and the inputs in use."""

from __future__ import annotations

from openpyxl.workbook.defined_name import DefinedName

from xlplugin.formulas.graph import GRAPH
from xlplugin.formulas.vocabulary import INPUT, OUTPUTS

from . import styles
from .excel_formulas import HELPER_LABELS, STEPS, descendants_in_excel, plugin_formula, render
from .inputs_sheet import DEFAULT_COLUMN
from .layout import ESTIMATE_HEADER, FLAG_COLUMN, FLAG_ROW, Layout, absolute
from .published import PUBLISHED, SEED_CITATION

__all__ = [
    "NEED_A_REQUEST",
    "NO_REQUEST_ERROR",
    "computed",
    "default_ref",
    "empty_means_default",
    "estimate_refs",
    "guarded",
    "runs_a_request",
    "write_estimate",
]

COLUMNS = ("Quantity", "Value", "Base unit", "Seed figure", "Name", "How it is calculated")
WIDTHS = (36, 18, 15, 16, 27, 52)
# Text columns right of a column of numbers: a space apart (styles.text_alignment).
_INDENTED = (COLUMNS.index("Base unit") + 1, COLUMNS.index("Name") + 1)
_OUTPUT = {o.name: o for o in OUTPUTS}
# The outputs computed from what a replica runs at once: formulas refuses each of them when
# a roofline replica runs no request within the latency targets, and computes the others.
NEED_A_REQUEST = frozenset(o.name for o in OUTPUTS) & descendants_in_excel("concurrency_limit")
NO_REQUEST_ERROR = "no_request_error"  # the workbook name of that check's message (Checks)


def estimate_refs(layout: Layout) -> dict[str, str]:
    """Placeholder -> cell on the Estimate, for every input in use and every step."""
    return {name: f"$B${row}" for name, row in layout.estimate_row.items()}


def empty_means_default(layout: Layout, name: str) -> str:
    """The Inputs sheet's value of an input, its "Used when empty" default if the cell is
    empty (formulas: a blank input takes the default), or "" for an empty optional input.
    Anything else (text, TRUE, an error) passes through, for the Checks sheet to refuse."""
    if INPUT[name].default is None:
        return f'IF({name}="","",{name})'
    return f'IF({name}="",{default_ref(layout, name)},{name})'


def default_ref(layout: Layout, name: str) -> str:
    """``Inputs!$H$8``: the input's "Used when empty" cell."""
    return absolute("Inputs", DEFAULT_COLUMN, layout.input_row[name])


def in_use_formula(layout: Layout, name: str) -> str:
    """The input the Estimate uses: the selected scenario's cell, else the Inputs cell."""
    source = empty_means_default(layout, name)
    picked = f"INDEX({layout.scenario_range(name)},scenario_row)"
    return f'=IF(ISNUMBER(scenario_row),IF({picked}="",{source},{picked}),{source})'


def write_estimate(wb, ws, layout: Layout, variant: str) -> None:
    plugin = variant == "plugin"
    subtitle = (
        "Outputs call the xlplugin Excel functions (=GPU_COUNT(...) etc.): this "
        "variant NEEDS THE PLUGIN; without it they show #NAME?."
        if plugin
        else "Every figure is a native Excel formula of the inputs in use (bottom)."
    )
    styles.title(ws, "Estimate" + (" (plugin variant)" if plugin else ""), subtitle)
    ws["A3"], ws["B3"] = (
        "Showing",
        ('=IF(ISNUMBER(scenario_row),"Scenario: "&scenario,"Inputs sheet values")'),
    )
    ws["B3"].style = "Calculation"
    styles.master_flag(ws, FLAG_COLUMN["Estimate"], FLAG_ROW["Estimate"])
    styles.header(ws, ESTIMATE_HEADER, COLUMNS)
    refs = estimate_refs(layout)
    for row, text in layout.estimate_sections:
        styles.section(ws, row, text, len(COLUMNS))
    for name, row in layout.estimate_row.items():
        _row(wb, ws, layout, name, row, refs, plugin)
    note = ws.cell(layout.estimate_last + 2, 1, f"Seed figures: {SEED_CITATION}.")
    note.style = "Note"
    styles.wrap(note)
    ws.merge_cells(start_row=note.row, start_column=1, end_row=note.row, end_column=len(COLUMNS))
    ws.row_dimensions[note.row].height = 32
    styles.widths(ws, WIDTHS)
    rows = layout.estimate_row.values()
    for column in _INDENTED:
        styles.fit_width(ws, column, [ws.cell(row, column).value for row in rows], indent=1)
    for row in rows:
        styles.fit_height(ws, row, {1: ws.cell(row, 1).value, 6: ws.cell(row, 6).value})
    styles.wrap_subtitle(ws, len(COLUMNS))
    ws.freeze_panes = ws.cell(ESTIMATE_HEADER + 1, 2)
    ws.print_title_rows = f"{ESTIMATE_HEADER}:{ESTIMATE_HEADER}"
    ws.protection.sheet = not plugin  # Office.js functions stay #NAME? on protected sheets


def _row(wb, ws, layout: Layout, name: str, row: int, refs: dict, plugin: bool) -> None:
    if name in INPUT and name not in STEPS:
        q = INPUT[name]
        label, unit, style = q.label, q.unit, "Linked Cell"
        how = "Inputs sheet, or the selected scenario's cell if not empty"
        formula = in_use_formula(layout, name)
    elif name in _OUTPUT:
        o = _OUTPUT[name]
        label, unit, how, style = o.label, o.unit, o.description, "Output"
        formula = guarded(name, render(STEPS[name], refs), refs)
        if plugin:
            formula = plugin_formula(o.name, refs)
            label += " [plugin function]"
    else:
        (label, unit), style = HELPER_LABELS[name], "Calculation"
        how = GRAPH[name].description
        formula = render(STEPS[name], refs)
    for column, value in enumerate((label, formula, unit, None, name, how), start=1):
        ws.cell(row, column, value)
    cell = ws.cell(row, 2)
    cell.style = style
    cell.number_format = styles.number_format(unit)
    if name in PUBLISHED:
        seed = ws.cell(row, 4, PUBLISHED[name][0])
        seed.style = "Note"
        seed.number_format = cell.number_format
    for column in range(1, len(COLUMNS) + 1):  # after the styles, which set their own
        ws.cell(row, column).alignment = styles.text_alignment(
            "center", wrap_text=column in (1, 6), indent=column in _INDENTED
        )
    # In the plugin variant an output is not a workbook name: Excel and LibreOffice would
    # read GPU_COUNT( as the name gpu_count followed by a parenthesis (LibreOffice: Err:509
    # on load, and the cached value lost), not as the function.
    if (name not in INPUT or name in STEPS) and not (plugin and name in _OUTPUT):
        wb.defined_names[name] = DefinedName(name, attr_text=absolute("Estimate", 2, row))


def overflow_message(name: str) -> str:
    """formulas' message when an output overflows (formulas._arrays.finite)."""
    return f"{name}: the result overflows; the inputs are too large to compute"


def runs_a_request(refs: dict[str, str]) -> str:
    """TRUE when a replica runs at least one request within the latency targets (always
    under the FLOPs formula; formulas.serving.max_concurrency_per_replica). ``refs``:
    placeholder -> cell for ``flops_model`` and ``concurrency_limit``."""
    return f"OR({refs['flops_model']},{refs['concurrency_limit']}>=requests_per_inference)"


def computed(name: str, formula: str, refs: dict[str, str], idle: str) -> str:
    """Output ``name``'s ``formula`` (without "=") as the sheets show it once its inputs
    are accepted: an overflow (#NUM!, the only error left) as formulas' overflow message,
    and, for an output of :data:`NEED_A_REQUEST`, the text ``idle`` (formulas' message)
    when a replica runs no request, instead of figures that assume it runs one. A check
    that cannot be judged (an error) leaves the overflow to speak."""
    text = f'IFERROR({formula},"{overflow_message(name)}")'
    if name not in NEED_A_REQUEST:
        return text
    return f"IF(IFERROR({runs_a_request(refs)},TRUE),{text},{idle})"


def guarded(name: str, formula: str, refs: dict[str, str]) -> str:
    """An Estimate output: its formula (:func:`computed`) when the Checks sheet accepts the
    inputs, else the first failing check's message."""
    return f"=IF(inputs_ok,{computed(name, formula[1:], refs, NO_REQUEST_ERROR)},input_error)"
