"""Inference: time per request, throughput per GPU, GPUs per replica and GPUs in all.

A request costs ``flops_per_param × params × steps`` FLOP; a GPU delivers
``gpu_flops × utilization`` FLOP/s. A measured ``measured_inference_seconds`` replaces that
model.
"""

from __future__ import annotations

import numpy as np

from ._arrays import first, given, roundup
from .errors import DoesNotFitError
from .graph import REQUESTS_PER_INFERENCE, quantity

__all__ = ["gpu_count", "gpus_per_replica", "inference_seconds", "qps_per_gpu"]


@quantity(
    "s",
    "Inference time per request",
    section="Inference",
    excel="IF(ISNUMBER({measured_inference_seconds}),{measured_inference_seconds},"
    "{flops_per_param}*{params}*{steps}/({gpu_flops_used}*{utilization}))",
)
def inference_seconds(
    params, steps, flops_per_param, gpu_flops_used, utilization, measured_inference_seconds
):
    """flops_per_param × params × steps / (gpu_flops × utilization), unless measured."""
    modelled = flops_per_param * params * steps / (gpu_flops_used * utilization)
    return given(measured_inference_seconds, modelled)


@quantity(
    "requests/s",
    "Requests per second per GPU",
    section="Inference",
    excel="{requests_per_inference}/{inference_seconds}",
)
def qps_per_gpu(inference_seconds):
    """1 / inference_seconds."""
    return REQUESTS_PER_INFERENCE / inference_seconds


@quantity(
    "GPUs",
    "GPUs per replica",
    section="Inference",
    excel="IF(ISNUMBER({gpu_memory_bytes_used}),ROUNDUP({model_size_bytes}"
    "/({gpu_memory_bytes_used}*{usable_memory_fraction}),0),{gpus_if_memory_unknown})",
)
def gpus_per_replica(
    model_size_bytes,
    gpu_memory_bytes_used,
    usable_memory_fraction,
    max_gpus_per_replica,
    params,
    gpu,
):
    """GPUs needed to hold the weights in usable memory."""
    # Unknown memory (a GPU given as FLOP/s, NaN) counts as one GPU.
    need = given(roundup(model_size_bytes / (gpu_memory_bytes_used * usable_memory_fraction)), 1.0)
    bad = need > max_gpus_per_replica
    if bad is True or (bad is not False and np.any(bad)):
        row, (n, most, p, w, g) = first(
            bad, need, max_gpus_per_replica, params, model_size_bytes, gpu
        )
        raise DoesNotFitError(
            "params",
            p,
            f"a model that fits in {int(most)} GPUs: {w / 1e9:,.4g} GB of weights need "
            f"{int(n)} x {g} (choose a larger GPU, a smaller precision or raise "
            "max_gpus_per_replica)",
            row,
        )
    return need


# Spreadsheets get x + x × f for x × (1 + f), as for storage per day.
@quantity(
    "GPUs",
    "GPUs",
    section="Inference",
    excel="{gpus_per_replica}*ROUNDUP(({peak_rps}+{peak_rps}*{headroom})"
    "/({qps_per_gpu}*{gpus_per_replica}),0)",
)
def gpu_count(peak_rps, headroom, qps_per_gpu, gpus_per_replica):
    """ceil(peak_rps × (1 + headroom) / qps_per_gpu), in whole replicas."""
    demand = peak_rps * (1 + headroom)
    return gpus_per_replica * roundup(demand / (qps_per_gpu * gpus_per_replica))
