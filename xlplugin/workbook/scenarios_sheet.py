"""The Scenarios sheet: one scenario per table row, every output calculated across.

A blank input cell means "the Inputs sheet's value" (through that input's workbook
name), so a row only states what differs. Formulas use plain row-relative references,
which LibreOffice evaluates and Excel's table auto-fill copies to a row a user adds
(each formula column is a calculated column of the table).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo

from xlplugin.formulas._arrays import is_blank
from xlplugin.formulas.catalog import model_preset
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from . import styles
from .checks_sheet import (
    concurrency_check,
    fit_check,
    flops_accepts,
    input_test,
    price_check,
    shown_text,
)
from .estimate_sheet import IDLE_OUTPUT, computed, empty_means_default
from .excel_formulas import HELPER_LABELS, STEPS, render
from .excel_limits import EXCEL_LARGEST
from .inputs_sheet import (
    ACCEPTS_COLUMN,
    NAME_COLUMN,
    input_validation,
)
from .layout import (
    SCENARIO_INHERITED,
    SCENARIO_RULES,
    SCENARIO_RULES_FIRST,
    SCENARIOS_HEADER,
    Layout,
    in_use,
)
from .sentences import BAD_ROW, said
from .styles import UNLOCKED

__all__ = ["ROW", "ScenarioColumns", "default_scenarios", "row_formulas", "write_scenarios"]

_ROW = "\u00a7"  # stands for the row number in a column's formula template
SEED_SCENARIO = "Seed (as published)"  # the row that reproduces the seed's every figure
_SEED = {
    "dau": 100e6,
    "requests_per_user": 10,
    "params": 8.1e9,
    "precision": "FP16",
    "gpu": "A100",
    "steps": 100,
    "utilization": 1.0,
    "peak_factor": 1.0,
    "headroom": 0.0,
    "profile_bytes": 10e3,
    "stored_bytes_per_request": 1e6,
    "index_overhead": 0.25,
    "request_bytes": 2e3,
    "response_bytes": 1e6,
}
# Planning cases: the roofline (compute, memory bandwidth, memory), a daily peak of 2.5x
# the average and 20 % spare capacity.
_PLANNING = {"inference_model": "roofline", "peak_factor": 2.5, "headroom": 0.2}
# A chat service on a language model: the "7B chat model for 20 M users".
_CHAT = {
    **{k: v for k, v in model_preset("Llama-3.1-8B").items() if k in INPUT},
    "dau": 20e6,
    "requests_per_user": 10,
    "gpu": "H100",
    "precision": "FP8",
    "inference_model": "roofline",
    "peak_factor": 2.5,
    "headroom": 0.2,
}


_WIDEST_NAME = 48  # the name column prints on every page of the sheet: not wider than this


def default_scenarios() -> pd.DataFrame:
    """The preloaded scenarios: the seed as published (the FLOPs formula) and its workload
    under the roofline, a planning case and its variations, and a chat service."""
    rows = [
        {"scenario": SEED_SCENARIO, **_SEED, "inference_model": "flops"},
        {"scenario": "Seed workload, roofline", **_SEED, "inference_model": "roofline"},
        {"scenario": "Planning (A100)", **_PLANNING},
        {"scenario": "Planning H100", **_PLANNING, "gpu": "H100"},
        {"scenario": "Planning H200", **_PLANNING, "gpu": "H200"},
        {"scenario": "Planning H100 FP8", **_PLANNING, "gpu": "H100", "precision": "FP8"},
        {
            "scenario": "Planning 1024x1024 images",
            **_PLANNING,
            "image_width": 1024,
            "image_height": 1024,
            "stored_bytes_per_request": 4e6,
            "response_bytes": 4e6,
        },
        {"scenario": "Planning 10x DAU", **_PLANNING, "dau": 1e9},
        {"scenario": "LLM chat (Llama 3.1 8B, H100 FP8)", **_CHAT},
    ]
    return pd.DataFrame(rows, columns=["scenario"] + [q.name for q in INPUTS])


def input_ref(layout: Layout, name: str) -> str:
    """A scenario's input: its own cell, or when blank the Inputs sheet's value as the
    Estimate takes it, read from the hidden row above the table (:func:`_write_inherited`)."""
    letter = layout.scenario_letter(name)
    return f'IF({letter}{_ROW}="",{letter}${SCENARIO_INHERITED},{letter}{_ROW})'


def row_formulas(layout: Layout) -> dict[str, str]:
    """Column name -> formula template for one row (the row number as a placeholder).

    Every step and every input as used has a column of its own, so each formula names
    its neighbours on the row instead of writing them out: the formulas stay short, and
    an engine parses and computes each step once per row."""
    used = {q.name: f"{layout.scenario_letter(in_use(q.name))}{_ROW}" for q in INPUTS}
    formulas = {in_use(q.name): f"={input_ref(layout, q.name)}" for q in INPUTS}
    refs = used | {step: f"{layout.scenario_letter(step)}{_ROW}" for step in STEPS}
    formulas |= {step: render(template, refs) for step, template in STEPS.items()}
    # A row whose inputs in use hold a bad value (its own cell's, or the Inputs sheet's
    # where its cell is empty) or whose model does not fit shows its message, not numbers
    # computed from it (a negative dau would otherwise give negative GPUs that look like a
    # result).
    cell = {name: f"{layout.scenario_letter(name)}{_ROW}" for name in _CHECK_COLUMNS}
    formulas["bad_input"] = f"={_bad_input(layout)}"
    formulas["inputs_valid"] = (
        f'=IFERROR(AND(ISNUMBER(MAX({_in_use_cells(layout)})),{cell["bad_input"]}=""),FALSE)'
    )
    formulas["fit_message"] = f"={_fit_message(layout, cell, refs)}"
    formulas["message"] = f"={_message(layout, cell)}"
    # The outputs show the row's message when its inputs or its fit fail. A replica that
    # runs no request within the targets is a check the message cannot make (it reads
    # outputs that the message guards): the outputs that need one say so themselves, one
    # that none of the others feed with formulas' message and the others by naming its
    # cell (no circular reference, even in a branch never taken: Excel would flag it).
    first = IDLE_OUTPUT
    idle = {first: concurrency_check(layout, refs)[1]}
    for o in OUTPUTS:
        shown = computed(o.name, formulas[o.name][1:], refs, idle.get(o.name, refs[first]))
        formulas[o.name] = f'=IF({cell["message"]}="",{shown},{cell["message"]})'
    runs = concurrency_check(layout, refs)[0]
    formulas["ok"] = f"=IFERROR(AND(ISNUMBER({refs['total_usd_per_month']}),{runs}),FALSE)"
    return {name: formulas[name] for name in layout.scenario_column if name in formulas}


_CHECK_COLUMNS = ("inputs_valid", "bad_input", "message", "fit_message")


def _in_use_cells(layout: Layout, absolute: bool = False) -> str:
    """The row's inputs in use, ``AJ§:BR§``: one column per input, in the order of the
    input columns (an error value in any of them, its own or the Inputs sheet's, makes
    MAX an error)."""
    columns = [layout.scenario_column[in_use(q.name)] for q in INPUTS]
    assert columns == list(range(columns[0], columns[0] + len(columns))), "contiguous"
    assert columns[0] - layout.scenario_column[INPUTS[0].name] == _shift(layout)
    dollar = "$" if absolute else ""
    first, last = get_column_letter(columns[0]), get_column_letter(columns[-1])
    return f"{dollar}{first}{_ROW}:{dollar}{last}{_ROW}"


def _shift(layout: Layout) -> int:
    """Columns from an input's cell to its column in use."""
    return layout.scenario_column[in_use(INPUTS[0].name)] - layout.scenario_column[INPUTS[0].name]


