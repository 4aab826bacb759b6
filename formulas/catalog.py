"""The catalogue: accelerators, precisions and model presets, read from the CSV files in
``formulas/data`` (each row cites its source and date; extend them freely).
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Hashable
from decimal import Decimal
from importlib import resources

import numpy as np
import pandas as pd

from ._arrays import _float_of, _percent, gpu_text_error
from .errors import InvalidInputError, Position, UnknownNameError
from .units import parse_quantity
from .vocabulary import ascii_lower

__all__ = [
    "GPU_FIELDS",
    "canonical_gpu",
    "canonical_model",
    "canonical_precision",
    "compute_unit",
    "gpu_figure",
    "gpu_names",
    "gpu_row",
    "gpu_spec",
    "gpu_spelt_by",
    "gpus",
    "model_names",
    "model_preset",
    "models",
    "precision_names",
    "precisions",
    "resolve_gpu",
    "resolve_precision",
    "unit_column",
]

GPU_FIELDS = (
    "fp16_flops",
    "fp8_flops",
    "int8_ops",
    "memory_bytes",
    "memory_bandwidth_bytes_per_second",
    "tdp_watts",
    "hourly_usd",
)
_COMPUTE_COLUMNS = ("fp16_flops", "fp8_flops", "int8_ops")
_COMPUTE_INDEX = {"fp16": 0, "fp8": 1, "int8": 2}


def _key(name: object) -> str:
    """Spelling-insensitive key: 'H100 SXM', 'h100-sxm' and 'H100_SXM' are the same. Case
    is ignored in ASCII letters only: "l40ſ" is no spelling of the L40S."""
    return ascii_lower(re.sub(r"[\s_\-.]", "", str(name)))


@functools.cache
def _read(table: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(f"data/{table}.csv").open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype={"aliases": str, "notes": str})
    return frame.set_index("name", drop=False)


@functools.cache
def _lookup(table: str) -> dict[str, str]:
    """Map each canonical name, and the spelling key of it and of its aliases, to the name."""
    frame = _read(table)
    keys = {}
    aliases = frame["aliases"] if "aliases" in frame else [None] * len(frame)
    for name, more in zip(frame["name"], aliases, strict=True):
        spellings = [name] + (more.split(";") if isinstance(more, str) else [])
        keys.update({_key(spelling): name for spelling in spellings})
        keys[name] = name
    return keys


def _canonical(table: str, argument: str, value: object) -> str:
    try:
        found = _lookup(table).get(value) or _lookup(table).get(_key(value))
    except TypeError:  # a list or a dict: no name, refused as any unknown one
        found = None
    if found is None:
        raise UnknownNameError(argument, value, list(_read(table)["name"]))
    return found


def canonical_gpu(name: str) -> str:
    """The catalogue name for any spelling or alias of a GPU ("a100 40gb" -> "A100")."""
    return _canonical("gpus", "gpu", name)


def canonical_precision(name: str) -> str:
    """The catalogue name for a precision, whatever its case ("fp8" -> "FP8")."""
    return _canonical("precisions", "precision", name)


def canonical_model(name: str) -> str:
    """The catalogue name for a model preset or one of its aliases."""
    return _canonical("models", "model", name)


def gpus() -> pd.DataFrame:
    """The accelerator catalogue, one row per GPU, in base units (FLOP/s, B, B/s, W, USD/h)."""
    return _read("gpus").copy()


def precisions() -> pd.DataFrame:
    """The precision catalogue: bytes per parameter and the compute column each uses."""
    return _read("precisions").copy()


def models() -> pd.DataFrame:
    """The model presets: parameters, precision and steps per request, with sources."""
    return _read("models").copy()


def gpu_names() -> list[str]:
    """Canonical GPU names, in catalogue order."""
    return list(_read("gpus")["name"])


def precision_names() -> list[str]:
    """Canonical precision names, in catalogue order."""
    return list(_read("precisions")["name"])


def model_names() -> list[str]:
    """Canonical model preset names, in catalogue order."""
    return list(_read("models")["name"])


def gpu_spec(gpu: str, field: str) -> object:
    """One field of one GPU's catalogue row.

    Parameters
    ----------
    gpu : str
        GPU name or alias (case and dashes ignored).
    field : str
        A column of :func:`gpus` (e.g. ``"fp16_flops"`` [FLOP/s], ``"memory_bytes"`` [B],
        ``"hourly_usd"`` [USD/h], ``"price_source"``).
    """
    if isinstance(gpu, numbers.Real) and not isinstance(gpu, bool):
        gpu = gpu_spelt_by(gpu) or gpu  # 4090 as Excel sends a typed 4090: 4090.0
    row = _read("gpus").loc[_canonical("gpus", "gpu", gpu)]
    if not isinstance(field, Hashable) or field not in row.index:
        raise UnknownNameError("field", field, [c for c in row.index if c != "aliases"])
    value = row[field]
    return None if isinstance(value, float) and np.isnan(value) else _plain(value)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


PRESET_INPUTS = (
    "modality",
    "params",
    "precision",
    "steps",
    "request_bytes",
    "response_bytes",
    "stored_bytes_per_request",
    "active_params",
    "text_encoder_params",
    "layers",
    "attention_heads",
    "kv_heads",
    "head_dim",
    "backbone",
    "vae_factor",
    "patch_size",
    "input_tokens",
    "output_tokens",
    "image_width",
    "image_height",
    "guidance_passes",
    "unet_flops_per_pixel",
    "audio_seconds",
)


def model_preset(model: str) -> dict[str, object]:
    """Inputs for a model preset: what the model is (``modality``, ``params``,
    ``precision``, its layers and heads, an image model's backbone, VAE factor and patch),
    its default request (tokens, image size, ``steps`` [steps/request], audio seconds) and
    its traffic per request (``request_bytes``, ``response_bytes``,
    ``stored_bytes_per_request`` [B]); a field the model does not have is left out."""
    row = _read("models").loc[_canonical("models", "model", model)]
    found = {}
    for name in PRESET_INPUTS:
        value = row[name]
        if isinstance(value, str):
            found[name] = value
        elif value == value:  # not NaN: the model has it
            found[name] = float(value)
    return found


def _distinct(values) -> tuple[object, list]:
    """Codes into the distinct values (one look-up each): a scalar gives code 0."""
    if isinstance(values, pd.Categorical):  # estimate_table's names: already coded
        return values.codes, list(values.categories)
    if not isinstance(values, np.ndarray):
        return 0, [values]
    codes, uniques = pd.factorize(values.ravel(), use_na_sentinel=False)
    return codes.reshape(values.shape), list(uniques)


def _named(table: str, argument: str, value: object, codes, i: int) -> str:
    """Canonical name of distinct value ``i``; an error names its first row."""
    try:
        return _canonical(table, argument, value)
    except UnknownNameError as error:
        raise _at_first_row(error, codes, i) from None


def _at_first_row(error: InvalidInputError, codes, i: int) -> InvalidInputError:
    """``error`` naming the first row of distinct value ``i`` (codes of an array)."""
    if np.ndim(codes):
        error.row = Position(int(np.argmax(np.ravel(codes) == i)), np.shape(codes))
        error.args = (str(error),)
    return error


def _gpu_named(value: object, codes, i: int) -> str:
    """:func:`_named` for a GPU that is no number: text written as one ("1,5T", or
    "1.500T" in de-DE) is refused as the number parser refuses it, which says more than
    the close names of GPUs would."""
    error = gpu_text_error(value) if isinstance(value, str) else None
    if error is not None:
        raise _at_first_row(error, codes, i)
    return _named("gpus", "gpu", value, codes, i)


def resolve_precision(precision, argument: str = "precision") -> tuple[object, object]:
    """Bytes per parameter and compute column index (0 fp16, 1 fp8, 2 int8) for names;
    an unknown one is refused naming ``argument``."""
    if type(precision) is str:  # one cell
        return _one_precision(precision, argument)
    codes, uniques = _distinct(precision)
    found = [
        _precision_row(_named("precisions", argument, u, codes, i)) for i, u in enumerate(uniques)
    ]
    if np.ndim(codes) == 0:
        return found[0]
    width = np.array([f[0] for f in found], dtype=float)  # typed: a table may have no rows
    compute = np.array([f[1] for f in found], dtype=np.intp)
    return width[codes], compute[codes]


@functools.lru_cache(maxsize=1024)
def _one_precision(value: str, argument: str) -> tuple[float, int]:
    return _precision_row(_canonical("precisions", argument, value))  # unknown: raises


@functools.cache
def _precision_row(name: str) -> tuple[float, int]:
    row = _read("precisions").loc[name]
    return float(row["bytes_per_param"]), _COMPUTE_INDEX[row["compute"]]


def resolve_gpu(gpu, compute) -> dict[str, object]:
    """Catalogue figures for GPU names (or FLOP/s numbers) and compute column indexes.

    Returns ``flops`` [FLOP/s] for each row's compute column (falling back to FP16
    where the GPU has no such unit), ``memory_bytes`` [B] and ``hourly_usd`` [USD/h];
    a GPU given as a number has that FLOP/s and no memory or price (NaN).
    """
    if type(gpu) is str and type(compute) is int:  # one cell
        flops, memory, price = _scalar_gpu(gpu) or _gpu_row(gpu, 0, 0)
        return {"flops": flops[compute], "memory_bytes": memory, "hourly_usd": price}
    codes, uniques = _distinct(gpu)
    rows = [_gpu_row(u, codes, i) for i, u in enumerate(uniques)]
    # distinct GPUs x compute columns (typed and shaped: a table may have no rows)
    flops = np.array([r[0] for r in rows], dtype=float).reshape(len(rows), len(_COMPUTE_COLUMNS))
    memory = np.array([r[1] for r in rows], dtype=float)
    price = np.array([r[2] for r in rows], dtype=float)
    if np.ndim(codes) == 0 and np.ndim(compute) == 0:
        return {
            "flops": float(flops[0, compute]),
            "memory_bytes": float(memory[0]),
            "hourly_usd": float(price[0]),
        }
    if np.shape(codes) == np.shape(compute):  # a table: nothing to broadcast
        return {
            "flops": flops[codes, compute],
            "memory_bytes": memory[codes],
            "hourly_usd": price[codes],
        }
    return {
        "flops": flops[codes, compute],
        "memory_bytes": memory[codes] + 0 * compute,
        "hourly_usd": price[codes] + 0 * compute,
    }


@functools.lru_cache(maxsize=1024)
def _scalar_gpu(value: str) -> tuple[list[float], float, float] | None:
    """A GPU name's figures, else None. Text written as a number is read again at each
    call: how it reads depends on the caller's culture (in de-DE, "1.500T" is refused)."""
    name = _gpu_name(value)
    return _gpu_figures(name) if name else None


