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
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from xlplugin.formulas import catalog
from xlplugin.formulas.inference import (
    HEADS_BOUND,
    KV_UNEVEN,
    MEMORY_FIGURES,
    RAISE_MAX,
    UNEVEN,
    WEIGHTS_SPLIT,
    memory_accepts,
)
from xlplugin.formulas.serving import (
    ACTIVE_AT_MOST,
    KV_AT_MOST,
    LARGER,
    MORE_GPUS,
    NO_REQUEST,
    WIDER,
    WIDER_GIVEN,
)
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS, Input

from . import styles
from .estimate_sheet import IDLE_OUTPUT, NO_REQUEST_ERROR, estimate_refs, runs_a_request
from .excel_formulas import STEPS, render
from .inputs_sheet import (
    ACCEPTS_COLUMN,
    HIGH_COLUMN,
    LOW_COLUMN,
    NAME_COLUMN,
    SWING,
    SWING_HIGH_COLUMN,
    SWING_LOW_COLUMN,
    catalog_list,
    choices,
)
from .layout import CHECKS_HEADER, SWING_NAME, SWUNG, Layout, absolute
from .sentences import define_sentences, said

__all__ = [
    "FIRST_CHECK_ROW",
    "GROWTH_OK",
    "GUARD_ROW",
    "Check",
    "Consistency",
    "checks",
    "concurrency_check",
    "consistency_checks",
    "fit_check",
    "flag_rules",
    "flops_accepts",
    "guard_rows",
    "in_range",
    "input_test",
    "price_check",
    "shown_text",
    "write_checks",
]

FIRST_CHECK_ROW = CHECKS_HEADER + 1
GUARD_ROW = 4  # inputs_ok and input_error
FITS_LABEL = (  # (within its row's four lines of message: a longer one printed a 5th page)
    "The model fits in GPU memory (weights' GPUs, tensor_parallel if given: <= max GPUs per "
    "replica, an even split of the heads; memory and bandwidth known) and can exist (KV "
    "heads <= attention heads, active params <= params)"
)
OUTPUTS_LABEL = "Every output is a number"
# The plugin variant opened without its add-in: its outputs show #NAME?.
# (Short: beside the flag two lines of it show.)
NO_FUNCTIONS = (
    '"The Estimate\'s outputs show #NAME?: the xlplugin add-in is not loaded (see About)"'
)
CONCURRENCY_LABEL = (
    "A replica runs at least one request within the latency targets (the roofline's "
    "requests side by side >= 1)"
)
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
REPLICA_LABEL = (
    "GPUs per replica: whole, at least the weights' need (recomputed from memory) and "
    "tensor_parallel if given, at most max_gpus_per_replica, splitting the heads as vLLM "
    "does; by the FLOPs formula the larger of the two"
)
PROJECTION_LABEL = "Projection month 1 (its own route from daily users) needs the Estimate's GPUs"
SCENARIOS_LABEL = "Every Scenarios row calculates and fits (its ok column)"
# The longest message the estimate writes (a replica that runs no request on the
# tensor_parallel given), and as the Scenarios rows' check shows it, after a scenario's
# name (here 37 characters): the rows that show them are tall enough to print them whole.
_LONGEST_MESSAGE = f"tensor_parallel: got 16; accepts {NO_REQUEST}"
_LONGEST_ROW_MESSAGE = f"Scenarios row 'Planning H100 FP8, 1024x1024, 10x DAU': {_LONGEST_MESSAGE}"
_LONGEST = {
    FITS_LABEL: _LONGEST_MESSAGE,
    CONCURRENCY_LABEL: _LONGEST_MESSAGE,
    SCENARIOS_LABEL: _LONGEST_ROW_MESSAGE,
}
GROWTH_LABEL = (
    f"Input in range: {INPUT['dau_growth'].label} (dau_growth) accepts "
    f"{INPUT['dau_growth'].accepts}"
)
GROWTH_OK = "dau_growth_ok"  # the workbook name of its check: the Projection reads it
SWINGS_LABEL = (
    "Sensitivity {side} values (Inputs, column {column}) are empty or what their input accepts"
)
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
        test = f"IF(ISNUMBER({value}),{value}>={low},ISNUMBER(MATCH({value},catalog_gpu_name,0)))"
    else:
        parts = [f"ISNUMBER({value})"]
        if q.low is not None:
            above = f"{value}{'>' if q.low_open else '>='}{low}"
            parts.append(f"OR({value}=0,{above})" if q.zero_allowed else above)
        if q.high is not None:
            parts.append(f"{value}{'<' if q.high_open else '<='}{high}")
        if q.integer:
            parts.append(f"INT({value})={value}")
        test = f"AND({','.join(parts)})"
    return test


