"""Inference: time per request, throughput per GPU, GPUs per replica and GPUs in all.

A request costs ``flops_per_param × params × steps`` FLOP; a GPU delivers
``gpu_flops × utilization`` FLOP/s. A measured ``measured_inference_seconds`` replaces that model.
"""

from __future__ import annotations

import functools
from types import MappingProxyType

import numpy as np

from ._arrays import first, given, missing, roundup, vectorised
from .catalog import resolve_gpu, resolve_precision
from .errors import DoesNotFitError, InvalidInputError
from .traffic import peak_rps

__all__ = ["gpu_count", "gpus_per_replica", "inference_seconds", "qps_per_gpu"]
# count, replicas and seconds are the arithmetic on resolved arrays, shared with estimate().


def catalogue(gpu, precision):
    """Bytes per parameter and GPU figures for names, with the GPU's FLOP/s checked."""
    if type(gpu) is str and type(precision) is str:  # one cell
        return _one_catalogue(gpu, precision)
    return _catalogue(gpu, precision)


@functools.lru_cache(maxsize=1024)
def _one_catalogue(gpu: str, precision: str):
    widths, figures = _catalogue(gpu, precision)  # an unknown name raises: not cached
    return widths, MappingProxyType(figures)


def _catalogue(gpu, precision):
    widths, compute = resolve_precision(precision)
    figures = resolve_gpu(gpu, compute)
    check_flops(figures["flops"], gpu)
    return widths, figures


def check_flops(flops, gpu) -> None:
    """A GPU given as a number must be a positive FLOP/s."""
    if type(flops) is float and flops > 0:  # one cell, the usual case
        return
    bad = np.logical_not(flops > 0)
    if np.any(bad):
        row, (value,) = first(bad, flops)
        raise InvalidInputError("gpu", value, "a catalogue name or a FLOP/s number > 0", row)


@vectorised
def inference_seconds(
    params,
    gpu=...,
    steps=...,
    precision=...,
    flops_per_param=...,
    utilization=...,
    gpu_flops=...,
    measured_inference_seconds=...,
):
    """GPU-seconds one request takes.

    Parameters
    ----------
    params : numeric
        Parameters in the model. [parameters]
    gpu : str or numeric, default "A100"
        Catalogue name, or peak FLOP/s as a number.
    steps : numeric, default 100
        Work units per request (diffusion steps, generated tokens). [steps/request]
    precision : str, default "FP16"
        Picks the catalogue's FLOP/s column (FP8 uses the FP8 tensor rate where the GPU
        has one).
    flops_per_param : numeric, default 2
        FLOP per parameter per step. [FLOP/parameter/step]
    utilization : numeric, default 1
        Fraction of peak FLOP/s achieved, in (0, 1]. [1]
    gpu_flops : numeric, optional
        Peak FLOP/s, overriding the catalogue. [FLOP/s]
    measured_inference_seconds : numeric, optional
        A measured time that replaces the FLOPs model. [s]

    Returns
    -------
    numeric
        [s]
    """
    return _seconds(
        params,
        steps,
        gpu,
        precision,
        flops_per_param,
        utilization,
        gpu_flops,
        measured_inference_seconds,
    )


def _seconds(params, steps, gpu, precision, flops_per_param, utilization, gpu_flops, measured):
    if measured is not None and not missing(measured):
        return measured  # every row measured: no catalogue look-up needed
    peak = (
        given(gpu_flops, catalogue(gpu, precision)[1]["flops"]) if missing(gpu_flops) else gpu_flops
    )
    return seconds(params, steps, flops_per_param, peak, utilization, measured)


def seconds(params, steps, flops_per_param, peak_flops, utilization, measured):
    """GPU-seconds per request from resolved arrays: the measured time where given."""
    return given(measured, flops_per_param * params * steps / (peak_flops * utilization))


@vectorised
def qps_per_gpu(
    params,
    gpu=...,
    steps=...,
    precision=...,
    flops_per_param=...,
    utilization=...,
    gpu_flops=...,
    measured_inference_seconds=...,
):
    """Requests per second one GPU serves.

    Parameters
    ----------
    params, gpu, steps, precision, flops_per_param, utilization, gpu_flops
        As in :func:`inference_seconds`.
    measured_inference_seconds : numeric, optional
        As in :func:`inference_seconds`.

    Returns
    -------
    numeric
        1 / inference_seconds. [requests/s]
    """
    return 1 / _seconds(
        params,
        steps,
        gpu,
        precision,
        flops_per_param,
        utilization,
        gpu_flops,
        measured_inference_seconds,
    )