def gpu_spelt_by(number: float) -> str | None:
    """The GPU whose name or alias a whole number spells (4090: RTX4090), else None."""
    try:
        x = float(number)
    except OverflowError:  # an integer past the largest float spells no name
        return None
    return _gpu_name(str(int(x))) if x.is_integer() and 0 < x < 1e16 else None


def _gpu_name(value: object) -> str | None:
    """The catalogue name of a GPU name or alias, else None."""
    if not isinstance(value, str):
        return None
    return _lookup("gpus").get(value) or _lookup("gpus").get(_key(value))


def _gpu_row(value, codes, i) -> tuple[list[float], float, float]:
    # Names first: the alias "4090" is a GPU, not 4,090 FLOP/s.
    name = _gpu_name(value)
    flops = None if name else _flops(value)
    if flops is not None:
        return [flops] * 3, math.nan, math.nan
    return _gpu_figures(name or _gpu_named(value, codes, i))


@functools.cache
def _gpu_figures(name: str) -> tuple[list[float], float, float]:
    row = _read("gpus").loc[name]
    fp16 = float(row["fp16_flops"])
    units = [fp16] + [fp16 if pd.isna(row[c]) else float(row[c]) for c in _COMPUTE_COLUMNS[1:]]
    return units, float(row["memory_bytes"]), float(row["hourly_usd"])


