"""Time the Excel functions through xlwings, beside formulas called directly.

    python benchmarks/bench_functions.py [--quick]

Rows: one scalar GPU_COUNT through ``xlwings.server.custom_functions_call`` in-process
and over HTTP (``xlplugin serve``'s xlwings Server on 127.0.0.1), and one 10,000-row
SCENARIOS call. Each row's baseline is a trivial function (it returns its argument)
through the same path with the same arguments; "formulas" is the same work called
directly. All measured in one run; times are per call.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ["XLWINGS_ON_SERVER"] = "true"  # before xlwings: its Office.js decorators
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import httpx
import numpy as np
import pandas as pd
import xlwings.server
from bench_excel import body

import formulas
from xlplugin import functions
from xlplugin.serve import project_files, server_environment

ROWS = 10_000
TRIVIAL = """
import xlwings as xw


@xw.func
def bench_trivial(dau, requests_per_user=None, params=None, gpu=None):
    return dau


@xw.func
def bench_trivial_table(table):
    return [[len(table)]]
"""


def timed(functions: dict, repeat: int, rounds: int = 5) -> dict[str, tuple[float, float]]:
    """Median and 95th percentile (seconds) of ``repeat`` calls of each function.

    The functions take turns in ``rounds`` blocks, so that a busy moment of the machine
    hits a function and its baselines alike; each is warmed up first.
    """
    times = {name: [] for name in functions}
    for fn in functions.values():
        for _ in range(max(3, repeat // 20)):
            fn()
    for _ in range(rounds):
        for name, fn in functions.items():
            for _ in range(max(1, repeat // rounds)):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    out = {}
    for name, runs in times.items():
        runs.sort()
        out[name] = statistics.median(runs), runs[min(len(runs) - 1, int(0.95 * len(runs)))]
    return out


def scenario_table() -> list[list]:
    rng = np.random.default_rng(0)
    gpus = rng.choice(["A100", "H100", "L4", "MI300X"], ROWS).tolist()  # JSON: str, float
    daus = rng.integers(10**6, 10**9, ROWS).astype(float).tolist()
    return [
        ["dau", "requests_per_user", "params", "gpu"],
        *[[d, 10.0, 8.1e9, g] for d, g in zip(daus, gpus, strict=True)],
    ]


def in_process(repeat: int) -> dict:
    trivial = types.ModuleType("bench_trivial")
    exec(TRIVIAL, trivial.__dict__)
    loop = asyncio.new_event_loop()

    def run(module, request):
        return lambda: loop.run_until_complete(
            xlwings.server.custom_functions_call(request, module)
        )

    seed = (1e8, 10.0, 8.1e9, "A100")
    table = scenario_table()
    frame = pd.DataFrame(table[1:], columns=table[0])
    assert run(functions, body("gpu_count", *seed))() == [[61]]
    scalar = timed(
        {
            "gpu_count": run(functions, body("gpu_count", *seed)),
            "gpu_count_trivial": run(trivial, body("bench_trivial", *seed)),
            "gpu_count_formulas": lambda: formulas.gpu_count(*seed),
        },
        repeat,
    )
    tables = timed(
        {
            "scenarios": run(functions, body("scenarios", table)),
            "scenarios_trivial": run(trivial, body("bench_trivial_table", table)),
            "scenarios_formulas": lambda: formulas.estimate_table(frame),
        },
        max(5, repeat // 50),
    )
    return {**scalar, **tables}


def over_http(repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="xlplugin-bench-") as folder:
        project = project_files(Path(folder))
        init = project / "custom_functions" / "__init__.py"
        init.write_text(init.read_text() + TRIVIAL)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "xlwings_server.main:main_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={**server_environment(project), "XLWINGS_LOG_LEVEL": "WARNING"},
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/xlwings/custom-functions-meta").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                time.sleep(0.2)

            def post(request):
                def call():
                    response = client.post("/xlwings/custom-functions-call", json=request)
                    response.raise_for_status()
                    return response.json()["result"]

                return call

            seed = (1e8, 10.0, 8.1e9, "A100")
            assert post(body("gpu_count", *seed))() == [[61]]
            table = scenario_table()
            scalar = timed(
                {
                    "gpu_count": post(body("gpu_count", *seed)),
                    "gpu_count_trivial": post(body("bench_trivial", *seed)),
                },
                repeat,
            )
            tables = timed(
                {
                    "scenarios": post(body("scenarios", table)),
                    "scenarios_trivial": post(body("bench_trivial_table", table)),
                },
                max(5, repeat // 50),
            )
            return {**scalar, **tables}
        finally:
            client.close()
            server.terminate()
            server.wait(timeout=30)


def main() -> int:
    repeat = 200 if "--quick" in sys.argv else 2000
    local = in_process(repeat)
    http = over_http(max(100, repeat // 2))
    rows = [
        (
            "GPU_COUNT, in-process",
            "1 cell x 4 args",
            local["gpu_count"],
            local["gpu_count_trivial"],
            local["gpu_count_formulas"],
        ),
        (
            "GPU_COUNT, HTTP",
            "1 cell x 4 args",
            http["gpu_count"],
            http["gpu_count_trivial"],
            local["gpu_count_formulas"],
        ),
        (
            "SCENARIOS, in-process",
            f"{ROWS:,} rows x 4",
            local["scenarios"],
            local["scenarios_trivial"],
            local["scenarios_formulas"],
        ),
        (
            "SCENARIOS, HTTP",
            f"{ROWS:,} rows x 4",
            http["scenarios"],
            http["scenarios_trivial"],
            local["scenarios_formulas"],
        ),
    ]
    ms = lambda seconds: f"{seconds * 1e3:9.3f}"  # noqa: E731
    print(
        f"{'what':<24} {'size':<17} {'median ms':>9} {'p95 ms':>9} {'baseline':>9} "
        f"{'ratio':>6} {'formulas':>9} {'ratio':>6}"
    )
    for what, size, (median, p95), (base, _), (direct, _) in rows:
        print(
            f"{what:<24} {size:<17} {ms(median)} {ms(p95)} {ms(base)} "
            f"{median / base:6.1f} {ms(direct)} {median / direct:6.1f}"
        )
    print(
        "\nbaseline: a trivial function (returns its first argument) through the same path "
        "with the same arguments;\nformulas: formulas.gpu_count / formulas.estimate_table "
        "called directly (in-process, same run)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
