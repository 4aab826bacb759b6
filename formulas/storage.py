"""Storage: model weights, user profiles and interaction data [B]."""

from __future__ import annotations

from ._arrays import given, missing, vectorised
from .catalog import resolve_precision

__all__ = [
    "interaction_storage_bytes_per_day",
    "model_size_bytes",
    "profile_storage_bytes",
    "retained_storage_bytes",
    "storage_bytes_per_day",
    "storage_bytes_per_month",
]


@vectorised
def model_size_bytes(params, bytes_per_param=..., precision=...):
    """Size of the model's weights.

    Parameters
    ----------
    params : numeric
        Parameters in the model. [parameters]
    bytes_per_param : numeric, optional
        Bytes per weight; empty takes the precision's (FP16: 2). [B/parameter]
    precision : str, default "FP16"
        Number format of the weights.

    Returns
    -------
    numeric
        Weights. [B]
    """
    if bytes_per_param is None:  # not given: the precision's width
        bytes_per_param = resolve_precision(precision)[0]
    elif missing(bytes_per_param):  # some cells empty
        bytes_per_param = given(bytes_per_param, resolve_precision(precision)[0])
    return params * bytes_per_param


@vectorised
def profile_storage_bytes(dau, profile_bytes=...):
    """Storage of user profiles: one per daily user.

    Parameters
    ----------
    dau : numeric
        Daily active users. [users]
    profile_bytes : numeric, default 10 KB
        Profile data per user. [B/user]

    Returns
    -------
    numeric
        Profiles. [B]
    """
    return dau * profile_bytes


@vectorised
def interaction_storage_bytes_per_day(dau, requests_per_user, stored_bytes_per_request=...):
    """Interaction data stored per day, before indexing.

    Parameters
    ----------
    dau : numeric
        Daily active users. [users/day]
    requests_per_user : numeric
        Requests per user per day. [requests/user/day]
    stored_bytes_per_request : numeric, default 1 MB
        Bytes stored per interaction. [B/request]

    Returns
    -------
    numeric
        [B/day]
    """
    return dau * requests_per_user * stored_bytes_per_request


@vectorised
def storage_bytes_per_day(dau, requests_per_user, stored_bytes_per_request=..., index_overhead=...):
    """Interaction data stored per day, with indexing and metadata.

    Parameters
    ----------
    dau, requests_per_user, stored_bytes_per_request : numeric
        As in :func:`interaction_storage_bytes_per_day`.
    index_overhead : numeric, default 0.25
        Extra storage for indexes, as a fraction (0.25 = 25 %). [1]

    Returns
    -------
    numeric
        [B/day]
    """
    per_day = interaction_storage_bytes_per_day.core(
        dau, requests_per_user, stored_bytes_per_request
    )
    return per_day * (1 + index_overhead)


@vectorised
def storage_bytes_per_month(
    dau, requests_per_user, stored_bytes_per_request=..., index_overhead=..., days_per_month=...
):
    """Interaction data stored per month, with indexing.

    Parameters
    ----------
    dau, requests_per_user, stored_bytes_per_request, index_overhead : numeric
        As in :func:`storage_bytes_per_day`.
    days_per_month : numeric, default 30
        Days in a month. [days]

    Returns
    -------
    numeric
        [B/month]
    """
    per_day = storage_bytes_per_day.core(
        dau, requests_per_user, stored_bytes_per_request, index_overhead
    )
    return per_day * days_per_month


@vectorised
def retained_storage_bytes(
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
):
    """Everything stored once interaction data has filled its retention period.

    Parameters
    ----------
    dau, requests_per_user : numeric
        As in :func:`storage_bytes_per_month`.
    params, bytes_per_param, precision
        As in :func:`model_size_bytes`.
    profile_bytes : numeric, default 10 KB
        As in :func:`profile_storage_bytes`.
    stored_bytes_per_request, index_overhead, days_per_month : numeric
        As in :func:`storage_bytes_per_month`.
    retention_months : numeric, default 12
        Months interaction data is kept. [months]

    Returns
    -------
    numeric
        Model + profiles + storage per month × retention. [B]
    """
    monthly = storage_bytes_per_month.core(
        dau, requests_per_user, stored_bytes_per_request, index_overhead, days_per_month
    )
    return retained(
        model_size_bytes.core(params, bytes_per_param, precision),
        profile_storage_bytes.core(dau, profile_bytes),
        monthly,
        retention_months,
    )


def retained(model_bytes, profile_bytes_total, bytes_per_month, retention_months):
    """Stored bytes from resolved parts: the model, the profiles and retained months."""
    return model_bytes + profile_bytes_total + bytes_per_month * retention_months
