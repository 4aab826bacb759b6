"""The Estimate sheet: every output by section, the catalogue look-ups and the inputs in use."""

from __future__ import annotations

import math

from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.pagebreak import Break

from xlplugin.formulas._arrays import OVERFLOWS, overflow_accepts, seed_magnitudes
from xlplugin.formulas.graph import GRAPH, depends_on
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from . import styles
from .excel_formulas import (
    HELPER_LABELS,
    STEPS,
    descendants_in_excel,
    placeholders,
    plugin_formula,
    render,
)
from .inputs_sheet import DEFAULT_COLUMN
from .layout import ESTIMATE_HEADER, FLAG_COLUMN, FLAG_ROW, Layout, absolute
from .published import PUBLISHED, ROUNDED, SEED_CITATION
from .sentences import said

__all__ = [
    "NEED_A_REQUEST",
    "NO_REQUEST_ERROR",
    "computed",
    "default_ref",
    "empty_means_default",
    "estimate_refs",
    "guarded",
    "overflow_message",
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
# The one of them that none of the others feeds: where a Scenarios row shows that message
# (the others name its cell; no circular reference, even in a branch never taken).
IDLE_OUTPUT = next(
    o.name
    for o in OUTPUTS
    if o.name in NEED_A_REQUEST
    and not any(o.name in descendants_in_excel(m) for m in NEED_A_REQUEST)
)
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
    ) + (
        # The two GPU counts side by side differ by orders of magnitude: say why up front.
        " GPUs are sized by the inference model (by default the roofline: compute, memory "
        "bandwidth and memory, what a real deployment needs); the seed document's FLOPs "
        "formula, shown below them, assumes every peak FLOP used and no memory traffic, "
        "and can give far fewer."
    )
    styles.title(ws, "Estimate" + (" (plugin variant)" if plugin else ""), subtitle)
    ws["A3"], ws["B3"] = (
        "Showing",
        ('=IF(ISNUMBER(scenario_row),"Scenario: "&scenario,"Inputs sheet values")'),
    )
    ws["B3"].style = "Calculation"
    styles.wrap(ws["B3"])  # a scenario's name: on the flag row's two lines, not past the box
    styles.master_flag(ws, FLAG_COLUMN["Estimate"], FLAG_ROW["Estimate"])
    styles.header(ws, ESTIMATE_HEADER, COLUMNS)
    refs = estimate_refs(layout)
    for row, text in layout.estimate_sections:
        styles.section(ws, row, text, len(COLUMNS))
        if text == "Cost":  # the costs print together, on the page after the bandwidth
            ws.row_breaks.append(Break(id=row - 1))
    for name, row in layout.estimate_row.items():
        _row(wb, ws, layout, name, row, refs, plugin)
    write_overflow_workings(ws, layout)
    steps = [r for n, r in layout.estimate_row.items() if n not in INPUT and n not in _OUTPUT]
    styles.hidden_when(ws, f"B{min(steps)}:B{max(steps)}", "NOT(inputs_ok)")
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
    # An output's message ("requests_per_user: got -3; accepts ...") wraps where its row has
    # the lines for it; in a one-line row it starts with the input's name (numbers do not
    # wrap either way).
    for name in _OUTPUT:
        row = layout.estimate_row[name]
        if (ws.row_dimensions[row].height or styles.LINE_HEIGHT) > styles.LINE_HEIGHT:
            cell = ws.cell(row, 2)
            cell.alignment = styles.text_alignment("center", wrap_text=True)
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
        formula = guarded(name, render(STEPS[name], refs), refs, layout)
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
        seed.number_format = ROUNDED.get(name, cell.number_format)
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
    """formulas' message when an output overflows (formulas._arrays.finite), as a formula
    writes it."""
    return f'"{name}: "&{said(OVERFLOWS)}'


def runs_a_request(refs: dict[str, str]) -> str:
    """TRUE when a replica runs at least one request within the latency targets (always
    under the FLOPs formula; formulas.serving.max_concurrency_per_replica). ``refs``:
    placeholder -> cell for ``flops_model`` and ``concurrency_limit``."""
    return f"OR({refs['flops_model']},{refs['concurrency_limit']}>=requests_per_inference)"


def computed(
    name: str, formula: str, refs: dict[str, str], idle: str, overflow: str | None = None
) -> str:
    """Output ``name``'s ``formula`` (without "=") as the sheets show it once its inputs
    are accepted: an overflow (#NUM!, the only error left) as formulas' overflow message,
    and, for an output of :data:`NEED_A_REQUEST`, the text ``idle`` (formulas' message)
    when a replica runs no request, instead of figures that assume it runs one. A check
    that cannot be judged (an error) leaves the overflow to speak. ``overflow``: the
    overflow's text (an expression), if not formulas' general sentence."""
    overflow = overflow or overflow_message(name)
    text = f"IFERROR({formula},{overflow})"
    if name not in NEED_A_REQUEST:
        return text
    return f"IF(IFERROR({runs_a_request(refs)},TRUE),{text},{idle})"


