"""Deployment: ``xlplugin serve`` (xlwings Server over HTTP) and ``xlplugin lite``.

The server test starts the real command on 127.0.0.1 and a free port, talks to it with
httpx as Excel's add-in would, and stops it. Outside CI it skips when xlwings Server is
not installed; in CI (CI=true) it must run.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import CASES, INF, NAN
from serving import running_server

import xlplugin
from xlplugin import formulas
from xlplugin.serve import write_lite

HAVE_SERVER = all(importlib.util.find_spec(m) for m in ("xlwings_server", "uvicorn", "httpx"))
needs_server = pytest.mark.skipif(
    not HAVE_SERVER and os.environ.get("CI") != "true",
    reason="xlwings Server is not installed (pip install -e '.[server]'); CI must have it",
)
REQUEST_TIMEOUT = 30


def body(name: str, *args) -> dict:
    """A request as Excel's Office.js runtime sends it: every argument a 2-D list."""
    cells = [
        a
        if isinstance(a, list)
        else [[float(a) if isinstance(a, int) and not isinstance(a, bool) else a]]
        for a in args
    ]
    return {
        "func_name": name,
        "args": cells,
        "caller_address": "[Book1]Sheet1!A1",
        "version": "0.37.8",
        "client": "Office.js",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "runtime": "1.4",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A client of ``xlplugin serve`` on 127.0.0.1, answering; the server stops afterwards."""
    import httpx

    with (
        running_server(tmp_path_factory.mktemp("serve")) as running,
        httpx.Client(base_url=running.url, timeout=REQUEST_TIMEOUT) as client,
    ):
        yield client


def _call(client, name, *args):
    response = client.post("/xlwings/custom-functions-call", json=body(name, *args))
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _refused(client, name, *args) -> str:
    """The answer to a call that fails as a whole: 400 (which the add-in's script does not
    retry, and turns into a #VALUE! showing the text), its body our one line and nothing
    else."""
    response = client.post("/xlwings/custom-functions-call", json=body(name, *args))
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("text/plain")
    message = response.text
    assert "\n" not in message and "Traceback" not in message and message == message.strip()
    return message


@pytest.mark.server
@needs_server
def test_serve_answers_61_for_the_seed(server):
    response = server.post(
        "/xlwings/custom-functions-call", json=body("gpu_count", 100_000_000, 10, 8.1e9, "A100")
    )
    assert response.status_code == 200
    seed = int(formulas.gpu_count(1e8, 10, 8.1e9, "A100"))  # the roofline default
    assert response.json() == {"result": [[seed]]}
    assert _call(server, "GPU_COUNT", "100M", 10, "8.1B", "A100") == [[seed]]


@pytest.mark.server
@needs_server
def test_serve_lists_every_function_with_descriptions(server):
    meta = server.get("/xlwings/custom-functions-meta").json()
    names = {f["name"] for f in meta["functions"]}
    assert {
        "GPU_COUNT",
        "TRPS",
        "MODEL_SIZE_BYTES",
        "STORAGE_BYTES_PER_DAY",
        "INFERENCE_SECONDS",
        "QPS_PER_GPU",
        "EGRESS_BITS_PER_SECOND",
        "TOTAL_USD_PER_MONTH",
        "ESTIMATE",
        "SCENARIOS",
        "GPU_SPEC",
    } <= names
    assert len(names) == len(formulas.OUTPUTS) + 3
    gpu_count = next(f for f in meta["functions"] if f["name"] == "GPU_COUNT")
    assert [p["name"] for p in gpu_count["parameters"][:4]] == [
        "dau",
        "requests_per_user",
        "params",
        "gpu",
    ]
    assert gpu_count["parameters"][3]["customEnumId"] == "GPU_COUNT.GPU"


@pytest.mark.server
@needs_server
def test_serve_spills_arrays_and_explains_bad_input(server):
    table = formulas.gpu_count(np.array([[1e8], [2e8]]), 10, 8.1e9, np.array([["A100", "H100"]]))
    assert _call(server, "gpu_count", [[1e8], [2e8]], 10, 8.1e9, [["A100", "H100"]]) == (
        table.astype(int).tolist()
    )
    assert _refused(server, "gpu_count", -5, 10, 8.1e9) == "dau: got -5; accepts a number > 0"
    assert _refused(server, "gpu_count", "abc", 10, 8.1e9) == (
        "dau: got 'abc'; accepts a number > 0"
    )
    huge = _refused(server, "gpu_spec", [[10**400]], "memory_bytes")  # was a 500
    assert huge.startswith("gpu: got 1e+400; accepts one of A100, "), huge
    rows = _call(server, "scenarios", [["dau", "gpu"], [1e8, "A100"], ["200M", "H100"]])
    assert rows[0][11] == "gpu_count" and [rows[1][11], rows[2][11]] == [
        table[0][0],
        table[1][1],
    ]
    # In a spilled table only the bad row holds the message, as text; the rest computes.
    rows = _call(server, "scenarios", [["dau", "gpu"], [1e8, "A100"], [-5, "H100"]])
    assert rows[1][11] == table[0][0]
    assert rows[2] == ["#VALUE! dau: got -5; accepts a number > 0"] * len(rows[0])


@pytest.mark.server
@needs_server
def test_serve_reads_text_numbers_in_the_callers_culture(server):
    # Office.js sends the culture; in de-DE the text "1,500" means 1.5 and "1.500" 1500.
    def post(culture, name, *args):
        call = {**body(name, *args), "culture_info_name": culture}
        return server.post("/xlwings/custom-functions-call", json=call)

    for text, readings in (("1,500", "1500 or 1.5"), ("1.500", "1500 or 1.5")):
        response = post("de-DE", "gpu_count", text, 10, "8.1B")
        assert response.status_code == 400, response.text
        assert response.text == (
            f"dau: got {text!r}; accepts a number > 0 (in de-DE, {text!r} could be "
            f"{readings}: write one of those)"
        )
    expected = formulas.gpu_count(1500, 10, 8.1e9)
    assert post("en-US", "gpu_count", "1,500", 10, "8.1B").json()["result"] == [[expected]]
    # A call without a culture (not from Excel) or naming none reads text as where the
    # culture is not known: what reads two ways is refused.
    for culture in (None, "", "de DE"):
        response = post(culture, "gpu_count", "1,500", 10, "8.1B")
        assert response.status_code == 400 and "in a culture not known here" in response.text
    assert post(None, "gpu_count", "1,500,000", 10, "8.1B").json()["result"] == [
        [formulas.gpu_count(1.5e6, 10, 8.1e9)]
    ]
    assert post("de-DE", "gpu_count", 1500.0, 10, "8.1B").json()["result"] == [[expected]]
    # In a table only the ambiguous row is refused; unambiguous text computes.
    rows = post("de-DE", "scenarios", [["dau"], ["1,500,000"], ["1,500"]]).json()["result"]
    column = rows[0].index("gpu_count")
    assert rows[1][column] == formulas.gpu_count(1.5e6, 10, 8.1e9)
    assert rows[2][0].startswith("#VALUE! dau: got '1,500'; accepts a number > 0 (in de-DE")
    # The next call, in another culture, is not affected by the last.
    assert post("en-US", "gpu_count", "1,500", 10, "8.1B").json()["result"] == [[expected]]


HTTP_CASES = [
    c
    for c in CASES
    if not any(isinstance(v, float) and v in (INF, -INF) for v in c.inputs.values())
]


@pytest.mark.server
@needs_server
def test_serve_bad_input_matrix(server):
    import inspect

    from xlplugin.functions import estimate

    names = list(inspect.signature(estimate).parameters)
    for case in HTTP_CASES:  # ESTIMATE takes every input, each optional
        inputs = {k: None if v is NAN else v for k, v in case.inputs.items()}
        if case.is_error:
            message = _refused(server, "estimate", *[inputs.get(n) for n in names])
            assert message.startswith(case.expect), (case.id, message)
        else:
            rows = _call(server, "estimate", *[inputs.get(n) for n in names])
            values = {name: value for name, value, _ in rows}
            assert values[case.output] == pytest.approx(case.expect), case.id


@pytest.mark.server
@needs_server
def test_serve_caches_results_and_has_no_namespace(server):
    code = server.get("/xlwings/custom-functions-code").text
    assert code.count("isCached: true") == len(formulas.OUTPUTS) + 3
    manifest = server.get("/manifest.xml").text
    assert "<Namespace" not in manifest  # =GPU_COUNT(...), as in xlwings Lite


@pytest.mark.server
@needs_server
def test_serve_takes_a_name_in_any_case_and_refuses_a_malformed_call_with_400(server):
    seed = (100_000_000, 10, 8.1e9, "A100")
    assert _call(server, "Gpu_Count", *seed) == _call(server, "gpu_count", *seed)
    call = body("gpu_count", 100_000_000, 10, 8.1e9)
    for malformed in (
        {k: v for k, v in call.items() if k != "runtime"},
        {k: v for k, v in call.items() if k != "culture_info_name"},
        {**call, "date_format": 7},
        {**call, "args": [[[{"dau": 1}]]]},
    ):
        response = server.post("/xlwings/custom-functions-call", json=malformed)
        assert response.status_code == 400 and response.text.count("\n") == 1, response.text
    assert server.get("/xlwings/custom-functions-call").status_code == 405


@pytest.mark.server
@needs_server
def test_serve_manifest_urls_ignore_a_forged_host_header(server):
    import re

    manifest = server.get(
        "/manifest.xml", headers={"host": "evil.example", "x-forwarded-host": "evil.example"}
    ).text
    assert "evil.example" not in manifest
    assert f"{server.base_url}/xlwings/custom-functions-meta.json" in manifest
    ours = re.findall(r'https?://127\.0\.0\.1[^"<\s]*', manifest)
    assert ours and all(url.startswith(str(server.base_url)) for url in ours)


def test_serve_without_xlwings_server_says_how_to_install(tmp_path):
    script = textwrap.dedent("""
        import importlib.util, sys
        real = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "xlwings_server" else real(
            name, *a)
        from xlplugin.cli import main
        sys.exit(main(["serve"]))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "pip install 'xlplugin[server]'" in done.stderr and "Traceback" not in done.stderr


# xlwings Lite


WHEEL = f"xlplugin-{xlplugin.__version__}-py3-none-any.whl"


def test_lite_writes_main_requirements_and_a_wheel(tmp_path):
    url = f"https://example.org/{WHEEL}"
    main, requirements, wheel = write_lite(tmp_path, url)
    assert "from xlplugin.functions import *" in main.read_text()
    lines = [
        line for line in requirements.read_text().splitlines() if line and not line.startswith("#")
    ]
    assert lines == ["numpy", "pandas", url]
    assert wheel.name == f"xlplugin-{xlplugin.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read(f"xlplugin-{xlplugin.__version__}.dist-info/RECORD").decode()
    assert "xlplugin/formulas/data/gpus.csv" in names and "xlplugin/functions.py" in names
    assert all(name in record for name in names)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/x.whl\n--index-url http://evil.example/simple",
        "https://example.org/x.whl --extra-index-url=http://evil.example",
        "ftp://example.org/x.whl",
        "https://example.org/",
        "/local/x.whl",
    ],
)
def test_lite_refuses_a_url_that_is_not_one_line_of_a_wheel(tmp_path, url):
    # requirements.txt takes one URL per line: a line break would add an index of its own
    with pytest.raises(ValueError, match=r"^url: got .*; accepts an http:// or https:// URL"):
        write_lite(tmp_path, url)
    assert not list(tmp_path.iterdir())  # nothing written
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", "lite", "-o", str(tmp_path), "--url", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "argument --url: got" in done.stderr and not list(tmp_path.iterdir())


