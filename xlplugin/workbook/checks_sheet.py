"""The Checks sheet: each check TRUE or FALSE with a message when it fails, the Estimate's
guard ``inputs_ok`` with its ``input_error``, and a master flag that any FALSE turns red.

Rows, in order: one per input the Estimate uses (vocabulary order), then "the model fits",
then the projection's growth, then the consistency checks. ``inputs_ok`` is TRUE when the
first two groups hold; the Estimate's outputs show ``input_error`` (the first failing
message) otherwise. An input's message mirrors formulas' one-line error,
``"dau: got -5; accepts a number > 0"``, built from the Inputs sheet's Name and Accepts
cells and the value in use.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.styles import Alignment
from openpyxl.workbook.defined_name import DefinedName

from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS, Input

from . import styles
from .estimate_sheet import estimate_refs
from .excel_formulas import STEPS, placeholders, render
from .inputs_sheet import (
    ACCEPTS_COLUMN,
    HIGH_COLUMN,
    LOW_COLUMN,
    NAME_COLUMN,
    catalog_list,
    choices,
)
from .layout import CHECKS_HEADER, Layout, absolute

__all__ = [
    "FIRST_CHECK_ROW",
    "GUARD_ROW",
    "Check",
    "Consistency",
    "checks",
    "consistency_checks",
    "flag_rules",
    "flops_accepts",
    "guard_rows",
    "in_range",
    "input_test",
    "write_checks",
]

FIRST_CHECK_ROW = CHECKS_HEADER + 1
GUARD_ROW = 4  # inputs_ok and input_error
FITS_LABEL = "The model fits in GPU memory (GPUs per replica <= max GPUs per replica)"
OUTPUTS_LABEL = "Every output is a number"
PRICE_LABEL = "The GPU has a price per hour (gpu_hourly_usd, or the catalogue's)"
TOTAL_LABEL = (
    "Total cost = GPU + storage + egress, each part recomputed from its drivers "
    "(GPUs x price x hours; stored GB x price; GB sent x price)"
)
STORED_LABEL = (
    "Stored bytes = model + profiles + bytes stored per day x days per month x retention, "
    "each part recomputed from its drivers (params x bytes per weight; users x profile "
    "bytes; stored and indexed bytes a day)"
)
GPUS_LABEL = (
    "GPUs cover the peak demand (peak requests/s with headroom / requests/s per GPU) in "
    "whole replicas, with no replica to spare"
)
PROJECTION_LABEL = "Projection month 1 (its own route from daily users) needs the Estimate's GPUs"
SCENARIOS_LABEL = "Every Scenarios row calculates and fits (its ok column)"
SELECTED_LABEL = (
    "The scenario shown on the Estimate (Inputs, scenario) is empty or a name in the "
    "Scenarios table"
)


@dataclass(frozen=True)
class Check:
    label: str
    formula: str  # a boolean expression, without "="
    message: str  # a text expression, without "=": what the failure means


def _inputs_cell(layout: Layout, q: Input, column: int) -> str:
    return absolute("Inputs", column, layout.input_row[q.name])


def _source_is_logical(layout: Layout, q: Input) -> str:
    """TRUE when the cell the Estimate takes the input from holds TRUE or FALSE.

    LibreOffice keeps a boolean as the number 1 or 0 (ISNUMBER is TRUE), and a formula
    cell with its own number format forgets that it was one: only the source cell knows.
    """
    if q.name not in INPUT or q not in INPUTS:
        return f"ISLOGICAL({q.name})"
    picked = f"INDEX({layout.scenario_range(q.name)},scenario_row)"
    return (
        f'IF(ISNUMBER(scenario_row),IF({picked}="",ISLOGICAL({q.name}),'
        f"ISLOGICAL({picked})),ISLOGICAL({q.name}))"
    )


def _input_check(layout: Layout, q: Input, value: str) -> str:
    test = input_test(layout, q, value)
    if q.default is None:  # empty: not given, the catalogue or the FLOPs model decides
        test = f'IF({value}="",TRUE,{test})'
    return f"IF({_source_is_logical(layout, q)},FALSE,{test})"


def input_test(layout: Layout, q: Input, value: str) -> str:
    """TRUE when ``value`` is what input ``q`` accepts (bounds from the Inputs sheet)."""
    low, high = _inputs_cell(layout, q, LOW_COLUMN), _inputs_cell(layout, q, HIGH_COLUMN)
    if q.kind == "name" and choices(q):
        test = "OR(" + ",".join(f'{value}="{word}"' for word in choices(q)) + ")"
    elif q.kind == "name" and q.name != "gpu":
        test = f"ISNUMBER(MATCH({value},{catalog_list(q)},0))"
    elif q.name == "gpu":
        test = f"IF(ISNUMBER({value}),{value}>{low},ISNUMBER(MATCH({value},catalog_gpu_name,0)))"
    else:
        parts = [f"ISNUMBER({value})"]
        if q.low is not None:
            parts.append(f"{value}{'>' if q.low_open else '>='}{low}")
        if q.high is not None:
            parts.append(f"{value}{'<' if q.high_open else '<='}{high}")
        if q.integer:
            parts.append(f"INT({value})={value}")
        test = f"AND({','.join(parts)})"
    return test


def _shown(layout: Layout, q: Input, value: str) -> str:
    """The value as formulas' message shows it: 5, 0.5, 'text', True, '#N/A'."""
    logical = _source_is_logical(layout, q)
    return (
        f'IF({logical},IF({value},"True","False"),IF(ISERROR({value}),'
        f'IF(ISNA({value}),"\'#N/A\'","an error value"),'
        f'IF(ISNUMBER({value}),{value}&"","\'"&{value}&"\'")))'
    )