def guarded(name: str, formula: str, refs: dict[str, str], layout: Layout) -> str:
    """An Estimate output: its formula (:func:`computed`; an overflow names the input to
    change) when the Checks sheet accepts the inputs, else the first failing check's
    message."""
    overflow = _overflow_text(layout, name, refs)
    shown = computed(name, formula[1:], refs, NO_REQUEST_ERROR, overflow)
    return f"=IF(inputs_ok,{shown},input_error)"


# Overflow: which input to change --------------------------------------------------------
# When a result overflows, formulas names the input to change (formulas._arrays.overflow): the
# first output on the way that overflows (in vocabulary order), and of the inputs that output
# is computed from, the one farthest from the seed's value in powers of ten (ties: the first
# in vocabulary order), to be made "smaller" or "larger" as it lies above or below it.
# (formulas first tries each candidate at its default, which a sheet cannot: where the
# farthest input is not one that fixes the result, the two may differ.) Folded columns right
# of the sheet (hidden, so not printed) work it out from the inputs in use: per input its
# distance, name, what it accepts and the way to move it; per output a column holding the
# distances of the inputs it is computed from and, below them, numbers only (rows of
# _POSITION_LABELS): the output's position; the position of the farthest input (0: none is
# a number); the first output that overflows on the way to it, itself included (999: none;
# read from the cells of the outputs it is computed from and never its own, so that no
# formula refers to itself); the first on the way if this one overflows, which the
# output's own text reads; and the input that one names.
OVERFLOW_FIRST = len(COLUMNS) + 2  # a column apart from the sheet
OVERFLOW_LABELS = ("The seed's value", "Powers of ten from it", "Input", "Accepts", "Try a")
_MEMBERS_FIRST = OVERFLOW_FIRST + len(OVERFLOW_LABELS)
_POSITION_LABELS = (
    "Position",
    "Farthest input (position)",
    "First output that overflows, itself included (999: none)",
    "First output that overflows on the way, if this one does",
    "The input it names (position)",
)
# Workbook names of the constants these formulas use (a formula types no number but 0).
OVERFLOW_NAMED = {"no_overflow": 999, "not_a_distance": -1}


def _overflow_column(offset: int) -> str:
    return get_column_letter(OVERFLOW_FIRST + offset)


def _member_column(name: str) -> str:
    return get_column_letter(_MEMBERS_FIRST + list(_OUTPUT).index(name))


def _input_rows(layout: Layout) -> tuple[int, int]:
    rows = [layout.estimate_row[q.name] for q in INPUTS]
    assert rows == list(range(rows[0], rows[0] + len(rows))), "the inputs in use: contiguous"
    return rows[0], rows[-1]


def _helper_row(layout: Layout, offset: int) -> int:
    """The row of :data:`_POSITION_LABELS`' ``offset``-th figure, under the sheet's note."""
    return layout.estimate_last + 4 + offset


def _helper(layout: Layout, name: str, offset: int) -> str:
    return f"${_member_column(name)}${_helper_row(layout, offset)}"


def _inputs_range(layout: Layout, column: str) -> str:
    first, last = _input_rows(layout)
    return f"${column}${first}:${column}${last}"


def _outputs_range(row: int) -> str:
    return f"${_member_column(OUTPUTS[0].name)}${row}:${_member_column(OUTPUTS[-1].name)}${row}"


def _seed_values() -> dict[str, float]:
    """Each input's magnitude in the seed (1 where formulas has none), to 15 significant
    digits: as a cell holds it (openpyxl writes no more)."""
    typical = seed_magnitudes()
    return {q.name: float(f"{typical.get(q.name, 1.0):.15g}") for q in INPUTS}


def _overflow_text(layout: Layout, name: str, refs: dict[str, str]) -> str:
    """What output ``name`` shows when it overflows: formulas' message naming the first
    output on the way that overflows and the input to change, else (no input is a number)
    formulas' general sentence for that output."""
    shown, named = _helper(layout, name, 3), _helper(layout, name, 4)
    output = f"INDEX({_outputs_range(ESTIMATE_HEADER)},{shown})"

    def pick(column: str) -> str:
        return f"INDEX({_inputs_range(layout, column)},{named})"

    return (
        f'IF({named}>0,{pick(_overflow_column(2))}&": got "&{pick("B")}&"; accepts "&'
        f'{pick(_overflow_column(3))}&", but this value makes "&{output}&" overflow (too '
        f'large to compute): try a "&{pick(_overflow_column(4))}&" value",{output}&'
        f'": "&{said(OVERFLOWS)})'
    )


def _nearest_outputs(name: str) -> list[str]:
    """The outputs output ``name``'s template reads, directly or through steps that are not
    outputs, in vocabulary order."""
    found, todo, seen = set(), list(placeholders(STEPS[name])), set()
    while todo:
        step = todo.pop()
        if step in seen:
            continue
        seen.add(step)
        if step in _OUTPUT:
            found.add(step)
        elif step in STEPS:
            todo.extend(placeholders(STEPS[step]))
    return [o for o in _OUTPUT if o in found]


