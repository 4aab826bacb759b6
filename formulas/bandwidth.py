"""Bandwidth: ingress and egress at peak traffic [bit/s]."""

from __future__ import annotations

from .graph import quantity
from .units import BITS_PER_BYTE

__all__ = ["egress_bits_per_second", "ingress_bits_per_second"]


@quantity(
    "bit/s",
    "Ingress bandwidth",
    section="Bandwidth",
    excel="{peak_rps}*{request_bytes}*{bits_per_byte}",
)
def ingress_bits_per_second(peak_rps, request_bytes):
    """peak_rps × request_bytes × 8."""
    return peak_rps * request_bytes * BITS_PER_BYTE


@quantity(
    "bit/s",
    "Egress bandwidth",
    section="Bandwidth",
    excel="{peak_rps}*{response_bytes}*{bits_per_byte}",
)
def egress_bits_per_second(peak_rps, response_bytes):
    """peak_rps × response_bytes × 8."""
    return peak_rps * response_bytes * BITS_PER_BYTE
