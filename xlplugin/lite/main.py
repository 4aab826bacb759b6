"""xlwings Lite: the capacity and cost of a generative-AI service, as Excel functions.

Type =GPU_COUNT(100000000, 10, "8.1B", "A100") in a cell: 132,117 GPUs, what serving the
seed document's workload takes; =FLOPS_GPU_COUNT(100000000, 10, "8.1B", "A100") gives the
seed's own napkin figure, 61.
Every quantity of the estimate has a function (TRPS, MODEL_SIZE_BYTES, GPU_COUNT,
EGRESS_BITS_PER_SECOND, TOTAL_USD_PER_MONTH, ...), and ESTIMATE(), SCENARIOS(table) and
GPU_SPEC(gpu, field) spill tables. The code is the xlplugin package (requirements.txt);
this file hands its functions to xlwings Lite.
"""

from xlplugin.functions import *  # noqa: F403
