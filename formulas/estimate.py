"""The whole estimate: every output from every input, for one scenario or a table of them."""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from . import graph, quantities  # noqa: F401 (quantities: registers the graph)
from ._arrays import (
    _RANK,
    array_shape,
    blanks_filled,
    finite,
    give,
    is_blank,
    overflow,
    shaped,
    take,
    unblanked_cells,
    validated,
)
from .errors import EstimateError, InvalidInputError, UnknownNameError
from .vocabulary import INPUT, INPUTS, OUTPUTS, input_names

__all__ = ["estimate", "estimate_table", "output_array", "steps_table"]

# estimate_table computes this many rows at a time: the temporaries stay small (in cache,
# and reused by the allocator instead of being mapped and faulted in afresh for each step).
CHUNK_ROWS = 1 << 16
# numpy lets go of the GIL inside each operation on a chunk, so threads computing chunks
# side by side use every core (writing disjoint slices of one result block). Tables of up
# to two chunks stay on the calling thread: there, the threads' start and their contention
# for the GIL cost more than they save (100,000 rows on 2 cores: 12.6 ms on one thread,
# 15 to 17 ms on two; 200,000 rows and more are faster on two).
WORKERS = min(4, os.cpu_count() or 1)


def _inputs(inputs: dict) -> dict:
    """Every input, validated: those given (not blank) and the defaults for the rest."""
    unknown = [name for name in inputs if name not in INPUT]
    if unknown:
        raise UnknownNameError("input", unknown[0], input_names())
    # checked in vocabulary order, as a table's columns and the workbook's rows are: of
    # two bad inputs, the one named is the same whatever order the keywords came in
    given = {
        name: value if type(value) in _CELLS else unblanked_cells(name, value)
        for name, value in sorted(inputs.items(), key=lambda item: _RANK[item[0]])
        if not is_blank(value)
    }
    return validated(given, _DEFAULTS)


_DEFAULTS = take(**{q.name: q.default for q in INPUTS})  # validated once
_SCALARS = frozenset((float, int, str, type(None)))  # what take() makes of one cell
_CELLS = frozenset((float, int, str))  # a value given as one cell: no blank cells inside


def _compute(a: dict, given: dict | None = None) -> dict[str, np.ndarray]:
    """Every resolved input and output from validated arrays (``None``: not given)."""
    with np.errstate(all="ignore"):  # overflow is reported by name below, not as a warning
        return _outputs(a, given=given)


def _outputs(a: dict, scalar: bool = False, given: dict | None = None) -> dict[str, np.ndarray]:
    """Every input (as used: catalogue figures filled in) and output, from the graph.

    ``given`` holds quantities taken as they are instead of computed (the projection's
    stored bytes), with everything computed from them computed again.
    """
    try:
        values = graph.evaluate({**a, **(given or {})}, _WANTED)
    except ArithmeticError:  # Python floats: a division by a number that underflowed to 0
        if scalar:  # or an overflow in a branch these inputs do not choose: judged as arrays
            return _as_floats(a, _numpy_outputs(a, given))
        raise overflow(None, math.nan, a) from None
    out = {name: values[name] for name in _OUTPUT_NAMES}
    if not (scalar and math.isfinite(sum(out.values()))):  # one scenario: one check
        for name, value in out.items():
            finite(name, value, a)  # else an error naming the input to change
    r = dict(a)
    for step, name in _RESOLVES.items():
        r[name] = values[step]
    r.update(out)
    return r


def _as_numpy(a: dict) -> dict:
    """Inputs with each Python float as numpy's, which overflows to infinity where a Python
    float raises: in both branches of a choice (the napkin and the serving model), as every
    table computes them, only the chosen one's value judged."""
    return {name: np.float64(v) if type(v) is float else v for name, v in a.items()}


def _numpy_outputs(a: dict, given: dict | None) -> dict:
    """:func:`_compute` of one scenario with :func:`_as_numpy`'s inputs; an error shows the
    value as it was given (1e+300, not np.float64(1e+300))."""
    try:
        return _compute(_as_numpy(a), given)
    except InvalidInputError as error:
        if type(error.value) is np.float64:
            error.value = float(error.value)
            error.args = (str(error),)
        raise


def _as_floats(a: dict, computed: dict) -> dict:
    """An estimate computed with :func:`_as_numpy`'s inputs, as the scalar path gives it:
    the inputs as they were, each result a Python float."""
    return {
        name: a[name] if name in a and type(a[name]) is not np.float64 else _plain(value)
        for name, value in computed.items()
    }


def _plain(value: object) -> object:
    return (
        value.item()
        if isinstance(value, np.generic | np.ndarray) and np.ndim(value) == 0
        else value
    )


