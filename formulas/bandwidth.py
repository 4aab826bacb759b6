"""Bandwidth: ingress and egress at peak traffic [bit/s]."""

from __future__ import annotations

from ._arrays import vectorised
from .traffic import peak_rps
from .units import BITS_PER_BYTE

__all__ = ["egress_bits_per_second", "ingress_bits_per_second"]


@vectorised
def ingress_bits_per_second(dau, requests_per_user, request_bytes=..., peak_factor=...):
    """Inbound bandwidth for requests at peak traffic.

    Parameters
    ----------
    dau : numeric
        Daily active users. [users/day]
    requests_per_user : numeric
        Requests per user per day. [requests/user/day]
    request_bytes : numeric, default 2 KB
        Bytes received per request. [B/request]
    peak_factor : numeric, default 1
        Peak over average traffic. [1]

    Returns
    -------
    numeric
        peak_rps × request_bytes × 8. [bit/s]
    """
    return peak_rps.core(dau, requests_per_user, peak_factor) * request_bytes * BITS_PER_BYTE


@vectorised
def egress_bits_per_second(dau, requests_per_user, response_bytes=..., peak_factor=...):
    """Outbound bandwidth for responses at peak traffic.

    Parameters
    ----------
    dau, requests_per_user, peak_factor : numeric
        As in :func:`ingress_bits_per_second`.
    response_bytes : numeric, default 1 MB
        Bytes sent per request. [B/request]

    Returns
    -------
    numeric
        peak_rps × response_bytes × 8. [bit/s]
    """
    return peak_rps.core(dau, requests_per_user, peak_factor) * response_bytes * BITS_PER_BYTE
