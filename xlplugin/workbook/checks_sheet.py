"""The Checks sheet: each check TRUE or FALSE, and a master flag that any FALSE turns red."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName

from formulas import catalog
from formulas.vocabulary import INPUT, INPUTS, OUTPUTS, Input

from . import styles
from .estimate_sheet import estimate_refs
from .layout import CHECKS_HEADER, Layout, absolute

__all__ = ["Check", "checks", "flag_rules", "in_range", "write_checks"]

RED = PatternFill("solid", fgColor="FFC7CE")
GREEN = PatternFill("solid", fgColor="C6EFCE")


@dataclass(frozen=True)
class Check:
    label: str
    formula: str  # a boolean expression, without "="


def _input_check(layout: Layout, q: Input, value: str) -> str:
    row = layout.input_row[q.name]
    low, high = f"Inputs!$F${row}", f"Inputs!$G${row}"
    if q.name == "precision":
        return f"ISNUMBER(MATCH({value},catalog_precision_name,0))"
    if q.name == "gpu":
        return f"IF(ISNUMBER({value}),{value}>{low},ISNUMBER(MATCH({value},catalog_gpu_name,0)))"
    parts = [f"ISNUMBER({value})"]
    if q.low is not None:
        parts.append(f"{value}{'>' if q.low_open else '>='}{low}")
    if q.high is not None:
        parts.append(f"{value}{'<' if q.high_open else '<='}{high}")
    if q.integer:
        parts.append(f"INT({value})={value}")
    test = f"AND({','.join(parts)})"
    return f'IF({value}="",TRUE,{test})' if q.default is None else test


def checks(layout: Layout) -> list[Check]:
    """Every check, in sheet order."""
    e = estimate_refs(layout)
    e = {name: f"Estimate!{ref}" for name, ref in e.items()}
    outputs = [e[o.name] for o in OUTPUTS]
    month = layout.projection_first
    gpus = f"Projection!{layout.projection_letter('gpu_count')}{month}"
    ok = layout.scenario_letter("ok")
    found = [
        Check("The model fits in GPU memory (GPUs per replica <= max GPUs per replica)",
              f"{e['gpus_per_replica']}<={e['max_gpus_per_replica']}"),
        Check("Every output is a number", f"AND({','.join(f'ISNUMBER({r})' for r in outputs)})"),
        Check("Total cost = GPU + storage + egress",
              f"{e['total_usd_per_month']}={e['gpu_usd_per_month']}+"
              f"{e['storage_usd_per_month']}+{e['egress_usd_per_month']}"),
        Check("Stored bytes = model + profiles + storage per month x retention",
              f"{e['retained_storage_bytes']}={e['model_size_bytes']}+"
              f"{e['profile_storage_bytes']}+{e['storage_bytes_per_month']}"
              f"*{e['retention_months']}"),
        Check("Projection month 1 needs the Estimate's GPUs", f"{gpus}={e['gpu_count']}"),
        Check("Every Scenarios row calculates and fits (its ok column)",
              f"ISNA(MATCH(FALSE,Scenarios!${ok}:${ok},0))"),
    ]
    for q in INPUTS:
        found.append(Check(f"Input in range: {q.label} ({q.name}) accepts {q.accepts}",
                           _input_check(layout, q, e[q.name])))
    growth = INPUT["dau_growth"]
    found.append(Check(f"Input in range: {growth.label} (dau_growth) accepts {growth.accepts}",
                       _input_check(layout, growth, "dau_growth")))
    return found


def in_range(q: Input, value: object) -> bool:
    """Python mirror of an input check, for the cached values."""
    if q.name == "precision":
        return str(value).upper() in {n.upper() for n in catalog.precision_names()}
    if q.name == "gpu":
        if isinstance(value, int | float):
            return value > q.low
        return str(value).upper() in {n.upper() for n in catalog.gpu_names()}
    if value is None:
        return q.default is None
    ok = q.low is None or (value > q.low if q.low_open else value >= q.low)
    ok &= q.high is None or (value < q.high if q.high_open else value <= q.high)
    return ok and (not q.integer or float(value).is_integer())


def flag_rules(ws, ref: str) -> None:
    """Green when TRUE, red when FALSE."""
    ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=["FALSE"],
                                                  fill=RED, font=Font(bold=True, color="9C0006")))
    ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=["TRUE"], fill=GREEN))


def write_checks(wb, ws, layout: Layout) -> list[str]:
    """Write the sheet; return the cell of each check, in order."""
    styles.title(ws, "Checks", "Each check is TRUE when it holds. The master flag (also on the "
                 "Estimate) is TRUE only when every check is; any FALSE turns it red.")
    ws["A3"], ws["B3"] = "All checks pass (master flag)", None
    styles.header(ws, CHECKS_HEADER, ("Check", "Holds"))
    cells = []
    found = checks(layout)
    for offset, check in enumerate(found, start=1):
        row = CHECKS_HEADER + offset
        ws.cell(row, 1, check.label)
        cell = ws.cell(row, 2, f"=IF(ISERROR({check.formula}),FALSE,{check.formula})")
        cell.style = "Calculation"
        cells.append(cell.coordinate)
    last = CHECKS_HEADER + len(found)
    ws["B3"] = f"=AND(B{CHECKS_HEADER + 1}:B{last})"
    ws["B3"].style = "Check Cell"
    wb.defined_names["master_check"] = DefinedName("master_check",
                                                   attr_text=absolute("Checks", 2, 3))
    flag_rules(ws, f"B3:B{last}")
    flag_rules(wb["Estimate"], "E3")
    styles.widths(ws, (100, 14))
    ws.freeze_panes = ws.cell(CHECKS_HEADER + 1, 1)
    ws.protection.sheet = True
    return cells