def flops_accepts(layout: Layout) -> str:
    """What a number given as the GPU accepts: formulas.inference.check_flops's message."""
    low = _inputs_cell(layout, INPUT["gpu"], LOW_COLUMN)
    return f'"a catalogue name or a FLOP/s number > "&{low}'


def _input_message(layout: Layout, q: Input, value: str) -> str:
    accepts = _inputs_cell(layout, q, ACCEPTS_COLUMN)
    if q.name == "gpu":
        accepts = f"IF(ISNUMBER({value}),{flops_accepts(layout)},{accepts})"
    name = _inputs_cell(layout, q, NAME_COLUMN)
    return f'{name}&": got "&{_shown(layout, q, value)}&"; accepts "&{accepts}'


def _reads_outputs() -> set[str]:
    """The outputs, and the steps whose templates read one, directly or not: the cells a
    check of ``inputs_ok`` must not read (the outputs are guarded by it: a circle)."""
    outputs = {o.name for o in OUTPUTS}
    found: set[str] = set()
    for step, template in STEPS.items():  # in calculation order: inputs before readers
        if step in outputs or found.intersection(placeholders(template)):
            found.add(step)
    return found


def _inline(step: str, refs: dict[str, str]) -> str:
    """A step's formula with the outputs it uses, and the steps that read them, written
    out, so that it reads only inputs in use and catalogue look-ups (not the outputs that
    ``inputs_ok`` guards)."""
    text = STEPS[step]
    for name in placeholders(text):
        if name in STEPS and name in _reads_outputs():
            text = text.replace("{" + name + "}", f"({_inline(name, refs)})")
    for name in placeholders(text):
        text = text.replace("{" + name + "}", refs.get(name, name))
    return text


def _fits(layout: Layout, e: dict[str, str]) -> Check:
    need = _inline("gpus_per_replica", e)
    weights = _inline("held_weights_bytes", e)
    params = _inputs_cell(layout, INPUT["params"], NAME_COLUMN)
    message = (
        f'{params}&": got "&{e["params"]}&"; accepts a model that fits in "'
        f'&{e["max_gpus_per_replica"]}&" GPUs: "&({weights})/bytes_per_gb'
        f'&" GB of weights need "&{need}&" x "&{e["gpu"]}'
        '&" (choose a larger GPU, a smaller precision or raise max_gpus_per_replica)"'
    )
    return Check(FITS_LABEL, f"{need}<={e['max_gpus_per_replica']}", message)


def _priced(e: dict[str, str]) -> Check:
    """The GPU has a price, given or from the catalogue (formulas.cost.check_price)."""
    gpu = e["gpu"]
    shown = f'IF(ISNUMBER({gpu}),{gpu}&"","\'"&{gpu}&"\'")'
    message = (
        '"gpu_hourly_usd: got None; accepts a price in USD per GPU-hour >= 0 (the catalogue '
        f'has no price for gpu "&{shown}&")"'
    )
    return Check(PRICE_LABEL, f"ISNUMBER({e['gpu_hourly_usd_used']})", message)


def _first_text(cells: list[str]) -> str:
    """The first of ``cells`` that is not a number (the outputs show a message there)."""
    text = '""'
    for cell in reversed(cells):
        text = f"IF(ISNUMBER({cell}),{text},{cell})"
    return text


