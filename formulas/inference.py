"""Inference: time per request, throughput per GPU, GPUs per replica and GPUs in all.

Two models, one switch (``inference_model``): ``roofline`` (the default) takes requests
per second per replica from :mod:`~xlplugin.formulas.serving`; ``flops`` is the seed
document's formula, ``flops_per_param × params × steps`` FLOP per request at
``gpu_flops × utilization`` FLOP/s. A measured ``measured_inference_seconds`` replaces
either.
"""

from __future__ import annotations

import math

import numpy as np

from ._arrays import at_least_one, first, given, overflow_accepts, roundup
from .errors import DoesNotFitError, InvalidInputError, OverflowInputError, _show
from .graph import REQUESTS_PER_INFERENCE, TENSOR_PARALLEL_STEP, quantity
from .serving import _max, _min, heads_bind, pick

__all__ = [
    "batch_gpus_per_replica",
    "batch_step_seconds",
    "flops_gpu_count",
    "flops_inference_seconds",
    "gpu_count",
    "gpus_per_replica",
    "held_weights_bytes",
    "inference_seconds",
    "latency_gpus_needed",
    "latency_gpus_per_replica",
    "qps_per_gpu",
    "tensor_parallel_limit",
    "weights_gpus_per_replica",
]


@quantity(
    "s",
    "Inference time by the seed's FLOPs formula",
    excel="{flops_per_param}*{params}*{steps}/({gpu_flops_used}*{utilization})",
)
def flops_inference_seconds(params, steps, flops_per_param, gpu_flops_used, utilization):
    """The seed document's formula: flops_per_param × params × steps / (gpu_flops ×
    utilization), one token per step."""
    return flops_per_param * params * steps / (gpu_flops_used * utilization)


@quantity(
    "s",
    "Inference time per request",
    section="Inference",
    excel="IF(ISNUMBER({measured_inference_seconds}),{measured_inference_seconds},"
    "IF({flops_model},{flops_inference_seconds},"
    "{gpus_per_replica}/{roofline_requests_per_second}))",
)
def inference_seconds(
    measured_inference_seconds,
    flops_model,
    flops_inference_seconds,
    gpus_per_replica,
    roofline_requests_per_second,
):
    """GPU-seconds per request: measured if given, else by the inference model (roofline:
    GPUs per replica / requests per second per replica; flops: the seed's formula)."""
    if flops_model is True:  # one cell: the roofline is not needed, and may overflow
        return given(measured_inference_seconds, flops_inference_seconds)
    roofline = gpus_per_replica / roofline_requests_per_second
    modelled = pick(flops_model, flops_inference_seconds, roofline)
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
    "B",
    "Weights in GPU memory",
    excel="IF({image_model},{params}+{text_encoder_params},{params})*{bytes_per_param_used}",
)
def held_weights_bytes(image_model, params, text_encoder_params, bytes_per_param_used):
    """The weights a replica keeps in GPU memory: the model's and, in an image pipeline,
    its text encoders' (run once a request, but loaded beside the backbone)."""
    return pick(image_model, params + text_encoder_params, params) * bytes_per_param_used


# The widest split in 1, 2, 4, 8... GPUs within max_gpus_per_replica.
WIDEST = "{tensor_parallel_step}^ROUNDDOWN(LOG({max_gpus_per_replica},{tensor_parallel_step}),0)"


@quantity(
    "GPUs",
    "Most GPUs per replica the model splits over",
    excel=f"IF({{image_model}},{{max_gpus_per_replica}},GCD({{attention_heads}},{WIDEST},"
    f"IF(MOD({WIDEST},{{kv_heads_used}}),{{kv_heads_used}},0)))",
)
def tensor_parallel_limit(image_model, attention_heads, kv_heads_used, max_gpus_per_replica):
    """The widest replica: an image pipeline's, max_gpus_per_replica; a language or
    speech model's, the most of 1, 2, 4, 8... GPUs within it that split its heads as vLLM
    does."""
    # Tensor parallelism gives each GPU an equal share of the attention heads (vLLM refuses
    # a size that does not divide them: Whisper's 20 heads split over 4 GPUs, not 8) and of
    # the KV heads, or a copy of one (QKVParallelLinear: Phi-3-medium's 10 split over 2, not
    # 4; vllm-project/vllm#5951, 2024-06-28). So a split divides attention_heads, and divides
    # kv_heads or is a multiple of them: KV heads that divide the widest split allow every
    # split of the attention heads; others, only the splits that divide them.
    if image_model is True:  # one cell: its split is not computed (the sheet's IF neither)
        return max_gpus_per_replica
    with np.errstate(over="ignore"):  # (numpy's: infinity, judged below)
        widest = float(TENSOR_PARALLEL_STEP) ** -roundup(
            -_log(max_gpus_per_replica, TENSOR_PARALLEL_STEP)
        )  # ROUNDDOWN as spreadsheets round: LOG(2^29, 2) is 28.999999999999996
    _refuse_infinite_split(image_model, widest, max_gpus_per_replica)
    split = _power_dividing(attention_heads, widest)
    if type(widest) is float and type(kv_heads_used) is float:  # one cell
        if math.fmod(widest, kv_heads_used) != 0:  # (an image model's NaN: not taken)
            split = _power_dividing(kv_heads_used, split)
    else:
        with np.errstate(invalid="ignore"):
            copied = np.fmod(widest, kv_heads_used) == 0
        split = pick(copied, split, _power_dividing(kv_heads_used, split))
    return pick(image_model, max_gpus_per_replica, split)


