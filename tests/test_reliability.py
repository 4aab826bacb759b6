"""Reliability: the bad-input matrix (tests/bad_inputs.py) on the Excel functions and the
HTTP server, the size limits, and the server under concurrent load.

The Excel face calls ``xlwings.server.custom_functions_call`` with Office.js payloads, as
xlwings Server and Lite do; the HTTP face starts ``xlplugin serve`` on 127.0.0.1 and a
free port. Everywhere the answer is the right number or one line naming the argument, the
value and what it accepts: never NaN or infinity, never a traceback. Outside CI the server
tests skip when xlwings Server is not installed; in CI (CI=true) they must run.
"""

import asyncio
import concurrent.futures
import importlib.util
import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import xlwings
import xlwings.server
from bad_inputs import BIG, CASES, FACES, MATRIX, RANGE_CASES, excel_value, http_value
from serving import office_js_request, running_server
from xlplugin.formulas.vocabulary import INPUT

from xlplugin import _excel, formulas, functions, serve

HAVE_SERVER = all(importlib.util.find_spec(m) for m in ("xlwings_server", "uvicorn", "httpx"))
needs_server = pytest.mark.skipif(
    not HAVE_SERVER and os.environ.get("CI") != "true",
    reason="xlwings Server is not installed (pip install -e '.[server]'); CI must have it",
)
REQUEST_TIMEOUT = 60  # seconds for one request (a 5,000 x 5,000 body is 325 MB)
CALL = "/xlwings/custom-functions-call"


def _ids(cases):
    return [case.id for case in cases]


def _on(face):
    return [case for case in MATRIX if face in case.faces]


def test_the_matrix_covers_every_face():
    assert len(MATRIX) >= 30 and len({c.id for c in MATRIX}) == len(MATRIX)
    assert all(
        c.faces == frozenset({"formulas", "cli", "excel", "http", "workbook"}) for c in CASES
    )
    assert {"excel", "http"} >= set().union(*(c.faces for c in RANGE_CASES))
    assert len(_on("excel")) >= 55 and len(_on("http")) >= 55


# The Excel face: Office.js payloads through xlwings' own custom_functions_call


def payload(name: str, args: list) -> dict:
    """A request as Excel's Office.js runtime sends it: every argument a 2-D list."""
    return office_js_request(name, [a if isinstance(a, list) else [[a]] for a in args])


def arguments(case, convert, name: str | None = None) -> tuple[str, list]:
    """The function a case calls and its arguments, in order: the case's inputs, the seed
    for required ones it leaves out, empty cells (None) for the rest; trailing ones cut.

    A single-value case calls ESTIMATE, which takes every input, each optional (as
    formulas.estimate does); a range case calls its output's function.
    """
    if name is None:
        name = "estimate" if case.faces == FACES else case.output
    parameters = list(getattr(functions, name).__signature__.parameters.values())
    args = [
        convert(case.inputs[p.name])
        if p.name in case.inputs
        else (INPUT[p.name].default if p.default is p.empty else None)
        for p in parameters
    ]
    while args and args[-1] is None and parameters[len(args) - 1].default is None:
        args.pop()
    return name, args


def excel_call(name: str, args: list):
    return asyncio.run(xlwings.server.custom_functions_call(payload(name, args), functions))


class Refused(str):
    """The message of a call that failed as a whole, which Excel shows as a real #VALUE!."""


def excel_answer(name: str, args: list):
    """The cells of a call, or its message where it fails as a whole: raised as an xlwings
    XlwingsError (Server: HTTP 400; Lite and Server's script: CustomFunctions.Error)."""
    try:
        return excel_call(name, args)
    except formulas.EstimateError as error:
        assert isinstance(error, xlwings.XlwingsError), type(error)
        return Refused(error)


def same_cells(cells, expect) -> bool:
    """Cells equal to the expected ones, where expected text other than "" is the start of
    a bad cell's message (after "#VALUE! ")."""
    if isinstance(expect, list):
        return (
            isinstance(cells, list)
            and len(cells) == len(expect)
            and all(same_cells(c, e) for c, e in zip(cells, expect, strict=True))
        )
    if isinstance(expect, str) and expect:
        return isinstance(cells, str) and cells.startswith(f"#VALUE! {expect}")
    return cells == expect and isinstance(cells, str) == isinstance(expect, str)


