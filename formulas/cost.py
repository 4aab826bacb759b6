"""Cost per month [USD/month]: GPUs, stored bytes and egress, at list prices."""

from __future__ import annotations

import numpy as np

from ._arrays import first, given, vectorised
from .errors import InvalidInputError
from .inference import catalogue, gpu_count
from .storage import retained_storage_bytes
from .units import BYTES_PER_GB, HOURS_PER_DAY

__all__ = [
    "REQUESTS_PER_THOUSAND",
    "egress_usd_per_month",
    "gpu_usd_per_month",
    "storage_usd_per_month",
    "total_usd_per_month",
    "usd_per_1k_requests",
]

REQUESTS_PER_THOUSAND = 1_000


@vectorised
def gpu_usd_per_month(
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
    gpu_hourly_usd=...,
    days_per_month=...,
):
    """What the GPUs cost per month, running around the clock.

    Parameters
    ----------
    dau, requests_per_user, params, gpu, steps, precision, flops_per_param, utilization
        As in :func:`formulas.gpu_count`.
    peak_factor, headroom, gpu_flops, measured_inference_seconds, bytes_per_param
        As in :func:`formulas.gpu_count`.
    gpu_memory_bytes, usable_memory_fraction, max_gpus_per_replica
        As in :func:`formulas.gpu_count`.
    gpu_hourly_usd : numeric, optional
        USD per GPU-hour; empty takes the catalogue's. [USD/GPU-hour]
    days_per_month : numeric, default 30
        Days in a month (× 24 h). [days]

    Returns
    -------
    numeric
        gpu_count × gpu_hourly_usd × 24 × days_per_month. [USD/month]
    """
    count = gpu_count.core(
        dau,
        requests_per_user,
        params,
        gpu,
        steps,
        precision,
        flops_per_param,
        utilization,
        peak_factor,
        headroom,
        gpu_flops,
        measured_inference_seconds,
        bytes_per_param,
        gpu_memory_bytes,
        usable_memory_fraction,
        max_gpus_per_replica,
    )
    price = given(gpu_hourly_usd, catalogue(gpu, precision)[1]["hourly_usd"])
    return gpu_cost(count, price, days_per_month, gpu)


def gpu_cost(count, price, days_per_month, gpu):
    """GPU cost from resolved arrays; a GPU with no price asks for one."""
    if not (type(price) is float and price == price):  # not one cell with a price
        check_price(price, gpu)
    return count * price * HOURS_PER_DAY * days_per_month


def check_price(price, gpu) -> None:
    """Every GPU needs a price: the catalogue's, or ``gpu_hourly_usd``."""
    missing = np.isnan(price)
    if np.any(missing):
        row, (name,) = first(missing, gpu)
        shown = repr(name) if isinstance(name, str) else f"{name:g}"
        raise InvalidInputError(
            "gpu_hourly_usd",
            None,
            f"a price in USD per GPU-hour >= 0 (the catalogue has no price for gpu {shown})",
            row,
        )


@vectorised
def storage_usd_per_month(
    dau,
    requests_per_user,
    params,
    bytes_per_param=...,
    precision=...,
    profile_bytes=...,
    stored_bytes_per_request=...,
    index_overhead=...,
    days_per_month=...,
    retention_months=...,
    storage_usd_per_gb_month=...,
):
    """What keeping everything stored costs per month, once retention has filled.

    Parameters
    ----------
    dau, requests_per_user, params, bytes_per_param, precision, profile_bytes
        As in :func:`formulas.retained_storage_bytes`.
    stored_bytes_per_request, index_overhead, days_per_month, retention_months
        As in :func:`formulas.retained_storage_bytes`.
    storage_usd_per_gb_month : numeric, default 0.023
        Object storage price. [USD/GB-month]

    Returns
    -------
    numeric
        retained_storage_bytes / 10⁹ × storage_usd_per_gb_month. [USD/month]
    """
    stored = retained_storage_bytes.core(
        dau,
        requests_per_user,
        params,
        bytes_per_param,
        precision,
        profile_bytes,
        stored_bytes_per_request,
        index_overhead,
        days_per_month,
        retention_months,
    )
    return storage_cost(stored, storage_usd_per_gb_month)


def storage_cost(stored_bytes, storage_usd_per_gb_month):
    """Storage cost of a number of bytes."""
    return stored_bytes / BYTES_PER_GB * storage_usd_per_gb_month