def _number_or_text(value: str) -> str:
    """A number or a text as formulas' message shows it: 5, 0.5, 'text'."""
    return f'IF(ISNUMBER({value}),{value}&"","\'"&{value}&"\'")'


def _error_shown(value: str) -> str:
    """An error value as a message shows it: '#N/A', as formulas shows that text; any other
    "an error value" (LibreOffice has errors Excel has not, which no function spells)."""
    return f'IF(ISNA({value}),"\'#N/A\'","an error value")'


def shown_text(value: str) -> str:
    """A cell's value as formulas' message shows it: 5, 0.5, 'text', True, '#N/A'."""
    logical = f'IF(ISLOGICAL({value}),IF({value},"True","False"),{_number_or_text(value)})'
    return f"IF(ISERROR({value}),{_error_shown(value)},{logical})"


def _shown(layout: Layout, q: Input, value: str) -> str:
    """An input in use as formulas' message shows it: 5, 0.5, 'text', True, '#N/A' (TRUE
    or FALSE told by the cell it came from: see :func:`_source_is_logical`)."""
    logical = _source_is_logical(layout, q)
    return (
        f'IF({logical},IF({value},"True","False"),IF(ISERROR({value}),'
        f"{_error_shown(value)},{_number_or_text(value)}))"
    )


def flops_accepts(layout: Layout) -> str:
    """What a number given as the GPU accepts: formulas.inference.check_flops's message."""
    low = _inputs_cell(layout, INPUT["gpu"], LOW_COLUMN)
    return f'"a catalogue name or a FLOP/s number >= "&{low}'


def _input_message(layout: Layout, q: Input, value: str) -> str:
    accepts = _inputs_cell(layout, q, ACCEPTS_COLUMN)
    if q.name == "gpu":
        accepts = f"IF(ISNUMBER({value}),{flops_accepts(layout)},{accepts})"
    name = _inputs_cell(layout, q, NAME_COLUMN)
    return f'{name}&": got "&{_shown(layout, q, value)}&"; accepts "&{accepts}'


# How formulas writes a figure in a message (formulas.inference._count): four significant
# digits below 10,000, whole up to a trillion, then three significant digits. Workbook
# names, as every constant a formula uses.
FIGURES = {
    "figure_whole_from": 1e4,
    "figure_powers_from": 1e12,
    "figure_small_digits": 3,  # after the first: four significant digits
    "figure_large_digits": 2,  # three
}


# ROUNDUP first rounds to 15 significant digits (formulas.roundup does too): a demand of
# 15.000000000000002 replicas is 15, and past 2**53 the count may differ from the demand
# by a few units. The GPUs check compares within this relative tolerance, far below one
# replica at any size a sheet shows whole.
TOLERANCE = "relative_tolerance"
NAMED = {**FIGURES, TOLERANCE: 1e-12}


def _figure(x: str) -> str:
    """``x`` rounded as formulas writes it in a message (the sheet's ``&`` writes 20011 and
    2E+291 where formulas writes 20,011 and 2e+291)."""
    power = f"INT(LOG10({x}))"
    return (
        f"ROUND({x},IF({x}<figure_whole_from,figure_small_digits-{power},"
        f"IF({x}<figure_powers_from,0,figure_large_digits-{power})))"
    )


