"""Traffic: requests per second from daily users [requests/s]."""

from __future__ import annotations

from ._arrays import vectorised
from .units import SECONDS_PER_DAY

__all__ = ["peak_rps", "trps"]


@vectorised
def trps(dau, requests_per_user):
    """Total requests per second, averaged over the day.

    Parameters
    ----------
    dau : numeric
        Daily active users. [users/day]
    requests_per_user : numeric
        Requests per user per day. [requests/user/day]

    Returns
    -------
    numeric
        dau × requests_per_user / 86,400. [requests/s]
    """
    return dau * requests_per_user / SECONDS_PER_DAY


@vectorised
def peak_rps(dau, requests_per_user, peak_factor=...):
    """Requests per second at the daily peak.

    Parameters
    ----------
    dau, requests_per_user : numeric
        As in :func:`trps`.
    peak_factor : numeric, default 1
        Peak over average traffic (1 = flat; 2-3 is common for consumer apps). [1]

    Returns
    -------
    numeric
        [requests/s]
    """
    return trps.core(dau, requests_per_user) * peak_factor
