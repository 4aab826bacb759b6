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

from .excel_formulas import CONSTANTS, HELPERS, STEPS, descendants_in_excel, placeholders

__all__ = [
    "CATALOG_TABLES",
    "FLAG_COLUMN",
    "IN_USE",
    "PRINT",
    "SHEETS",
    "SWUNG",
    "Layout",
    "absolute",
    "flag_cells",
    "in_use",
    "why_cells",
]

SHEETS = (
    "About",
    "Inputs",
    "Catalog",
    "Models",
    "Estimate",
    "Charts",
    "Scenarios",
    "Projection",
    "Sensitivity",
    "Checks",
)
# Each sheet's "All checks pass" flag: its label in this column of the title row (the
# Estimate's row 3, under its title and subtitle), the flag in the next column. The
# Checks sheet has the master flag itself at the top (B3).
FLAG_COLUMN = {
    "About": 3,
    "Inputs": 6,
    "Catalog": 5,
    "Models": 5,
    "Estimate": 4,
    "Charts": 11,
    "Scenarios": 3,
    "Projection": 7,
    "Sensitivity": 6,
}
FLAG_ROW = {"Estimate": 3}
# How many columns the message beside a flag spans (merged), so that its two lines hold a
# sentence: one narrow column showed "The Estimate's / outputs show / #NAME?: the".
WHY_SPAN = {
    "Inputs": 4,
    "Charts": 6,
    "Catalog": 4,
    "Models": 4,
    "Scenarios": 3,
    "Projection": 4,
    "Sensitivity": 4,
}


# Where a sheet says why its flag is red: right of the flag, except on About, whose flag
# is in its last column (a cell beyond it would widen the printed page): under the title.
WHY_CELL = {"About": "A3"}


def flag_cells() -> dict[str, str]:
    """Sheet -> the cell of its "All checks pass" flag (``=master_check``)."""
    return {
        sheet: f"{get_column_letter(column + 1)}{FLAG_ROW.get(sheet, 1)}"
        for sheet, column in FLAG_COLUMN.items()
    }


def why_cells() -> dict[str, str]:
    """Sheet -> the cell beside its flag that shows the first failing check's message."""
    return {
        sheet: WHY_CELL.get(sheet, f"{get_column_letter(column + 2)}{FLAG_ROW.get(sheet, 1)}")
        for sheet, column in FLAG_COLUMN.items()
    }


# The Estimate's sections, in the order the graph lists its outputs.
SECTIONS = tuple(dict.fromkeys(o.section for o in OUTPUTS))
SERVING_FIRST = "inference_model"  # the first input of the serving model (vocabulary order)

# Scenarios sheet: the title, hidden rows holding what each input column accepts (one rule
# a row, read by every row's input check at once), a hidden row holding the value an empty
# cell of each input column takes (the Inputs sheet's, written once rather than in every
# row), the column groups, the units, the header.
SCENARIO_RULES = ("number", "low", "low_excluded", "zero_allowed", "high", "high_excluded")
SCENARIO_RULES_FIRST = 3
SCENARIO_INHERITED = SCENARIO_RULES_FIRST + len(SCENARIO_RULES)
SCENARIOS_HEADER = SCENARIO_INHERITED + 3
# Rows a user may add under the Scenarios table (Excel grows the table and fills its
# formulas down): the scenario picker, its look-ups and the checks reach this far, so that
# an added row can be picked and shown like the others. Bounded: a whole column makes some
# engines hold a million rows.
SCENARIO_ROWS_TO_ADD = 1000