def fit_check(layout: Layout, refs: dict[str, str], fitted: str | None = None) -> tuple[str, str]:
    """(condition, message) of formulas' checks that a replica holds the model: the
    weights' GPUs within tensor_parallel_limit (formulas.inference's DoesNotFitError), then
    kv_heads within attention_heads and active_params within params, then tensor_parallel,
    if given, within max_gpus_per_replica and, for a language or speech model, a split of
    its heads (:func:`_splits`). ``refs``: placeholder -> cell for ``weights_gpus_per_replica``,
    ``tensor_parallel_limit``, ``tensor_parallel``, ``max_gpus_per_replica``, ``params``,
    ``text_encoder_params``, ``image_model``, ``held_weights_bytes``, ``gpu``, ``kv_heads``,
    ``kv_heads_used``, ``attention_heads`` and ``active_params`` (none of them an output,
    which a guard may turn into this message). ``fitted``, if given, is what the message
    says where the model fits, so that the message alone tells (one condition fewer)."""
    need, limit, most, split, heads, kv, image = (
        refs[n]
        for n in (
            "weights_gpus_per_replica",
            "tensor_parallel_limit",
            "max_gpus_per_replica",
            "tensor_parallel",
            "attention_heads",
            "kv_heads_used",
            "image_model",
        )
    )
    names = {
        n: _inputs_cell(layout, INPUT[n], NAME_COLUMN)
        for n in ("params", "text_encoder_params", "tensor_parallel")
    }
    # like formulas, it names the text encoder when an image model's encoder is the larger
    encoder = f"AND({image},{refs['text_encoder_params']}>{refs['params']})"
    name = f"IF({encoder},{names['text_encoder_params']},{names['params']})"
    value = f"IF({encoder},{refs['text_encoder_params']},{refs['params']})"
    gb = _figure(f"{refs['held_weights_bytes']}/bytes_per_gb")
    # formulas.inference._larger: the heads, where they keep the replica narrower (the KV
    # heads where the attention heads would split over twice as many)
    bound = (
        f'IF(MOD({heads},{limit}*tensor_parallel_step),"attention_heads ("&{heads},'
        f'"kv_heads ("&{kv})'
    )
    larger = (
        f"IF({_heads_bind(limit, most)},{said(HEADS_BOUND)}&{bound}"
        f'&") split evenly over at most "&{limit},{said(RAISE_MAX)})'
    )
    weights = (
        f'{name}&": got "&{value}&"; accepts a model that fits in "'
        f'&{limit}&" GPUs: "&{gb}'
        f'&" GB of weights need "&{_figure(need)}&" x "&{refs["gpu"]}&" ("&{larger}&")"'
    )
    low = _inputs_cell(layout, INPUT["tensor_parallel"], LOW_COLUMN)
    parallel = (
        f'{names["tensor_parallel"]}&": got "&{split}&"; accepts a whole number in ["'
        f'&{low}&", "&{most}&"] (max_gpus_per_replica)"'
    )
    uneven = (
        f'{names["tensor_parallel"]}&": got "&{split}&"; accepts a divisor "'
        f"&IF(MOD({heads},{split}),"
        f'"of attention_heads ("&{heads}&"): "&{said(UNEVEN)},'
        f'"or a multiple of kv_heads ("&{kv}&"): "&{said(KV_UNEVEN)})'
    )
    # inputs bounded by another input, in the order formulas judges them: after the
    # weights' fit, before tensor_parallel (formulas.serving.at_most)
    bounded = (
        ("kv_heads", "attention_heads", KV_AT_MOST),
        ("active_params", "params", ACTIVE_AT_MOST),
    )
    known, unknown = _memory_known(refs)
    over = f"AND(ISNUMBER({split}),{split}>{most})"
    # (IF, not OR: OR would evaluate MOD of an empty tensor_parallel, or of an image model's
    # empty heads, to an error)
    divides = f"IF(ISNUMBER({split}),IF({image},TRUE,{_splits(heads, kv, split)}),TRUE)"
    if fitted is not None:
        unknown = f"IF({known},{fitted},{unknown})"
    message = f"IF({over},{parallel},IF({divides},{unknown},{uneven}))"
    for name, bound_name, why in reversed(bounded):
        value, bound = refs[name], refs[bound_name]
        text = (
            f'"{name}: got "&{_number_or_text(value)}&"; accepts a number <= {bound_name} ("'
            f'&{bound}&"): "&{said(why)}'
        )
        message = f"IF(AND(ISNUMBER({value}),{value}>{bound}),{text},{message})"
    within = ",".join(f"IF(ISNUMBER({refs[n]}),{refs[n]}<={refs[b]},TRUE)" for n, b, _ in bounded)
    given = f'OR({split}="",AND({split}<={most},{divides}))'
    condition = f"AND({need}<={limit},{within},{given},{known})"
    return condition, f"IF({need}>{limit},{weights},{message})"


