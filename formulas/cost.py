"""Cost per month [USD/month]: GPUs, stored bytes and egress, at list prices."""

from __future__ import annotations

import numpy as np

from ._arrays import first
from .errors import InvalidInputError
from .graph import REQUESTS_PER_THOUSAND, TOKENS_PER_MILLION, quantity
from .units import BYTES_PER_GB, HOURS_PER_DAY

__all__ = [
    "egress_usd_per_month",
    "gpu_usd_per_month",
    "storage_usd_per_month",
    "total_usd_per_month",
    "usd_per_1k_requests",
    "usd_per_million_output_tokens",
]


@quantity(
    "USD/month",
    "GPU cost per month",
    section="Cost",
    excel="{gpu_count}*{gpu_hourly_usd_used}*{hours_per_day}*{days_per_month}",
)
def gpu_usd_per_month(gpu_count, gpu_hourly_usd_used, days_per_month, gpu):
    """gpu_count × gpu_hourly_usd × 24 × days_per_month."""
    price = gpu_hourly_usd_used
    if not (type(price) is float and price == price):  # not one cell with a price
        _check_price(price, gpu)
    return gpu_count * price * HOURS_PER_DAY * days_per_month


def _check_price(price, gpu) -> None:
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


@quantity(
    "USD/month",
    "Storage cost per month",
    section="Cost",
    excel="{retained_storage_bytes}/{bytes_per_gb}*{storage_usd_per_gb_month}",
)
def storage_usd_per_month(retained_storage_bytes, storage_usd_per_gb_month):
    """retained_storage_bytes / 10⁹ × storage_usd_per_gb_month."""
    return retained_storage_bytes / BYTES_PER_GB * storage_usd_per_gb_month


@quantity(
    "USD/month",
    "Egress cost per month",
    section="Cost",
    excel="{requests_per_month}*{response_bytes}/{bytes_per_gb}*{egress_usd_per_gb}",
)
def egress_usd_per_month(requests_per_month, response_bytes, egress_usd_per_gb):
    """Average responses per month / 10⁹ × egress_usd_per_gb."""
    return requests_per_month * response_bytes / BYTES_PER_GB * egress_usd_per_gb


@quantity(
    "USD/month",
    "Total cost per month",
    section="Cost",
    excel="{gpu_usd_per_month}+{storage_usd_per_month}+{egress_usd_per_month}",
)
def total_usd_per_month(gpu_usd_per_month, storage_usd_per_month, egress_usd_per_month):
    """GPU + storage + egress."""
    return gpu_usd_per_month + storage_usd_per_month + egress_usd_per_month


@quantity(
    "USD/1k requests",
    "Cost per 1,000 requests",
    section="Cost",
    excel="{total_usd_per_month}/{requests_per_month}*{requests_per_thousand}",
)
def usd_per_1k_requests(total_usd_per_month, requests_per_month):
    """total_usd_per_month / requests per month × 1,000."""
    return total_usd_per_month / requests_per_month * REQUESTS_PER_THOUSAND


@quantity(
    "USD/1M outputs",
    "Cost per million output tokens or images",
    section="Cost",
    excel="{total_usd_per_month}/({requests_per_month}*{output_units})*{tokens_per_million}",
)
def usd_per_million_output_tokens(total_usd_per_month, requests_per_month, output_units):
    """total_usd_per_month / output tokens per month × 10⁶ (per million images for image
    models)."""
    return total_usd_per_month / (requests_per_month * output_units) * TOKENS_PER_MILLION