def _flops(value: object) -> float | None:
    """A GPU given as FLOP/s: a number, or text that reads as one ("1e15", "989T")."""
    if isinstance(value, bool | np.bool_):  # True is no FLOP/s (numpy's True: not 1)
        return None
    if isinstance(value, numbers.Real | Decimal):  # a Fraction, a Decimal, a numpy number
        return _float_of(value)  # (beyond a float: OverflowError, refused as too large)
    if not isinstance(value, str) or _percent(value):  # 20 % is no FLOP/s
        return None
    try:
        return parse_quantity(value)
    except InvalidInputError:
        return None


_COMPUTE_NAMES = tuple(_COMPUTE_INDEX)  # index -> compute unit name


_FIGURES = {
    "memory_bytes": "memory_bytes",
    "hourly_usd": "hourly_usd",
    "memory_bandwidth": "memory_bandwidth_bytes_per_second",
}


def gpu_figure(gpu, field: str):
    """``memory_bytes`` [B], ``hourly_usd`` [USD/h] or ``memory_bandwidth`` [B/s] for GPU
    names (NaN for a GPU given as FLOP/s, which has none of them)."""
    column = _FIGURES[field]
    if type(gpu) is str:  # one cell
        figure = _one_figure(gpu, column)
        return _figure(gpu, 0, 0, column) if figure is None else figure
    codes, uniques = _distinct(gpu)
    values = np.array([_figure(u, codes, i, column) for i, u in enumerate(uniques)], dtype=float)
    return float(values[0]) if np.ndim(codes) == 0 else values[codes]