# How each sheet prints: pages across (None: actual size, as many pages as it takes), and
# the rows and columns repeated on every page (header rows, the name column).
PRINT = {
    "About": {"fit_width": 1, "fit_height": 1},  # one page, the plugin variant's longer text too
    "Inputs": {"fit_width": 1, "title_rows": "7:7"},
    # The reference sheets repeat their last table's header (catalog_sheet.py).
    "Catalog": {"fit_width": 2, "title_columns": "A:A", "order": "overThenDown"},
    "Models": {"fit_width": 3, "title_columns": "A:A", "order": "overThenDown"},
    "Estimate": {"fit_width": 1, "title_rows": "5:5"},
    # Sheets with charts also have page breaks before them, which keep each chart whole.
    "Charts": {"fit_width": 1},
    # Across, then down: a block of rows prints its inputs, then its outputs, before the
    # next block (down first, 10,000 scenarios print every input page before any output).
    "Scenarios": {
        "fit_width": None,
        "scale": 60,
        "order": "overThenDown",
        "title_rows": f"{SCENARIOS_HEADER - 2}:{SCENARIOS_HEADER}",
        "title_columns": "A:A",
    },
    "Projection": {"fit_width": 1, "title_rows": "5:6", "title_columns": "A:A"},
    "Sensitivity": {"fit_width": 1},
    "Checks": {"fit_width": 1, "title_rows": "5:5"},
}

# The reference tables, by sheet. A sheet repeats one range of rows on every printed page:
# its last table's header, whose rows run on past a page (the tables above it are short).
CATALOG_TABLES = {"Catalog": ("precisions", "units", "gpus"), "Models": ("models",)}
_CATALOG_SIZES = {
    "precisions": lambda: len(catalog.precision_names()),
    "units": lambda: len(COMPUTE_UNITS),
    "gpus": lambda: len(catalog.gpu_names()),
    "models": lambda: len(catalog.model_names()),
}

# Inputs sheet
INPUTS_HEADER = 7
SELECTOR_ROW, SCENARIO_ROW_ROW = 4, 5
# Estimate sheet
ESTIMATE_HEADER = 5
# Each input as a row uses it (its own cell, else the Inputs sheet's value) has a column of
# its own, named after the input with this suffix: the steps read that cell instead of
# repeating the blank-or-default test wherever they use the input.
IN_USE = "_in_use"


def in_use(name: str) -> str:
    """The Scenarios column of an input as the row uses it: ``dau_in_use``."""
    return f"{name}{IN_USE}"


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
# Sensitivity: the inputs swung low and high (the sheet sorts them; the efficiencies are the
# roofline's fitted figures, utilization the seed's formula's), the Inputs sheet's share they
# swing by when their low or high is empty, and its default.
SWUNG = (
    "dau",
    "requests_per_user",
    "params",
    "layers",
    "steps",
    "utilization",
    "peak_factor",
    "headroom",
    "compute_efficiency",
    "memory_bandwidth_efficiency",
    "gpu_hourly_usd",
    "storage_usd_per_gb_month",
    "egress_usd_per_gb",
    "response_bytes",
    "stored_bytes_per_request",
    "index_overhead",
    "retention_months",
)
SWING_NAME, SWING_DEFAULT = "sensitivity_swing", 0.25
SENSITIVITY_HEADER = 6
SENSITIVITY_COLUMNS = (
    "label",
    "name",
    "base",
    "low",
    "high",
    "cost_low",
    "cost_high",
    "impact",
    "gpus_low",
    "gpus_high",
    "rank",
)
SENSITIVITY_RESULTS = ("total_usd_per_month", "gpu_count")
WORKINGS_LEAD = ("input", "side", "value")  # the workings' first columns: the case


