"""Serving: what one replica of the model delivers, bound by compute, memory bandwidth and
memory (the roofline model).

A request does some work once (``once_flops``: a language model's prefill, a speech
model's encoder, an image model's VAE decode), then ``step_count`` steps (output tokens,
or denoising steps). The replica runs ``max_concurrency_per_replica`` requests side by
side: each step reads the weights once for all of them, and each request's KV cache
(``step_bytes``), and computes ``step_flops`` per request; a step takes the longer of its
memory time and its compute time. Achieved FLOP/s and bytes/s are the peaks times
``compute_efficiency`` and ``memory_bandwidth_efficiency`` (calibrated on published
measurements: ``formulas/data/measurements.csv``), and times ``parallel_efficiency`` when
a replica spans several GPUs.

Requests per second per replica are then
``concurrency / (concurrency × once_flops / replica_flops + step_count × step_seconds)``.
Attention counts ``attention_matmuls`` (QKᵀ and AV) × ``flops_per_param`` FLOP per layer,
per attention width and per pair of tokens (half of the pairs in a causal prefill).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import catalog
from ._arrays import first, given, is_blank, roundup
from .errors import DoesNotFitError, InvalidInputError, Position, UnknownNameError, _show
from .graph import (
    ATTENTION_MATMULS,
    AUDIO_WINDOW_SECONDS,
    BLOCK_PARAMS_PER_WIDTH_SQUARED,
    FRAMES_PER_WINDOW,
    IMAGE_MAX_BATCH,
    KV_TENSORS,
    MEAN_OUTPUT_SHARE,
    REQUESTS_PER_INFERENCE,
    TENSOR_PARALLEL_STEP,
    TEXT_MAX_BATCH,
    quantity,
)

__all__ = [
    "INFERENCE_MODELS",
    "kv_cache_bytes_per_token",
    "max_concurrency_per_replica",
    "output_tokens_per_second_per_gpu",
    "requests_per_second_per_replica",
    "tpot_seconds",
    "ttft_seconds",
]

MODALITIES = ("text", "image", "speech")
BACKBONES = ("transformer", "unet")
INFERENCE_MODELS = ("roofline", "flops")


def is_(value, choice: str, name: str, choices: tuple[str, ...]):
    """Whether a name input (or each cell of it) is ``choice``; any value outside
    ``choices`` is refused. Case is ignored, as spreadsheets compare text."""
    if isinstance(value, str):
        return _word(value, name, choices, None) == choice
    if isinstance(value, pd.Categorical):  # a table's column: each name looked at once
        codes, distinct = value.codes, list(value.categories)
    else:
        cells = np.asarray(value, dtype=object)
        codes, distinct = pd.factorize(cells.ravel(), use_na_sentinel=False)
        codes = codes.reshape(cells.shape)
    flags = [_word(v, name, choices, _first(codes, i)) == choice for i, v in enumerate(distinct)]
    return np.array(flags, dtype=bool)[codes]


def _first(codes, i: int) -> int | None:
    """Where distinct value ``i`` first stands: a row of an array, none of one cell."""
    if not np.ndim(codes):
        return None
    return Position(int(np.argmax(np.ravel(codes) == i)), np.shape(codes))


def _word(value, name: str, choices: tuple[str, ...], row: int | None) -> str:
    word = value.strip().lower() if isinstance(value, str) else None
    if word not in choices:
        raise UnknownNameError(name, value, choices, row)
    return word


def _max(a, b):
    """The larger, element by element; plain floats stay plain floats."""
    if isinstance(a, float) and isinstance(b, float):
        return a if a >= b else b
    return np.maximum(a, b)


def _min(a, b):
    """The smaller, element by element; plain floats stay plain floats."""
    if isinstance(a, float) and isinstance(b, float):
        return a if a <= b else b
    return np.minimum(a, b)


def pick(condition, if_true, if_false):
    """``if_true`` where ``condition`` holds, else ``if_false`` (spreadsheets' IF)."""
    if condition is True or condition is False:  # one cell: no array to build
        return if_true if condition else if_false
    return np.where(condition, if_true, if_false)


# Which model, which modality ------------------------------------------------------------


@quantity("TRUE/FALSE", "Image model", excel='{modality}="image"')
def image_model(modality):
    """Whether the model makes images (modality image)."""
    return is_(modality, "image", "modality", MODALITIES)


@quantity("TRUE/FALSE", "Speech model", excel='{modality}="speech"')
def speech_model(modality):
    """Whether the model transcribes speech (modality speech)."""
    return is_(modality, "speech", "modality", MODALITIES)


@quantity("TRUE/FALSE", "U-Net backbone", excel='{backbone}="unet"')
def unet_backbone(backbone):
    """Whether an image model's backbone is a U-Net."""
    return is_(backbone, "unet", "backbone", BACKBONES)


@quantity("TRUE/FALSE", "Seed's FLOPs formula", excel='{inference_model}="flops"')
def flops_model(inference_model):
    """Whether the estimate uses the seed document's FLOPs formula."""
    return is_(inference_model, "flops", "inference_model", INFERENCE_MODELS)


@quantity(
    "requests",
    "Max batch used",
    excel="IF(ISNUMBER({max_batch}),{max_batch},IF({image_model},{image_max_batch},"
    "{text_max_batch}))",
    resolves="max_batch",
)
def max_batch_used(max_batch, image_model):
    """Most requests in flight: as given, else 256 for text and speech (vLLM's default)
    and 1 for images (a diffusers pipeline makes one prompt per call)."""
    return given(max_batch, pick(image_model, float(IMAGE_MAX_BATCH), float(TEXT_MAX_BATCH)))


# What a request is made of -----------------------------------------------------------


@quantity(
    "tokens/request",
    "Latent tokens per image",
    excel="{image_width}/({vae_factor}*{patch_size})*{image_height}/({vae_factor}*{patch_size})",
)
def latent_tokens(image_width, image_height, vae_factor, patch_size):
    """Image tokens the backbone works on: (width / (VAE factor × patch)) × (height / …)."""
    return image_width / (vae_factor * patch_size) * image_height / (vae_factor * patch_size)


@quantity(
    "tokens/request",
    "Tokens processed once per request",
    excel="IF({speech_model},ROUNDUP({audio_seconds}/{audio_window_seconds},0)"
    "*{frames_per_window},IF({image_model},{latent_tokens}+{input_tokens},{input_tokens}))",
)
def prefill_tokens(speech_model, image_model, input_tokens, audio_seconds, latent_tokens):
    """Prompt tokens (text), encoder frames of 30-s windows (speech), or latent plus text
    tokens in each backbone pass (image)."""
    windows = roundup(audio_seconds / AUDIO_WINDOW_SECONDS) * FRAMES_PER_WINDOW
    text = pick(image_model, latent_tokens + input_tokens, input_tokens)
    return pick(speech_model, windows, text)


@quantity(
    "parameters",
    "Active parameters used",
    excel="IF(ISNUMBER({active_params}),{active_params},IF({image_model},"
    "MIN({params},{block_params_per_width_squared}*{layers}*{attention_width}*{attention_width}),"
    "{params}))",
    resolves="active_params",
)
def active_params_used(active_params, params, image_model, layers, attention_width):
    """Parameters each token computes with: as given (mixture of experts); in an image
    transformer, its modality's weights, 12 × layers × width² (at most params); else all."""
    # MMDiT (SD3) and FLUX keep a set of weights per modality, each token goes through its
    # own, and each block's modulation is computed once per image, not per token: SD3.5
    # Large's tokens use 2.7 B of its 8.1 B parameters (measurements.csv, ortpr22986 rows).
    path = BLOCK_PARAMS_PER_WIDTH_SQUARED * layers * attention_width * attention_width
    at_most("active_params", active_params, "params", params, ACTIVE_AT_MOST)
    return given(active_params, pick(image_model, _min(params, path), params))


# Inputs bounded by another input: beyond it, the model is not one that exists (8.03T
# active parameters typed for 8.03B took 1,694 GPUs to 1,471,058).
ACTIVE_AT_MOST = "the parameters each token computes with are some of the model's"
KV_AT_MOST = "grouped-query attention shares each key/value head among query heads"


def at_most(name: str, value, bound_name: str, bound, why: str) -> None:
    """Refuse ``value`` (input ``name``) beyond ``bound`` (input ``bound_name``); an empty
    value (NaN, None) is not judged."""
    if value is None:
        return
    bad = value > bound  # NaN compares False
    if bad is True or bad is np.True_ or (bad is not False and np.any(bad)):
        row, (got, most) = first(bad, value, bound)
        accepts = f"a number <= {bound_name} ({_show(most)}): {why}"
        raise InvalidInputError(name, got, accepts, row, relative=True)


@quantity("dimensions", "Attention width", excel="{attention_heads}*{head_dim}")
def attention_width(attention_heads, head_dim):
    """Attention heads × head dimension."""
    return attention_heads * head_dim


@quantity(
    "FLOP/request",
    "Work done once per request",
    excel="IF({image_model},{vae_decode_flops_per_pixel}*{image_width}*{image_height},"
    "{flops_per_param}*{active_params_used}*{prefill_tokens}"
    "+{flops_per_param}*{layers}*{attention_width}*{prefill_tokens}*{prefill_tokens})",
)
def once_flops(
    image_model,
    flops_per_param,
    active_params_used,
    prefill_tokens,
    layers,
    attention_width,
    vae_decode_flops_per_pixel,
    image_width,
    image_height,
):
    """Prefill (text: every prompt token through the weights, and causal attention over
    the prompt), the encoder (speech), or the VAE decode (image)."""
    linear = flops_per_param * active_params_used * prefill_tokens
    attention = flops_per_param * layers * attention_width * prefill_tokens * prefill_tokens
    decode = vae_decode_flops_per_pixel * image_width * image_height
    return pick(image_model, decode, linear + attention)


@quantity(
    "steps/request",
    "Steps per request",
    excel="IF({image_model},{steps},{output_tokens})",
)
def step_count(image_model, steps, output_tokens):
    """Denoising steps (image) or output tokens (text, speech)."""
    return pick(image_model, steps, output_tokens)


@quantity(
    "tokens",
    "Average context during a step",
    excel="{prefill_tokens}+{output_tokens}*{mean_output_share}",
)
def context_tokens(prefill_tokens, output_tokens):
    """Tokens a decode step attends to, on average: the prompt and half the output."""
    return prefill_tokens + output_tokens * MEAN_OUTPUT_SHARE


@quantity(
    "FLOP/step",
    "Work per step per request",
    excel="IF({image_model},{guidance_passes}*IF({unet_backbone},"
    "{unet_flops_per_pixel}*{image_width}*{image_height},"
    "{flops_per_param}*{active_params_used}*{prefill_tokens}+{attention_matmuls}*{flops_per_param}"
    "*{layers}*{attention_width}*{prefill_tokens}*{prefill_tokens}),"
    "{flops_per_param}*{active_params_used}"
    "+{attention_matmuls}*{flops_per_param}*{layers}*{attention_width}*{context_tokens})",
)
def step_flops(
    image_model,
    unet_backbone,
    guidance_passes,
    unet_flops_per_pixel,
    image_width,
    image_height,
    flops_per_param,
    active_params_used,
    prefill_tokens,
    layers,
    attention_width,
    context_tokens,
):
    """Image: each guidance pass runs the backbone over every token, through its active
    weights (a U-Net: its published FLOP per pixel); text and speech: one token through
    the active weights and its attention over the context."""
    attention = ATTENTION_MATMULS * flops_per_param * layers * attention_width
    transformer = (
        flops_per_param * active_params_used * prefill_tokens
        + attention * prefill_tokens * prefill_tokens
    )
    per_pass = pick(unet_backbone, unet_flops_per_pixel * image_width * image_height, transformer)
    token = flops_per_param * active_params_used + attention * context_tokens
    return pick(image_model, guidance_passes * per_pass, token)


@quantity(
    "B/element",
    "KV-cache bytes per element",
    excel="IF(ISNUMBER(MATCH({kv_precision},{catalog_precision_name},0)),"
    "INDEX({catalog_precision_bytes},MATCH({kv_precision},{catalog_precision_name},0)),"
    "{bytes_per_param_used})",
)
def kv_bytes_per_element(kv_precision, bytes_per_param_used):
    """Width of the KV cache's numbers: kv_precision's, else the weights'."""
    if kv_precision is None:  # the usual cell: not given
        return bytes_per_param_used
    if isinstance(kv_precision, str) and kv_precision.strip():
        return catalog.resolve_precision(kv_precision, "kv_precision")[0]
    if np.ndim(kv_precision) == 0 and is_blank(kv_precision):
        return bytes_per_param_used
    cells = np.asarray(kv_precision, dtype=object)
    blank = np.array([is_blank(v) for v in cells.ravel()], dtype=bool).reshape(cells.shape)
    named = np.where(blank, "FP16", cells)  # any name: replaced below; a number is refused
    return np.where(
        blank, bytes_per_param_used, catalog.resolve_precision(named, "kv_precision")[0]
    )


@quantity(
    "B/token",
    "KV cache per token",
    section="Serving",
    excel="IF({image_model},0,{kv_tensors}*{layers}*{kv_heads_used}*{head_dim}"
    "*{kv_bytes_per_element})",
)
def kv_cache_bytes_per_token(image_model, layers, kv_heads_used, head_dim, kv_bytes_per_element):
    """Keys and values of one token in every layer: 2 × layers × KV heads × head
    dimension × bytes per element (none for image models)."""
    cache = KV_TENSORS * layers * kv_heads_used * head_dim * kv_bytes_per_element
    return pick(image_model, 0.0 * cache, cache)


@quantity(
    "heads",
    "KV heads used",
    excel="IF(ISNUMBER({kv_heads}),{kv_heads},{attention_heads})",
    resolves="kv_heads",
)
def kv_heads_used(kv_heads, attention_heads):
    """Key/value heads per layer: as given (grouped-query attention, at most the attention
    heads), else one per attention head."""
    # (a default of its own, SD3.5 Large's 38, refused attention_heads 32 typed alone)
    at_most("kv_heads", kv_heads, "attention_heads", attention_heads, KV_AT_MOST)
    return given(kv_heads, attention_heads)


@quantity(
    "B/step",
    "KV cache read per step per request",
    excel="{kv_cache_bytes_per_token}*{context_tokens}",
)
def step_bytes(kv_cache_bytes_per_token, context_tokens):
    """Each step reads a request's KV cache over its average context."""
    return kv_cache_bytes_per_token * context_tokens


@quantity(
    "B/request",
    "KV cache held per request",
    excel="{kv_cache_bytes_per_token}*({prefill_tokens}+{output_tokens})",
)
def sequence_bytes(kv_cache_bytes_per_token, prefill_tokens, output_tokens):
    """The KV cache a request holds at its longest: prompt and output."""
    return kv_cache_bytes_per_token * (prefill_tokens + output_tokens)


# What a replica delivers -------------------------------------------------------------


@quantity(
    "copies",
    "KV-cache copies per replica",
    excel="MAX({gpus_per_replica},{kv_heads_used})/{kv_heads_used}",
)
def kv_cache_copies(gpus_per_replica, kv_heads_used):
    """Copies of each KV head a replica holds: 1, or GPUs ÷ KV heads where the GPUs
    outnumber them (vLLM gives each GPU at least one)."""
    # (vLLM's ModelConfig.get_num_kv_heads: max(1, kv_heads // tensor_parallel_size) per
    # GPU. The replica's sizing counts each head once: past the KV heads, a wider replica
    # holds more copies and so fewer requests per GPU, not more.)
    return _max(gpus_per_replica, kv_heads_used) / kv_heads_used


@quantity(
    "FLOP/s",
    "Achieved FLOP/s per replica",
    excel="{gpus_per_replica}*{gpu_flops_used}*{compute_efficiency}"
    "*IF({gpus_per_replica}>{one_gpu},{parallel_efficiency},{no_loss})",
)
def replica_flops(gpus_per_replica, gpu_flops_used, compute_efficiency, parallel_efficiency):
    """GPUs × peak FLOP/s × compute efficiency (× parallel efficiency across GPUs)."""
    spread = pick(gpus_per_replica > 1, parallel_efficiency, 1.0)
    return gpus_per_replica * gpu_flops_used * compute_efficiency * spread


@quantity(
    "B/s",
    "Achieved memory bandwidth per replica",
    excel="IF(ISNUMBER({gpu_memory_bandwidth_used}),{gpus_per_replica}"
    "*{gpu_memory_bandwidth_used}*{memory_bandwidth_efficiency}"
    '*IF({gpus_per_replica}>{one_gpu},{parallel_efficiency},{no_loss}),"")',
)
def replica_bandwidth(
    gpus_per_replica, gpu_memory_bandwidth_used, memory_bandwidth_efficiency, parallel_efficiency
):
    """GPUs × peak memory bandwidth × its efficiency (× parallel efficiency); unknown for
    a GPU given as FLOP/s."""
    spread = pick(gpus_per_replica > 1, parallel_efficiency, 1.0)
    return gpus_per_replica * gpu_memory_bandwidth_used * memory_bandwidth_efficiency * spread


@quantity(
    "s",
    "Step time allowed by the latency targets",
    excel="IF(AND(ISNUMBER({ttft_target_seconds}),{image_model}),"
    "IF(ISNUMBER({tpot_target_seconds}),MIN({tpot_target_seconds},"
    "({ttft_target_seconds}-{once_flops}/{replica_flops})/{step_count}),"
    "({ttft_target_seconds}-{once_flops}/{replica_flops})/{step_count}),"
    "IF(AND(ISNUMBER({ttft_target_seconds}),{once_flops}/{replica_flops}>{ttft_target_seconds}),"
    '0,IF(ISNUMBER({tpot_target_seconds}),{tpot_target_seconds},"")))',
)
def step_seconds_allowed(
    image_model, ttft_target_seconds, tpot_target_seconds, once_flops, replica_flops, step_count
):
    """The longest a step may take: the time per output token target, and for images the
    time-to-image target less the VAE decode, shared by the steps (none: no limit). For
    text and speech, whose first token follows the prefill alone, none at all (0) where
    the prefill misses the time-to-first-token target: the replica runs no request."""
    tpot = given(tpot_target_seconds, math.nan)
    ttft = given(ttft_target_seconds, math.nan)
    prefill = once_flops / replica_flops
    if isinstance(image_model, bool):  # one cell: only the branch taken (a text model's
        # steps may be 0: a prompt read, nothing generated)
        if image_model:
            by_first = (ttft - prefill) / step_count
        else:
            by_first = pick(prefill > ttft, 0.0, math.nan)  # (an array, with arrays given)
    else:
        late = pick(prefill > ttft, 0.0, math.nan)
        by_first = pick(image_model, (ttft - prefill) / step_count, late)
    if isinstance(tpot, float) and isinstance(by_first, float):  # one cell
        return _fmin(tpot, by_first)
    return np.fmin(tpot, by_first)  # NaN (no target) gives way to the other


def _fmin(a: float, b: float) -> float:
    """The smaller of two numbers, NaN (no limit) giving way to the other."""
    if a != a:
        return b
    return a if b != b or a <= b else b


@quantity(
    "requests",
    "Requests the memory holds per replica",
    excel="IF(AND(ISNUMBER({gpu_memory_bytes_used}),{sequence_bytes}),"
    "ROUNDDOWN(({gpus_per_replica}*{gpu_memory_bytes_used}*{usable_memory_fraction}"
    "-{held_weights_bytes})/({sequence_bytes}*{kv_cache_copies}),0),{max_batch_used})",
)
def memory_concurrency(
    max_batch_used,
    gpus_per_replica,
    gpu_memory_bytes_used,
    usable_memory_fraction,
    held_weights_bytes,
    sequence_bytes,
    kv_cache_copies,
):
    """The KV caches (and copies) that a replica's memory left by the weights holds (may
    be below one); max_batch where there is no KV cache or the memory is unknown."""
    # Where the limit does not apply the division is made harmless first.
    kept = (gpu_memory_bytes_used == gpu_memory_bytes_used) & (sequence_bytes > 0)
    free = gpus_per_replica * pick(kept, gpu_memory_bytes_used, 0.0) * usable_memory_fraction
    held = pick(kept, sequence_bytes, 1.0) * kv_cache_copies
    memory = _rounddown((free - held_weights_bytes) / held)
    return pick(kept, memory, max_batch_used)


@quantity(
    "requests",
    "Concurrency limit",
    excel="MIN({max_batch_used},{memory_concurrency},"
    "IF(ISNUMBER({step_seconds_allowed}),ROUNDDOWN(MIN({step_seconds_allowed}*{replica_flops}"
    "/{step_flops},IF(AND(ISNUMBER({replica_bandwidth}),{step_bytes}),"
    "({step_seconds_allowed}*{replica_bandwidth}-{model_size_bytes})/({step_bytes}"
    "*{kv_cache_copies}),{max_batch_used})),0),{max_batch_used}))",
)
def concurrency_limit(
    max_batch_used,
    memory_concurrency,
    model_size_bytes,
    step_seconds_allowed,
    replica_flops,
    replica_bandwidth,
    step_flops,
    step_bytes,
    kv_cache_copies,
):
    """Requests a replica may run side by side: max_batch, what memory left by the weights
    holds of their KV caches, and what the latency targets allow (may be below one); a step
    reads the model's weights (model_size_bytes), not an image pipeline's text encoders."""
    # Where a limit does not apply (no bandwidth, no target) it is max_batch; the divisions
    # there are made harmless first.
    timed = step_seconds_allowed == step_seconds_allowed
    allowed = pick(timed, step_seconds_allowed, 0.0)
    read = (replica_bandwidth == replica_bandwidth) & (step_bytes > 0)
    bandwidth = pick(read, replica_bandwidth, 0.0)
    by_reading = (allowed * bandwidth - model_size_bytes) / (
        pick(read, step_bytes, 1.0) * kv_cache_copies
    )
    by_computing = allowed * replica_flops / step_flops
    by_latency = _rounddown(_min(by_computing, pick(read, by_reading, max_batch_used)))
    return _min(_min(max_batch_used, memory_concurrency), pick(timed, by_latency, max_batch_used))


def _rounddown(x):
    """ROUNDDOWN(x, 0): towards zero (NaN and infinity stay as they are)."""
    return float(np.trunc(x)) if isinstance(x, float) else np.trunc(x)


@quantity(
    "requests",
    "Requests in flight per replica",
    section="Serving",
    excel="MAX({requests_per_inference},{concurrency_limit})",
)
def max_concurrency_per_replica(
    concurrency_limit,
    flops_model,
    gpus_per_replica,
    max_gpus_per_replica,
    tensor_parallel_limit,
    tensor_parallel,
    memory_concurrency,
    speech_model,
    input_tokens,
    audio_seconds,
    output_tokens,
    prefill_tokens,
    tpot_target_seconds,
    ttft_target_seconds,
    step_seconds_allowed,
):
    """Requests one replica runs side by side (at least one): max_batch, the KV caches its
    memory holds and what the latency targets allow."""
    if type(concurrency_limit) is float:  # one cell
        if concurrency_limit >= 1:
            return concurrency_limit
        short = not flops_model
    else:
        short = np.logical_and(np.logical_not(flops_model), concurrency_limit < 1)
    if np.any(short):
        row, cells = first(
            short,
            gpus_per_replica,
            max_gpus_per_replica,
            tensor_parallel_limit,
            tensor_parallel,
            memory_concurrency,
            speech_model,
            input_tokens,
            audio_seconds,
            output_tokens,
            prefill_tokens,
            tpot_target_seconds,
            ttft_target_seconds,
            step_seconds_allowed,
        )
        raise no_request(*cells, row)
    return _max(concurrency_limit, float(REQUESTS_PER_INFERENCE))


NO_REQUEST = (
    "enough GPUs per replica for the weights and at least one request's KV cache within "
    "the latency targets (raise tensor_parallel, relax ttft_target_seconds or "
    "tpot_target_seconds, or shorten the request)"
)
MORE_GPUS = "give tensor_parallel more GPUs, up to max_gpus_per_replica"
WIDER = "raise max_gpus_per_replica"  # a replica as wide as it may be
WIDER_GIVEN = "raise max_gpus_per_replica and tensor_parallel"
LARGER = "choose a larger GPU"  # as wide as the attention heads split


def heads_bind(limit, most) -> bool:
    """Whether the heads (attention or KV), not ``most`` (max_gpus_per_replica), keep a
    language or speech model's replica at ``limit`` GPUs (tensor_parallel_limit): twice as
    many would still be within ``most``."""
    return limit * TENSOR_PARALLEL_STEP <= most


def no_request(
    gpus,
    most,
    limit,
    tensor_parallel,
    memory,
    speech,
    input_tokens,
    audio_seconds,
    output_tokens,
    prefill_tokens,
    tpot,
    ttft,
    allowed,
    row=None,
) -> DoesNotFitError:
    """The error of a replica that runs no request, naming what to change: tensor_parallel
    where it was given below the widest replica (``limit``, tensor_parallel_limit); else
    the request where its KV cache does not fit (its longer part), or the latency target
    that the step cannot meet, with the way to more GPUs per replica that is left (none
    beyond the split of the attention heads, within max_gpus_per_replica ``most``)."""
    given = not is_blank(tensor_parallel)
    if given and gpus < limit:
        return DoesNotFitError("tensor_parallel", tensor_parallel, NO_REQUEST, row)
    wider = LARGER if heads_bind(limit, most) else WIDER_GIVEN if given else WIDER
    more = wider if gpus >= limit else MORE_GPUS
    if memory < REQUESTS_PER_INFERENCE:
        if output_tokens > prefill_tokens:
            name, value = "output_tokens", output_tokens
        else:
            name, value = (
                ("audio_seconds", audio_seconds) if speech else ("input_tokens", input_tokens)
            )
        accepts = "a request whose KV cache fits beside the weights on"
        return DoesNotFitError(
            name, value, f"{accepts} {_show(gpus)} GPUs (shorten the request, or {more})", row
        )
    name, value = (
        ("tpot_target_seconds", tpot) if tpot == allowed else ("ttft_target_seconds", ttft)
    )
    accepts = f"a time that {_show(gpus)} GPUs per replica meet with one request"
    return DoesNotFitError(name, value, f"{accepts} (relax it, or {more})", row)


@quantity(
    "s",
    "Time per step",
    excel="MAX(IF(ISNUMBER({replica_bandwidth}),({model_size_bytes}"
    "+{max_concurrency_per_replica}*{step_bytes}*{kv_cache_copies})/{replica_bandwidth},0),"
    "{max_concurrency_per_replica}*{step_flops}/{replica_flops})",
)
def step_seconds(
    model_size_bytes,
    max_concurrency_per_replica,
    step_bytes,
    kv_cache_copies,
    replica_bandwidth,
    step_flops,
    replica_flops,
):
    """The longer of reading the weights and the KV caches, and computing the step for
    every request in flight."""
    caches = max_concurrency_per_replica * step_bytes * kv_cache_copies
    reading = (model_size_bytes + caches) / replica_bandwidth
    computing = max_concurrency_per_replica * step_flops / replica_flops
    return _max(given(reading, 0.0), computing)


@quantity(
    "s", "Time per output token or step (roofline)", section="Serving", excel="{step_seconds}"
)
def tpot_seconds(step_seconds):
    """One decode step with every request in flight (image models: one denoising step), by
    the roofline whichever inference model counts the GPUs."""
    # The seed's FLOPs formula and a measured time give GPU-seconds per request, not a
    # latency: the latencies are the roofline's under every inference model.
    return step_seconds


@quantity(
    "s",
    "Time to first token or image (roofline)",
    section="Serving",
    excel="IF({image_model},{step_count}*{step_seconds},0)+{once_flops}/{replica_flops}",
)
def ttft_seconds(image_model, step_count, step_seconds, once_flops, replica_flops):
    """The prefill (text, speech), or every denoising step and the VAE decode (image), by
    the roofline whichever inference model counts the GPUs."""
    return pick(image_model, step_count * step_seconds, 0.0) + once_flops / replica_flops


@quantity(
    "requests/s",
    "Roofline requests per second per replica",
    excel="{max_concurrency_per_replica}/({max_concurrency_per_replica}*{once_flops}"
    "/{replica_flops}+{step_count}*{step_seconds})",
)
def roofline_requests_per_second(
    max_concurrency_per_replica, once_flops, replica_flops, step_count, step_seconds
):
    """Requests in flight over the time to serve them: each one's work done once, and
    the steps they share."""
    busy = max_concurrency_per_replica * once_flops / replica_flops + step_count * step_seconds
    return max_concurrency_per_replica / busy


@quantity(
    "requests/s",
    "Requests per second per replica",
    section="Serving",
    excel="{qps_per_gpu}*{gpus_per_replica}",
)
def requests_per_second_per_replica(qps_per_gpu, gpus_per_replica):
    """qps_per_gpu × gpus_per_replica, under either inference model."""
    return qps_per_gpu * gpus_per_replica


@quantity(
    "outputs/request",
    "Outputs per request",
    excel="IF({image_model},{requests_per_inference},{output_tokens})",
)
def output_units(image_model, output_tokens):
    """Output tokens (text, speech); one image for image models."""
    return pick(image_model, float(REQUESTS_PER_INFERENCE), output_tokens)


@quantity(
    "outputs/s",
    "Output tokens or images per second per GPU",
    section="Serving",
    excel="{qps_per_gpu}*{output_units}",
)
def output_tokens_per_second_per_gpu(qps_per_gpu, output_units):
    """qps_per_gpu × output tokens per request (images per second for image models)."""
    return qps_per_gpu * output_units