def _splits(heads: str, kv: str, gpus: str) -> str:
    """TRUE where ``gpus`` split a language or speech model's heads as vLLM allows (formulas.
    inference._check_split): a divisor of the attention heads, and a divisor or a multiple
    of the KV heads."""
    return f"AND(MOD({heads},{gpus})=0,OR(MOD({kv},{gpus})=0,MOD({gpus},{kv})=0))"


def _heads_bind(limit: str, most: str) -> str:
    """formulas.serving.heads_bind: the heads, not max_gpus_per_replica, keep the replica at
    tensor_parallel_limit."""
    return f"{limit}*tensor_parallel_step<={most}"


def _memory_known(refs: dict[str, str]) -> tuple[str, str]:
    """(condition, message): under the roofline, the GPU's memory and bandwidth are known,
    given or the catalogue's (formulas.inference: a GPU given as FLOP/s has neither). The
    message is written once, the missing figure picked inside it (a Scenarios row's message
    formula stays within its length)."""
    memory, bandwidth = refs["gpu_memory_bytes_used"], refs["gpu_memory_bandwidth_used"]
    (first, first_what), (second, second_what) = MEMORY_FIGURES
    pick = f"ISNUMBER({memory})"
    accepts = memory_accepts("\x01", "\x00").replace('"', '""')
    before, rest = accepts.split("\x01")
    middle, after = rest.split("\x00")
    text = (
        f'IF({pick},"{second}","{first}")&": missing; accepts {before}"'
        f'&IF({pick},"{second_what}","{first_what}")&"{middle}"'
        f'&{_number_or_text(refs["gpu"])}&"{after}"'
    )
    known = f"OR({refs['flops_model']},AND({pick},ISNUMBER({bandwidth})))"
    return known, text


def concurrency_check(layout: Layout, refs: dict[str, str]) -> tuple[str, str]:
    """(condition, message) of formulas' check that a roofline replica runs a request at
    all (formulas.serving.max_concurrency_per_replica): its memory left by the weights
    holds one request's KV cache, and its speed one within the targets. The message names
    what to change as formulas.serving.no_request does. ``refs``: placeholder -> cell for
    ``flops_model``, ``concurrency_limit`` and the inputs and steps that message reads.
    Not part of ``inputs_ok``: those cells follow from outputs it guards, so a failure
    turns the master flag red and leaves the figures, which assume one request, shown."""
    r = refs
    names = (
        "tensor_parallel",
        "input_tokens",
        "audio_seconds",
        "output_tokens",
        "tpot_target_seconds",
        "ttft_target_seconds",
    )
    got = {n: f'{_inputs_cell(layout, INPUT[n], NAME_COLUMN)}&": got "&{r[n]}' for n in names}
    split, gpus, most = r["tensor_parallel"], r["gpus_per_replica"], r["max_gpus_per_replica"]
    limit = r["tensor_parallel_limit"]
    given = f'{got["tensor_parallel"]}&"; accepts "&{said(NO_REQUEST)}'
    wider = f'IF(ISNUMBER({split}),{said(WIDER_GIVEN)},"{WIDER}")'
    wider = f'IF({_heads_bind(limit, most)},"{LARGER}",{wider})'
    more = f"IF({gpus}>={limit},{wider},{said(MORE_GPUS)})"
    request = (
        f"IF({r['output_tokens']}>{r['prefill_tokens']},{got['output_tokens']},"
        f"IF({r['speech_model']},{got['audio_seconds']},{got['input_tokens']}))"
        f'&"; accepts a request whose KV cache fits beside the weights on "&{gpus}'
        f'&" GPUs (shorten the request, or "'
    )
    target = (
        f"IF({r['tpot_target_seconds']}={r['step_seconds_allowed']},"
        f"{got['tpot_target_seconds']},{got['ttft_target_seconds']})"
        f'&"; accepts a time that "&{gpus}&" GPUs per replica meet with one request '
        f'(relax it, or "'
    )
    # what to change, after either sentence: written once
    chosen = f'IF({r["memory_concurrency"]}<requests_per_inference,{request},{target})&{more}&")"'
    return runs_a_request(refs), f"IF(AND(ISNUMBER({split}),{gpus}<{limit}),{given},{chosen})"