@vectorised
def egress_usd_per_month(
    dau, requests_per_user, response_bytes=..., days_per_month=..., egress_usd_per_gb=...
):
    """What sending every response costs per month (average traffic, flat price).

    Parameters
    ----------
    dau, requests_per_user : numeric
        Daily users and requests per user per day. [users/day], [requests/user/day]
    response_bytes : numeric, default 1 MB
        Bytes sent per request. [B/request]
    days_per_month : numeric, default 30
        Days in a month. [days]
    egress_usd_per_gb : numeric, default 0.05
        Internet egress price. [USD/GB]

    Returns
    -------
    numeric
        Requests per month × response_bytes / 10⁹ × egress_usd_per_gb. [USD/month]
    """
    return egress_cost(dau * requests_per_user * days_per_month, response_bytes, egress_usd_per_gb)


def egress_cost(requests_per_month, response_bytes, egress_usd_per_gb):
    """Egress cost of a month's responses."""
    return requests_per_month * response_bytes / BYTES_PER_GB * egress_usd_per_gb


@vectorised
def total_usd_per_month(
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
    profile_bytes=...,
    stored_bytes_per_request=...,
    index_overhead=...,
    days_per_month=...,
    retention_months=...,
    response_bytes=...,
    gpu_hourly_usd=...,
    storage_usd_per_gb_month=...,
    egress_usd_per_gb=...,
):
    """What the service costs per month: GPUs, storage and egress.

    Parameters
    ----------
    dau, requests_per_user, params, gpu, steps, precision, flops_per_param, utilization
        As in :func:`gpu_usd_per_month`.
    peak_factor, headroom, gpu_flops, measured_inference_seconds, bytes_per_param
        As in :func:`gpu_usd_per_month`.
    gpu_memory_bytes, usable_memory_fraction, max_gpus_per_replica, gpu_hourly_usd
        As in :func:`gpu_usd_per_month`.
    profile_bytes, stored_bytes_per_request, index_overhead, retention_months
        As in :func:`storage_usd_per_month`.
    storage_usd_per_gb_month
        As in :func:`storage_usd_per_month`.
    days_per_month, response_bytes, egress_usd_per_gb
        As in :func:`egress_usd_per_month`.

    Returns
    -------
    numeric
        gpu_usd_per_month + storage_usd_per_month + egress_usd_per_month. [USD/month]
    """
    gpus = gpu_usd_per_month.core(
        dau,
        requests_per_user,
        params,
        gpu,
        steps,
        precision,
        flops_per_param,
        utilization,
        peak_factor,
        headroom,
        gpu_flops,
        measured_inference_seconds,
        bytes_per_param,
        gpu_memory_bytes,
        usable_memory_fraction,
        max_gpus_per_replica,
        gpu_hourly_usd,
        days_per_month,
    )
    stored = storage_usd_per_month.core(
        dau,
        requests_per_user,
        params,
        bytes_per_param,
        precision,
        profile_bytes,
        stored_bytes_per_request,
        index_overhead,
        days_per_month,
        retention_months,
        storage_usd_per_gb_month,
    )
    sent = egress_usd_per_month.core(
        dau, requests_per_user, response_bytes, days_per_month, egress_usd_per_gb
    )
    return gpus + stored + sent


@vectorised
def usd_per_1k_requests(
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
    profile_bytes=...,
    stored_bytes_per_request=...,
    index_overhead=...,
    days_per_month=...,
    retention_months=...,
    response_bytes=...,
    gpu_hourly_usd=...,
    storage_usd_per_gb_month=...,
    egress_usd_per_gb=...,
):
    """What a thousand requests cost, all in.

    Parameters
    ----------
    dau, requests_per_user, params, gpu, ...
        As in :func:`total_usd_per_month`.

    Returns
    -------
    numeric
        total_usd_per_month / requests per month × 1,000. [USD/1k requests]
    """
    total = total_usd_per_month.core(
        dau,
        requests_per_user,
        params,
        gpu,
        steps,
        precision,
        flops_per_param,
        utilization,
        peak_factor,
        headroom,
        gpu_flops,
        measured_inference_seconds,
        bytes_per_param,
        gpu_memory_bytes,
        usable_memory_fraction,
        max_gpus_per_replica,
        profile_bytes,
        stored_bytes_per_request,
        index_overhead,
        days_per_month,
        retention_months,
        response_bytes,
        gpu_hourly_usd,
        storage_usd_per_gb_month,
        egress_usd_per_gb,
    )
    requests_per_month = dau * requests_per_user * days_per_month
    return total / requests_per_month * REQUESTS_PER_THOUSAND