def check_cells(cells):
    """No cell is NaN or infinity, and the answer is valid (strict) JSON."""
    for row in cells:
        for value in row:
            assert not (isinstance(value, float) and not math.isfinite(value)), cells
    json.dumps(cells, allow_nan=False)


def check_outcome(case, face, name, answer):
    expect = case.expected(face)
    if isinstance(expect, str):  # the whole call fails: its message, one line
        assert isinstance(answer, Refused), (case.id, str(answer)[:300])
        assert answer.startswith(expect), (case.id, answer)
        assert "\n" not in answer and "Traceback" not in answer and "#VALUE!" not in answer
        return
    assert not isinstance(answer, Refused), (case.id, answer)
    cells = answer
    check_cells(cells)
    if name == "scenarios":
        column = cells[0].index("gpu_count")
        assert same_cells([row[column] for row in cells[1:]], expect), (case.id, cells)
    elif name == "estimate":
        assert dict((n, v) for n, v, _ in cells)[case.output] == pytest.approx(expect), case.id
    else:
        assert same_cells(cells, expect), (case.id, cells)


@pytest.mark.parametrize("case", _on("excel"), ids=_ids(_on("excel")))
def test_excel_face(case):
    name, args = arguments(case, excel_value)
    start = time.monotonic()
    check_outcome(case, "excel", name, excel_answer(name, args))
    if case.id.endswith("5000x5000"):  # refused from the row lengths, not converted
        assert time.monotonic() - start < 30  # a bound against a hang, not a benchmark
    if name == "estimate" and case.output != "estimate" and not case.is_error:
        # and the output's own function, given the inputs it takes
        takes = getattr(functions, case.output).__signature__.parameters
        if any(
            excel_value(v) is None and takes[k].default is takes[k].empty
            for k, v in case.inputs.items()
            if k in takes
        ):
            return  # an empty required cell: the result's cell stays empty (test_functions)
        cells = excel_call(case.output, arguments(case, excel_value, case.output)[1])
        check_cells(cells)
        assert cells[0][0] == pytest.approx(case.expect)


def test_a_large_range_is_refused_before_it_becomes_an_array(monkeypatch):
    def no_array(*args, **kwargs):
        raise AssertionError("a 25 M-cell range reached numpy")

    monkeypatch.setattr(_excel.np, "array", no_array)
    assert excel_answer("trps", [BIG, 10.0]) == Refused(
        "dau: got 25,000,000 cells; accepts at most 1,000,000 cells"
    )


def test_limits_leave_room_for_a_10000_row_scenarios_table():
    assert _excel.MAX_ARGUMENT_CELLS == _excel.MAX_RESULT_CELLS == 1_000_000
    columns = [q.name for q in formulas.INPUTS]
    # Every input filled in, as a full scenario sheet would be (the catalogue's blank).
    row = [None if q.default is None else q.default for q in formulas.INPUTS]
    assert len(row) == len(columns)
    table = [columns] + [[float(v) if isinstance(v, int) else v for v in row]] * 10_000
    rows = excel_call("scenarios", [table])
    assert (
        len(rows) == 10_001
        and rows[1][rows[0].index("gpu_count")] == formulas.estimate()["gpu_count"]
    )
    check_cells(rows)


def test_limits_come_from_the_environment():
    code = "from xlplugin import _excel; print(_excel.MAX_ARGUMENT_CELLS, _excel.MAX_RESULT_CELLS)"
    for value, expected in (
        ("5000", "5000 5000"),
        ("2_000_000", "2000000 2000000"),
        ("lots", "1000000 1000000"),
        ("0", "1000000 1000000"),
    ):
        env = dict(os.environ, XLPLUGIN_MAX_CELLS=value)
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.stdout.strip() == expected, done.stderr