def _fits(layout: Layout, e: dict[str, str]) -> Check:
    # the weights' GPUs from their drivers: a number typed over that cell is the GPUs per
    # replica check's to find, not a reason to refuse the inputs
    weights = f"({render(STEPS['weights_gpus_per_replica'], e)[1:]})"
    condition, message = fit_check(layout, {**e, "weights_gpus_per_replica": weights})
    # A fit that cannot be judged (weights that overflow) leaves the outputs to say so,
    # naming the input to change, as formulas does; a bad input fails its own row first.
    return Check(FITS_LABEL, f"IFERROR({condition},TRUE)", message)


def price_check(refs: dict[str, str]) -> tuple[str, str]:
    """(condition, message): the GPU has a price, given or from the catalogue
    (formulas.cost.check_price). ``refs``: placeholder -> cell for ``gpu`` and
    ``gpu_hourly_usd_used``."""
    shown = _number_or_text(refs["gpu"])
    message = (
        '"gpu_hourly_usd: missing; accepts a price in USD per GPU-hour >= 0 (the catalogue '
        f'has no price for gpu "&{shown}&")"'
    )
    return f"ISNUMBER({refs['gpu_hourly_usd_used']})", message


def _priced(e: dict[str, str]) -> Check:
    return Check(PRICE_LABEL, *price_check(e))


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


def checks(layout: Layout, plugin: bool = False) -> list[Check]:
    """Every check, in sheet order (``plugin``: the plugin variant's, whose outputs call
    the add-in's functions)."""
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
    # The fit and the price read the inputs: judged once those hold (a memory of 80 bytes
    # is the input's failure, not a model 380,017,245 GPUs cannot hold).
    inputs_hold = f"AND(B{FIRST_CHECK_ROW}:B{FIRST_CHECK_ROW + len(INPUTS) - 1})"
    found += [_once(inputs_hold, check) for check in (_fits(layout, e), _priced(e))]
    found.append(_selected())
    runs, idle = concurrency_check(layout, e)
    # (a figure that overflows cannot be judged: the outputs name the input to change)
    found.append(Check(CONCURRENCY_LABEL, f"IFERROR({runs},TRUE)", idle))
    growth = INPUT["dau_growth"]
    found.append(
        Check(
            GROWTH_LABEL,
            _input_check(layout, growth, "dau_growth"),
            _input_message(layout, growth, "dau_growth"),
        )
    )
    found.append(
        Check(
            f"Input in range: {SWING.label} ({SWING_NAME}) accepts {SWING.accepts}",
            _input_check(layout, SWING, SWING_NAME),
            _input_message(layout, SWING, SWING_NAME),
        )
    )
    found += [_swings(layout, side) for side in ("low", "high")]
    # The outputs and the routes to them: judged once the inputs are accepted (else the
    # outputs hold the inputs' message, and each would restate the failure); the routes,
    # once the outputs are numbers too (the plugin variant without its add-in: #NAME?).
    outputs_hold = f"AND(inputs_ok,$B${FIRST_CHECK_ROW + len(found)})"
    found.append(
        _once(
            "inputs_ok",
            Check(
                OUTPUTS_LABEL,
                f"AND({','.join(f'ISNUMBER({r})' for r in outputs)})",
                _no_add_in(outputs[0], _first_text(outputs)) if plugin else _first_text(outputs),
            ),
        )
    )
    found += [_once(outputs_hold, c.check) for c in consistency_checks(layout)]
    found.append(_scenario_rows(layout))
    return found


