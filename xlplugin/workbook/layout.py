"""Where everything goes: sheet names, rows and columns, decided before any cell is written.

Every sheet builder and every test reads positions from here, so a cell reference is
computed in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from xlplugin.formulas import catalog
from xlplugin.formulas.projection import PROJECTION_COLUMNS
from xlplugin.formulas.vocabulary import INPUTS, OUTPUTS, PROJECTION_INPUTS

from .excel_formulas import CONSTANTS, HELPERS

__all__ = ["SHEETS", "Layout", "absolute"]

SHEETS = ("About", "Inputs", "Catalog", "Estimate", "Scenarios", "Projection", "Checks")
SECTIONS = ("Storage", "Inference", "Bandwidth", "Cost")

# Inputs sheet
INPUTS_HEADER = 7
SELECTOR_ROW, SCENARIO_ROW_ROW = 4, 5
# Estimate sheet
ESTIMATE_HEADER = 5
# Scenarios sheet
SCENARIOS_HEADER = 5
# Projection sheet
PROJECTION_HEADER = 5
PROJECTION_EXTRA = (
    "peak_rps",
    "profile_storage_bytes",
    "interaction_storage_bytes_per_day",
    "storage_bytes_per_day",
)
# Checks sheet
CHECKS_HEADER = 5
# Catalog sheet: the GPU table's columns that hold compute rates, in catalogue order.
GPU_UNIT_COLUMNS = ("fp16_flops", "fp8_flops", "int8_ops")
COMPUTE_UNITS = (("fp16", "fp16_flops"), ("fp8", "fp8_flops"), ("int8", "int8_ops"))


def absolute(sheet: str, column: int, row: int) -> str:
    """``Sheet!$C$5``."""
    return f"{sheet}!${get_column_letter(column)}${row}"


def _projection_columns() -> tuple[str, ...]:
    base = list(PROJECTION_COLUMNS)
    at = base.index("gpu_count")
    ordered = [*base[:at], "peak_rps", *base[at:]]
    at = ordered.index("storage_bytes_per_month")
    return tuple(ordered[:at] + list(PROJECTION_EXTRA[1:]) + ordered[at:])


@dataclass
class Layout:
    """Positions of every named cell, for a workbook with ``scenario_count`` scenarios."""

    scenario_count: int
    input_row: dict[str, int] = field(default_factory=dict)
    estimate_row: dict[str, int] = field(default_factory=dict)  # steps and "in use" inputs
    estimate_sections: list[tuple[int, str]] = field(default_factory=list)
    scenario_column: dict[str, int] = field(default_factory=dict)
    projection_column: dict[str, int] = field(default_factory=dict)
    catalog_rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # header, last

    def __post_init__(self) -> None:
        self._inputs()
        self._estimate()
        self._scenarios()
        self._projection()
        self._catalog()

    def _inputs(self) -> None:
        row = INPUTS_HEADER + 1
        for q in INPUTS:
            self.input_row[q.name] = row
            row += 1
        self.projection_section = row + 1
        row += 2
        for q in PROJECTION_INPUTS:
            self.input_row[q.name] = row
            row += 1
        self.constants_section = row + 1
        row += 2
        for c in CONSTANTS:
            self.input_row[c.name] = row
            row += 1
        self.inputs_last = row - 1

    def _estimate(self) -> None:
        row = ESTIMATE_HEADER + 1
        groups = [(s, [o.name for o in OUTPUTS if o.section == s]) for s in SECTIONS]
        groups.append(("Catalogue look-ups", list(HELPERS)))
        groups.append(("Inputs in use", [q.name for q in INPUTS]))
        for title, names in groups:
            self.estimate_sections.append((row, title))
            row += 1
            for name in names:
                self.estimate_row[name] = row
                row += 1
            row += 1
        self.estimate_last = row - 2

    def _scenarios(self) -> None:
        names = ["scenario"] + [q.name for q in INPUTS] + list(HELPERS)
        names += [o.name for o in OUTPUTS] + ["inputs_valid", "ok"]
        self.scenario_column = {name: i for i, name in enumerate(names, start=1)}
        self.scenario_first = SCENARIOS_HEADER + 1
        self.scenario_last = SCENARIOS_HEADER + max(self.scenario_count, 1)

    def _projection(self) -> None:
        self.projection_columns = _projection_columns()
        self.projection_column = {n: i for i, n in enumerate(self.projection_columns, start=1)}
        self.projection_months = int(PROJECTION_INPUTS[0].default)
        self.projection_first = PROJECTION_HEADER + 2  # header, then units
        self.projection_last = self.projection_first + self.projection_months - 1

    def _catalog(self) -> None:
        row = 4
        for table, size in (
            ("gpus", len(catalog.gpu_names())),
            ("precisions", len(catalog.precision_names())),
            ("units", len(COMPUTE_UNITS)),
            ("models", len(catalog.model_names())),
        ):
            self.catalog_rows[table] = (row, row + size)
            row += size + 4

    # References -----------------------------------------------------------------------
    def inputs_ref(self, name: str) -> str:
        return absolute("Inputs", 2, self.input_row[name])

    def estimate_ref(self, name: str) -> str:
        return absolute("Estimate", 2, self.estimate_row[name])

    def scenario_range(self, name: str) -> str:
        """``Scenarios!$B$1:$B$105``: a Scenarios column from row 1 to the table's last row,
        bounded (a whole column makes some engines hold a million rows), so that INDEX
        with a sheet row number reads it."""
        letter = self.scenario_letter(name)
        return f"Scenarios!${letter}$1:${letter}${self.scenario_last}"

    def scenario_letter(self, name: str) -> str:
        return get_column_letter(self.scenario_column[name])

    def projection_letter(self, name: str) -> str:
        return get_column_letter(self.projection_column[name])