@vectorised
def gpus_per_replica(
    params,
    gpu=...,
    precision=...,
    bytes_per_param=...,
    gpu_memory_bytes=...,
    usable_memory_fraction=...,
    max_gpus_per_replica=...,
):
    """GPUs one replica needs to hold the model's weights.

    Parameters
    ----------
    params : numeric
        Parameters in the model. [parameters]
    gpu : str or numeric, default "A100"
        Catalogue name (its memory is used), or FLOP/s (then memory is unknown: 1 GPU,
        unless ``gpu_memory_bytes`` is given).
    precision : str, default "FP16"
        Sets ``bytes_per_param`` when that is not given.
    bytes_per_param : numeric, optional
        Bytes per weight. [B/parameter]
    gpu_memory_bytes : numeric, optional
        Memory per GPU, overriding the catalogue. [B]
    usable_memory_fraction : numeric, default 0.9
        Share of memory the weights may fill. [1]
    max_gpus_per_replica : numeric, default 8
        A model needing more raises :class:`~formulas.errors.DoesNotFitError`. [GPUs]

    Returns
    -------
    numeric
        ceil(model bytes / (memory × usable fraction)). [GPUs]
    """
    widths, figures = catalogue(gpu, precision)
    weights = params * given(bytes_per_param, widths)
    memory = given(gpu_memory_bytes, figures["memory_bytes"])
    return replicas(weights, memory, usable_memory_fraction, max_gpus_per_replica, params, gpu)


def replicas(weights, memory, usable_memory_fraction, max_gpus_per_replica, params, gpu):
    """GPUs per replica from resolved arrays; unknown memory (NaN) counts as one GPU."""
    need = given(roundup(weights / (memory * usable_memory_fraction)), 1.0)
    bad = need > max_gpus_per_replica
    if bad is True or (bad is not False and np.any(bad)):
        row, (n, most, p, w, g) = first(bad, need, max_gpus_per_replica, params, weights, gpu)
        raise DoesNotFitError(
            "params",
            p,
            f"a model that fits in {int(most)} GPUs: {w / 1e9:,.4g} GB of weights need "
            f"{int(n)} x {g} (choose a larger GPU, a smaller precision or raise "
            "max_gpus_per_replica)",
            row,
        )
    return need


@vectorised
def gpu_count(
    dau,
    requests_per_user,
    params,
    gpu=...,
    steps=...,
    precision=...,
    flops_per_param=...,
    utilization=...,
    peak_factor=...,
    headroom=...,
    gpu_flops=...,
    measured_inference_seconds=...,
    bytes_per_param=...,
    gpu_memory_bytes=...,
    usable_memory_fraction=...,
    max_gpus_per_replica=...,
):
    """GPUs needed to serve peak traffic with headroom, in whole replicas.

    Parameters
    ----------
    dau : numeric
        Daily active users. [users/day]
    requests_per_user : numeric
        Requests per user per day. [requests/user/day]
    params : numeric
        Parameters in the model. [parameters]
    gpu : str or numeric, default "A100"
        Catalogue name, or peak FLOP/s.
    steps, precision, flops_per_param, utilization, gpu_flops, measured_inference_seconds
        As in :func:`inference_seconds`.
    peak_factor : numeric, default 1
        Peak over average traffic. [1]
    headroom : numeric, default 0
        Spare capacity over peak, as a fraction. [1]
    bytes_per_param, gpu_memory_bytes, usable_memory_fraction, max_gpus_per_replica
        As in :func:`gpus_per_replica`.

    Returns
    -------
    numeric
        replicas × gpus_per_replica, with replicas =
        ceil(peak_rps × (1 + headroom) / (qps_per_gpu × gpus_per_replica)). [GPUs]
    """
    # One catalogue look-up serves both the time per request and the GPUs per replica.
    widths, figures = catalogue(gpu, precision)
    peak = given(gpu_flops, figures["flops"])
    qps = 1 / seconds(params, steps, flops_per_param, peak, utilization, measured_inference_seconds)
    per_replica = replicas(
        params * given(bytes_per_param, widths),
        given(gpu_memory_bytes, figures["memory_bytes"]),
        usable_memory_fraction,
        max_gpus_per_replica,
        params,
        gpu,
    )
    demand = peak_rps.core(dau, requests_per_user, peak_factor) * (1 + headroom)
    return count(demand, qps, per_replica)


def count(demand, qps, per_replica):
    """Whole replicas to serve ``demand`` requests/s, in GPUs."""
    return per_replica * roundup(demand / (qps * per_replica))