def _no_add_in(output: str, otherwise: str) -> str:
    """The plugin variant's outputs check message: #NAME? (ERROR.TYPE 5) in an output is the
    add-in missing, as on its Projection; else ``otherwise``."""
    return f"IF(IFERROR(ERROR.TYPE({output})=5,FALSE),{NO_FUNCTIONS},{otherwise})"


def _once(condition: str, check: Check) -> Check:
    """``check``, holding (not judged) until ``condition`` does (IF, not OR: OR passes on
    the error a message read as a number makes)."""
    return Check(check.label, f"IF({condition},{check.formula},TRUE)", check.message)


def _swings(layout: Layout, side: str) -> Check:
    """The Sensitivity sheet's low (or high) values: each empty (the swing decides) or what
    its input accepts; the message names the first that is not."""
    column = SWING_LOW_COLUMN if side == "low" else SWING_HIGH_COLUMN
    label = SWINGS_LABEL.format(side=side, column=get_column_letter(column))
    tests, messages = [], []
    for name in SWUNG:
        q = INPUT[name]
        cell = _inputs_cell(layout, q, column)
        tests.append(f'IFERROR(OR({cell}="",{input_test(layout, q, cell)}),FALSE)')
        messages.append(
            f'{_inputs_cell(layout, q, NAME_COLUMN)}&" (Sensitivity: {side}): got "'
            f"&{shown_text(cell)}"
            f'&"; accepts "&{_inputs_cell(layout, q, ACCEPTS_COLUMN)}&", or an empty cell"'
        )
    message = f'"Fails: {label}"'
    for test, text in reversed(list(zip(tests, messages, strict=True))):
        message = f"IF({test},{message},{text})"
    return Check(label, f"AND({','.join(tests)})", message)


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
    split, most, per = e["tensor_parallel"], e["max_gpus_per_replica"], e["gpus_per_replica"]
    weights = render(STEPS["weights_gpus_per_replica"], e)[1:]
    # a language or speech model's replica splits its heads as vLLM allows, and by the
    # FLOPs formula its weights' GPUs in 1, 2, 4, 8...
    heads = _splits(e["attention_heads"], e["kv_heads_used"], per)
    divides = f"IF({e['image_model']},TRUE,{heads})"
    least = render(WEIGHTS_SPLIT, {**e, "weights_gpus_per_replica": f"({weights})"})[1:]
    found = [
        (TOTAL_LABEL, routes("total_usd_per_month", set(costs)), ("total_usd_per_month", *costs)),
        (
            STORED_LABEL,
            routes("retained_storage_bytes", set(stored)),
            ("retained_storage_bytes", *stored),
        ),
        (
            GPUS_LABEL,
            f"AND(INT({replicas})={replicas},{replicas}>={needed}-{needed}*{TOLERANCE},"
            f"{replicas}-{e['gpus_per_replica']}/{e['gpus_per_replica']}"
            f"<{needed}+{needed}*{TOLERANCE})",
            ("gpu_count",),
        ),
        (
            REPLICA_LABEL,
            f'AND(INT({per})={per},{per}>={weights},{per}<={most},OR({split}="",{per}>={split}),'
            f"{divides},OR(NOT({e['flops_model']}),{per}=IF(ISNUMBER({split}),"
            f"MAX({split},{least}),{least})))",
            ("gpus_per_replica", "weights_gpus_per_replica"),
        ),
        (PROJECTION_LABEL, f"{month}={e['gpu_count']}", ("gpu_count",)),
    ]
    return [
        Consistency(Check(label, formula, f'"Fails: {label}"'), covers)
        for label, formula, covers in found
    ]


