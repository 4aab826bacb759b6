"""The Excel text of every step of the estimate, read from the quantity graph.

Each quantity of :mod:`xlplugin.formulas` carries its native Excel template beside its
Python expression (:mod:`xlplugin.formulas.graph`); this module only lays them out for
the workbook. A template's ``{name}`` placeholders are a vocabulary input (``{dau}``), a
constant or catalogue range (``{seconds_per_day}``, ``{catalog_gpu_name}``; always the
workbook name of the same spelling) or another step (``{peak_rps}``). The Estimate sheet,
every Scenarios row and the Projection fill them with their own cell references.

No number is typed into a formula except ROUNDUP's ``0`` digits and MATCH's ``0`` match
type: constants live on the Inputs sheet, catalogue figures on the Catalog sheet.
Functions used: INDEX, MATCH, IF, ISNUMBER, ROUNDUP (Excel 2010+ and LibreOffice 7.4).
"""

from __future__ import annotations

import functools
import re

from xlplugin.formulas import graph
from xlplugin.formulas.graph import CONSTANTS, Constant, placeholders

__all__ = [
    "CATALOG_NAMES",
    "CONSTANTS",
    "HELPERS",
    "HELPER_LABELS",
    "STEPS",
    "Constant",
    "descendants_in_excel",
    "placeholders",
    "plugin_arguments",
    "plugin_formula",
    "render",
]

# Workbook names of catalogue ranges (Catalog sheet), used verbatim in templates.
CATALOG_NAMES = (
    "catalog_gpu_name",
    "catalog_gpu_units",
    "catalog_gpu_units_header",
    "catalog_gpu_fp16_flops",
    "catalog_gpu_memory",
    "catalog_gpu_bandwidth",
    "catalog_gpu_hourly",
    "catalog_precision_name",
    "catalog_precision_bytes",
    "catalog_precision_compute",
    "catalog_unit_key",
    "catalog_unit_gpu_column",
)

# Every step in calculation order; the helpers are the steps that are not outputs
# (catalogue look-ups, inputs as used, requests per month).
STEPS: dict[str, str] = {q.name: q.excel for q in graph.steps()}
HELPERS: dict[str, str] = {q.name: q.excel for q in graph.steps() if not q.section}
HELPER_LABELS: dict[str, tuple[str, str]] = {
    q.name: (q.label, q.unit) for q in graph.steps() if not q.section
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: str, refs: dict[str, str], inline: set[str] = frozenset()) -> str:
    """The formula text (with a leading ``=``) with every placeholder replaced.

    ``refs`` maps inputs and steps to cell references; constants and catalogue ranges not
    in ``refs`` stay their workbook names. Steps in ``inline`` are written out in place,
    in parentheses, from their own templates.
    """

    def text(inner: str) -> str:
        return _PLACEHOLDER.sub(
            lambda m: f"({text(STEPS[m[1]])})" if m[1] in inline else refs.get(m[1], m[1]),
            inner,
        )

    return "=" + text(template)


@functools.cache  # asked for each swung case and step of the Sensitivity sheet
def descendants_in_excel(name: str) -> frozenset[str]:
    """Steps whose Excel templates refer to ``name``, directly or through other steps."""
    found: set[str] = set()
    for step, template in STEPS.items():
        used = set(placeholders(template))
        if name in used or found & used:
            found.add(step)
    return frozenset(found)


def plugin_arguments(output: str) -> list[str]:
    """Arguments of the plugin's Excel function for an output, in its order: the
    vocabulary inputs it depends on, as for its :mod:`xlplugin.formulas` twin."""
    return graph.depends_on(output)


def plugin_formula(output: str, refs: dict[str, str]) -> str:
    """``=GPU_COUNT(dau, ...)``: the output computed by the plugin's Excel function."""
    arguments = ",".join(refs[name] for name in plugin_arguments(output))
    return f"={output.upper()}({arguments})"