def guard_rows() -> tuple[int, int]:
    """First and last Checks row that ``inputs_ok`` covers: the inputs, the fit, the price
    and the scenario shown."""
    return FIRST_CHECK_ROW, FIRST_CHECK_ROW + len(INPUTS) + 2


def _selected() -> Check:
    """A name that is not in the Scenarios table showed the Inputs sheet's values, as an
    empty selector does, without a word."""
    return Check(
        SELECTED_LABEL,
        'OR(scenario="",ISNUMBER(scenario_row))',
        "\"scenario: got '\"&scenario&\"'; accepts a name from the Scenarios sheet's first "
        'column, or an empty cell"',
    )


def checks(layout: Layout) -> list[Check]:
    """Every check, in sheet order."""
    e = estimate_refs(layout)
    e = {name: f"Estimate!{ref}" for name, ref in e.items()}
    outputs = [e[o.name] for o in OUTPUTS]
    found = [
        Check(
            f"Input in range: {q.label} ({q.name}) accepts {q.accepts}",
            _input_check(layout, q, e[q.name]),
            _input_message(layout, q, e[q.name]),
        )
        for q in INPUTS
    ]
    found.append(_fits(layout, e))
    found.append(_priced(e))
    found.append(_selected())
    growth = INPUT["dau_growth"]
    found.append(
        Check(
            f"Input in range: {growth.label} (dau_growth) accepts {growth.accepts}",
            _input_check(layout, growth, "dau_growth"),
            _input_message(layout, growth, "dau_growth"),
        )
    )
    found.append(
        Check(
            OUTPUTS_LABEL,
            f"AND({','.join(f'ISNUMBER({r})' for r in outputs)})",
            _first_text(outputs),
        )
    )
    found += [c.check for c in consistency_checks(layout)]
    found.append(
        Check(
            SCENARIOS_LABEL,
            f"ISNA(MATCH(FALSE,{_ok_range(layout)},0))",
            f'"Fails: {SCENARIOS_LABEL}"',
        )
    )
    return found


@dataclass(frozen=True)
class Consistency:
    """A check comparing two independent routes to a figure, and the Estimate cells it
    covers: overwriting any of them with another number turns it FALSE."""

    check: Check
    covers: tuple[str, ...]


def consistency_checks(layout: Layout) -> list[Consistency]:
    """Each figure checked against a second route to it, read from other cells.

    The second route of a sum is its template with the parts written out from their own
    templates (:func:`~xlplugin.workbook.excel_formulas.render` with ``inline``), so that it
    reads the parts' drivers, not the parts: a part overwritten, which the sum follows,
    still differs from what its drivers give.
    """
    e = {name: f"Estimate!{ref}" for name, ref in estimate_refs(layout).items()}

    def routes(name: str, inline: set[str]) -> str:
        return f"{e[name]}={render(STEPS[name], e, inline=inline)[1:]}"

    costs = ("gpu_usd_per_month", "storage_usd_per_month", "egress_usd_per_month")
    stored = (
        "model_size_bytes",
        "profile_storage_bytes",
        "storage_bytes_per_month",
        "storage_bytes_per_day",
    )
    # GPUs in whole replicas: enough replicas for the peak demand, and not one more.
    replicas = f"{e['gpu_count']}/{e['gpus_per_replica']}"
    needed = (
        f"({e['peak_rps']}+{e['peak_rps']}*{e['headroom']})"
        f"/({e['qps_per_gpu']}*{e['gpus_per_replica']})"
    )
    month = f"Projection!{layout.projection_letter('gpu_count')}{layout.projection_first}"
    found = [
        (TOTAL_LABEL, routes("total_usd_per_month", set(costs)), ("total_usd_per_month", *costs)),
        (
            STORED_LABEL,
            routes("retained_storage_bytes", set(stored)),
            ("retained_storage_bytes", *stored),
        ),
        (
            GPUS_LABEL,
            f"AND(INT({replicas})={replicas},{replicas}>={needed},"
            f"{replicas}-{e['gpus_per_replica']}/{e['gpus_per_replica']}<{needed})",
            ("gpu_count",),
        ),
        (PROJECTION_LABEL, f"{month}={e['gpu_count']}", ("gpu_count",)),
    ]
    return [
        Consistency(Check(label, formula, f'"Fails: {label}"'), covers)
        for label, formula, covers in found
    ]


def _ok_range(layout: Layout) -> str:
    """The Scenarios ok column, bounded: the table and rows a user may add under it."""
    letter = layout.scenario_letter("ok")
    return f"Scenarios!${letter}${layout.scenario_first}:${letter}${layout.scenario_last + 1000}"