_OUTPUT_NAMES = tuple(q.name for q in graph.outputs())
_OUTPUT_SET = frozenset(_OUTPUT_NAMES)
_RESOLVES = {q.name: q.resolves for q in graph.steps() if q.resolves}
_WANTED = _OUTPUT_NAMES + tuple(_RESOLVES)


def estimate(**inputs) -> dict[str, object]:
    """The whole estimate, every input (resolved) and output by vocabulary name.

    Parameters
    ----------
    **inputs
        Any vocabulary inputs (see :data:`formulas.vocabulary.INPUTS`); omitted or blank
        ones take their defaults, which reproduce the seed document. Each may be a scalar,
        a numpy array or a pandas Series; they broadcast together, and a blank cell of one
        takes the default as a blank value does.

    Returns
    -------
    dict
        Name to value, in base units: a scalar for scalar inputs; else each output an
        array or Series of the shape of every array given, each input as given (a scalar
        stays one) or as resolved from what was.
    """
    a = _inputs(inputs)
    if _SCALARS.issuperset(map(type, a.values())):
        return _outputs(a, scalar=True)  # Python floats: no numpy warnings to silence
    result = _compute(a)
    shape = array_shape(a.values())
    originals = [v for v in inputs.values() if isinstance(v, pd.Series)] or list(inputs.values())
    return {name: _given_back(name, value, shape, originals) for name, value in result.items()}


def _given_back(name: str, value: object, shape: tuple, originals: list) -> object:
    """One value of an estimate of arrays in the caller's type. An output takes the shape
    of every array given, whether it depends on it or not; an input is as it was given (a
    scalar stays one), or as resolved from what was."""
    if name in _OUTPUT_SET:
        return give(shaped(value, shape), *originals)
    return value if type(value) in (float, str) else give(value, *originals)


LABEL = "scenario"  # the column that names each scenario, as in a scenario file


def estimate_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The estimate for a table of scenarios, computed column-wise.

    Parameters
    ----------
    frame : pandas.DataFrame
        One scenario per row; columns named by vocabulary inputs (and optionally
        ``scenario``, a name for each row, returned as it is). Missing columns and blank
        cells take the defaults.

    Returns
    -------
    pandas.DataFrame
        Every input (resolved) and output as columns, on the frame's index.
    """
    _check_columns(frame, [LABEL, *input_names()])
    if LABEL in frame.columns:  # a name for each scenario: kept as it is, in front
        table = estimate_table(frame.drop(columns=LABEL))
        table.insert(0, LABEL, frame[LABEL])
        return table
    return _pooled(_table, frame)


def output_array(frame: pd.DataFrame) -> np.ndarray:
    """Every output for a table of scenarios, as :func:`estimate_table` computes them, in a
    float array of one row per scenario and one column per output (in vocabulary order),
    without building the table of inputs around them: what the SCENARIOS function sends."""
    _check_columns(frame, [LABEL, *input_names()])
    if LABEL in frame.columns:  # the scenarios' names: not needed for the numbers
        frame = frame.drop(columns=LABEL)
    return _pooled(_output_block, frame)


def _check_columns(frame: pd.DataFrame, allowed: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(
            "table", frame, "a pandas DataFrame with a column per input and a row per scenario"
        )
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        raise UnknownNameError("column", unknown[0], allowed)
    if frame.columns.duplicated().any():
        raise InvalidInputError(
            "column", frame.columns[frame.columns.duplicated()][0], "each input name once"
        )


def _pooled(work, frame: pd.DataFrame):
    """``work(frame, pool)``, with a pool of threads for tables of more than two chunks."""
    if len(frame) <= 2 * CHUNK_ROWS or WORKERS == 1:
        return work(frame, None)
    with ThreadPoolExecutor(WORKERS) as pool:
        return work(frame, pool)


def _table(frame: pd.DataFrame, pool: ThreadPoolExecutor | None) -> pd.DataFrame:
    """estimate_table's work, its chunks spread over ``pool``'s threads if there is one."""
    block, rows, columns, arrays = _block(frame, pool)
    table = pd.DataFrame(block.T, index=frame.index, columns=rows, copy=False)
    for name in (n for n in _COLUMNS if n not in rows):  # in order: each lands in its place
        given_as_is = name in columns and columns[name][1]
        table.insert(
            _COLUMNS.index(name), name, _column_out(frame, name, arrays[name], given_as_is)
        )
    return table


def _output_block(frame: pd.DataFrame, pool: ThreadPoolExecutor | None) -> np.ndarray:
    """output_array's work: only the outputs, with no block of inputs to pick them from."""
    arrays = take(**{q.name: _column(frame, q)[0] for q in INPUTS})
    # Written an output at a time (each a row here, one pass each), then transposed once
    # into the rows it is sent as: 10,000 rows in 0.25 ms less than writing a block of rows
    # at a time, once freed memory is reused (xlplugin serve; xlplugin._memory).
    out = np.empty((len(_OUTPUT_NAMES), len(frame)))

    def fill(part: slice) -> None:
        result = _compute(_rows(arrays, part))
        for row, name in enumerate(_OUTPUT_NAMES):
            out[row, part] = result[name]

    _filled(fill, len(frame), pool, arrays)
    return np.ascontiguousarray(out.T)