def _refuse_infinite_split(image_model, widest, max_gpus_per_replica) -> None:
    """The error for a language or speech model's row whose widest split overflows, as one
    cell's raises (LOG(1.8e308, 2) rounds to 1024, and 2^1024 is past the largest float);
    an image model's row does not use it."""
    if np.ndim(widest) == 0:
        return  # one cell: Python's power has raised already
    bad = np.logical_and(np.logical_not(image_model), np.isinf(widest))
    if np.any(bad):
        row, (most,) = first(bad, max_gpus_per_replica)
        name = "max_gpus_per_replica"
        raise OverflowInputError(
            name, most, overflow_accepts(name), "tensor_parallel_limit", True, row
        )


def _power_dividing(heads, widest):
    """GCD(heads, widest) for ``widest`` a power of two: halved until it divides heads
    (empty heads, an image model's, give 1). An infinite ``widest`` (2^1024 from the
    largest max_gpus_per_replica) stays infinite, an overflow named later: halving it
    would never end."""
    if type(heads) is float and type(widest) is float:
        while 1 < widest < math.inf and math.fmod(heads, widest) != 0:  # NaN: != 0
            widest /= 2
        return widest
    heads, widest = np.broadcast_arrays(np.asarray(heads, float), np.asarray(widest, float))
    widest = widest.copy()
    with np.errstate(invalid="ignore"):
        while (halve := (widest > 1) & (widest < np.inf) & (np.fmod(heads, widest) != 0)).any():
            widest[halve] /= 2
    return widest


@quantity(
    "GPUs",
    "GPUs to hold the weights",
    excel="IF(ISNUMBER({gpu_memory_bytes_used}),MAX({one_gpu},ROUNDUP({held_weights_bytes}"
    "/({gpu_memory_bytes_used}*{usable_memory_fraction}),0)),{gpus_if_memory_unknown})",
)
def weights_gpus_per_replica(
    held_weights_bytes,
    gpu_memory_bytes_used,
    usable_memory_fraction,
    tensor_parallel_limit,
    max_gpus_per_replica,
    attention_heads,
    kv_heads_used,
    params,
    text_encoder_params,
    image_model,
    gpu,
):
    """GPUs needed to hold the weights in usable memory (at least one); more than
    tensor_parallel_limit is refused."""
    # Unknown memory (a GPU given as FLOP/s, NaN) counts as one GPU; weights so small that
    # their share of a GPU underflows to 0 still take one.
    share = held_weights_bytes / (gpu_memory_bytes_used * usable_memory_fraction)
    need = given(_max(1.0, roundup(share)), 1.0)
    bad = need > tensor_parallel_limit
    if bad is True or (bad is not False and np.any(bad)):
        bad = np.logical_and(bad, np.isfinite(need))  # infinity: an overflow, named later
    if bad is True or (bad is not False and np.any(bad)):
        row, (n, most, max_gpus, heads, kv, p, t, image, w, g) = first(
            bad,
            need,
            tensor_parallel_limit,
            max_gpus_per_replica,
            attention_heads,
            kv_heads_used,
            params,
            text_encoder_params,
            image_model,
            held_weights_bytes,
            gpu,
        )
        name, value = ("text_encoder_params", t) if image and t > p else ("params", p)
        raise DoesNotFitError(
            name,
            value,
            f"a model that fits in {int(most)} GPUs: {_count(w / 1e9)} GB of weights need "
            f"{_count(n)} x {g} ({_larger(most, max_gpus, heads, kv)})",
            row,
        )
    return need