def _scenario_rows(layout: Layout) -> Check:
    """Every Scenarios row computes; the message names the first that does not and gives
    its own message (its bad input, a model that does not fit, or a result that
    overflows)."""
    at = f"MATCH(FALSE,{layout.scenario_range('ok')},0)"
    message = f"INDEX({layout.scenario_range('message')},{at})"
    name = f"INDEX({layout.scenario_range('scenario')},{at})"
    # inputs accepted and the model fits, but a result overflows (the total says so) or a
    # replica runs no request within the targets
    total = f"INDEX({layout.scenario_range('total_usd_per_month')},{at})"
    # the row's own message for it, where its outputs show it
    idle = f"INDEX({layout.scenario_range(IDLE_OUTPUT)},{at})"
    return Check(
        SCENARIOS_LABEL,
        f"ISNA({at})",
        f'"Scenarios row \'"&{name}&"\': "&IF({message}="",IF(ISNUMBER({total}),{idle},'
        f"{total}),{message})",
    )


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
            return value >= q.low
        return str(value).upper() in {n.upper() for n in catalog.gpu_names()}
    ok = q.low is None or (value > q.low if q.low_open else value >= q.low)
    ok |= q.zero_allowed and value == 0
    ok &= q.high is None or (value < q.high if q.high_open else value <= q.high)
    return ok and (not q.integer or float(value).is_integer())


def flag_rules(ws, ref: str) -> None:
    """Green when TRUE, red when FALSE (:func:`styles.flag_rules`)."""
    styles.flag_rules(ws, ref)


def write_checks(wb, ws, layout: Layout, plugin: bool = False) -> list[str]:
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
    found = checks(layout, plugin)
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
    for name, value in NAMED.items():
        wb.defined_names[name] = DefinedName(name, attr_text=f"{value:g}")
    define_sentences(wb)
    labels = [c.label for c in found]
    growth = FIRST_CHECK_ROW + labels.index(GROWTH_LABEL)
    idle = FIRST_CHECK_ROW + labels.index(CONCURRENCY_LABEL)
    for name, ref in (
        (GROWTH_OK, (2, growth)),
        (NO_REQUEST_ERROR, (3, idle)),
        ("master_check", (2, 3)),
        ("check_message", (3, 3)),
        ("inputs_ok", (2, GUARD_ROW)),
        ("input_error", (3, GUARD_ROW)),
    ):
        wb.defined_names[name] = DefinedName(name, attr_text=absolute("Checks", *ref))
    styles.flag_rules(ws, f"B3:B{last}")
    styles.widths(ws, (68, 9, 80))
    # Tall enough for the message a failure shows beside the label, which the row cannot
    # grow to when it appears: an input's ("dau: got -5; accepts ...") runs to its label
    # and the value shown (~45 characters more); the others (consistency) to about three;
    # a model that does not fit, a replica that runs no request and a Scenarios row to the
    # longest the estimate writes.
    for row in range(FIRST_CHECK_ROW, last + 1):
        label = str(ws.cell(row, 1).value)
        least = 1 if label.startswith("Input in range") else 3
        shown = _LONGEST.get(label, label + " xxxxxxxxxx" * 4)
        styles.fit_height(ws, row, {1: label, 3: shown}, minimum=least)
    for row, shown in ((3, _LONGEST_ROW_MESSAGE), (GUARD_ROW, _LONGEST_MESSAGE)):
        styles.fit_height(ws, row, {1: ws.cell(row, 1).value, 3: shown}, minimum=3)
    styles.wrap_subtitle(ws, 3)
    ws.freeze_panes = ws.cell(FIRST_CHECK_ROW, 1)
    ws.print_title_rows = f"{CHECKS_HEADER}:{CHECKS_HEADER}"
    ws.protection.sheet = True
    return cells
