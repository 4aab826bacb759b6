"""The Excel text of every step of the estimate, in one table, mirroring ``formulas``.

Each template is the formula of one quantity, written with ``{name}`` placeholders:
a vocabulary input (``{dau}``), a constant or catalogue range (``{seconds_per_day}``,
``{catalog_gpu_name}``; always the workbook name of the same spelling) or another step
(``{peak_rps}``). The Estimate sheet, every Scenarios row and the Projection fill the
placeholders with their own cell references, so all of them share this one source.

The steps mirror ``formulas.estimate._compute`` one for one. No number is typed into a
formula except ROUNDUP's ``0`` digits and MATCH's ``0`` match type: constants live on the
Inputs sheet, catalogue figures on the Catalog sheet. Two algebraic forms differ from the
Python text: ``x * (1 + f)`` is written ``x + x * f`` (equal to within one rounding).
Functions used: INDEX, MATCH, IF, ISNUMBER, ROUNDUP (Excel 2010+ and LibreOffice 7.4).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from xlplugin import formulas
from xlplugin.formulas.estimate import REQUESTS_PER_THOUSAND
from xlplugin.formulas.units import BITS_PER_BYTE, BYTES_PER_GB, HOURS_PER_DAY, SECONDS_PER_DAY
from xlplugin.formulas.vocabulary import INPUT, OUTPUTS

__all__ = [
    "CATALOG_NAMES",
    "CONSTANTS",
    "HELPERS",
    "STEPS",
    "Constant",
    "placeholders",
    "plugin_arguments",
    "plugin_formula",
    "render",
]


@dataclass(frozen=True)
class Constant:
    """A fixed number a formula needs, kept as a named cell on the Inputs sheet."""

    name: str
    value: float
    unit: str
    label: str
    source: str


CONSTANTS: tuple[Constant, ...] = (
    Constant(
        "seconds_per_day",
        SECONDS_PER_DAY,
        "s/day",
        "Seconds per day",
        "formulas.units.SECONDS_PER_DAY",
    ),
    Constant(
        "hours_per_day", HOURS_PER_DAY, "h/day", "Hours per day", "formulas.units.HOURS_PER_DAY"
    ),
    Constant(
        "bits_per_byte", BITS_PER_BYTE, "bit/B", "Bits per byte", "formulas.units.BITS_PER_BYTE"
    ),
    Constant(
        "bytes_per_gb",
        BYTES_PER_GB,
        "B/GB",
        "Bytes per GB (decimal SI)",
        "formulas.units.BYTES_PER_GB",
    ),
    Constant(
        "requests_per_thousand",
        REQUESTS_PER_THOUSAND,
        "requests",
        "Requests per thousand",
        "formulas.estimate.REQUESTS_PER_THOUSAND",
    ),
    Constant(
        "requests_per_inference",
        1,
        "requests",
        "Requests per model run",
        "formulas.estimate: qps_per_gpu = 1 / inference_seconds (no batching)",
    ),
    Constant(
        "gpus_if_memory_unknown",
        1,
        "GPUs",
        "GPUs per replica when memory is unknown",
        "formulas.inference.replicas: a GPU given as FLOP/s counts as one GPU",
    ),
)

# Workbook names of catalogue ranges (Catalog sheet), used verbatim in templates.
CATALOG_NAMES = (
    "catalog_gpu_name",
    "catalog_gpu_units",
    "catalog_gpu_units_header",
    "catalog_gpu_fp16_flops",
    "catalog_gpu_memory",
    "catalog_gpu_hourly",
    "catalog_precision_name",
    "catalog_precision_bytes",
    "catalog_precision_compute",
    "catalog_unit_key",
    "catalog_unit_gpu_column",
)

_ROW = "{gpu_catalog_row}"
_UNIT = "INDEX({catalog_gpu_units}," + _ROW + ",{gpu_unit_column})"


def _catalogue_or_blank(override: str, column: str) -> str:
    looked_up = f"INDEX({{{column}}},{_ROW})"
    return (
        f'IF(ISNUMBER({{{override}}}),{{{override}}},IF(ISNUMBER({{gpu}}),"",'
        f'IF(ISNUMBER({looked_up}),{looked_up},"")))'
    )


# Catalogue look-ups (formulas.catalog.resolve_precision / resolve_gpu), then the outputs.
HELPERS: dict[str, str] = {
    "compute_unit": "INDEX({catalog_precision_compute},MATCH({precision},"
    "{catalog_precision_name},0))",
    "gpu_catalog_row": 'IF(ISNUMBER({gpu}),"",MATCH({gpu},{catalog_gpu_name},0))',
    "gpu_unit_column": "MATCH(INDEX({catalog_unit_gpu_column},MATCH({compute_unit},"
    "{catalog_unit_key},0)),{catalog_gpu_units_header},0)",
    "catalog_flops": "IF(ISNUMBER({gpu}),{gpu},IF(ISNUMBER("
    + _UNIT
    + "),"
    + _UNIT
    + ",INDEX({catalog_gpu_fp16_flops},"
    + _ROW
    + ")))",
    "bytes_per_param_used": "IF(ISNUMBER({bytes_per_param}),{bytes_per_param},"
    "INDEX({catalog_precision_bytes},MATCH({precision},"
    "{catalog_precision_name},0)))",
    "gpu_flops_used": "IF(ISNUMBER({gpu_flops}),{gpu_flops},{catalog_flops})",
    "gpu_memory_bytes_used": _catalogue_or_blank("gpu_memory_bytes", "catalog_gpu_memory"),
    "gpu_hourly_usd_used": _catalogue_or_blank("gpu_hourly_usd", "catalog_gpu_hourly"),
}

HELPER_LABELS: dict[str, tuple[str, str]] = {
    "compute_unit": ("Compute unit of the precision", "name"),
    "gpu_catalog_row": ("GPU's row in the catalogue", "row"),
    "gpu_unit_column": ("Catalogue column for the compute unit", "column"),
    "catalog_flops": ("Catalogue peak FLOP/s (FP16 if the unit is missing)", "FLOP/s"),
    "bytes_per_param_used": ("Bytes per parameter used", "B/parameter"),
    "gpu_flops_used": ("GPU peak FLOP/s used", "FLOP/s"),
    "gpu_memory_bytes_used": ("GPU memory used", "B"),
    "gpu_hourly_usd_used": ("GPU price per hour used", "USD/GPU-hour"),
}

OUTPUT_FORMULAS: dict[str, str] = {
    "model_size_bytes": "{params}*{bytes_per_param_used}",
    "profile_storage_bytes": "{dau}*{profile_bytes}",
    "interaction_storage_bytes_per_day": "{dau}*{requests_per_user}*{stored_bytes_per_request}",
    "storage_bytes_per_day": "{interaction_storage_bytes_per_day}"
    "+{interaction_storage_bytes_per_day}*{index_overhead}",
    "storage_bytes_per_month": "{storage_bytes_per_day}*{days_per_month}",
    "retained_storage_bytes": "{model_size_bytes}+{profile_storage_bytes}"
    "+{storage_bytes_per_month}*{retention_months}",
    "trps": "{dau}*{requests_per_user}/{seconds_per_day}",
    "peak_rps": "{trps}*{peak_factor}",
    "inference_seconds": "IF(ISNUMBER({measured_inference_seconds}),{measured_inference_seconds},"
    "{flops_per_param}*{params}*{steps}"
    "/({gpu_flops_used}*{utilization}))",
    "qps_per_gpu": "{requests_per_inference}/{inference_seconds}",
    "gpus_per_replica": "IF(ISNUMBER({gpu_memory_bytes_used}),ROUNDUP({model_size_bytes}"
    "/({gpu_memory_bytes_used}*{usable_memory_fraction}),0),"
    "{gpus_if_memory_unknown})",
    "gpu_count": "{gpus_per_replica}*ROUNDUP(({peak_rps}+{peak_rps}*{headroom})"
    "/({qps_per_gpu}*{gpus_per_replica}),0)",
    "ingress_bits_per_second": "{peak_rps}*{request_bytes}*{bits_per_byte}",
    "egress_bits_per_second": "{peak_rps}*{response_bytes}*{bits_per_byte}",
    "gpu_usd_per_month": "{gpu_count}*{gpu_hourly_usd_used}*{hours_per_day}*{days_per_month}",
    "storage_usd_per_month": "{retained_storage_bytes}/{bytes_per_gb}*{storage_usd_per_gb_month}",
    "egress_usd_per_month": "{dau}*{requests_per_user}*{days_per_month}*{response_bytes}"
    "/{bytes_per_gb}*{egress_usd_per_gb}",
    "total_usd_per_month": "{gpu_usd_per_month}+{storage_usd_per_month}+{egress_usd_per_month}",
    "usd_per_1k_requests": "{total_usd_per_month}/({dau}*{requests_per_user}"
    "*{days_per_month})*{requests_per_thousand}",
}

# Every step in calculation order: catalogue look-ups, then outputs in vocabulary order.
STEPS: dict[str, str] = HELPERS | {o.name: OUTPUT_FORMULAS[o.name] for o in OUTPUTS}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(template: str) -> list[str]:
    """Names a template refers to, in order of first appearance."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(template)))