RAISE_MAX = "choose a larger GPU, a smaller precision or raise max_gpus_per_replica"
HEADS_BOUND = "choose a larger GPU or a smaller precision: "


def _larger(most, max_gpus, heads, kv) -> str:
    """How to hold the weights when they need more than ``most`` GPUs: where the attention
    heads, or the KV heads, keep the replica narrower than ``max_gpus`` allows, they say so."""
    if not heads_bind(most, max_gpus):
        return RAISE_MAX
    # the heads would split over twice as many: the KV heads bind (tensor_parallel_limit)
    name, n = ("kv_heads", kv) if heads % (most * 2) == 0 else ("attention_heads", heads)
    return f"{HEADS_BOUND}{name} ({_show(n)}) split evenly over at most {int(most)}"


def _count(n: float) -> str:
    """A figure in a message: four digits below 10,000, whole up to a trillion, then in
    powers of ten (not 290 digits, nor 2e+04)."""
    if n < 1e4:
        return f"{n:,.4g}"
    return f"{n:,.0f}" if n < 1e12 else f"{n:.3g}"


@quantity(
    "GPUs",
    "GPUs to hold the weights and a full batch",
    excel="IF(AND(ISNUMBER({gpu_memory_bytes_used}),{sequence_bytes}),MIN({max_gpus_per_replica},"
    "ROUNDUP(({held_weights_bytes}+{max_batch_used}*{sequence_bytes})"
    "/({gpu_memory_bytes_used}*{usable_memory_fraction}),0)),{gpus_if_memory_unknown})",
)
def batch_gpus_per_replica(
    held_weights_bytes,
    max_batch_used,
    sequence_bytes,
    gpu_memory_bytes_used,
    usable_memory_fraction,
    max_gpus_per_replica,
):
    """GPUs whose usable memory holds the weights and the KV caches of max_batch requests,
    at most max_gpus_per_replica: where the KV caches would crowd the batch out of fewer
    GPUs, spreading the replica wider buys more requests per GPU (a 70B model on 40 GB GPUs:
    8 requests in flight on 4 GPUs, 256 on 7). No KV cache or unknown memory: one."""
    # Unknown memory (a GPU given as FLOP/s, NaN) or no KV cache (images) counts as one GPU.
    kept = (gpu_memory_bytes_used == gpu_memory_bytes_used) & (sequence_bytes > 0)
    held = held_weights_bytes + max_batch_used * sequence_bytes
    usable = pick(kept, gpu_memory_bytes_used, 1.0) * usable_memory_fraction
    return pick(kept, _min(max_gpus_per_replica, roundup(held / usable)), 1.0)


@quantity(
    "s",
    "Time per step of a full batch on one GPU",
    excel="MAX(IF(ISNUMBER({gpu_memory_bandwidth_used}),({model_size_bytes}"
    "+{max_batch_used}*{step_bytes})/({gpu_memory_bandwidth_used}*{memory_bandwidth_efficiency}),0),"
    "{max_batch_used}*{step_flops}/({gpu_flops_used}*{compute_efficiency}))",
)
def batch_step_seconds(
    model_size_bytes,
    max_batch_used,
    step_bytes,
    step_flops,
    gpu_memory_bandwidth_used,
    memory_bandwidth_efficiency,
    gpu_flops_used,
    compute_efficiency,
):
    """step_seconds for max_batch requests on one GPU: what the latency targets divide
    among a replica's GPUs."""
    reading = (model_size_bytes + max_batch_used * step_bytes) / (
        gpu_memory_bandwidth_used * memory_bandwidth_efficiency
    )
    computing = max_batch_used * step_flops / (gpu_flops_used * compute_efficiency)
    return _max(given(reading, 0.0), computing)


@quantity(
    "GPUs",
    "Speed the latency targets need, in GPUs",
    excel="MAX(IF(ISNUMBER({tpot_target_seconds}),{batch_step_seconds}/{tpot_target_seconds},0),"
    "IF(ISNUMBER({ttft_target_seconds}),(IF({image_model},{step_count}*{batch_step_seconds},0)"
    "+{once_flops}/({gpu_flops_used}*{compute_efficiency}))/{ttft_target_seconds},0))",
)
def latency_gpus_needed(
    batch_step_seconds,
    tpot_target_seconds,
    ttft_target_seconds,
    image_model,
    step_count,
    once_flops,
    gpu_flops_used,
    compute_efficiency,
):
    """A full batch's step over tpot_target_seconds, and the work before the first token or
    image over ttft_target_seconds (the prefill; an image's steps and decode), on one GPU:
    how many GPUs' worth of speed the targets ask for (a fraction where one GPU is fast
    enough; 0 without targets)."""
    by_step = given(batch_step_seconds / given(tpot_target_seconds, math.nan), 0.0)
    steps = pick(image_model, batch_step_seconds * step_count, 0.0)
    first = steps + once_flops / (gpu_flops_used * compute_efficiency)
    return _max(by_step, given(first / given(ttft_target_seconds, math.nan), 0.0))


