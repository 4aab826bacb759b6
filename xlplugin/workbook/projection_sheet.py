"""The Projection sheet: month by month as daily users grow (formulas.projection).

Month 1 has the Estimate's daily users; each month adds ``dau_growth`` of the previous
one. Every other input is the Estimate's (so the selected scenario is projected). Stored
bytes count the model, the month's profiles and the last ``retention_months`` months of
interaction data (SUMIF over the months still retained), as formulas.projection does.
"""

from __future__ import annotations

from openpyxl.styles import Alignment

from xlplugin.formulas.vocabulary import OUTPUTS

from . import styles
from .checks_sheet import GROWTH_OK
from .estimate_sheet import NO_REQUEST_ERROR, computed, estimate_refs, overflow_message
from .excel_formulas import STEPS, descendants_in_excel, render
from .layout import FLAG_COLUMN, PROJECTION_HEADER, WHY_SPAN, Layout

__all__ = ["projection_formulas", "write_projection"]

_LABELS = {o.name: (o.label, o.unit) for o in OUTPUTS} | {
    "month": ("Month", "month"),
    "dau": ("Daily active users", "users/day"),
}
# A month's balance, growing until retention_months have passed: not the Estimate's
# steady state, which a reader would otherwise compare it with.
_LABELS["retained_storage_bytes"] = (
    "Stored (with retention)",
    _LABELS["retained_storage_bytes"][1],
)


def projection_formulas(layout: Layout, row: int, plugin: bool = False) -> dict[str, str]:
    """Column name -> formula of one month's row. ``plugin``: the Estimate's outputs call
    the xlplugin functions, so a month that reads one says so where they are missing."""
    refs = {name: f"Estimate!{ref}" for name, ref in estimate_refs(layout).items()}
    start = refs["dau"]
    letter = layout.projection_letter
    refs |= {name: f"{letter(name)}{row}" for name in layout.projection_columns}
    first = layout.projection_first
    previous = f"{letter('dau')}{row - 1}"
    out = {"dau": f"={start}" if row == first else f"={previous}+{previous}*dau_growth"}
    month, monthly = letter("month"), letter("storage_bytes_per_month")
    window = (
        f'SUMIF(${month}${first}:{month}{row},">"&({month}{row}-{refs["retention_months"]}),'
        f"${monthly}${first}:{monthly}{row})"
    )
    # A step with no column of its own that moves with the month's users (requests per
    # month) is written out in place; the rest are the Estimate's cells.
    monthly_steps = descendants_in_excel("dau") - set(layout.projection_columns)
    for name in layout.projection_columns[2:]:
        if name == "retained_storage_bytes":  # the growing window, not the steady state
            out[name] = render("{model_size_bytes}+{profile_storage_bytes}+" + window, refs)
        else:
            out[name] = render(STEPS[name], refs, inline=monthly_steps)
    # Empty while the Checks refuse the inputs or the growth; an overflow, or a replica
    # that runs no request (the Estimate's: it does not move with the users), says so, as
    # on the Estimate.
    guard = f"AND(inputs_ok,{GROWTH_OK})"
    shown = {
        name: computed(name, formula[1:], refs, NO_REQUEST_ERROR, _overflow(name, refs, plugin))
        for name, formula in out.items()
    }
    return {name: f'=IF({guard},{text},"")' for name, text in shown.items()}


def _overflow(name: str, refs: dict[str, str], plugin: bool) -> str | None:
    """What a month shows for an error: formulas' overflow sentence (None: computed's own),
    or, in the plugin variant, that the add-in is missing where the Estimate's outputs are
    #NAME? (ERROR.TYPE 5: Excel or LibreOffice without the functions), not an overflow. (A
    month's cell may read that error through another month's cell, as #VALUE!: the
    Estimate's first output is what tells.)"""
    if not plugin:
        return None
    missing = f"IFERROR(ERROR.TYPE({refs['model_size_bytes']})=5,FALSE)"
    # Short enough for the month's column (the sentence, cut, read "in (see About)"); the
    # red flag's message beside the title says the rest.
    text = '"needs add-in"'
    return f"IF({missing},{text},{overflow_message(name)})"


def write_projection(ws, layout: Layout, plugin: bool = False) -> None:
    styles.title(
        ws,
        f"Projection: {layout.projection_months} months",
        "Daily users grow by the Inputs sheet's monthly rate from the Estimate's "
        "value; every other input is the Estimate's. Stored bytes keep the last "
        "retention_months months of interactions, so storage and total costs grow to the "
        "Estimate's, which are at that steady state, only once retention_months have passed.",
    )
    styles.master_flag(ws, FLAG_COLUMN["Projection"], span=WHY_SPAN["Projection"])
    ws["A3"], ws["B3"] = "Monthly DAU growth", "=dau_growth"
    ws["B3"].style, ws["B3"].number_format = "Linked Cell", "0.0%"
    styles.wrap(ws["A3"], "center")  # the Month column is narrow: two lines
    ws["B3"].alignment = Alignment(vertical="center")
    ws.row_dimensions[3].height = 30
    names = layout.projection_columns
    styles.header(ws, PROJECTION_HEADER, [_LABELS[n][0] for n in names])
    ws.row_dimensions[PROJECTION_HEADER].height = 45  # labels wrap on up to three lines
    for column, name in enumerate(names, start=1):
        unit = ws.cell(PROJECTION_HEADER + 1, column, _LABELS[name][1])
        unit.style = "Explanatory Text"
        unit.alignment = Alignment(horizontal="right" if column > 1 else "center")
    for month in range(1, layout.projection_months + 1):
        row = layout.projection_first + month - 1
        ws.cell(row, 1, month).alignment = Alignment(horizontal="center")
        for name, formula in projection_formulas(layout, row, plugin).items():
            cell = ws.cell(row, layout.projection_column[name], formula)
            cell.style = "Calculation"
            cell.number_format = styles.number_format(_LABELS[name][1])
            # A month's message (a refused input, the add-in missing) is text: right-aligned
            # like the figures, it is cut at its neighbour, not run out past the table's
            # last column, which widened the printed range and shrank the page.
            cell.alignment = Alignment(horizontal="right")
    styles.widths(ws, [10] + [19 if _LABELS[n][1].startswith("B") else 14 for n in names[1:]])
    styles.wrap_subtitle(ws, 8)
    ws.freeze_panes = ws.cell(layout.projection_first, 2)
    ws.print_title_rows = f"{PROJECTION_HEADER}:{PROJECTION_HEADER + 1}"
    ws.print_title_cols = "A:A"
    ws.protection.sheet = True
