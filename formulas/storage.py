"""Storage: model weights, user profiles and interaction data [B]."""

from __future__ import annotations

from .graph import quantity

__all__ = [
    "interaction_storage_bytes_per_day",
    "model_size_bytes",
    "profile_storage_bytes",
    "retained_storage_bytes",
    "storage_bytes_per_day",
    "storage_bytes_per_month",
]


@quantity("B", "Model size", section="Storage", excel="{params}*{bytes_per_param_used}")
def model_size_bytes(params, bytes_per_param_used):
    """Weights: params × bytes_per_param."""
    return params * bytes_per_param_used


@quantity("B", "User profiles", section="Storage", excel="{dau}*{profile_bytes}")
def profile_storage_bytes(dau, profile_bytes):
    """dau × profile_bytes."""
    return dau * profile_bytes


@quantity(
    "B/day",
    "Interactions per day",
    section="Storage",
    excel="{dau}*{requests_per_user}*{stored_bytes_per_request}",
)
def interaction_storage_bytes_per_day(dau, requests_per_user, stored_bytes_per_request):
    """dau × requests_per_user × stored_bytes_per_request."""
    return dau * requests_per_user * stored_bytes_per_request


# Spreadsheets get x + x × f for x × (1 + f): no number typed into a formula, and the two
# agree to within one rounding.
@quantity(
    "B/day",
    "Storage per day (with indexing)",
    section="Storage",
    excel="{interaction_storage_bytes_per_day}+{interaction_storage_bytes_per_day}*{index_overhead}",
)
def storage_bytes_per_day(interaction_storage_bytes_per_day, index_overhead):
    """Interactions per day × (1 + index_overhead)."""
    return interaction_storage_bytes_per_day * (1 + index_overhead)


@quantity(
    "B/month",
    "Storage per month",
    section="Storage",
    excel="{storage_bytes_per_day}*{days_per_month}",
)
def storage_bytes_per_month(storage_bytes_per_day, days_per_month):
    """Storage per day × days_per_month."""
    return storage_bytes_per_day * days_per_month


@quantity(
    "B",
    "Stored at steady state",
    section="Storage",
    excel="{model_size_bytes}+{profile_storage_bytes}+{storage_bytes_per_month}*{retention_months}",
)
def retained_storage_bytes(
    model_size_bytes, profile_storage_bytes, storage_bytes_per_month, retention_months
):
    """Model + profiles + storage per month × retention_months."""
    return model_size_bytes + profile_storage_bytes + storage_bytes_per_month * retention_months