# "No bad input": a column past every column of the table, which INDEX turns into an error.
NO_BAD_COLUMN = "no_bad_column"
IN_USE_SHIFT = "in_use_shift"  # columns from an input's cell to its column in use
_PAST_LAST = 999


def _bad_input(layout: Layout) -> str:
    """The name of the first input the row uses wrongly, "" when none: each input as the
    row uses it (its own cell, or the Inputs sheet's value where the cell is empty).

    Bounds and text in number columns are tested for the whole row at once, against the
    rule rows above the table (:func:`rule_rows`): one SUMPRODUCT, in which MAX picks the
    first failing column (Excel evaluates both over the arrays without array entry). Names
    and whole numbers are tested a cell each (INT of text would fail the whole row's test).
    An error value fails the SUMPRODUCT: then the first error value's column stands in for
    it (a bound broken before that column is not seen; the name and whole-number tests
    still are)."""
    columns = [layout.scenario_column[q.name] for q in INPUTS]
    a, b = get_column_letter(min(columns)), get_column_letter(max(columns))
    cells = _in_use_cells(layout, absolute=True)
    rule = {name: f"${a}${row}:${b}${row}" for name, row in rule_rows().items()}
    wrong = (
        f"({cells}<{rule['low']})-{rule['zero_allowed']}*({cells}=0)"  # (0 is below low)
        f"+{rule['low_excluded']}*({cells}={rule['low']})"
        f"+({cells}>{rule['high']})+{rule['high_excluded']}*({cells}={rule['high']})"
        f"+ISLOGICAL({cells})"
    )  # text is greater than any number: text in a number column is above its bound.
    # (TRUE is named in Excel; LibreOffice holds it as 1 in a logical format, which its
    # arrays drop, so there a TRUE typed in a number column reads as 1.) An optional input
    # left empty everywhere is used as "": not counted.
    counted = f'{rule["number"]}*({cells}<>"")'
    none = NO_BAD_COLUMN
    first = f"{none}-SUMPRODUCT(MAX((({wrong})*{counted}>0)*({none}-COLUMN({cells}))))"
    error = f"{none}-SUMPRODUCT(MAX(ISERROR({cells})*({none}-COLUMN({cells}))))"
    tests = [f"IFERROR({first},{error})"]
    for q in INPUTS:
        cell = f"{layout.scenario_letter(in_use(q.name))}{_ROW}"
        if q.kind == "name":
            bad = f'IFERROR(NOT(OR({cell}="",{input_test(layout, q, cell)})),TRUE)'
            tests.append(f"IF({bad},COLUMN({cell}),{none})")
        elif q.integer:  # (INT of text fails: text is the SUMPRODUCT's to find)
            tests.append(f"IF(IFERROR(INT({cell})<>{cell},FALSE),COLUMN({cell}),{none})")
    header = f"$A${SCENARIOS_HEADER}:${b}${SCENARIOS_HEADER}"
    return f'IFERROR(INDEX({header},MIN({",".join(tests)})-{IN_USE_SHIFT}),"")'


