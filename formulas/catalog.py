"""The catalogue: accelerators, precisions and model presets, read from the CSV files in
``formulas/data`` (each row cites its source and date; extend them freely).
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import numpy as np
import pandas as pd

from .errors import UnknownNameError

__all__ = [
    "GPU_FIELDS",
    "gpu_names",
    "gpu_spec",
    "gpus",
    "model_names",
    "model_preset",
    "models",
    "precision_names",
    "precisions",
    "resolve_gpu",
    "resolve_precision",
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
_COMPUTE_COLUMN = {"fp16": "fp16_flops", "fp8": "fp8_flops", "int8": "int8_ops"}


def _key(name: object) -> str:
    """Spelling-insensitive key: 'H100 SXM', 'h100-sxm' and 'H100_SXM' are the same."""
    return re.sub(r"[\s_\-.]", "", str(name)).upper()


@functools.cache
def _read(table: str) -> pd.DataFrame:
    with resources.files("formulas").joinpath(f"data/{table}.csv").open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype={"aliases": str, "notes": str})
    return frame.set_index("name", drop=False)


@functools.cache
def _lookup(table: str) -> dict[str, str]:
    """Map every spelling key (name and aliases) to the canonical name."""
    keys = {}
    for name, aliases in zip(_read(table)["name"], _read(table).get("aliases", []), strict=False):
        keys[_key(name)] = name
        for alias in str(aliases).split(";") if isinstance(aliases, str) else ():
            keys[_key(alias)] = name
    for name in _read(table)["name"]:
        keys.setdefault(_key(name), name)
    return keys


def _canonical(table: str, argument: str, value: object) -> str:
    found = _lookup(table).get(_key(value))
    if found is None:
        raise UnknownNameError(argument, value, list(_read(table)["name"]))
    return found


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
    row = _read("gpus").loc[_canonical("gpus", "gpu", gpu)]
    if field not in row.index:
        raise UnknownNameError("field", field, [c for c in row.index if c != "aliases"])
    value = row[field]
    return None if isinstance(value, float) and np.isnan(value) else _plain(value)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def model_preset(model: str) -> dict[str, object]:
    """Inputs for a model preset: ``params``, ``precision`` and ``steps``."""
    row = _read("models").loc[_canonical("models", "model", model)]
    return {"params": float(row["params"]), "precision": row["precision"],
            "steps": float(row["steps"])}


def _resolve(table: str, argument: str, values: np.ndarray) -> np.ndarray:
    """Canonical names for an array of names, looking each distinct spelling up once."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object).ravel())
    canon = np.array([_canonical_at(table, argument, u, codes, i)
                      for i, u in enumerate(uniques)], dtype=object)
    return canon[codes].reshape(np.shape(values))


def _canonical_at(table, argument, value, codes, i):
    try:
        return _canonical(table, argument, value)
    except UnknownNameError as error:
        error.row = int(np.argmax(codes == i)) if codes.size > 1 else None
        error.args = (str(error),)
        raise


def resolve_precision(precision: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bytes per parameter and compute column for an array of precision names."""
    names = _resolve("precisions", "precision", precision)
    table = _read("precisions")
    byte_map = dict(zip(table["name"], table["bytes_per_param"], strict=True))
    compute_map = dict(zip(table["name"], table["compute"], strict=True))
    widths = np.vectorize(byte_map.__getitem__, otypes=[float])(names) if names.size else names
    compute = np.vectorize(compute_map.__getitem__, otypes=[object])(names) if names.size else names
    return widths, compute


def resolve_gpu(gpu: np.ndarray, compute: np.ndarray) -> dict[str, np.ndarray]:
    """Catalogue figures for an array of GPU names (or FLOP/s numbers).

    Returns ``flops`` [FLOP/s] for each row's compute column (falling back to FP16
    where the GPU has no such unit), ``memory_bytes`` [B] and ``hourly_usd`` [USD/h];
    a GPU given as a number has that FLOP/s and no memory or price (NaN).
    """
    gpu, compute = np.broadcast_arrays(np.asarray(gpu, dtype=object),
                                       np.asarray(compute, dtype=object))
    numeric = np.vectorize(_is_number, otypes=[bool])(gpu) if gpu.size else gpu.astype(bool)
    names = np.where(numeric, None, gpu)
    table = _read("gpus")
    out = {k: np.full(gpu.shape, np.nan) for k in ("flops", "memory_bytes", "hourly_usd")}
    if (~numeric).any():
        canon = _resolve("gpus", "gpu", names[~numeric])
        rows = table.index.get_indexer(canon)
        fp16 = table["fp16_flops"].to_numpy(float)[rows]
        flops = fp16.copy()
        for name, column in _COMPUTE_COLUMN.items():
            pick = compute[~numeric] == name
            flops[pick] = table[column].to_numpy(float)[rows][pick]
        out["flops"][~numeric] = np.where(np.isnan(flops), fp16, flops)
        out["memory_bytes"][~numeric] = table["memory_bytes"].to_numpy(float)[rows]
        out["hourly_usd"][~numeric] = table["hourly_usd"].to_numpy(float)[rows]
    out["flops"][numeric] = gpu[numeric].astype(float)
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)