def _formula_returning(value):
    """A stand-in for a formulas function, called with or without its argument binding."""

    def formula(**kwargs):
        return value

    formula.core = formula
    return formula


def test_a_result_that_is_not_finite_is_a_message(monkeypatch):
    monkeypatch.setattr(functions.trps.plan, "formula", _formula_returning(np.inf))
    refused = excel_answer("trps", [1e8, 10.0])
    # a refusal, in one line, that names the output which overflowed (and an input to change)
    assert isinstance(refused, Refused) and "trps overflow" in refused, refused
    assert "\n" not in refused
    nan_below = _formula_returning(np.array([[1.0], [np.nan]]))
    monkeypatch.setattr(functions.trps.plan, "formula", nan_below)
    [[one], [message]] = excel_call("trps", [[[1e8], [2e8]], 10.0])
    assert one == 1.0  # only the cell that is not a number holds the message
    assert message.startswith("#VALUE! trps: the result is not a finite number")


# The HTTP body guard, in-process (no server needed beyond Starlette's ASGI contract)


def _asgi(guard, body: bytes, headers=(), path=CALL, chunk=None):
    """Run an ASGI request through ``guard``; the status, the text, what the app read."""
    chunks = (
        [body]
        if chunk is None
        else [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    )
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent, seen = [], []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        message = await receive()
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }
    asyncio.run(serve.BodyLimit(app, **guard)(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]).decode(), seen


def test_the_body_limit_counts_declared_and_streamed_bytes():
    limit = {"max_bytes": 1_000}
    assert _asgi(limit, b"x" * 1_000, path="/other") == (200, "ok", [b"x" * 1_000])
    status, text, seen = _asgi(limit, b"x" * 1_001, path="/other", chunk=100)
    assert (status, seen) == (413, [])
    assert text == (
        "request body: got more than 1,000 bytes; accepts at most 1,000 bytes "
        "(XLPLUGIN_MAX_BODY_BYTES)\n"
    )
    status, text, seen = _asgi(limit, b"x" * 10, [("content-length", "5000")], path="/other")
    assert (status, seen) == (413, []) and text.startswith("request body: got 5,000 bytes;")


def test_the_call_is_read_as_the_standard_library_reads_it():
    """orjson reads the call where it reads it the same; the standard library reads an
    integer beyond 64 bits (orjson: a float) and names what is wrong with bad JSON."""
    big = 10**30
    for body, expected in (
        (b'{"args": [[[1.5, null, "A100", true]]]}', {"args": [[[1.5, None, "A100", True]]]}),
        (f'{{"args": [[[{big}]]]}}'.encode(), {"args": [[[big]]]}),
        (b'{"args": ["\\ud800"]}', {"args": ["\ud800"]}),
    ):
        got = serve.read_json(body)
        assert got == expected and type(got["args"][0]) is type(expected["args"][0]), body
    assert type(serve.read_json(f"[{big}]".encode())[0]) is int
    with pytest.raises(ValueError, match="Expecting value"):
        serve.read_json(b"[1,]")
    with pytest.raises(ValueError, match="got NaN, which JSON does not allow"):
        serve.read_json(b"[NaN]")


@pytest.mark.parametrize(
    "number", ["1e400", "-1E+400", "1e-400", "17976931348623159e292", "9" * 400 + ".5"]
)
def test_a_number_beyond_a_float_is_not_json_we_read(number):
    """orjson and the standard library read 1e400 as infinity and 1e-400 as 0: such a call
    is refused as it is read, as NaN and Infinity are, and never reaches a function."""
    shown = number if len(number) <= 30 else number[:27] + "..."
    with pytest.raises(ValueError, match=f"got the number {re.escape(shown)}, beyond the range"):
        serve.read_json(f'{{"args": [[[{number}]]]}}'.encode())
    call = json.dumps(payload("gpu_count", [1e8, 10.0, 8.1e9])).replace("100000000.0", number)
    assert serve.call_problem(call.encode()).startswith(
        f"request body: not valid JSON (got the number {shown}, beyond the range of a float)"
    )
    # Past the first few "e"s of a call (text, keys), the rest is scanned whole.
    many = f'{{"x": "{"e" * 100}", "args": [[[{number}]]]}}'.encode()
    with pytest.raises(ValueError, match="beyond the range of a float"):
        serve.read_json(many)
    # In range, an exponent of three digits reads as the float it is; so does text.
    assert serve.read_json(b'[1e308, 1.5e-300, 0.0e-400, "e-400"]') == [
        1e308,
        1.5e-300,
        0.0,
        "e-400",
    ]


