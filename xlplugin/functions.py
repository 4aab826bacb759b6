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
- Bad input shows one line in the cell, naming the argument, what it got and what it
  accepts: ``#VALUE! dau: got -5; accepts a number > 0``.
- ``gpu``, ``precision`` and GPU_SPEC's ``field`` offer the catalogue as a dropdown
  (xlwings Lite and Server). xlwings declares such an argument to Excel as one text cell;
  set ``XLPLUGIN_DROPDOWNS=0`` to trade the dropdowns for ranges there too.
- Results are cached by arguments in xlwings Lite and Server (``cache=True``).

Deploy with ``xlplugin serve`` (xlwings Server), ``xlplugin lite`` (xlwings Lite), or
this module in classic xlwings' "UDF Modules" (``xlplugin.functions``).
"""

from xlplugin._excel import (
    Gpu,
    GpuField,
    Number,
    Precision,
    Range,
    estimate_rows,
    excel_function,
    output,
    scenario_rows,
    spec_cells,
)

__all__ = [
    "egress_bits_per_second",
    "egress_usd_per_month",
    "estimate",
    "gpu_count",
    "gpu_spec",
    "gpu_usd_per_month",
    "gpus_per_replica",
    "inference_seconds",
    "ingress_bits_per_second",
    "interaction_storage_bytes_per_day",
    "model_size_bytes",
    "peak_rps",
    "profile_storage_bytes",
    "qps_per_gpu",
    "retained_storage_bytes",
    "scenarios",
    "storage_bytes_per_day",
    "storage_bytes_per_month",
    "storage_usd_per_month",
    "total_usd_per_month",
    "trps",
    "usd_per_1k_requests",
]

# Storage


@excel_function
def model_size_bytes(params: Number, precision: Precision = None, bytes_per_param: Number = None):
    return output(model_size_bytes, locals())


@excel_function
def profile_storage_bytes(dau: Number, profile_bytes: Number = None):
    return output(profile_storage_bytes, locals())


@excel_function
def interaction_storage_bytes_per_day(
    dau: Number, requests_per_user: Number, stored_bytes_per_request: Number = None
):
    return output(interaction_storage_bytes_per_day, locals())


@excel_function
def storage_bytes_per_day(
    dau: Number,
    requests_per_user: Number,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
):
    return output(storage_bytes_per_day, locals())


@excel_function
def storage_bytes_per_month(
    dau: Number,
    requests_per_user: Number,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
    days_per_month: Number = None,
):
    return output(storage_bytes_per_month, locals())


@excel_function
def retained_storage_bytes(
    dau: Number,
    requests_per_user: Number,
    params: Number,
    precision: Precision = None,
    bytes_per_param: Number = None,
    profile_bytes: Number = None,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
    days_per_month: Number = None,
    retention_months: Number = None,
):
    return output(retained_storage_bytes, locals())


# Inference


@excel_function
def trps(dau: Number, requests_per_user: Number):
    return output(trps, locals())


@excel_function
def peak_rps(dau: Number, requests_per_user: Number, peak_factor: Number = None):
    return output(peak_rps, locals())


@excel_function
def inference_seconds(
    params: Number,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
):
    return output(inference_seconds, locals())


@excel_function
def qps_per_gpu(
    params: Number,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
):
    return output(qps_per_gpu, locals())


@excel_function
def gpus_per_replica(
    params: Number,
    gpu: Gpu = None,
    precision: Precision = None,
    bytes_per_param: Number = None,
    gpu_memory_bytes: Number = None,
    usable_memory_fraction: Number = None,
    max_gpus_per_replica: Number = None,
):
    return output(gpus_per_replica, locals())


@excel_function
def gpu_count(
    dau: Number,
    requests_per_user: Number,
    params: Number,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    peak_factor: Number = None,
    headroom: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
    bytes_per_param: Number = None,
    gpu_memory_bytes: Number = None,
    usable_memory_fraction: Number = None,
    max_gpus_per_replica: Number = None,
):
    return output(gpu_count, locals())


# Bandwidth


@excel_function
def ingress_bits_per_second(
    dau: Number, requests_per_user: Number, request_bytes: Number = None, peak_factor: Number = None
):
    return output(ingress_bits_per_second, locals())


@excel_function
def egress_bits_per_second(
    dau: Number,
    requests_per_user: Number,
    response_bytes: Number = None,
    peak_factor: Number = None,
):
    return output(egress_bits_per_second, locals())


# Cost (computed by formulas.estimate, the only place the costs exist)


@excel_function
def gpu_usd_per_month(
    dau: Number,
    requests_per_user: Number,
    params: Number,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    peak_factor: Number = None,
    headroom: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
    bytes_per_param: Number = None,
    gpu_memory_bytes: Number = None,
    usable_memory_fraction: Number = None,
    max_gpus_per_replica: Number = None,
    days_per_month: Number = None,
    gpu_hourly_usd: Number = None,
):
    return output(gpu_usd_per_month, locals())


@excel_function
def storage_usd_per_month(
    dau: Number,
    requests_per_user: Number,
    params: Number,
    precision: Precision = None,
    bytes_per_param: Number = None,
    profile_bytes: Number = None,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
    days_per_month: Number = None,
    retention_months: Number = None,
    storage_usd_per_gb_month: Number = None,
):
    return output(storage_usd_per_month, locals())


@excel_function
def egress_usd_per_month(
    dau: Number,
    requests_per_user: Number,
    response_bytes: Number = None,
    days_per_month: Number = None,
    egress_usd_per_gb: Number = None,
):
    return output(egress_usd_per_month, locals())


@excel_function
def total_usd_per_month(
    dau: Number,
    requests_per_user: Number,
    params: Number,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    peak_factor: Number = None,
    headroom: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
    bytes_per_param: Number = None,
    gpu_memory_bytes: Number = None,
    usable_memory_fraction: Number = None,
    max_gpus_per_replica: Number = None,
    profile_bytes: Number = None,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
    days_per_month: Number = None,
    retention_months: Number = None,
    request_bytes: Number = None,
    response_bytes: Number = None,
    gpu_hourly_usd: Number = None,
    storage_usd_per_gb_month: Number = None,
    egress_usd_per_gb: Number = None,
):
    return output(total_usd_per_month, locals())


@excel_function
def usd_per_1k_requests(
    dau: Number,
    requests_per_user: Number,
    params: Number,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    peak_factor: Number = None,
    headroom: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
    bytes_per_param: Number = None,
    gpu_memory_bytes: Number = None,
    usable_memory_fraction: Number = None,
    max_gpus_per_replica: Number = None,
    profile_bytes: Number = None,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
    days_per_month: Number = None,
    retention_months: Number = None,
    request_bytes: Number = None,
    response_bytes: Number = None,
    gpu_hourly_usd: Number = None,
    storage_usd_per_gb_month: Number = None,
    egress_usd_per_gb: Number = None,
):
    return output(usd_per_1k_requests, locals())


# Tables


@excel_function
def estimate(
    dau: Number = None,
    requests_per_user: Number = None,
    params: Number = None,
    gpu: Gpu = None,
    steps: Number = None,
    precision: Precision = None,
    flops_per_param: Number = None,
    utilization: Number = None,
    peak_factor: Number = None,
    headroom: Number = None,
    gpu_flops: Number = None,
    measured_inference_seconds: Number = None,
    bytes_per_param: Number = None,
    gpu_memory_bytes: Number = None,
    usable_memory_fraction: Number = None,
    max_gpus_per_replica: Number = None,
    profile_bytes: Number = None,
    stored_bytes_per_request: Number = None,
    index_overhead: Number = None,
    days_per_month: Number = None,
    retention_months: Number = None,
    request_bytes: Number = None,
    response_bytes: Number = None,
    gpu_hourly_usd: Number = None,
    storage_usd_per_gb_month: Number = None,
    egress_usd_per_gb: Number = None,
):
    """The whole estimate, spilled as rows of name, value, unit: every input as used
    (catalogue figures filled in), then every output. No arguments: the seed document."""
    return estimate_rows(locals())


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
    # A call naming the Excel spelling ("GPU_COUNT") reaches the function ("gpu_count").
    if name.isupper() and name.lower() in __all__:
        return globals()[name.lower()]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