def rule_rows() -> dict[str, int]:
    """The sheet row of each rule the input checks read: :data:`~.layout.SCENARIO_RULES`."""
    return {name: SCENARIO_RULES_FIRST + i for i, name in enumerate(SCENARIO_RULES)}


def _rules(q) -> dict[str, float]:
    """What input ``q``'s column accepts, a number per rule row, from the vocabulary as the
    Inputs sheet's Low and High columns are (a bound it does not have: the largest
    magnitude a sheet holds)."""
    return {
        "number": int(q.kind != "name"),
        "low": -EXCEL_LARGEST if q.low is None else q.low,
        "low_excluded": int(q.low is not None and q.low_open),
        "zero_allowed": int(q.zero_allowed),
        "high": EXCEL_LARGEST if q.high is None else q.high,
        "high_excluded": int(q.high is not None and q.high_open),
    }


_INHERITED_LABEL = "What an empty cell below takes: the Inputs sheet's value"
_RULE_LABELS = {
    "number": "Rule: a number column (1) or a name column (0)",
    "low": "Rule: lower bound",
    "low_excluded": "Rule: lower bound excluded (1) or allowed (0)",
    "zero_allowed": "Rule: 0 allowed below the lower bound (1) or not (0)",
    "high": "Rule: upper bound",
    "high_excluded": "Rule: upper bound excluded (1) or allowed (0)",
}


def _write_rules(ws, layout: Layout) -> None:
    """The rule rows: hidden, a label in column A, a value under each input's column."""
    for name, row in rule_rows().items():
        ws.cell(row, 1, _RULE_LABELS[name]).style = "Explanatory Text"
        for q in INPUTS:
            ws.cell(row, layout.scenario_column[q.name], _rules(q)[name])
        _hide(ws, row)


def _write_inherited(ws, layout: Layout) -> None:
    """The hidden row of what an empty input cell of a scenario takes: the Inputs sheet's
    value as the Estimate takes it (:func:`~.estimate_sheet.empty_means_default`: that
    input's default when the Inputs cell is empty too; text passes through, for the row's
    check). Once here rather than in every row: LibreOffice reads, and writes back, each
    row's formulas in full."""
    row = SCENARIO_INHERITED
    ws.cell(row, 1, _INHERITED_LABEL).style = "Explanatory Text"
    for q in INPUTS:
        ws.cell(row, layout.scenario_column[q.name], f"={empty_means_default(layout, q.name)}")
    _hide(ws, row)


