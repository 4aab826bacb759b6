"""Catalogue look-ups: the inputs the catalogue fills in, and the steps a spreadsheet takes
to find them.

Python resolves a GPU or precision name once (:func:`~xlplugin.formulas.catalog.resolve_gpu`);
a workbook finds the catalogue row with MATCH and the compute column of the precision,
then reads the figure with INDEX. The row and column steps are quantities of their own so
that the workbook can show them (and cache their values), but nothing else needs them.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import catalog
from ._arrays import first, given
from .errors import InvalidInputError
from .graph import quantity
from .units import parse_quantity
from .vocabulary import INPUT

__all__ = [
    "bytes_per_param_used",
    "catalog_flops",
    "compute_unit",
    "gpu_catalog_row",
    "gpu_flops_used",
    "gpu_hourly_usd_used",
    "gpu_memory_bandwidth_used",
    "gpu_memory_bytes_used",
    "gpu_unit_column",
]

_ROW = "{gpu_catalog_row}"
_UNIT = "INDEX({catalog_gpu_units}," + _ROW + ",{gpu_unit_column})"


def _catalogue_or_blank(override: str, column: str) -> str:
    """The override where it is a number, else the catalogue's figure, else empty (a GPU
    given as FLOP/s has no memory or price)."""
    looked_up = f"INDEX({{{column}}},{_ROW})"
    return (
        f'IF(ISNUMBER({{{override}}}),{{{override}}},IF(ISNUMBER({{gpu}}),"",'
        f'IF(ISNUMBER({looked_up}),{looked_up},"")))'
    )


@quantity(
    "name",
    "Compute unit of the precision",
    excel="INDEX({catalog_precision_compute},MATCH({precision},{catalog_precision_name},0))",
)
def compute_unit(precision):
    """The GPU compute unit a precision runs on (fp16, fp8 or int8)."""
    return catalog.compute_unit(precision)


@quantity(
    "row",
    "GPU's row in the catalogue",
    excel='IF(ISNUMBER({gpu}),"",MATCH({gpu},{catalog_gpu_name},0))',
)
def gpu_catalog_row(gpu):
    """The GPU's row in the catalogue, counted from 1 (none for a GPU given as FLOP/s)."""
    return catalog.gpu_row(gpu)


@quantity(
    "column",
    "Catalogue column for the compute unit",
    excel="MATCH(INDEX({catalog_unit_gpu_column},MATCH({compute_unit},{catalog_unit_key},0)),"
    "{catalog_gpu_units_header},0)",
)
def gpu_unit_column(compute_unit):
    """Which of the catalogue's compute columns (FP16, FP8, INT8) the unit reads."""
    return catalog.unit_column(compute_unit)


@quantity(
    "FLOP/s",
    "Catalogue peak FLOP/s (FP16 if the unit is missing)",
    excel="IF(ISNUMBER({gpu}),{gpu},IF(ISNUMBER("
    + _UNIT
    + "),"
    + _UNIT
    + ",INDEX({catalog_gpu_fp16_flops},"
    + _ROW
    + ")))",
)
def catalog_flops(gpu, precision):
    """Dense peak FLOP/s of the GPU for the precision's compute unit (a GPU given as a
    number is that FLOP/s)."""
    flops = catalog.resolve_gpu(gpu, catalog.resolve_precision(precision)[1])["flops"]
    check_flops(flops, gpu)
    return flops


_LEAST_FLOPS = INPUT["gpu"].low


def check_flops(flops, gpu) -> None:
    """A GPU given as a number must be a finite FLOP/s of at least 1e12 (an infinite one
    would make inference take no time at all; a smaller one is a unit slip, 312 for 312T,
    or a name typed as a number, 4090)."""
    if type(flops) is float and _LEAST_FLOPS <= flops < math.inf:  # one cell, the usual case
        return
    bad = np.logical_not((flops >= _LEAST_FLOPS) & (flops < math.inf))
    if np.any(bad):
        row, (value, given_as) = first(bad, flops, gpu)
        raise InvalidInputError("gpu", value, INPUT["gpu"].accepts + _flops_hint(given_as), row)


def _flops_hint(gpu) -> str:
    """ "(did you mean RTX4090?)" for 4090 given as a number, which is also a name's alias;
    "(did you mean 312T?)" for 312, a figure in TFLOP/s."""
    if isinstance(gpu, str):  # "312" from the command line or a CSV: as the number
        try:
            gpu = parse_quantity(gpu)
        except InvalidInputError:
            return ""
    if isinstance(gpu, bool) or not isinstance(gpu, numbers.Real):
        return ""
    name = catalog.gpu_spelt_by(gpu)
    if name:
        return f" (did you mean {name}?)"
    return f" (did you mean {gpu:g}T?)" if 1 <= gpu < 1e5 else ""  # a TFLOP/s figure


@quantity(
    "B/parameter",
    "Bytes per parameter used",
    excel="IF(ISNUMBER({bytes_per_param}),{bytes_per_param},"
    "INDEX({catalog_precision_bytes},MATCH({precision},{catalog_precision_name},0)))",
    resolves="bytes_per_param",
)
def bytes_per_param_used(bytes_per_param, precision):
    """Bytes per weight: as given, else the precision's width (FP16: 2)."""
    if bytes_per_param is None:  # not given: the precision's width, no array to fill
        return catalog.resolve_precision(precision)[0]
    return given(bytes_per_param, catalog.resolve_precision(precision)[0])


@quantity(
    "FLOP/s",
    "GPU peak FLOP/s used",
    excel="IF(ISNUMBER({gpu_flops}),{gpu_flops},{catalog_flops})",
    resolves="gpu_flops",
)
def gpu_flops_used(gpu_flops, catalog_flops):
    """Peak FLOP/s per GPU: as given, else the catalogue's for the precision."""
    return given(gpu_flops, catalog_flops)


@quantity(
    "B",
    "GPU memory used",
    excel=_catalogue_or_blank("gpu_memory_bytes", "catalog_gpu_memory"),
    resolves="gpu_memory_bytes",
)
def gpu_memory_bytes_used(gpu_memory_bytes, gpu):
    """Memory per GPU: as given, else the catalogue's (unknown for a GPU given as FLOP/s)."""
    return given(gpu_memory_bytes, catalog.gpu_figure(gpu, "memory_bytes"))


@quantity(
    "USD/GPU-hour",
    "GPU price per hour used",
    excel=_catalogue_or_blank("gpu_hourly_usd", "catalog_gpu_hourly"),
    resolves="gpu_hourly_usd",
)
def gpu_hourly_usd_used(gpu_hourly_usd, gpu):
    """On-demand price per GPU-hour: as given, else the catalogue's."""
    return given(gpu_hourly_usd, catalog.gpu_figure(gpu, "hourly_usd"))


@quantity(
    "B/s",
    "GPU memory bandwidth used",
    excel=_catalogue_or_blank("gpu_memory_bandwidth", "catalog_gpu_bandwidth"),
    resolves="gpu_memory_bandwidth",
)
def gpu_memory_bandwidth_used(gpu_memory_bandwidth, gpu):
    """Memory bandwidth per GPU: as given, else the catalogue's."""
    return given(gpu_memory_bandwidth, catalog.gpu_figure(gpu, "memory_bandwidth"))