def render(template: str, refs: dict[str, str]) -> str:
    """The formula text (with a leading ``=``) with every placeholder replaced.

    ``refs`` maps inputs and steps to cell references; constants and catalogue
    ranges not in ``refs`` stay their workbook names.
    """
    return "=" + _PLACEHOLDER.sub(lambda m: refs.get(m[1], m[1]), template)


def depends_on(step: str) -> set[str]:
    """Vocabulary inputs a step depends on, directly or through other steps."""
    found: set[str] = set()
    for name in placeholders(STEPS[step]):
        if name in STEPS:
            found |= depends_on(name)
        elif name in INPUT:
            found.add(name)
    return found


def plugin_arguments(output: str) -> list[str]:
    """Arguments of the plugin's Excel function for an output, in its order.

    The signature in :mod:`xlplugin.functions`; failing that (xlwings missing), the
    ``formulas`` function of that name, else the inputs the output depends on, in
    vocabulary order.
    """
    try:
        from xlplugin import functions
    except ImportError:  # pragma: no cover - xlwings is a dependency
        functions = formulas
    function = getattr(functions, output, None)
    if callable(function):
        return list(inspect.signature(function).parameters)
    used = depends_on(output)
    return [q for q in INPUT if q in used]


def plugin_formula(output: str, refs: dict[str, str]) -> str:
    """``=GPU_COUNT(dau, ...)``: the output computed by the plugin's Excel function."""
    arguments = ",".join(refs[name] for name in plugin_arguments(output))
    return f"={output.upper()}({arguments})"