def test_lite_refuses_a_url_of_another_file(tmp_path):
    """requirements.txt would install a wheel other than the one written (or none)."""
    for url in ("https://example.org/foo.whl", "https://example.org/xlplugin-9.9-py3-none-any.whl"):
        with pytest.raises(ValueError, match=f"^url: got .*; accepts a URL ending in /{WHEEL}"):
            write_lite(tmp_path, url)
    assert not list(tmp_path.iterdir())


def _lite(folder: Path, *argv: str, **options) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "xlplugin", "lite", *argv]
    return subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=120, **options
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("-o", "a", "-o", "b"), "argument -o: given twice ('a' and 'b')"),
        (("-o", ""), "--output: got an empty value; accepts a directory to write"),
        (("-o", "afile"), "--output: got 'afile', a file; accepts a directory to write"),
    ],
)
def test_lite_refuses_its_flags_as_every_subcommand_does(tmp_path, argv, message):
    (tmp_path / "afile").write_text("mine")
    done = _lite(tmp_path, *argv)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_lite_never_leaves_a_broken_wheel(tmp_path):
    """A write that fails half-way (here: a file size limit) left a truncated wheel in
    place of the good one; now the old files stay whole and the error names the flag."""
    import resource

    assert _lite(tmp_path, "-o", "out").returncode == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = _lite(tmp_path, "-o", "out", preexec_fn=small_files)
    assert done.returncode == 2 and done.stderr.startswith("xlplugin: error: --output: cannot")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