@functools.lru_cache(maxsize=1024)
def _one_figure(value: str, column: str) -> float | None:
    """A GPU name's figure, else None (text written as a number: see _scalar_gpu)."""
    name = _gpu_name(value)
    return _gpu_field(name, column) if name else None


def _figure(value, codes, i, column: str) -> float:
    name = _gpu_name(value)
    if name is None and _flops(value) is not None:
        return math.nan  # a GPU given as FLOP/s
    return _gpu_field(name or _gpu_named(value, codes, i), column)


@functools.cache
def _gpu_field(name: str, column: str) -> float:
    return float(_read("gpus").loc[name, column])  # pandas' .loc: 0.1 ms a look-up


def compute_unit(precision):
    """The compute unit each precision runs on: ``"fp16"``, ``"fp8"`` or ``"int8"``."""
    index = resolve_precision(precision)[1]
    if np.ndim(index) == 0:
        return _COMPUTE_NAMES[int(index)]
    return np.array(_COMPUTE_NAMES, dtype=object)[index]


def unit_column(unit):
    """Which compute column (1: FP16, 2: FP8, 3: INT8) a compute unit reads."""
    if isinstance(unit, str):
        return float(_COMPUTE_INDEX[unit] + 1)
    return np.array([_COMPUTE_INDEX[u] + 1 for u in np.ravel(unit)], dtype=float).reshape(
        np.shape(unit)
    )


def gpu_row(gpu):
    """Each GPU's row in the catalogue, from 1; NaN for a GPU given as FLOP/s."""
    codes, uniques = _distinct(gpu)
    names = _read("gpus")["name"].tolist()
    rows = []
    for i, value in enumerate(uniques):
        _gpu_row(value, codes, i)  # an unknown name raises, naming its row
        found = _gpu_name(value)
        rows.append(math.nan if found is None else names.index(found) + 1)
    if np.ndim(codes) == 0:
        return float(rows[0])
    return np.array(rows, dtype=float)[codes]
