"""Excel functions: every quantity of the estimate, for classic xlwings, xlwings Lite and
xlwings Server alike.

One function per output of :data:`formulas.vocabulary.OUTPUTS`, named after it (Excel
shows it upper-cased: ``=GPU_COUNT(dau, requests_per_user, params, gpu, ...)``), plus
``ESTIMATE``, ``SCENARIOS`` and ``GPU_SPEC``. Each is a thin adapter: the numbers come
from :mod:`formulas`, the descriptions Excel shows from its vocabulary
(:func:`~xlplugin._excel.excel_function`).

In Excel:

- Arguments past the first few are optional; omitted or empty, they take the
  vocabulary's default. Numbers may be text with SI suffixes ("100M", "8.1B", "1MB").
- Any argument may be a cell, a row, a column or a 2-D range: the result spills in the
  broadcast shape (a column of users against a row of GPUs gives a table), computed in one
  vectorised call. Inside a range an empty cell takes the default, except in a required
  argument, where the result's cell stays empty.
- Bad input gives one line naming the argument, what it got and what it accepts. On
  xlwings Lite and Server a call that fails as a whole is a real ``#VALUE!`` (IFERROR and
  ISERROR catch it) with ``dau: got -5; accepts a number > 0`` on its error flag; inside a
  spilled table only the bad cells (or scenario rows) fail, each holding the line as text
  (``#VALUE! dau: got -5; accepts a number > 0``). Classic xlwings shows that text in the
  cell for a failed call too: its VBA wrapper cannot return an Excel error from a UDF.
- ``gpu``, ``precision`` and GPU_SPEC's ``field`` offer the catalogue as a dropdown
  (xlwings Lite and Server). xlwings declares such an argument to Excel as one text cell;
  set ``XLPLUGIN_DROPDOWNS=0`` to trade the dropdowns for ranges there too.
- Results are cached by arguments in xlwings Lite and Server (``cache=True``).

Deploy with ``xlplugin serve`` (xlwings Server), ``xlplugin lite`` (xlwings Lite), or
this module in classic xlwings' "UDF Modules" (``xlplugin.functions``).
"""

from xlplugin import formulas
from xlplugin._excel import (
    Gpu,
    GpuField,
    Range,
    estimate_rows,
    excel_function,
    generated,
    output,
    scenario_rows,
    spec_cells,
)
from xlplugin.formulas.graph import depends_on
from xlplugin.formulas.vocabulary import INPUTS

# One function per output, its arguments those of its formulas twin in the same order
# (the vocabulary inputs it depends on), generated so that every route of xlwings sees a
# real parameter list.
for _q in formulas.OUTPUTS:
    globals()[_q.name] = excel_function(generated(_q.name, depends_on(_q.name), output))

estimate = excel_function(
    generated(
        "estimate",
        [q.name for q in INPUTS],
        lambda function, args: estimate_rows(args),
        required=False,
        doc="The whole estimate, spilled as rows of name, value, unit: every input as used "
        "(catalogue figures filled in), then every output. No arguments: the seed document.",
    )
)

__all__ = sorted([q.name for q in formulas.OUTPUTS] + ["estimate", "gpu_spec", "scenarios"])


@excel_function(
    table="Range whose header row names inputs (dau, requests_per_user, params, "
    "gpu, ...); one scenario per row below it. Empty cells and missing "
    "columns take the defaults; text like 100M works."
)
def scenarios(table: Range):
    """Every output for each scenario row of a table, spilled under a header row of output
    names; one vectorised call for the whole table. Empty rows stay empty."""
    return scenario_rows(table)


@excel_function(
    gpu="GPU name or alias from the catalogue (A100, H100, L4, MI300X, ...).",
    field="Catalogue column: fp16_flops [FLOP/s], fp8_flops, int8_ops, memory_bytes "
    "[B], memory_bandwidth_bytes_per_second, tdp_watts, hourly_usd "
    "[USD/GPU-hour], price_source, price_as_of, ...",
)
def gpu_spec(gpu: Gpu, field: GpuField):
    """One figure of the GPU catalogue, in base units (FLOP/s, B, B/s, W, USD/GPU-hour),
    or its source and date; empty where the catalogue has none."""
    return spec_cells(gpu, field)


def __getattr__(name: str):
    # A call naming the function in any case ("GPU_COUNT", "Gpu_Count") reaches it
    # ("gpu_count"): Excel matches function names case-insensitively.
    if name.lower() != name and name.lower() in __all__:
        return globals()[name.lower()]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