def test_a_long_json_error_is_cut_at_a_word():
    problem = serve.call_problem(b'{"func_name": 1' + b"0" * 5000 + b"}")
    reason = problem.split("not valid JSON (")[1].split(");")[0]
    assert reason.endswith("...") and len(reason) <= 120 and reason[:-3] == reason[:-3].rstrip()


@pytest.mark.parametrize(
    "body",
    [
        b'["\xed\xa0\x80"]',  # a surrogate encoded as UTF-8 bytes (the escape "\ud800" is JSON)
        b"\xef\xbb\xbf[1]",  # a byte-order mark
        '["A100"]'.encode("utf-16"),
        '["A100"]'.encode("utf-32"),
        b'["\xff"]',
    ],
)
def test_a_call_that_is_not_utf_8_is_refused(body):
    """JSON is UTF-8: what orjson refuses, the standard library must not take instead."""
    with pytest.raises(ValueError):
        serve.read_json(body)


def test_a_malformed_call_is_a_one_line_400():
    ok = json.dumps(payload("gpu_count", [1e8, 10.0, 8.1e9])).encode()
    assert serve.call_problem(ok) is None
    bad = {
        b"{not json": "request body: not valid JSON (Expecting property name",
        b"[1, 2]": "request body: got a JSON list; accepts a JSON object",
        b'{"args": []}': "func_name: got nothing; accepts one of EGRESS_BITS_PER_SECOND",
        b'{"func_name": "os.system", "args": []}': "func_name: got 'os.system'; accepts",
        # the Kelvin sign, which str.lower() makes a "k"
        '{"func_name": "\u212aV_CACHE_BYTES_PER_TOKEN", "args": []}'.encode(): "func_name: got",
        b'{"func_name": "gpu_count", "args": 5}': "args: got a JSON number; accepts a JSON object",
        b'{"func_name": "gpu_count", "args": [[[1]]]}': "args: got 1 arguments; accepts 3 to "
        f"{len(formulas.graph.depends_on('gpu_count'))} for GPU_COUNT (required: dau, ",
        b'{"func_name": "trps", "args": [[[1]]]}': "args: got 1 arguments; accepts 2 for TRPS",
        b'{"func_name": "GPU_COUNT", "args": [[[1]], [[1]], [[1]]]}': "version: got nothing;",
        b"[" * 100_000 + b"]" * 100_000: "request body: not valid JSON (",
    }
    for body, message in bad.items():
        problem = serve.call_problem(body)
        assert problem.startswith(message) and "\n" not in problem, (body[:40], problem)
    status, text, seen = _asgi({"max_bytes": 10_000}, b'{"func_name": 1}')
    assert (status, seen) == (400, [])
    assert text.startswith("func_name: got a JSON number; accepts one of")


def test_serve_takes_its_limits_from_flags_or_the_environment(monkeypatch):
    import argparse

    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve", "--max-body-bytes", "5_000_000", "--max-cells", "20000"])
    assert (args.max_body_bytes, args.max_cells) == (5_000_000, 20_000)
    assert serve._argv(args)[-4:] == ["--max-body-bytes", "5000000", "--max-cells", "20000"]
    assert serve._limit({"XLPLUGIN_MAX_BODY_BYTES": "1,000"}, "XLPLUGIN_MAX_BODY_BYTES", 5) == 1000
    assert serve._limit({}, "XLPLUGIN_MAX_BODY_BYTES", 5) == 5
    with pytest.raises(SystemExit) as exit_:
        serve._limit({"XLPLUGIN_MAX_BODY_BYTES": "-1"}, "XLPLUGIN_MAX_BODY_BYTES", 5)
    assert exit_.value.code == 2