@quantity(
    "GPUs",
    "GPUs for a full batch within the latency targets",
    excel="MIN({max_gpus_per_replica},MAX({one_gpu},ROUNDUP({latency_gpus_needed}"
    "/IF({latency_gpus_needed}>{one_gpu},{parallel_efficiency},{no_loss}),0)))",
)
def latency_gpus_per_replica(latency_gpus_needed, parallel_efficiency, max_gpus_per_replica):
    """latency_gpus_needed in whole GPUs, beyond one each at parallel_efficiency; at least
    one, at most max_gpus_per_replica."""
    spread = pick(latency_gpus_needed > 1, parallel_efficiency, 1.0)
    return _min(max_gpus_per_replica, _max(1.0, roundup(latency_gpus_needed / spread)))


# The weights' GPUs; a language or speech model's in 1, 2, 4, 8... (gpus_per_replica's least,
# and the workbook's check of it)
WEIGHTS_SPLIT = (
    "IF({image_model},{weights_gpus_per_replica},{tensor_parallel_step}"
    "^ROUNDUP(LOG({weights_gpus_per_replica},{tensor_parallel_step}),0))"
)


@quantity(
    "GPUs",
    "GPUs per replica",
    section="Inference",
    excel=f"IF(ISNUMBER({{tensor_parallel}}),MAX({{tensor_parallel}},{WEIGHTS_SPLIT}),"
    f"IF({{flops_model}},{WEIGHTS_SPLIT},"
    "MAX({weights_gpus_per_replica},MIN({tensor_parallel_limit},IF({image_model},"
    "MAX({batch_gpus_per_replica},{latency_gpus_per_replica}),{tensor_parallel_step}"
    "^ROUNDUP(LOG(MAX({weights_gpus_per_replica},{batch_gpus_per_replica},"
    "{latency_gpus_per_replica}),{tensor_parallel_step}),0))))))",
)
def gpus_per_replica(
    tensor_parallel,
    weights_gpus_per_replica,
    batch_gpus_per_replica,
    latency_gpus_per_replica,
    tensor_parallel_limit,
    flops_model,
    image_model,
    attention_heads,
    kv_heads_used,
    max_gpus_per_replica,
    gpu_memory_bytes_used,
    gpu_memory_bandwidth_used,
    gpu,
):
    """GPUs one replica spans: tensor_parallel, at least the weights' need; empty, what the
    weights and a full batch need in memory and time (text, speech: 1, 2, 4, 8... dividing
    the heads; the FLOPs formula: weights)."""
    tensor_parallel = given(tensor_parallel, math.nan)  # empty: None in one cell, NaN in a table
    _check_split(tensor_parallel, max_gpus_per_replica, image_model, attention_heads, kv_heads_used)
    _check_memory_known(flops_model, gpu_memory_bytes_used, gpu_memory_bandwidth_used, gpu)
    # A language or speech model's replica splits its attention heads (tensor parallelism):
    # 1, 2, 4, 8... GPUs. An image pipeline spreads its parts over as many as it needs.
    batch = _max(batch_gpus_per_replica, latency_gpus_per_replica)
    need = _max(weights_gpus_per_replica, batch)
    whole = _min(tensor_parallel_limit, pick(image_model, batch, _split(need)))
    # the weights' GPUs, for a language or speech model a split of its heads (the limit is
    # one, at least as large): the seed's formula's replica, and the least of a given one
    least = pick(image_model, weights_gpus_per_replica, _split(weights_gpus_per_replica))
    sized = pick(flops_model, least, _max(weights_gpus_per_replica, whole))
    chosen = tensor_parallel == tensor_parallel  # NaN (empty): sized as above
    return pick(chosen, _max(given(tensor_parallel, 1.0), least), sized)


def _split(gpus):
    """The fewest of 1, 2, 4, 8... GPUs that is at least ``gpus``."""
    return float(TENSOR_PARALLEL_STEP) ** roundup(_log(gpus, TENSOR_PARALLEL_STEP))


UNEVEN = "tensor parallelism gives each GPU an equal share of the heads"
KV_UNEVEN = "tensor parallelism gives each GPU an equal share of the KV heads, or a copy of one"