def _filled(fill, rows: int, pool: ThreadPoolExecutor | None, arrays: dict) -> None:
    """``fill`` run on each chunk of ``rows``, spread over ``pool`` if there is one; a bad
    input raises the error of the whole table (naming its row), not of its chunk."""
    parts = _parts(rows, WORKERS if pool else 1)
    try:
        list(pool.map(fill, parts) if pool else map(fill, parts))
    except EstimateError:
        _compute(arrays)
        raise


def _block(frame: pd.DataFrame, pool: ThreadPoolExecutor | None) -> tuple:
    """The numbers of a table, a row per column name (outputs, and inputs that take a
    default or a catalogue figure); those names; the input columns read; their arrays."""
    # Computed a chunk at a time; inputs read from the frame stay as their own columns.
    rows = [n for n in _NUMERIC if n not in frame.columns or INPUT[n].default is None]
    shape = (len(rows), len(frame))
    # The kernel zeroes the block's pages on another core while this one reads the
    # columns (hashing text holds the GIL; numpy's fill lets go of it).
    block = pool.submit(np.full, shape, np.nan) if pool else None
    columns = {q.name: _column(frame, q) for q in INPUTS}
    arrays = take(**{name: value for name, (value, _) in columns.items()})
    block = block.result() if pool else np.empty(shape)

    def fill(part: slice) -> None:
        result = _compute(_rows(arrays, part))
        for row, name in enumerate(rows):
            block[row, part] = result[name]

    _filled(fill, len(frame), pool, arrays)
    return block, rows, columns, arrays


def _parts(rows: int, workers: int) -> list[slice]:
    """Chunks of at most CHUNK_ROWS rows, of equal size and as many for each worker (so
    that 100,000 rows are two halves, not 65,536 rows and the rest)."""
    count = -(-max(rows, 1) // CHUNK_ROWS)  # ceiling division
    count = -(-count // workers) * workers
    size = -(-max(rows, 1) // count)
    return [slice(start, start + size) for start in range(0, max(rows, 1), size)]


def _rows(arrays: dict, part: slice) -> dict:
    return {
        name: value[part] if isinstance(value, np.ndarray | pd.Categorical) else value
        for name, value in arrays.items()
    }


_COLUMNS = [q.name for q in INPUTS] + [q.name for q in OUTPUTS if q.name not in INPUT]
_OUTPUT_NAMES = [q.name for q in OUTPUTS]  # none is an input: each is a row of the block
_NUMERIC = [n for n in _COLUMNS if INPUT.get(n) is None or INPUT[n].kind != "name"]


def _column_out(frame: pd.DataFrame, name: str, values: object, given_as_is: bool) -> object:
    """An input column of the result: the caller's own (shared, not copied) where it is as
    given, else its values as resolved (names built from codes, as pandas infers them)."""
    if given_as_is:
        return frame[name]
    if isinstance(values, pd.Categorical):
        distinct = pd.Series(np.asarray(values.categories, dtype=object)).array
        return distinct.take(values.codes)
    if isinstance(values, str):  # a default name: pandas reads one text, not one per row
        return pd.Series([values]).array.take(np.zeros(len(frame), dtype=np.intp))
    return np.broadcast_to(values, (len(frame),))


def _column(frame: pd.DataFrame, spec) -> tuple[object, bool]:
    """One input column, missing columns and blank cells taking the default; and whether
    the column is the caller's as given (numbers in floats or names, with no blank cell)."""
    if spec.name not in frame.columns:
        return spec.default, False
    column = frame[spec.name]
    values, blank = blanks_filled(column, spec)
    floats = column.dtype == np.float64 and spec.kind != "name"
    return values, not blank and (floats or isinstance(values, pd.Categorical))


def steps_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Every quantity of the graph (look-ups and inputs as used included) for a table of
    scenarios, as a workbook computes them cell by cell: its cached values."""
    arrays = take(**{q.name: _column(frame, q)[0] for q in INPUTS})
    with np.errstate(all="ignore"):
        values = graph.evaluate(arrays)
    return pd.DataFrame(
        {q.name: np.broadcast_to(values[q.name], (len(frame),)) for q in graph.steps()},
        index=frame.index,
    )
