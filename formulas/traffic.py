"""Traffic: requests per second and per month from daily users [requests/s]."""

from __future__ import annotations

from .graph import quantity
from .units import SECONDS_PER_DAY

__all__ = ["peak_rps", "requests_per_month", "trps"]


@quantity(
    "requests/s",
    "Total requests per second",
    section="Inference",
    excel="{dau}*{requests_per_user}/{seconds_per_day}",
)
def trps(dau, requests_per_user):
    """Average: dau × requests_per_user / 86,400 s."""
    return dau * requests_per_user / SECONDS_PER_DAY


@quantity(
    "requests/s", "Peak requests per second", section="Inference", excel="{trps}*{peak_factor}"
)
def peak_rps(trps, peak_factor):
    """trps × peak_factor."""
    return trps * peak_factor


@quantity(
    "requests/month", "Requests per month", excel="{dau}*{requests_per_user}*{days_per_month}"
)
def requests_per_month(dau, requests_per_user, days_per_month):
    """Average requests in a month: dau × requests_per_user × days_per_month."""
    return dau * requests_per_user * days_per_month