def write_overflow_workings(ws, layout: Layout) -> None:
    """The folded columns that name the input to change when a result overflows."""
    typical = _seed_values()
    labels = [*OVERFLOW_LABELS, *_OUTPUT]
    for offset, label in enumerate(labels):
        ws.cell(ESTIMATE_HEADER, OVERFLOW_FIRST + offset, label).style = "Headline 4"
    for q in INPUTS:
        row = layout.estimate_row[q.name]
        value, seed = f"$B${row}", f"${_overflow_column(0)}${row}"
        distance = f"IF(ISLOGICAL({value}),not_a_distance,ABS(LOG10(ABS({value}))-LOG10({seed})))"
        way = f'IFERROR(IF(ABS({value})>{seed},"smaller","larger"),"")'
        cells = (
            typical[q.name],
            f"=IFERROR({distance},not_a_distance)",
            q.name,
            overflow_accepts(q.name),
            f"={way}",
        )
        for offset, content in enumerate(cells):
            cell = ws.cell(row, OVERFLOW_FIRST + offset, content)
            cell.style = "Calculation" if offset in (1, 4) else "Normal"
    refs = estimate_refs(layout)
    for position, o in enumerate(OUTPUTS, start=1):
        column, used = _member_column(o.name), set(depends_on(o.name))
        for q in INPUTS:
            if q.name in used:
                row = layout.estimate_row[q.name]
                ws[f"{column}{row}"] = f"=${_overflow_column(1)}${row}"
                ws[f"{column}{row}"].style = "Calculation"
        members = _inputs_range(layout, column)
        upstream = [_helper(layout, u, 2) for u in _nearest_outputs(o.name)]
        on_the_way = ",".join([_helper(layout, o.name, 0), *upstream])
        ws[f"{column}{_helper_row(layout, 0)}"] = position
        for offset, formula in enumerate(
            (
                f"IF(MAX({members})>not_a_distance,MATCH(MAX({members}),{members},0),0)",
                f"IF(ISNUMBER({refs[o.name]}),no_overflow,MIN({on_the_way}))",
                f"MIN({on_the_way})",
                f"INDEX({_outputs_range(_helper_row(layout, 1))},{_helper(layout, o.name, 3)})",
            ),
            start=1,
        ):
            cell = ws[f"{column}{_helper_row(layout, offset)}"]
            cell.value, cell.style = f"={formula}", "Calculation"
    for offset, label in enumerate(_POSITION_LABELS):
        ws.cell(_helper_row(layout, offset), OVERFLOW_FIRST, label)
    widths = (16, 12, 28, 44, 9) + (14,) * len(_OUTPUT)  # unfolded, each reads whole
    for offset in range(len(labels)):
        dimension = ws.column_dimensions[get_column_letter(OVERFLOW_FIRST + offset)]
        dimension.outlineLevel, dimension.hidden = 1, True
        dimension.width = widths[offset]
    # folded (hidden) columns print as nothing: the pages stay the table
    ws.column_dimensions[get_column_letter(OVERFLOW_FIRST + len(labels))].collapsed = True
    for name, number in OVERFLOW_NAMED.items():
        ws.parent.defined_names[name] = DefinedName(name, attr_text=f"{number:g}")


def overflow_workings_values(layout: Layout, in_use: dict) -> dict[str, object]:
    """The cached values of the overflow workings for the inputs in use ``in_use``, whose
    outputs are all numbers."""
    typical = _seed_values()
    out: dict[str, object] = {}
    distance = {}
    for q in INPUTS:
        row, value = layout.estimate_row[q.name], in_use.get(q.name)
        size = typical[q.name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        number = number and math.isfinite(value)  # NaN: an optional input left empty
        far = OVERFLOW_NAMED["not_a_distance"]
        if number and value:
            far = abs(math.log10(abs(value)) - math.log10(size))
        distance[q.name] = far
        out[f"{_overflow_column(1)}{row}"] = far
        way = "smaller" if number and abs(value) > size else "larger"
        out[f"{_overflow_column(4)}{row}"] = way if number else ""
    names = [q.name for q in INPUTS]
    for position, o in enumerate(OUTPUTS, start=1):
        column = _member_column(o.name)
        used = set(depends_on(o.name))
        members = [n for n in names if n in used]
        for n in members:
            out[f"{column}{layout.estimate_row[n]}"] = distance[n]
        most = max(distance[n] for n in members)
        at = [i for i, n in enumerate(names, start=1) if n in members and distance[n] == most]
        farthest = at[0] if most > OVERFLOW_NAMED["not_a_distance"] else 0
        none = OVERFLOW_NAMED["no_overflow"]
        for offset, value in enumerate((farthest, none, position, farthest), start=1):
            out[f"{column}{_helper_row(layout, offset)}"] = value
    return out