def _hide(ws, row: int) -> None:
    ws.row_dimensions[row].hidden = True
    ws.row_dimensions[row].outlineLevel = 1


def _fit_message(layout: Layout, cell: dict[str, str], refs: dict[str, str]) -> str:
    """formulas' message when the row's inputs hold but the model does not fit
    (:func:`~.checks_sheet.fit_check`) or the GPU has no price; "" otherwise. A column of
    its own, so that the row's message stays short enough to read."""
    priced, unpriced = price_check(refs)
    _, message = fit_check(layout, refs, fitted=f'IF({priced},"",{unpriced})')
    # a fit that cannot be judged (an error) leaves the outputs to show their own
    return f'IF({cell["inputs_valid"]},IFERROR({message},""),"")'


def _message(layout: Layout, cell: dict[str, str]) -> str:
    """formulas' one-line error for the first input the row uses wrongly, e.g.
    ``dau: got -5; accepts a number > 0`` or ``dau: got '#N/A'; ...`` (the Accepts text
    from the Inputs sheet), with "(the Inputs sheet's value)" when the row's own cell is
    empty; the general sentence when no input can be named; the fit's message
    (:func:`_fit_message`) when its inputs hold; "" when the row computes."""
    rows = [layout.input_row[q.name] for q in INPUTS]
    columns = [layout.scenario_column[q.name] for q in INPUTS]
    a, b = get_column_letter(min(columns)), get_column_letter(max(columns))
    name = cell["bad_input"]
    header = f"${a}${SCENARIOS_HEADER}:${b}${SCENARIOS_HEADER}"
    at = f"MATCH({name},{header},0)"
    value = f"INDEX({_in_use_cells(layout, absolute=True)},{at})"
    shown = shown_text(value)
    own = f"INDEX(${a}{_ROW}:${b}{_ROW},{at})"
    inherited = f'IF(IFERROR({own}="",FALSE)," (the Inputs sheet\'s value)","")'
    names = _span(NAME_COLUMN, min(rows), max(rows))
    accepts = f"INDEX({_span(ACCEPTS_COLUMN, min(rows), max(rows))},MATCH({name},{names},0))"
    # a number given as the GPU is its FLOP/s, which accepts what a number does
    accepts = f'IF(AND({name}="gpu",ISNUMBER({value})),{flops_accepts(layout)},{accepts})'
    text = f'{name}&": got "&{shown}&{inherited}&"; accepts "&{accepts}'
    return f"IF({cell['inputs_valid']},{cell['fit_message']},IFERROR({text},{said(BAD_ROW)}))"


def _span(column: int, first: int, last: int) -> str:
    """``Inputs!$D$8:$D$61``."""
    letter = get_column_letter(column)
    return f"Inputs!${letter}${first}:${letter}${last}"


@dataclass(frozen=True)
class ScenarioColumns:
    """What the rows of the Scenarios table hold, for :mod:`.stream` to write them.

    ``names``: every column in sheet order; ``formulas``: formula columns -> template (the
    row number as :data:`ROW`); the other columns take the scenario's own value.
    """

    names: tuple[str, ...]
    formulas: dict[str, str]
    first_row: int
    last_row: int

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n not in self.formulas)


ROW = _ROW


