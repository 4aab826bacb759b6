"""A month-by-month plan: daily users growing at a monthly rate, and what they need."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import is_blank, overflow_accepts, take
from .errors import InvalidInputError, OverflowInputError
from .estimate import _compute, _inputs
from .vocabulary import INPUT

__all__ = ["PROJECTION_COLUMNS", "projection"]

PROJECTION_COLUMNS = (
    "month",
    "dau",
    "trps",
    "gpu_count",
    "storage_bytes_per_month",
    "retained_storage_bytes",
    "gpu_usd_per_month",
    "storage_usd_per_month",
    "egress_usd_per_month",
    "total_usd_per_month",
)


def projection(months=24, dau_growth=0.05, **inputs) -> pd.DataFrame:
    """Plan month by month as daily users grow.

    Parameters
    ----------
    months : int, default 24
        Months to plan. [months]
    dau_growth : float, default 0.05
        Growth of ``dau`` per month; month m has ``dau × (1 + dau_growth)^(m-1)``. [1/month]
    **inputs
        Scalar vocabulary inputs, as for :func:`formulas.estimate`.

    Returns
    -------
    pandas.DataFrame
        One row per month (1..months) with :data:`PROJECTION_COLUMNS`. Stored bytes count
        the model, every user's profile and the interaction data of the last
        ``retention_months`` months (fewer in the first months); storage cost follows them.
    """
    plan = {"months": months, "dau_growth": dau_growth}  # blank: the default, as any input
    plan = take(**{n: INPUT[n].default if is_blank(v) else v for n, v in plan.items()})
    a = _inputs(inputs)
    for name, value in {**plan, **a}.items():
        _single(name, value, inputs.get(name, dau_growth if name == "dau_growth" else months))
    count = int(plan["months"])
    month = np.arange(1, count + 1, dtype=float)
    given = a["dau"]
    with np.errstate(over="ignore"):  # a month past a float's range: named by _compute
        a["dau"] = a["dau"] * (1 + plan["dau_growth"]) ** (month - 1)
    try:
        r = _compute(a)
    except OverflowInputError as error:
        raise _as_given(error, given, dau_growth) from None
    # Stored bytes fill up month by month: the last retention_months months so far, not
    # a full window from the first month. What depends on them is computed again.
    retention = int(r["retention_months"])
    monthly = np.broadcast_to(r["storage_bytes_per_month"], month.shape)
    window = np.convolve(monthly, np.ones(retention))[:count] if retention else 0 * monthly
    retained = r["model_size_bytes"] + r["profile_storage_bytes"] + window
    try:
        r = _compute(a, given={"retained_storage_bytes": retained})
    except OverflowInputError as error:
        raise _as_given(error, given, dau_growth) from None
    r["month"] = month.astype(int)
    return pd.DataFrame({c: np.broadcast_to(r[c], month.shape) for c in PROJECTION_COLUMNS})


def _single(name: str, value: object, given: object) -> None:
    """Refuse an array: a projection is one scenario, its rows the months."""
    if np.ndim(value) > 0:
        raise InvalidInputError(
            name,
            given,
            "a single value: a projection plans one scenario month by month "
            "(estimate_table takes one scenario a row)",
        )


def _as_given(error: OverflowInputError, dau: float, dau_growth: object) -> OverflowInputError:
    """An overflow in some month's row: named with the daily users the caller gave, not
    that month's grown figure, which no one typed (the row is the month); or, where the
    first month computes and a later one overflows, with the growth that took it there."""
    if error.name != "dau":
        return error
    if error.row is not None and int(error.row) > 0:  # a later month: grown too far
        return OverflowInputError(
            "dau_growth",
            dau_growth,
            overflow_accepts("dau_growth"),
            error.quantity,
            error.smaller,
            error.row,
        )
    return OverflowInputError(
        "dau", dau, overflow_accepts("dau"), error.quantity, error.smaller, error.row
    )