# The HTTP face: xlplugin serve on 127.0.0.1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``xlplugin serve`` with the default limits, answering; stopped afterwards."""
    with running_server(tmp_path_factory.mktemp("serve")) as running:
        yield running


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"the server answered {name} in JSON")

    return json.loads(text, parse_constant=refuse)


def _chunks(value, cache: dict):
    """JSON text of ``value`` in pieces; a long list of rows row by row (each distinct row
    encoded once), so that a 325 MB body is streamed, never held."""
    if isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield f"{', ' if i else ''}{json.dumps(key)}: "
            yield from _chunks(item, cache)
        yield "}"
    elif isinstance(value, list) and len(value) > 1_000:
        yield "["
        for i, item in enumerate(value):
            if id(item) not in cache:
                cache[id(item)] = json.dumps(item)
            yield (", " if i else "") + cache[id(item)]
        yield "]"
    elif isinstance(value, list):
        yield "["
        for i, item in enumerate(value):
            yield ", " if i else ""
            yield from _chunks(item, cache)
        yield "]"
    else:
        yield json.dumps(value)  # NaN, Infinity, -Infinity as Python writes them


def _stream(data: dict):
    piece, cache = [], {}
    size = 0
    for text in _chunks(data, cache):
        piece.append(text)
        size += len(text)
        if size > 1_000_000:
            yield "".join(piece).encode()
            piece, size = [], 0
    yield "".join(piece).encode()


def http_call(client, name: str, args: list):
    """POST a call; (status, the result's cells or the plain-text message)."""
    response = client.post(
        CALL, content=_stream(payload(name, args)), headers={"content-type": "application/json"}
    )
    if response.status_code == 200:
        return 200, _strict(response.text)["result"]
    assert response.headers["content-type"].startswith("text/plain"), response.text[:200]
    return response.status_code, response.text


@pytest.mark.server
@needs_server
@pytest.mark.parametrize("case", _on("http"), ids=_ids(_on("http")))
def test_http_face(server, case):
    import httpx

    name, args = arguments(case, http_value)
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
        status, answer = http_call(client, name, args)
    expect = case.expected("http")
    if isinstance(expect, str) and expect.startswith("request body:"):
        assert status == (413 if "bytes" in expect else 400), answer[:200]
        assert answer.startswith(expect) and answer.count("\n") == 1, answer[:200]
    elif status == 400:  # the function refused the call: its one line, nothing after it
        check_outcome(case, "http", name, Refused(answer))
    else:
        assert status == 200, answer
        check_outcome(case, "http", name, answer)