def write_scenarios(ws, layout: Layout, scenarios: pd.DataFrame | None = None) -> ScenarioColumns:
    """Write everything of the Scenarios sheet but its rows: title, headers, the table,
    validation, protection, and one row of styled empty cells (row ``scenario_first``),
    whose styles :mod:`.stream` reads back from the saved sheet and gives every row. The
    name column is as wide as the longest of the ``scenarios``' names needs, up to 48;
    the inputs none of them sets start folded, like the workings."""
    scenario_names = None if scenarios is None else scenarios.get("scenario")
    unset = unset_inputs(scenarios)
    ws.parent.defined_names[NO_BAD_COLUMN] = DefinedName(NO_BAD_COLUMN, attr_text=str(_PAST_LAST))
    shift = str(_shift(layout))
    ws.parent.defined_names[IN_USE_SHIFT] = DefinedName(IN_USE_SHIFT, attr_text=shift)
    styles.title(
        ws,
        "Scenarios",
        # Short enough to wrap inside column A, which every printed page repeats.
        "One scenario per row. An empty input takes the Inputs sheet's value; a name "
        "typed under the table adds a row.",
    )
    _write_rules(ws, layout)
    _write_inherited(ws, layout)
    _headers(ws, layout, unset)
    templates = row_formulas(layout)
    names = tuple(layout.scenario_column)
    first = layout.scenario_first
    assert ws.max_row == first - 1, "the rows go right under the header"
    workings = _workings(layout)
    for column, name in enumerate(names, start=1):
        cell = ws.cell(first, column)
        if column > 1 and name not in templates:
            cell.style = "Input"
        elif name in workings:
            cell.style = "Calculation"
        cell.number_format = styles.number_format(_unit(name))
        if name in INPUT and INPUT[name].kind == "name":  # "8.1 bn" then "A100", not "bnA100"
            cell.alignment = styles.text_alignment("bottom", indent=True)
        if name not in templates:  # inputs and names: typed by the user
            cell.protection = UNLOCKED
    _table(ws, layout, templates)
    _validate(ws, layout)
    for name in ("inputs_valid", "ok"):  # green TRUE, red FALSE, as every check
        letter = get_column_letter(layout.scenario_column[name])
        styles.flag_rules(ws, f"{letter}{first}:{letter}{layout.scenario_last}")
    # Bytes and FLOP/s show scaled, but past their largest prefix they grow digits
    # ("1,000,000.00 PB/month" for 10**21 bytes): wider than the rest, so that an extreme
    # scenario shows its figure, not ####; each column at least as wide as its header name,
    # which has no space to wrap at.
    styles.widths(ws, [32] + [max(_width(n), len(n) + 2) for n in names[1:]])
    row = SCENARIOS_HEADER - 1  # the captions
    texts = {c: ws.cell(row, c).value for c in range(2, len(names) + 1)}
    styles.fit_height(ws, row, texts)
    given = () if scenario_names is None else scenario_names.dropna().astype(str)
    styles.fit_width(ws, 1, [max(given, key=len, default="")], most=_WIDEST_NAME)
    styles.wrap_subtitle(ws, 1)
    for column, name in enumerate(names, start=1):
        dimension = ws.column_dimensions[get_column_letter(column)]
        if name not in templates:  # a row typed under the table is typed in unlocked cells
            dimension.protection = UNLOCKED
        # The workings start folded, so that each scenario's outputs stand beside its
        # inputs on screen and on paper: the look-ups and steps under the outline's +,
        # the inputs in use a group inside them; so do the inputs no row sets (a few
        # scenarios printed 14 pages across, most of their inputs empty columns). The
        # column after a folded group carries its button (collapsed), as Excel writes it.
        dimension.outlineLevel = _outline_level(name, unset)
        dimension.hidden = name in workings or name in unset
        if column > 1 and _outline_level(names[column - 2], unset) > dimension.outlineLevel:
            dimension.collapsed = True
    ws.column_dimensions.max_outline = 2  # the sheet's outline depth, written before its columns
    _protect(ws)
    ws.freeze_panes = ws.cell(first, 2)
    return ScenarioColumns(names, templates, first, layout.scenario_last)


def _outline_level(name: str, unset: frozenset[str] = frozenset()) -> int:
    """The column's depth in the sheet's outline: 2 for an input in use, 1 for another
    working (look-ups, steps, the fit's message) and an input no row sets, 0 for the
    rest."""
    if name in _IN_USE_OF:
        return 2
    return 1 if name in HELPER_LABELS or name in unset or name == "fit_message" else 0


def unset_inputs(scenarios: pd.DataFrame | None) -> frozenset[str]:
    """The inputs that no scenario of ``scenarios`` gives a value (None: the defaults'),
    which every row takes from the Inputs sheet: their columns start folded. With no
    rows, none: an empty table shows every input it can take."""
    scenarios = default_scenarios() if scenarios is None else scenarios
    if not len(scenarios):
        return frozenset()
    return frozenset(
        q.name for q in INPUTS if q.name not in scenarios or not _any_given(scenarios[q.name])
    )


def _any_given(column: pd.Series) -> bool:
    """Whether a scenario fills this column: a value that is not empty, NaN or blank text
    (stopping at the first, so that 100,000 rows cost one look in the usual case)."""
    return any(not is_blank(v) for v in column.dropna())


def _width(name: str) -> int:
    # a row's reason ("dau: got -5 (the Inputs sheet's value); ...")
    if name in ("message", "fit_message"):
        return 64
    return 24 if _unit(name).startswith(("B", "FLOP")) else 16