def in_range(q: Input, value: object) -> bool:
    """Python mirror of an input check, for the cached values."""
    if isinstance(value, bool):
        return False
    if value is None:
        return q.default is None
    if q.kind == "name" and choices(q):
        return str(value).lower() in {word.lower() for word in choices(q)}
    if q.kind == "name" and q.name != "gpu":
        return str(value).upper() in {n.upper() for n in catalog.precision_names()}
    if q.name == "gpu":
        if isinstance(value, int | float):
            return value > q.low
        return str(value).upper() in {n.upper() for n in catalog.gpu_names()}
    ok = q.low is None or (value > q.low if q.low_open else value >= q.low)
    ok &= q.high is None or (value < q.high if q.high_open else value <= q.high)
    return ok and (not q.integer or float(value).is_integer())


def flag_rules(ws, ref: str) -> None:
    """Green when TRUE, red when FALSE (:func:`styles.flag_rules`)."""
    styles.flag_rules(ws, ref)


def write_checks(wb, ws, layout: Layout) -> list[str]:
    """Write the sheet; return the cell of each check, in order."""
    styles.title(
        ws,
        "Checks",
        "Each check is TRUE when it holds; when it fails, its message "
        "says why. The master flag (at the top of every sheet) is TRUE only when every "
        "check is; any FALSE turns it red.",
    )
    styles.header(ws, CHECKS_HEADER, ("Check", "Holds", "Message when it fails"))
    cells = []
    found = checks(layout)
    for offset, check in enumerate(found):
        row = FIRST_CHECK_ROW + offset
        styles.wrap(ws.cell(row, 1, check.label))
        cell = ws.cell(row, 2, f"=IF(ISERROR({check.formula}),FALSE,{check.formula})")
        cell.style, cell.number_format = "Check Cell", styles.BOOLEAN
        cell.alignment = Alignment(horizontal="center", vertical="top")
        message = ws.cell(row, 3, f'=IF(B{row},"",IFERROR({check.message},"Fails: {check.label}"))')
        message.style = "Calculation"
        styles.wrap(message)
        cells.append(cell.coordinate)
    last = FIRST_CHECK_ROW + len(found) - 1
    flags, messages = f"B{FIRST_CHECK_ROW}:B{last}", f"C{FIRST_CHECK_ROW}:C{last}"
    ws["A3"] = "All checks pass (the master flag); else the first failing check's message"
    ws["B3"] = f"=AND({flags})"
    ws["C3"] = f'=IF(B3,"",INDEX({messages},MATCH(FALSE,{flags},0)))'
    first, final = guard_rows()
    guard_flags, guard_messages = f"B{first}:B{final}", f"C{first}:C{final}"
    ws[f"A{GUARD_ROW}"] = (
        "The Estimate's inputs are accepted and the model fits (inputs_ok); "
        "else the message its outputs show (input_error)"
    )
    ws[f"B{GUARD_ROW}"] = f"=AND({guard_flags})"
    ws[f"C{GUARD_ROW}"] = (
        f'=IF(B{GUARD_ROW},"",INDEX({guard_messages},MATCH(FALSE,{guard_flags},0)))'
    )
    for ref in ("A3", f"A{GUARD_ROW}"):
        styles.wrap(ws[ref])
    for ref in ("B3", f"B{GUARD_ROW}"):
        ws[ref].style, ws[ref].number_format = "Check Cell", styles.BOOLEAN
        ws[ref].alignment = Alignment(horizontal="center", vertical="top")
    for ref in ("C3", f"C{GUARD_ROW}"):
        ws[ref].style = "Calculation"
        styles.wrap(ws[ref])
    for name, ref in (
        ("master_check", (2, 3)),
        ("check_message", (3, 3)),
        ("inputs_ok", (2, GUARD_ROW)),
        ("input_error", (3, GUARD_ROW)),
    ):
        wb.defined_names[name] = DefinedName(name, attr_text=absolute("Checks", *ref))
    styles.flag_rules(ws, f"B3:B{last}")
    styles.widths(ws, (70, 11, 70))
    for row in range(FIRST_CHECK_ROW, last + 1):
        styles.fit_height(ws, row, {1: ws.cell(row, 1).value})
    for row in (3, GUARD_ROW):
        styles.fit_height(ws, row, {1: ws.cell(row, 1).value})
    styles.wrap_subtitle(ws, 3)
    ws.freeze_panes = ws.cell(FIRST_CHECK_ROW, 1)
    ws.print_title_rows = f"{CHECKS_HEADER}:{CHECKS_HEADER}"
    ws.protection.sheet = True
    return cells