def _check_split(tensor_parallel, max_gpus_per_replica, image_model, heads, kv_heads) -> None:
    """A given tensor_parallel: at most max_gpus_per_replica, and for a language or speech
    model a divisor of the attention heads (vLLM refuses 3 GPUs for 32 heads) and a divisor
    or a multiple of the KV heads (4 GPUs for Phi-3-medium's 10)."""
    bad = tensor_parallel > max_gpus_per_replica
    if bad is True or (bad is not False and np.any(bad)):
        row, (tp, most) = first(bad, tensor_parallel, max_gpus_per_replica)
        raise InvalidInputError(
            "tensor_parallel", tp, f"a whole number in [1, {int(most)}] (max_gpus_per_replica)", row
        )
    if type(tensor_parallel) is float and tensor_parallel != tensor_parallel:
        return  # one cell, empty: the usual case, without numpy's cost
    with np.errstate(invalid="ignore"):  # NaN (empty) leaves NaN, which is not > 0
        uneven = np.fmod(heads, tensor_parallel) > 0
        unshared = (np.fmod(kv_heads, tensor_parallel) > 0) & (
            np.fmod(tensor_parallel, kv_heads) > 0
        )
    wrong = np.logical_and(np.logical_not(image_model), uneven | unshared)
    if np.any(wrong):
        row, (tp, n, kv, heads_wrong) = first(wrong, tensor_parallel, heads, kv_heads, uneven)
        if heads_wrong:
            accepts = f"a divisor of attention_heads ({_show(n)}): {UNEVEN}"
        else:
            accepts = f"a divisor or a multiple of kv_heads ({_show(kv)}): {KV_UNEVEN}"
        raise InvalidInputError("tensor_parallel", tp, accepts, row, relative=True)


# What the roofline needs of a GPU that the catalogue may not have (a GPU given as FLOP/s):
# without them, any model fitted one GPU and reading the weights took no time.
MEMORY_FIGURES = (
    ("gpu_memory_bytes", "memory in bytes > 0"),
    ("gpu_memory_bandwidth", "memory bandwidth in B/s > 0"),
)


def _check_memory_known(flops_model, memory, bandwidth, gpu) -> None:
    """The roofline needs the GPU's memory and bandwidth: given, or the catalogue's."""
    for (name, what), figure in zip(MEMORY_FIGURES, (memory, bandwidth), strict=True):
        if type(figure) is float and figure == figure:
            continue  # one cell, known: the usual case, without numpy's cost
        missing = np.logical_and(np.logical_not(flops_model), np.isnan(figure))
        if np.any(missing):
            row, (named,) = first(missing, gpu)
            # (a number as a sheet's & shows it, so that the workbook's message is the same)
            shown = repr(named) if isinstance(named, str) else f"{named:.15g}".upper()
            raise InvalidInputError(name, None, memory_accepts(what, shown), row)


def memory_accepts(what: str, shown: str) -> str:
    """What a missing GPU memory figure accepts, in words, the GPU as ``shown`` (the
    workbook's checks splice in the cell's)."""
    return (
        f"a GPU {what} for the roofline (the catalogue has none for gpu {shown}: give it, or "
        'inference_model "flops")'
    )


def _log(x, base: float):
    """LOG(x, base) as spreadsheets compute it, ln x / ln base (exact at powers of two)."""
    if isinstance(x, float):
        return math.log(x) / math.log(base)
    return np.log(x) / math.log(base)


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
    # Traffic is positive (dau, requests_per_user > 0) even where it underflows to 0: at
    # least one replica.
    return gpus_per_replica * at_least_one(roundup(demand / (qps_per_gpu * gpus_per_replica)))


@quantity(
    "GPUs",
    "GPUs by the seed's FLOPs formula",
    section="Inference",
    excel="{weights_gpus_per_replica}*ROUNDUP(({peak_rps}+{peak_rps}*{headroom})"
    "*{flops_inference_seconds}/({requests_per_inference}*{weights_gpus_per_replica}),0)",
)
def flops_gpu_count(peak_rps, headroom, flops_inference_seconds, weights_gpus_per_replica):
    """What the seed document's formula gives (one token per step, no batching, no memory
    bandwidth): shown beside gpu_count so that neither is mistaken for the other."""
    demand = peak_rps * (1 + headroom) * flops_inference_seconds
    share = REQUESTS_PER_INFERENCE * weights_gpus_per_replica
    return weights_gpus_per_replica * at_least_one(roundup(demand / share))  # as gpu_count