def _protect(ws) -> None:
    """Protected without a password, like the calculation sheets: the formula columns are
    locked; the input columns are not, and rows can be inserted, deleted, sorted and
    filtered (``False`` allows an action under openpyxl's ``SheetProtection``)."""
    protection = ws.protection
    protection.sheet = True
    protection.insertRows = protection.deleteRows = False
    protection.sort = protection.autoFilter = protection.formatColumns = False


def _validate(ws, layout: Layout) -> None:
    """Every input column: the Inputs sheet's validation of that input (a stop alert; GPU
    and precision a dropdown of the Catalog's names), over the table's rows."""
    first, last = layout.scenario_first, layout.scenario_last
    for q in INPUTS:
        letter = layout.scenario_letter(q.name)
        ws.add_data_validation(input_validation(q, f"{letter}{first}:{letter}{last}"))


def _workings(layout: Layout) -> set[str]:
    """Columns that only carry a row's intermediate steps: the inputs in use, the
    catalogue look-ups and other steps that are not outputs."""
    names = {in_use(q.name) for q in INPUTS} | set(HELPER_LABELS) | {"fit_message"}
    return names & set(layout.scenario_column)


_IN_USE_OF = {in_use(q.name): q.name for q in INPUTS}


# The check columns' captions: what each tells about its row.
_CHECK_CAPTIONS = {
    "inputs_valid": "Inputs accepted",
    "ok": "Estimate computed",
    "message": "Why not (the first refused input)",
    "bad_input": "Refused input",
    "fit_message": "Why the model does not fit",
}


def _caption(name: str) -> str:
    """A column's name in plain words and its unit, above its snake_case header: "Model
    size (B)". The header itself stays the vocabulary's name, which formulas and readers
    use."""
    label, unit = _described(name)
    return f"{label} ({unit})" if unit and name not in _CHECK_CAPTIONS else label


def _unit(name: str) -> str:
    return _described(name)[1]


_OUTPUT = {o.name: o for o in OUTPUTS}


def _described(name: str) -> tuple[str, str]:
    """A column's label in words and its unit (an input in use as its input's)."""
    name = _IN_USE_OF.get(name, name)
    if name in INPUT and name not in STEPS:
        return INPUT[name].label, INPUT[name].unit
    if name in HELPER_LABELS:
        return HELPER_LABELS[name]
    if name in _OUTPUT:
        return _OUTPUT[name].label, _OUTPUT[name].unit
    return _CHECK_CAPTIONS.get(name, ""), "text" if name in _TEXT_COLUMNS else ""


_TEXT_COLUMNS = ("bad_input", "message", "fit_message")


def _headers(ws, layout: Layout, unset: frozenset[str] = frozenset()) -> None:
    shown = next((q.name for q in INPUTS if q.name not in unset), INPUTS[0].name)
    groups = {
        "scenario": "Scenario",
        # over the first input shown: those no row sets are under the + buttons
        shown: "Inputs (empty = Inputs sheet value" + ("; + shows the rest)" if unset else ")"),
        in_use(INPUTS[0].name): "Inputs in use",
        next(iter(HELPER_LABELS)): "Catalogue look-ups",
        OUTPUTS[0].name: "Outputs",
        "inputs_valid": "Check",
    }
    for name, column in layout.scenario_column.items():
        if name in groups:
            ws.cell(SCENARIOS_HEADER - 2, column, groups[name]).style = "Headline 4"
        caption = ws.cell(SCENARIOS_HEADER - 1, column, _caption(name) or None)
        caption.style = "Explanatory Text"
        styles.wrap(caption, "bottom")
    styles.header(ws, SCENARIOS_HEADER, list(layout.scenario_column))


def _table(ws, layout: Layout, templates: dict) -> None:
    names = list(layout.scenario_column)
    ref = f"A{SCENARIOS_HEADER}:{get_column_letter(len(names))}{layout.scenario_last}"
    table = Table(displayName="ScenarioTable", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    first = str(layout.scenario_first)
    table.tableColumns = [TableColumn(id=i, name=name) for i, name in enumerate(names, start=1)]
    for column in table.tableColumns:
        if column.name in templates:
            text = templates[column.name].replace(_ROW, first)[1:]
            column.calculatedColumnFormula = TableFormula(attr_text=text)
    ws.add_table(table)
