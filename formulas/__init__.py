"""Capacity and cost of a generative-AI service: storage, requests, inference, GPUs,
bandwidth and money, from daily users.

Pure functions by domain (``storage``, ``traffic``, ``inference``, ``bandwidth``), the whole
estimate (:func:`estimate`, :func:`estimate_table`), a month-by-month plan
(:func:`projection`) and the catalogue of GPUs, precisions and models (``catalog``).
Base units inside (bytes, seconds, bit/s, FLOP/s, USD); decimal SI everywhere.
"""

from . import catalog, vocabulary
from .bandwidth import egress_bits_per_second, ingress_bits_per_second
from .catalog import gpu_names, gpu_spec, model_preset, precision_names
from .cost import (
    egress_usd_per_month,
    gpu_usd_per_month,
    storage_usd_per_month,
    total_usd_per_month,
    usd_per_1k_requests,
)
from .errors import (
    DoesNotFitError,
    EstimateError,
    InvalidInputError,
    LimitError,
    UnknownNameError,
)
from .estimate import estimate, estimate_table
from .inference import gpu_count, gpus_per_replica, inference_seconds, qps_per_gpu
from .projection import PROJECTION_COLUMNS, projection
from .storage import (
    interaction_storage_bytes_per_day,
    model_size_bytes,
    profile_storage_bytes,
    retained_storage_bytes,
    storage_bytes_per_day,
    storage_bytes_per_month,
)
from .traffic import peak_rps, trps
from .units import format_quantity, parse_quantity
from .vocabulary import INPUTS, OUTPUTS

__version__ = "0.1.0"

# Enumerate all user-facing objects
__all__ = (
    "INPUTS",
    "OUTPUTS",
    "PROJECTION_COLUMNS",
    "DoesNotFitError",
    "EstimateError",
    "InvalidInputError",
    "LimitError",
    "UnknownNameError",
    "catalog",
    "egress_bits_per_second",
    "egress_usd_per_month",
    "estimate",
    "estimate_table",
    "format_quantity",
    "gpu_count",
    "gpu_names",
    "gpu_spec",
    "gpu_usd_per_month",
    "gpus_per_replica",
    "inference_seconds",
    "ingress_bits_per_second",
    "interaction_storage_bytes_per_day",
    "model_preset",
    "model_size_bytes",
    "parse_quantity",
    "peak_rps",
    "precision_names",
    "profile_storage_bytes",
    "projection",
    "qps_per_gpu",
    "retained_storage_bytes",
    "storage_bytes_per_day",
    "storage_bytes_per_month",
    "storage_usd_per_month",
    "total_usd_per_month",
    "trps",
    "usd_per_1k_requests",
    "vocabulary",
)