def _needed(names: tuple[str, ...]) -> set[str]:
    """Steps the Excel templates of ``names`` read, directly or not (and ``names``)."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found or name not in STEPS:
            continue
        found.add(name)
        todo += placeholders(STEPS[name])
    return found


SORTED_COLUMNS = ("rank", "label", "low_delta", "high_delta", "impact", "gpus_low", "gpus_high")
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
        self._sensitivity()

    def _inputs(self) -> None:
        row = INPUTS_HEADER + 1
        for q in INPUTS:
            if q.name == SERVING_FIRST:  # the serving model's inputs under their own title
                self.serving_section = row + 1
                row += 2
            self.input_row[q.name] = row
            row += 1
        self.projection_section = row + 1
        row += 2
        for q in PROJECTION_INPUTS:
            self.input_row[q.name] = row
            row += 1
        self.input_row[SWING_NAME] = row
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
        names = ["scenario"] + [q.name for q in INPUTS] + [in_use(q.name) for q in INPUTS]
        names += list(HELPERS) + [o.name for o in OUTPUTS]
        names += ["fit_message", "inputs_valid", "ok", "message", "bad_input"]
        self.scenario_column = {name: i for i, name in enumerate(names, start=1)}
        self.scenario_first = SCENARIOS_HEADER + 1
        self.scenario_last = SCENARIOS_HEADER + max(self.scenario_count, 1)
        self.scenario_end = self.scenario_last + SCENARIO_ROWS_TO_ADD

    def _projection(self) -> None:
        self.projection_columns = _projection_columns()
        self.projection_column = {n: i for i, n in enumerate(self.projection_columns, start=1)}
        self.projection_months = int(PROJECTION_INPUTS[0].default)
        self.projection_first = PROJECTION_HEADER + 2  # header, then units
        self.projection_last = self.projection_first + self.projection_months - 1

    def _catalog(self) -> None:
        for tables in CATALOG_TABLES.values():
            row = 5  # each table: its title, a units row, then the table (header and rows)
            for table in tables:
                size = _CATALOG_SIZES[table]()
                self.catalog_rows[table] = (row, row + size)
                row += size + 4

    def _sensitivity(self) -> None:
        self.sensitivity_column = {n: i for i, n in enumerate(SENSITIVITY_COLUMNS, start=1)}
        self.sensitivity_row = {name: SENSITIVITY_HEADER + 1 + i for i, name in enumerate(SWUNG)}
        self.sensitivity_first = SENSITIVITY_HEADER + 1
        self.sensitivity_last = SENSITIVITY_HEADER + len(SWUNG)
        self.sorted_header = self.sensitivity_last + 3
        self.sorted_first = self.sorted_header + 1
        self.sorted_last = self.sorted_header + len(SWUNG)
        self.sorted_column = {n: i for i, n in enumerate(SORTED_COLUMNS, start=1)}
        # The workings, right of the tables (and out of the print area): a row per input
        # and side, a column per step that moves with a swung input and that the results
        # need, each step in its own cell as on a Scenarios row.
        self.workings_row = {
            (name, side): SENSITIVITY_HEADER + 1 + 2 * i + j
            for i, name in enumerate(SWUNG)
            for j, side in enumerate(("low", "high"))
        }
        moved = set().union(*(descendants_in_excel(name) for name in SWUNG))
        steps = [s for s in STEPS if s in moved and s in _needed(SENSITIVITY_RESULTS)]
        first = len(SENSITIVITY_COLUMNS) + 2 + len(WORKINGS_LEAD)
        self.workings_column = {step: first + i for i, step in enumerate(steps)}

    def workings_ref(self, name: str, side: str, step: str) -> str:
        """``$Q$9``: a step of a swung case in the workings."""
        letter = get_column_letter(self.workings_column[step])
        return f"${letter}${self.workings_row[(name, side)]}"

    def sensitivity_ref(self, name: str, column: str) -> str:
        """``$F$7``: a swung input's cell in a column of the Sensitivity table."""
        letter = get_column_letter(self.sensitivity_column[column])
        return f"${letter}${self.sensitivity_row[name]}"

    # References -----------------------------------------------------------------------
    def inputs_ref(self, name: str) -> str:
        return absolute("Inputs", 2, self.input_row[name])

    def estimate_ref(self, name: str) -> str:
        return absolute("Estimate", 2, self.estimate_row[name])

    def scenario_range(self, name: str) -> str:
        """``Scenarios!$B$11:$B$1019``: a Scenarios column over the table's rows and the
        rows a user may add under it, which INDEX reads at a scenario's position
        (``scenario_row``). Not the rows above: they hold the master flag, and a range over
        it would make every formula that reads a scenario a precedent of the checks that
        read that formula's results, a circular reference to Excel's dependency tree."""
        letter = self.scenario_letter(name)
        return f"Scenarios!${letter}${self.scenario_first}:${letter}${self.scenario_end}"

    def scenario_letter(self, name: str) -> str:
        return get_column_letter(self.scenario_column[name])

    def projection_letter(self, name: str) -> str:
        return get_column_letter(self.projection_column[name])