@pytest.mark.server
@needs_server
def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=REQUEST_TIMEOUT) as raw:
        raw.sendall(
            b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n{"
        )
        answer = b""
        while data := raw.recv(65_536):  # until the server closes the connection
            answer += data
    head, _, text = answer.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413")
    assert text == (
        "request body: got 2,000,000,000 bytes; accepts at most 50,000,000 bytes "
        "(XLPLUGIN_MAX_BODY_BYTES)\n"
    )


@pytest.mark.server
@needs_server
def test_a_malformed_call_gets_400_and_the_connection_lives_on(server):
    import httpx

    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
        for body in (
            b'{"args": []}',
            b'{"func_name": "nope", "args": [], "version": "1", "client": "Office.js"}',
            b"[1]",
            b"{",
            b'{"func_name": "gpu_count"}',
        ):
            response = client.post(CALL, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 400 and response.text.count("\n") == 1, body
        seed = int(formulas.gpu_count(1e8, 10, 8.1e9))
        assert http_call(client, "gpu_count", [1e8, 10.0, 8.1e9]) == (200, [[seed]])


# Under load: 8 clients x 100 calls, valid and invalid mixed, twice


GPUS = ["A100", "H100", "H200", "L4", "MI300X", "B200"]


def _request(rng: random.Random):
    """One call and the answer it must get: (name, args, status, cells or message start)."""
    kind = rng.randrange(6)
    dau, rpu = float(rng.randrange(10**5, 10**9)), float(rng.randrange(1, 50))
    gpu = rng.choice(GPUS)
    if kind == 0:  # a valid single cell
        return (
            "gpu_count",
            [dau, rpu, 8.1e9, gpu],
            200,
            [[int(formulas.gpu_count(dau, rpu, 8.1e9, gpu))]],
        )
    if kind == 1:  # a valid column against a row
        daus = [[float(rng.randrange(10**5, 10**9))] for _ in range(5)]
        expected = formulas.gpu_count(np.array(daus), rpu, 8.1e9, np.array([GPUS], dtype=object))
        return "gpu_count", [daus, rpu, 8.1e9, [GPUS]], 200, expected.astype(int).tolist()
    if kind == 2:  # a valid SCENARIOS table
        table = [["dau", "gpu"], [dau, gpu], [dau * 2, "H100"]]
        frame = {"dau": [dau, dau * 2], "gpu": [gpu, "H100"]}
        import pandas as pd

        values = formulas.estimate_table(pd.DataFrame(frame))["gpu_count"].tolist()
        return "scenarios", [table], 200, values
    if kind == 3:  # a bad value: the whole call fails, a #VALUE! in Excel
        return "gpu_count", [-dau, rpu, 8.1e9], 400, "dau: got -"
    if kind == 4:  # an unknown GPU, in a range: that cell's message, the other computed
        return (
            "gpu_count",
            [dau, rpu, 8.1e9, [["A100"], ["H900"]]],
            200,
            [[int(formulas.gpu_count(dau, rpu, 8.1e9, "A100"))], ["gpu: got 'H900'; accepts"]],
        )
    return "trps", [dau, math.nan], 400, "request body: not valid JSON (got NaN"


def _client(url: str, seed: int, count: int) -> dict:
    import httpx

    rng, tally = random.Random(seed), {"valid": 0, "invalid": 0, "wrong": []}
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client:
        for _ in range(count):
            name, args, status, expected = _request(rng)
            got_status, answer = http_call(client, name, args)
            if isinstance(expected, str):
                ok = got_status == status != 200 and answer.startswith(expected)
            else:
                if name == "scenarios" and got_status == 200:
                    column = answer[0].index("gpu_count")
                    answer = [row[column] for row in answer[1:]]
                ok = got_status == status and same_cells(answer, expected)
            # invalid: a call refused, or a range holding a bad cell
            tally["invalid" if status != 200 or "H900" in str(args) else "valid"] += ok
            if not ok:
                tally["wrong"].append((name, args, got_status, str(answer)[:200]))
    return tally


def _batch(url: str, first_seed: int, clients: int = 8, calls: int = 100) -> dict:
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(_client, url, first_seed + i, calls) for i in range(clients)]
        done, pending = concurrent.futures.wait(futures, timeout=600)  # the overall bound
        assert not pending, "the load test did not finish within its bound"
    total = {"valid": 0, "invalid": 0, "wrong": []}
    for future in done:
        for key, value in future.result().items():
            total[key] += value
    return total


@pytest.mark.server
@needs_server
def test_under_load(server):
    import httpx

    first = _batch(server.url, 0)  # also warms the server up
    before = server.rss_bytes()
    second = _batch(server.url, 100)
    after = server.rss_bytes()
    print(
        f"\nload: first batch {first['valid']} valid + {first['invalid']} invalid right, "
        f"{len(first['wrong'])} wrong; second {second['valid']} + {second['invalid']}, "
        f"{len(second['wrong'])} wrong; server RSS {before / 1e6:.1f} MB before the second "
        f"batch, {after / 1e6:.1f} MB after"
    )
    for batch in (first, second):
        assert batch["wrong"] == [] and batch["valid"] + batch["invalid"] == 800
        assert batch["valid"] > 300 and batch["invalid"] > 300
    assert after - before < 50e6
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
        seed = int(formulas.gpu_count(1e8, 10, 8.1e9, "A100"))
        assert http_call(client, "gpu_count", [1e8, 10.0, 8.1e9, "A100"]) == (200, [[seed]])
