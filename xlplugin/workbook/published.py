"""The figures the seed document publishes, shown beside the Estimate's own.

Source: the seed document, "Deploying the System Design of a Text-to-Image Generation
System" (Stable Diffusion 3.5 Large for 100 million daily users; sections "Storage
estimation", "Inference servers estimation" and "Bandwidth estimation"). The seed rounds;
the Estimate does not, so the two agree to the seed's precision.
"""

from __future__ import annotations

__all__ = ["PUBLISHED", "ROUNDED", "SEED_CITATION"]

SEED_CITATION = (
    'Seed document: "Deploying the System Design of a Text-to-Image Generation '
    'System" (Stable Diffusion 3.5 Large, 100 million daily users)'
)

# Output step name -> (figure in base units, the seed's wording).
PUBLISHED: dict[str, tuple[float, str]] = {
    "model_size_bytes": (16.2e9, "16.2 GB"),
    "profile_storage_bytes": (1e12, "1 TB"),
    "interaction_storage_bytes_per_day": (1e15, "1 PB per day"),
    "storage_bytes_per_day": (1.25e15, "1.25 PB per day with indexing"),
    "storage_bytes_per_month": (3.75e16, "37.5 PB per month"),
    "trps": (11_574, "TRPS ≈ 11,574"),
    # The seed's inference figures come from its FLOPs formula: beside that count.
    "flops_gpu_count": (61, "61 GPUs (its FLOPs formula)"),
    "ingress_bits_per_second": (185e6, "≈ 185 Mbit/s ingress"),
    "egress_bits_per_second": (92.6e9, "≈ 92.6 Gbit/s egress"),
}
# The figures the seed gives as rounded ("≈"), shown at its precision and with its sign: in
# the Estimate's format, 11,574 would read 11,574.0 beside the model's 11,574.1, a
# difference a reader would take for a disagreement.
ROUNDED: dict[str, str] = {
    "trps": '"≈ "#,##0',
    "ingress_bits_per_second": '"≈ "0,," Mbit/s"',
    "egress_bits_per_second": '"≈ "0.0,,," Gbit/s"',
}