def test_lite_main_registers_every_function_from_the_wheel_alone(tmp_path):
    """As xlwings Lite does: install the wheel, run main.py as module ``main``, read its
    metadata; formulas and xlplugin must come from the wheel, not from this checkout."""
    main, _, wheel = write_lite(tmp_path / "lite")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    script = textwrap.dedent(f"""
        import importlib.util, json, sys
        sys.path.insert(0, {str(site)!r})
        sys.path = [p for p in sys.path if "{Path(xlplugin.__file__).parent.parent}" != p]
        spec = importlib.util.spec_from_loader("main", loader=None)
        main = importlib.util.module_from_spec(spec)
        exec(open({str(main)!r}).read(), main.__dict__)
        import asyncio, xlwings, xlwings.server, xlplugin.formulas as formulas
        import xlplugin.functions
        meta = xlwings.server.custom_functions_meta(main)
        # A bad call as xlwings Lite's runtime makes it: it answers {{"error": str(e)}} for
        # any exception, which its script turns into CustomFunctions.Error (a #VALUE!).
        call = {{"func_name": "gpu_count", "args": [[["abc"]], [[10.0]], [[8.1e9]]],
                 "client": "Office.js", "version": xlwings.__version__, "runtime": "1.4",
                 "culture_info_name": "en-US", "date_format": "M/d/yyyy"}}
        try:
            asyncio.run(xlwings.server.custom_functions_call(call, main))
            error = None
        except Exception as e:
            error = [str(e), isinstance(e, formulas.EstimateError)]
        print(json.dumps([sorted(f["name"] for f in meta["functions"]),
                          formulas.__file__, xlplugin.functions.__file__,
                          xlplugin.functions.gpu_count(1e8, 10, 8.1e9, "A100"), error]))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(XLWINGS_ON_SERVER="true", XLWINGS_LICENSE_KEY="noncommercial")
    done = subprocess.run(
        [sys.executable, "-I", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    names, formulas_file, functions_file, seed, error = json.loads(done.stdout)
    assert error == ["dau: got 'abc'; accepts a number > 0", True]
    assert len(names) == len(formulas.OUTPUTS) + 3 and "GPU_COUNT" in names
    assert formulas_file.startswith(str(site)) and functions_file.startswith(str(site))
    assert seed == [[int(formulas.gpu_count(1e8, 10, 8.1e9, "A100"))]]
