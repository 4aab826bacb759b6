"""Hardening of ``xlplugin serve``: malformed calls, CORS and security headers on every answer,
slow clients, the port and the manifest's URLs, workers, and the speed of a large answer.

Servers run on 127.0.0.1 and a free port, each request and each wait bounded. Outside CI the
server tests skip when xlwings Server is not installed; in CI (CI=true) they must run.
"""

import concurrent.futures
import contextlib
import gzip
import importlib.util
import itertools
import json
import os
import random
import re
import select
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from serving import _free_port, clean_env, office_js_request, started

from xlplugin import serve

HAVE_SERVER = all(importlib.util.find_spec(m) for m in ("xlwings_server", "uvicorn", "httpx"))
needs_server = pytest.mark.skipif(
    not HAVE_SERVER and os.environ.get("CI") != "true",
    reason="xlwings Server is not installed (pip install -e '.[server]'); CI must have it",
)
CALL = "/xlwings/custom-functions-call"
ORIGIN = "https://other.example"
PUBLIC = "https://excel.example.org"
BODY_TIMEOUT = 1  # seconds, for the hardened server
MAX_BODY = 1_000_000
WAIT = 10  # seconds: the bound on any one wait of these tests
# What xlwings Server adds to its own answers (CORS for ORIGIN, its security headers).
SHARED_HEADERS = (
    "access-control-allow-origin",
    "vary",
    "cache-control",
    "cross-origin-embedder-policy",
    "cross-origin-resource-policy",
    "referrer-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-permitted-cross-domain-policies",
)
SEED = [[[1e8]], [[10.0]], [[8.1e9]], [["A100"]]]


def xlplugin_serve(folder: Path, *args: str, start_timeout: float = 120, **env):
    port = _free_port()
    command = [sys.executable, "-m", "xlplugin.cli", "serve", "--port", str(port), *args]
    # the hooks were installed: the guard is inside xlwings Server's CORS and header layers
    absent = ("wraps xlwings Server",)
    return started(folder, command, clean_env(**env), port, start_timeout, absent)


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    """``xlplugin serve`` with CORS for ORIGIN, a 1 s body timeout, a 1 MB body limit and a
    public URL."""
    with xlplugin_serve(
        tmp_path_factory.mktemp("hardened"),
        "--body-timeout",
        str(BODY_TIMEOUT),
        "--max-body-bytes",
        str(MAX_BODY),
        "--public-url",
        PUBLIC,
        XLWINGS_CORS_ALLOW_ORIGINS=json.dumps([ORIGIN]),
    ) as server:
        yield server


@pytest.fixture
def client(hardened):
    import httpx

    with httpx.Client(base_url=hardened.url, timeout=WAIT) as client:
        yield client


def _post(client, body, content_type="application/json", **headers):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        CALL, content=content, headers={"content-type": content_type, "origin": ORIGIN, **headers}
    )


def _port(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


# 1. Malformed calls: 400 and one line, never 500; Excel's spelling of a name in any case


def test_call_problem_takes_a_name_in_any_case_and_wants_what_office_js_sends():
    ok = office_js_request("Gpu_Count", SEED)
    assert serve.call_problem(json.dumps(ok).encode()) is None
    for change, message in (
        ({"runtime": None}, "runtime: got a JSON null; accepts text"),
        ({"culture_info_name": 5}, "culture_info_name: got a JSON number; accepts text or null"),
        ({"date_format": 7}, "date_format: got a JSON number"),
        ({"caller_address": ["A1"]}, "caller_address: got a JSON list"),
        ({"args": [1e8, 10.0, 8.1e9]}, "args: dau: got a JSON number; accepts a list of rows"),
        ({"args": [[1e8], [[10.0]], [[8.1e9]]]}, "args: dau: row 1: got a JSON number"),
        ({"args": [[[[1e8]]], [[10.0]], [[8.1e9]]]}, "args: dau: row 1, cell 1: got a JSON list"),
    ):
        problem = serve.call_problem(json.dumps({**ok, **change}).encode())
        assert problem and problem.startswith(message) and "\n" not in problem, (change, problem)
    for field in ("runtime", "culture_info_name"):
        body = {k: v for k, v in ok.items() if k != field}
        assert serve.call_problem(json.dumps(body).encode()).startswith(f"{field}: missing")
    # What Office.js sends on an older Excel: no culture (null); ragged or empty ranges are
    # the functions' to refuse, with a #VALUE! cell.
    assert serve.call_problem(json.dumps({**ok, "culture_info_name": None}).encode()) is None
    ragged = {**ok, "args": [[[1e8, 2e8], [1e8]], [], [[]]]}
    assert serve.call_problem(json.dumps(ragged).encode()) is None
    # Excel passes null for an optional argument left out, and an error cell or a data type
    # (a formatted number, an entity) as an object: the function reads its basicValue.
    omitted = {**ok, "args": [*SEED, None, None]}
    assert serve.call_problem(json.dumps(omitted).encode()) is None
    typed = {**ok, "args": [[[{"type": "FormattedNumber", "basicValue": 1e8}]], *SEED[1:]]}
    assert serve.call_problem(json.dumps(typed).encode()) is None


@pytest.mark.server
@needs_server
def test_the_arguments_as_excel_shapes_them_get_the_answer(client):
    """A dropdown's argument (gpu, precision) is declared "scalar" in the functions' metadata,
    so Excel passes it one value, not a range; an omitted optional argument is null."""
    meta = client.get("/xlwings/custom-functions-meta").json()
    [gpu_count] = [f for f in meta["functions"] if f["name"] == "GPU_COUNT"]
    shapes = {p["name"]: p["dimensionality"] for p in gpu_count["parameters"]}
    assert shapes["gpu"] == shapes["precision"] == "scalar" and shapes["dau"] == "matrix"
    expected = _post(client, office_js_request("gpu_count", SEED)).json()
    args = [[[1e8]], [[10.0]], [[8.1e9]], "A100"] + [None] * (len(shapes) - 4)
    response = _post(client, office_js_request("GPU_COUNT", args))
    assert (response.status_code, response.json()) == (200, expected)
    typed = [[[{"type": "FormattedNumber", "basicValue": 1e8, "numberFormat": "0"}]], *args[1:]]
    response = _post(client, office_js_request("GPU_COUNT", typed))
    assert (response.status_code, response.json()) == (200, expected)


@pytest.mark.server
@needs_server
def test_a_name_in_any_case_is_the_function(client):
    expected = _post(client, office_js_request("gpu_count", SEED)).json()
    assert isinstance(expected["result"][0][0], int), expected  # a count of GPUs
    for name in ("Gpu_Count", "gpu_COUNT", "GPU_COUNT"):
        response = _post(client, office_js_request(name, SEED))
        assert (response.status_code, response.json()) == (200, expected), name


@pytest.mark.server
@needs_server
def test_every_malformed_call_is_a_one_line_400(client):
    ok = office_js_request("gpu_count", SEED)
    bodies = [
        {k: v for k, v in ok.items() if k != "runtime"},
        {k: v for k, v in ok.items() if k != "culture_info_name"},
        {k: v for k, v in ok.items() if k not in ("runtime", "culture_info_name")},
        {**ok, "runtime": 1.4},
        {**ok, "culture_info_name": 5},
        {**ok, "date_format": 7},
        {**ok, "caller_address": {"sheet": 1}},
        {**ok, "version": 1},
        {**ok, "version": "Z" * 500_000},  # xlwings repeated it whole in its 400
        {**ok, "version": "1\nINJECTED LINE"},  # ... over two lines
        {**ok, "version": "\ud800", "client": "x"},  # ... or failed with a 500
        {**ok, "client": "Excel" * 1000},
        {**ok, "func_name": ["gpu_count"]},
        {**ok, "args": {"dau": 1}},
        {**ok, "args": [1e8, 10.0, 8.1e9]},
        {**ok, "args": [[[{"a": 1}]], [[10.0]], [[8.1e9]]]},
        {**ok, "args": [[[[1e8]]], [[10.0]], [[8.1e9]]]},
        [ok],
        "gpu_count",
        5,
        None,
    ]
    for body in bodies:
        response = _post(client, body)
        assert response.status_code == 400, (body, response.status_code, response.text)
        assert "\n" not in response.text.removesuffix("\n"), response.text  # one line
        assert len(response.text) < 1000, response.text[:1000]  # nothing echoed
        assert response.headers["content-type"].startswith("text/plain")
    assert _post(client, ok).status_code == 200  # the connection lives on


@pytest.mark.server
@needs_server
def test_a_body_that_is_not_json_is_415_and_never_echoed(client):
    marker = "SECRET-MARKER-8d1f"
    body = json.dumps({**office_js_request("gpu_count", SEED), "caller_address": marker})
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = _post(client, body.encode(), content_type=kind)
        assert response.status_code == 415, (kind, response.text)
        assert marker not in response.text and response.text.count("\n") == 1
    # FastAPI's own validation answer (422) would list the request's input: not any more.
    response = client.get("/xlwings/alert", params={"prompt": marker})
    assert response.status_code == 422 and marker not in response.text
    assert response.text.count("\n") == 1 and "input" not in response.text


@pytest.mark.server
@needs_server
def test_a_compressed_body_is_415_naming_the_encoding(client):
    """A gzip body was read as text ("'utf-8' codec can't decode byte 0x8b"), and a plain
    one labelled gzip was taken as it came."""
    body = json.dumps(office_js_request("gpu_count", SEED)).encode()
    for coding, content in (("gzip", gzip.compress(body)), ("br", body), ("GZIP", body)):
        response = _post(client, content, **{"content-encoding": coding})
        assert response.status_code == 415, (coding, response.text)
        assert response.text == (
            f"content-encoding: got {coding!r}; accepts identity (an uncompressed body, "
            "as Excel sends)\n"
        )
        assert response.headers["access-control-allow-origin"] == ORIGIN
    assert _post(client, body, **{"content-encoding": "identity"}).status_code == 200


@pytest.mark.server
@needs_server
def test_scripts_are_404_not_500(client):
    response = client.post("/xlwings/custom-scripts-call/anything", json={"book": {}})
    assert response.status_code == 404 and response.text.count("\n") == 1


# 2. CORS and security headers on every answer; preflights pass; GET is 405


@pytest.mark.server
@needs_server
def test_the_cors_preflight_passes(client):
    response = client.options(
        CALL,
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "content-type"


@pytest.mark.server
@needs_server
@pytest.mark.parametrize("origin", [ORIGIN, "https://evil.example"])
@pytest.mark.parametrize("asked", ["<script>alert(1)</script>", "x-a, " + "b" * 60_000])
def test_a_preflight_does_not_repeat_what_is_no_list_of_header_names(client, origin, asked):
    """The CORS layer answered with the requested headers as they came, for any origin."""
    response = client.options(
        CALL,
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": asked,
        },
    )
    assert asked not in response.text and asked[:20] not in str(response.headers)


@pytest.mark.server
@needs_server
def test_a_415_names_a_media_type_and_repeats_nothing_else(client):
    body = json.dumps(office_js_request("gpu_count", SEED)).encode()
    response = _post(client, body, content_type="text/<script>alert(1)</script>")
    assert response.status_code == 415
    assert response.text == (
        "content-type: got a value that is not a media type; accepts application/json\n"
    )
    response = _post(client, body, content_type="text/plain; charset=<b>")
    assert response.text == "content-type: got 'text/plain'; accepts application/json\n"
    response = _post(client, body, content_type=b"text/pl\xe9in")  # a letter, not ASCII
    assert response.text == (
        "content-type: got a value that is not a media type; accepts application/json\n"
    )


@pytest.mark.server
@needs_server
def test_every_answer_carries_the_cors_and_security_headers(client, hardened):
    normal = _post(client, office_js_request("gpu_count", SEED))
    assert normal.status_code == 200
    expected = {name: normal.headers.get(name) for name in SHARED_HEADERS}
    assert expected["access-control-allow-origin"] == ORIGIN
    assert expected["x-content-type-options"] == "nosniff"
    answers = {
        400: _post(client, b"[1]"),
        413: _post(client, b"[" + b"0," * MAX_BODY + b"0]"),
        415: _post(client, b"{}", content_type="text/plain"),
        405: client.get(CALL, headers={"origin": ORIGIN}),
        200: client.options(  # a CORS preflight, which xlwings Server's CORS layer answers
            CALL,
            headers={"origin": ORIGIN, "access-control-request-method": "POST"},
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text)
        got = {name: response.headers.get(name) for name in SHARED_HEADERS}
        if status == 200:  # a preflight varies on the request's CORS headers too
            assert got.pop("vary").startswith("Origin, Access-Control-Request-Method")
            got["vary"] = expected["vary"]
        assert got == expected, status
    # 408, on a raw socket: the body stalls after a few bytes
    head, _ = _stalled_body(hardened, b"origin: " + ORIGIN.encode() + b"\r\n")
    assert head.startswith("HTTP/1.1 408"), head
    fields = {
        name.lower(): value
        for name, value in (line.split(": ", 1) for line in head.split("\r\n")[1:])
    }
    assert {name: fields.get(name) for name in SHARED_HEADERS} == expected


def test_a_server_error_is_a_one_line_500_with_the_same_headers(tmp_path):
    """In-process (httpx's ASGI transport), with xlwings' call made to fail: a bug."""
    if not HAVE_SERVER:
        pytest.skip("xlwings Server is not installed")
    script = textwrap.dedent(f"""
        import asyncio, json
        import httpx, xlwings.server
        from xlplugin import serve
        app = serve.app(public_url={PUBLIC!r})
        body = {office_js_request("gpu_count", SEED)!r}
        headers = {{"origin": {ORIGIN!r}}}

        async def boom(*args, **kwargs):
            raise RuntimeError("a bug")

        async def main():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                ok = await c.post({CALL!r}, json=body, headers=headers)
                xlwings.server.custom_functions_call = boom
                bad = await c.post({CALL!r}, json=body, headers=headers)
            return [[r.status_code, r.text, dict(r.headers)] for r in (ok, bad)]

        print(json.dumps(asyncio.run(main())))
    """)
    project = serve.project_files(tmp_path / "project")
    env = clean_env(
        **serve.server_environment(project, {}),
        XLWINGS_CORS_ALLOW_ORIGINS=json.dumps([ORIGIN]),
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (ok, ok_text, ok_headers), (bad, bad_text, bad_headers) = json.loads(done.stdout)
    assert ok == 200 and "result" in json.loads(ok_text)
    assert (bad, bad_text) == (500, "server error: RuntimeError\n")
    assert {h: bad_headers.get(h) for h in SHARED_HEADERS} == {
        h: ok_headers.get(h) for h in SHARED_HEADERS
    }
    assert "Traceback" not in done.stderr


def test_a_client_gone_before_its_body_ends_still_gets_an_answer():
    """The guard answers (nobody reads it) where it used to return without one, which the
    security-header layer around it logged as a traceback ("No response returned")."""
    import asyncio

    async def app(scope, receive, send):
        raise AssertionError("the call reached the app")

    sent = []
    pieces = iter([{"type": "http.request", "body": b'{"a"', "more_body": True}])

    async def receive():
        return next(pieces, {"type": "http.disconnect"})

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
    scope = {"type": "http", "method": "POST", "path": CALL, "headers": headers}
    asyncio.run(serve.BodyLimit(app)(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert sent[1]["body"].decode().startswith("request body: the connection closed")


@pytest.mark.server
@needs_server
def test_a_client_that_hangs_up_mid_body_leaves_the_server_serving(hardened, client):
    for _ in range(3):  # the module's server fails its teardown on a traceback in its log
        with socket.create_connection(("127.0.0.1", _port(hardened)), timeout=WAIT) as raw:
            raw.sendall(
                b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                b'application/json\r\nContent-Length: 100\r\n\r\n{"a"'
            )
    time.sleep(0.5)
    assert _post(client, office_js_request("gpu_count", SEED)).status_code == 200


def test_the_guard_lets_other_methods_through_to_their_answer():
    """GET, OPTIONS, HEAD on the call reach xlwings Server (405, CORS), unchecked."""
    import asyncio

    for method in ("GET", "OPTIONS", "HEAD"):
        seen = []

        async def app(scope, receive, send, seen=seen):
            seen.append((await receive())["body"])
            await send({"type": "http.response.start", "status": 405, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message, sent=sent):
            sent.append(message)

        scope = {"type": "http", "method": method, "path": CALL, "headers": []}
        asyncio.run(serve.BodyLimit(app)(scope, receive, send))
        assert (sent[0]["status"], seen) == (405, [b""]), method


# 3. Slow clients: a stalled body gets 408, stalled headers a closed connection


def _stalled_body(server, headers: bytes = b"") -> tuple[str, float]:
    """Headers declaring 1,000 bytes, 9 of them, then nothing: the answer's head and when the
    server closed the connection (seconds after the last byte sent)."""
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=WAIT) as raw:
        raw.sendall(
            b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"Content-"
            b"Type: application/json\r\nContent-Length: 1000\r\n\r\n" + b'{"func_na'
        )
        sent, answer = time.monotonic(), b""
        while data := raw.recv(65_536):  # until the server closes (or WAIT: socket.timeout)
            answer += data
        closed = time.monotonic() - sent
    return answer.decode().partition("\r\n\r\n")[0], closed


@pytest.mark.server
@needs_server
def test_a_stalled_body_gets_408_and_is_closed(hardened):
    head, closed = _stalled_body(hardened)
    assert head.startswith("HTTP/1.1 408"), head
    assert "connection: close" in head.lower()
    assert BODY_TIMEOUT * 0.9 < closed < BODY_TIMEOUT + 4, closed


def _raw_answer(server, request: bytes, wait: float = 0.0, receive_buffer: int = 0) -> bytes:
    """What the server sends back to ``request`` on a raw socket until it closes; read only
    after ``wait`` seconds (a client that reads nothing meanwhile)."""
    with socket.socket() as raw:
        if receive_buffer:  # before connecting: the window the server may fill
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        raw.settimeout(WAIT)
        raw.connect(("127.0.0.1", _port(server)))
        with contextlib.suppress(OSError):  # closed before it all went: its answer is read
            raw.sendall(request)
        time.sleep(wait)
        answer = b""
        try:
            while data := raw.recv(1 << 20):
                answer += data
        except ConnectionResetError:
            pass
    return answer


def _fields(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}


@pytest.mark.server
@needs_server
def test_what_is_not_http_gets_a_one_line_400_with_the_security_headers(client, hardened):
    """uvicorn answers these itself, before any application ran."""
    normal = _post(client, office_js_request("gpu_count", SEED))
    security = {n: normal.headers[n] for n in SHARED_HEADERS if n.startswith(("x-", "cross"))}
    assert security["x-content-type-options"] == "nosniff"
    origin = f"Origin: {ORIGIN}\r\n".encode()
    for request in (
        b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # TLS, to plain HTTP
        # from a browser page on an allowed origin: its CORS headers too, or the page sees
        # a CORS failure instead of the message
        b"POST "
        + CALL.encode()
        + b" HTTP/1.1\r\nHost: x\r\n"
        + origin
        + b"Content-Length: x\r\n\r\n",
    ):
        head, _, body = _raw_answer(hardened, request).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), (request[:20], head[:200])
        fields = _fields(head)
        assert {n: fields.get(n) for n in security} == security, request[:20]
        assert body.count(b"\n") == 1 and body.endswith(b"\n"), body
        if origin in request:
            assert fields["access-control-allow-origin"] == ORIGIN and fields["vary"] == "Origin"
        else:
            assert "access-control-allow-origin" not in fields
    elsewhere = b"FOO / HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n"
    head = _raw_answer(hardened, elsewhere).partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 400") and b"access-control-allow" not in head.lower()


@pytest.mark.server
@needs_server
def test_headers_beyond_the_limit_get_431(hardened):
    from xlplugin._server_hooks import MAX_HEADER_BYTES

    big = b"x-padding: " + b"a" * 1000 + b"\r\n"
    origin = f"Origin: {ORIGIN}\r\n".encode()
    request = b"GET /manifest.xml HTTP/1.1\r\nHost: x\r\n" + origin + big * 300 + b"\r\n"
    assert len(request) > MAX_HEADER_BYTES * 4
    head, _, body = _raw_answer(hardened, request).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head[:200]
    assert _fields(head)["x-content-type-options"] == "nosniff"
    # (the Origin header came before the limit: the answer can be read by its page)
    assert _fields(head)["access-control-allow-origin"] == ORIGIN
    limit = f"{MAX_HEADER_BYTES:,}"
    assert body == f"request headers: more than {limit} bytes; accepts at most {limit}\n".encode()
    # headers within the limit: served
    fits = b"GET /manifest.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + big * 50 + b"\r\n"
    assert _raw_answer(hardened, fits).startswith(b"HTTP/1.1 200")


def _in_pieces(server, request: bytes, cuts: tuple[int, ...]) -> bytes:
    """The first bytes of the answer to ``request`` sent in pieces cut at ``cuts``, each
    its own read (a pause between them)."""
    with socket.socket() as raw:
        raw.settimeout(WAIT)
        raw.connect(("127.0.0.1", _port(server)))
        for start, end in itertools.pairwise((0, *cuts, len(request))):
            raw.sendall(request[start:end])
            time.sleep(0.2)
        return raw.recv(1 << 16)


@pytest.mark.server
@needs_server
@pytest.mark.parametrize("pieces", [1, 2])
@pytest.mark.parametrize("padding", [b"a", b" "])
def test_headers_just_beyond_the_limit_get_431_however_they_arrive(hardened, pieces, padding):
    """Headers that arrived in one read were parsed before they were counted: 66 kB to
    150 kB were served (only ~200 kB, several reads, got 431); whitespace the parser drops
    (before a header's value) was not counted by the parser."""
    from xlplugin._server_hooks import MAX_HEADER_BYTES

    request = b"GET /manifest.xml HTTP/1.1\r\nHost: x\r\nX-Big:" + padding * MAX_HEADER_BYTES
    request += b"v\r\n\r\n"
    cuts = (len(request) // 2,) if pieces == 2 else ()
    answer = _in_pieces(hardened, request, cuts)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]


@pytest.mark.server
@needs_server
@pytest.mark.parametrize("cut", [5, 40, -2])  # after "POST ", inside the headers, before CRLF
def test_a_body_in_the_read_that_ends_the_headers_is_not_counted(hardened, cut):
    """Headers cut across two reads, the second holding the rest and 170 kB of body: 431
    (the second read was counted whole)."""
    rows = [["dau", "gpu"], *[[1e6 + i, "H100"] for i in range(8_000)]]
    body = json.dumps(office_js_request("scenarios", [rows])).encode()
    head = (
        f"POST {CALL} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    cut = cut if cut > 0 else len(head) + cut
    answer = _in_pieces(hardened, head + body, (cut,))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


@pytest.mark.server
@needs_server
def test_a_large_body_behind_small_headers_is_not_counted_as_headers(client, hardened):
    """Headers, body and a second request in one write: only headers count."""
    from xlplugin._server_hooks import MAX_HEADER_BYTES

    rows = [["dau", "gpu"], *[[1e6 + i, "H100"] for i in range(8_000)]]
    body = json.dumps(office_js_request("scenarios", [rows])).encode()
    assert len(body) > 2 * MAX_HEADER_BYTES
    head = f"POST {CALL} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    one = head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    last = head.encode() + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    answer = _raw_answer(hardened, one + last + body)
    assert answer.count(b"HTTP/1.1 200") == 2, answer[:200]


@pytest.mark.server
@needs_server
def test_a_client_that_reads_nothing_of_its_answer_is_cut_off(hardened):
    """A 20,000-row answer (8 MB) to a client that reads none of it: the server drops it
    after the timeout instead of holding the answer in memory for as long as it stays."""
    rows = [["dau", "gpu"], *[[1e6 + i, "H100"] for i in range(20_000)]]
    body = json.dumps(office_js_request("scenarios", [rows])).encode()
    assert len(body) < MAX_BODY
    request = (
        b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
        b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    answer = _raw_answer(hardened, request, wait=BODY_TIMEOUT + 3, receive_buffer=4096)
    head, _, sent = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    assert len(sent) < int(_fields(head)["content-length"]), len(sent)
    # a client that reads gets the whole answer
    answer = _raw_answer(hardened, request.replace(b"Host: x", b"Host: x\r\nConnection: close"))
    head, _, sent = answer.partition(b"\r\n\r\n")
    assert len(sent) == int(_fields(head)["content-length"])


@pytest.mark.server
@needs_server
def test_a_trickling_body_is_cut_off(hardened):
    """A byte every half second is never idle for the timeout, but too slow in all."""
    with socket.create_connection(("127.0.0.1", _port(hardened)), timeout=WAIT) as raw:
        raw.sendall(
            b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            b"application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        start, answer = time.monotonic(), b""
        raw.setblocking(False)
        while time.monotonic() - start < WAIT:
            try:
                raw.send(b" ")
            except OSError:
                break  # closed
            ready, _, _ = select.select([raw], [], [], 0.5)
            if ready:
                data = raw.recv(65_536)
                answer += data
                if not data or b"\r\n\r\n" in answer:
                    break
        took = time.monotonic() - start
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert took < BODY_TIMEOUT + 4, took


@pytest.mark.server
@needs_server
def test_many_stalled_connections_are_all_closed_in_time(hardened):
    """200 connections: silent, stuck in the request line, in the headers, in the body."""
    starts = [
        b"",
        b"POST " + CALL.encode(),
        b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le",
        b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/"
        b"json\r\nContent-Length: 1000\r\n\r\n{",
    ]
    sockets = []
    try:
        for i in range(200):
            raw = socket.create_connection(("127.0.0.1", _port(hardened)), timeout=WAIT)
            if start := starts[i % len(starts)]:
                raw.sendall(start)
            sockets.append(raw)
        opened = time.monotonic()
        open_ = set(sockets)
        while open_ and time.monotonic() - opened < BODY_TIMEOUT + 6:
            ready, _, _ = select.select(list(open_), [], [], 0.5)
            for raw in ready:
                try:
                    data = raw.recv(65_536)
                except OSError:
                    data = b""
                if not data:  # closed by the server
                    open_.discard(raw)
        assert not open_, f"{len(open_)} of 200 stalled connections still open"
        assert time.monotonic() - opened < BODY_TIMEOUT + 6
    finally:
        for raw in sockets:
            raw.close()


# 3b. Under load: 20 clients, mixed valid and invalid calls and large tables, while other
# connections stall; no wrong answer, the stalled ones closed in time, memory flat

LOAD_CLIENTS = 20  # at once: 17 mixed-call clients and 3 large-table clients
LARGE_ROWS = 2_000  # a large SCENARIOS table (the hardened server's body limit is 1 MB)


def _large_tables(url: str, seed: int, count: int) -> list:
    """``count`` SCENARIOS calls of LARGE_ROWS rows each; the wrong answers."""
    import httpx
    import pandas as pd
    from test_reliability import GPUS, http_call

    from xlplugin import formulas

    rng, wrong = random.Random(seed), []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(count):
            daus = [float(rng.randrange(10**5, 10**9)) for _ in range(LARGE_ROWS)]
            gpus = [rng.choice(GPUS) for _ in range(LARGE_ROWS)]
            table = [["dau", "gpu"], *([d, g] for d, g in zip(daus, gpus, strict=True))]
            frame = pd.DataFrame({"dau": daus, "gpu": gpus})
            expected = formulas.estimate_table(frame)["gpu_count"].tolist()
            status, answer = http_call(client, "scenarios", [table])
            column = answer[0].index("gpu_count") if status == 200 else None
            if status != 200 or [row[column] for row in answer[1:]] != expected:
                wrong.append((status, str(answer)[:200]))
    return wrong


def _stall(server) -> list:
    """Four connections that stall: silent, in the request line, the headers, the body."""
    sockets = []
    for start in (
        b"",
        b"POST " + CALL.encode(),
        b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le",
        b"POST " + CALL.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/"
        b"json\r\nContent-Length: 1000\r\n\r\n{",
    ):
        raw = socket.create_connection(("127.0.0.1", _port(server)), timeout=WAIT)
        raw.sendall(start)
        sockets.append(raw)
    return sockets


def _closed(sockets: list) -> int:
    """How many of ``sockets`` the server has closed (read without waiting)."""
    count = 0
    for raw in sockets:
        raw.setblocking(False)
        try:
            while data := raw.recv(65_536):
                pass
            count += data == b""
        except BlockingIOError:
            pass  # still open, nothing to read
        except OSError:
            count += 1
    return count


def _load_batch(server, first_seed: int) -> dict:
    from test_reliability import _client

    stalled = _stall(server)
    started_at = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(LOAD_CLIENTS) as pool:
            mixed = [pool.submit(_client, server.url, first_seed + i, 30) for i in range(17)]
            large = [pool.submit(_large_tables, server.url, first_seed + i, 2) for i in range(3)]
            _, pending = concurrent.futures.wait(mixed + large, timeout=600)
        took = time.monotonic() - started_at
        time.sleep(max(0.0, BODY_TIMEOUT + 2 - took))  # the stalled ones' deadline passed
        closed = _closed(stalled)
    finally:
        for raw in stalled:
            raw.close()
    assert not pending, "the load did not finish within its bound"
    tallies = [f.result() for f in mixed]
    return {
        "valid": sum(t["valid"] for t in tallies),
        "invalid": sum(t["invalid"] for t in tallies),
        "wrong": [w for t in tallies for w in t["wrong"]] + [w for f in large for w in f.result()],
        "closed": closed,
        "seconds": took,
    }


@pytest.mark.server
@needs_server
def test_twenty_clients_with_stalled_connections_get_no_wrong_answer(hardened):
    first = _load_batch(hardened, 1_000)  # also warms the server up
    before = hardened.rss_bytes()
    second = _load_batch(hardened, 2_000)
    after = hardened.rss_bytes()
    print(
        f"\nload, {LOAD_CLIENTS} clients: {first['valid']} + {first['invalid']} and "
        f"{second['valid']} + {second['invalid']} valid + invalid calls right, "
        f"{len(first['wrong']) + len(second['wrong'])} wrong, 2 x 3 x 2 tables of "
        f"{LARGE_ROWS:,} rows; batches {first['seconds']:.1f} s and {second['seconds']:.1f} s; "
        f"stalled connections closed {first['closed']}/4 and {second['closed']}/4; "
        f"server RSS {before / 1e6:.1f} MB, then {after / 1e6:.1f} MB"
    )
    for batch in (first, second):
        assert batch["wrong"] == [], batch["wrong"][:3]
        assert batch["valid"] + batch["invalid"] == 17 * 30
        assert batch["valid"] > 150 and batch["invalid"] > 150
        assert batch["closed"] == 4
    assert after - before < 50e6


# 3c. Any cell Excel can send: formulas' answer for it, or its one-line refusal (400)


@pytest.mark.server
@needs_server
def test_any_cell_over_http_is_formulas_answer_or_its_refusal(hardened):
    import math

    import httpx
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from test_hardening import NUMBERS, floats, texts

    from xlplugin import formulas

    parameters = ("dau", "requests_per_user", "params", "utilization", "headroom")

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(parameters), value=st.one_of(floats, texts))
    def check(client, name, value):
        if isinstance(value, float) and not math.isfinite(value):
            value = None if math.isnan(value) else "#NUM!"  # what Excel sends for those
        inputs = {"dau": 1e8, "requests_per_user": 10.0, "params": 8.1e9, name: value}
        try:
            expected = int(formulas.gpu_count(**inputs))
        except formulas.EstimateError as error:
            expected = str(error)
        cells = {n: [[v]] for n, v in inputs.items()}  # each a one-cell range
        order = serve._served()["gpu_count"][1].parameters
        args = [cells.get(n) for n in order]  # the others left out: null
        response = client.post(CALL, json=office_js_request("GPU_COUNT", args))
        if isinstance(expected, int):
            assert (response.status_code, response.json()) == (200, {"result": [[expected]]})
        else:  # the same refusal (an empty cell is "missing" in Excel, '' to formulas)
            assert response.status_code == 400 and "\n" not in response.text, response.text
            assert response.text.split(":")[0] == expected.split(":")[0], (value, response.text)

    assert set(parameters) <= set(NUMBERS)
    with httpx.Client(base_url=hardened.url, timeout=WAIT) as client:
        check(client)


# 4. The port, and the manifest's URLs from configuration, not from the Host header


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "99999"],
        ["--port", "0"],
        ["--port", "http"],
        ["--public-url", "https://excel.example.org/path"],
        ["--public-url", "ftp://excel.example.org"],
        ["--workers", "0"],
        ["--workers", "1000"],  # took the host's memory, and every process on it
        ["--host", ""],  # an unset $HOST: uvicorn listened on every interface
        ["--body-timeout", "-1"],
        ["--body-timeout", "1e-300"],  # too short for any request: every one dropped
        ["--body-timeout", "0.5"],
    ],
)
def test_bad_serve_options_are_one_line_and_status_2(args):
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert done.returncode == 2, (args, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and args[0] in lines[0] and repr(args[1]) in lines[0], done.stderr


@needs_server
@pytest.mark.parametrize(
    "name, value",
    [
        # xlwings Server reads lists as JSON: plain text was a traceback once it had started
        ("XLWINGS_CORS_ALLOW_ORIGINS", "https://excel.example.org"),
        ("XLWINGS_ENABLE_SOCKETIO", "maybe"),
    ],
)
def test_a_bad_xlwings_setting_is_one_line_before_serving(name, value):
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", "serve", "--port", str(_free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(**{name: value}),
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith(f"xlplugin: error: {name}: got {value!r}; accepts "), lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "9" * 100_000],
        ["serve", "--host", "h" * 100_000, "--port", "8799"],
        ["serve", "--public-url", "https://" + "x" * 100_000],
        ["lite", "--url", "https://" + "x" * 100_000 + ".whl"],
    ],
)
def test_a_long_bad_option_is_not_echoed_whole(args, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        cwd=tmp_path,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[:300]
    assert len(lines[0]) < 400 and "..." in lines[0] and args[1] in lines[0], lines[0]


def test_a_wheel_url_with_a_port_out_of_range_is_refused(tmp_path):
    url = "https://x:99999/" + serve._wheel_name()
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin.cli", "lite", "--url", url, "-o", str(tmp_path / "l")],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert done.returncode == 2 and f"--url: got {url!r}; accepts" in done.stderr
    assert not (tmp_path / "l").exists()


def _manifest_urls(client, **headers) -> set[str]:
    import re

    text = client.get("/manifest.xml", headers=headers).text
    assert "evil" not in text
    return {
        url
        for url in re.findall(r'https?://[^"<\s]+', text)
        if not re.match(r"https?://(schemas\.microsoft\.com|www\.w3\.org|www\.xlwings\.org)", url)
    }


@pytest.mark.server
@needs_server
def test_the_manifest_urls_come_from_the_public_url(client):
    forged = {"host": "evil.example", "x-forwarded-host": "evil.example"}
    urls = _manifest_urls(client, **forged) | _manifest_urls(
        client, **forged, **{"x-forwarded-proto": "http"}
    )
    assert urls and all(url.startswith(PUBLIC) for url in urls), urls
    assert f"{PUBLIC}/xlwings/custom-functions-meta.json" in urls


# 5. Workers


@pytest.mark.server
@needs_server
def test_serve_runs_workers(tmp_path):
    import httpx

    with (
        # Each worker imports everything anew, side by side: slow on a busy machine.
        xlplugin_serve(tmp_path, "--workers", "2", start_timeout=240) as server,
        httpx.Client(base_url=server.url, timeout=WAIT) as client,
    ):
        answers = [client.post(CALL, json=office_js_request("GPU_COUNT", SEED)) for _ in range(6)]
        assert {a.status_code for a in answers} == {200}
        assert len({a.text for a in answers}) == 1 and "result" in answers[0].json()
        workers = [
            pid
            for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert len(workers) == 2, workers


# 6. SCENARIOS over HTTP: the answer encoded once


def scenario_table(rows: int) -> list[list]:
    gpus = ["A100", "H100", "L4"]
    return [
        ["dau", "requests_per_user", "params", "gpu"],
        *[[1e6 + i * 1000.0, 10.0, 8.1e9, gpus[i % 3]] for i in range(rows)],
    ]


@pytest.fixture(scope="module")
def with_twin(tmp_path_factory):
    """``xlplugin serve``'s application (uvicorn, ``xlplugin.serve:app``) serving the Excel
    functions plus ``trivial_scenarios``, SCENARIOS' trivial twin (benchmarks/_twins.py)."""
    folder = tmp_path_factory.mktemp("twin")
    project = serve.project_files(folder / "project")
    init = project / "custom_functions" / "__init__.py"
    benchmarks = Path(__file__).parent.parent / "benchmarks"
    init.write_text(
        init.read_text() + f"import sys as _sys\n_sys.path.insert(0, {str(benchmarks)!r})\n"
        "from _twins import twin as _twin\n"
        "from xlplugin import functions as _functions\n"
        "trivial_scenarios = _twin(_functions.scenarios, 'trivial_scenarios')\n"
    )
    port = _free_port()
    code = (
        f"import uvicorn; uvicorn.run('xlplugin.serve:app', factory=True, host='127.0.0.1', "
        f"port={port}, http='xlplugin._server_hooks:HeaderDeadline')"
    )
    env = clean_env(**serve.server_environment(project, {}))
    absent = ("wraps xlwings Server",)
    with started(folder, [sys.executable, "-c", code], env, port, 120, absent) as server:
        yield server


@pytest.mark.server
@needs_server
def test_a_10000_row_scenarios_answer_is_the_call_in_process_encoded_once(with_twin):
    """Served, SCENARIOS encodes its 270,000 numbers from the array at once (PreEncoded);
    the answer is byte for byte what encoding the lists of the call in-process gives. How
    fast it is against its trivial twin, benchmarks/bench_excel.py measures."""
    import asyncio

    import httpx
    import xlwings.server

    from xlplugin import _excel, _server_hooks, functions

    table = scenario_table(10_000)
    call = office_js_request("scenarios", [table])
    in_process = asyncio.run(xlwings.server.custom_functions_call(dict(call), functions))
    assert isinstance(in_process, list) and len(in_process) == 10_001  # not pre-encoded here
    with httpx.Client(base_url=with_twin.url, timeout=60) as client:
        answer = client.post(CALL, json=call)
        twin = client.post(CALL, json=office_js_request("trivial_scenarios", [table]))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.content == _server_hooks.encode({"result": in_process})
    assert twin.status_code == 200
    # Where a row holds a message or is empty, the lists go out as they are.
    token = _excel.PRE_ENCODED.set(True)
    try:
        assert isinstance(_excel.scenario_rows(table), _excel.PreEncoded)
        assert isinstance(_excel.scenario_rows([*table, [None] * 4]), list)
        assert isinstance(_excel.scenario_rows([*table, [-1.0, 10.0, 8.1e9, "A100"]]), list)
    finally:
        _excel.PRE_ENCODED.reset(token)


@pytest.mark.server
@needs_server
@pytest.mark.parametrize("protocol", ["httptools", "h11"])
def test_an_answer_in_pieces_arrives_whole_through_uvicorn(protocol):
    """A pre-encoded answer is sent in the pieces it was made in (the 4 MB of rows as a
    memoryview into orjson's output, not copied into one buffer): through either of
    uvicorn's HTTP implementations, the client reads one body of the declared length."""
    import asyncio
    import threading

    import httpx
    import uvicorn

    from xlplugin._server_hooks import PiecesResponse

    rows = b"[" + b",".join(b"[%d,0.1]" % i for i in range(100_000)) + b"]"
    parts = (b'{"result":[["a","b"],', memoryview(rows)[1:], b"}")

    async def app(scope, receive, send):
        if scope["type"] == "http":
            await PiecesResponse(parts)(scope, receive, send)

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
    finally:
        server.should_exit = True
        thread.join(30)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.content))
    assert answer.content == b"".join(parts)
    assert answer.json()["result"][100_000] == [99_999, 0.1]


# The hooks into xlwings Server, FastAPI and uvicorn: pinned


def test_the_server_libraries_are_the_versions_the_hooks_were_tested_with():
    """xlplugin._server_hooks reaches into internals: when a version moves, re-check it
    (route replacement, middleware order, uvicorn's protocol) and update TESTED."""
    if not HAVE_SERVER:
        pytest.skip("xlwings Server is not installed")
    from xlplugin import _server_hooks

    assert _server_hooks.versions() == _server_hooks.TESTED


def test_the_hooks_find_what_they_rely_on(tmp_path):
    if not HAVE_SERVER:
        pytest.skip("xlwings Server is not installed")
    script = textwrap.dedent("""
        import gc, importlib, inspect, json
        from fastapi.routing import APIRoute
        from uvicorn.protocols.http.auto import AutoHTTPProtocol
        from xlwings_server import main
        from xlwings_server.routers import xlwings as routes
        from xlplugin import serve, _server_hooks
        served = serve.app()
        calls = [r for r in routes.router.routes if isinstance(r, APIRoute)
                 and r.path.endswith("/custom-functions-call")]
        protocol = _server_hooks.HeaderDeadline
        cycle = importlib.import_module(AutoHTTPProtocol.__module__).RequestResponseCycle
        print(json.dumps({
            # the preflights' header layer, around the requested-headers check
            "app": served.__wrapped__.__wrapped__ is main.main_app,
            "routes": [sorted(r.methods) for r in calls],
            "ours": [getattr(r.endpoint, "__wrapped_by_xlplugin__", False) for r in calls],
            "innermost": main.app.user_middleware[-1].cls is serve.BodyLimit,
            "module": sorted(serve._served(_server_hooks.served_module()))[:2],
            "protocol": issubclass(protocol, AutoHTTPProtocol) and all(
                hasattr(AutoHTTPProtocol, n) for n in ("on_response_complete",
                "connection_made", "on_message_begin", "on_url", "on_header",
                "on_headers_complete", "on_message_complete", "send_400_response"))
                # what connection_lost tells each unanswered request of a cut-off client
                and "self.disconnected" in inspect.getsource(cycle.__init__)
                and "if self.disconnected" in inspect.getsource(cycle.send),
            # what was loaded stays out of the collector's full walks (60 ms each)
            "frozen": gc.get_freeze_count() > 50_000,
        }))
    """)
    project = serve.project_files(tmp_path / "project")
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=clean_env(**serve.server_environment(project, {})),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == {
        "app": True,
        "routes": [["POST"]],
        "ours": [True],
        "innermost": True,
        "module": ["egress_bits_per_second", "egress_usd_per_month"],
        "protocol": True,
        "frozen": True,
    }
    assert "wraps xlwings Server" not in done.stderr


@pytest.mark.server
@needs_server
def test_a_pipelining_client_cut_off_leaves_no_traceback(hardened):
    """Ten calls sent at once on one connection whose client reads nothing: cut off after
    the timeout, the call being answered went on writing to the closed connection (a
    RuntimeError in uvicorn, a traceback in the log)."""
    rows = [["dau", "gpu"], *[[1e8 + i, "H100"] for i in range(2_000)]]
    body = json.dumps(office_js_request("scenarios", [rows])).encode()
    one = (
        f"POST {CALL} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    logged = hardened.log.stat().st_size
    with socket.socket() as raw:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(("127.0.0.1", _port(hardened)))
        raw.sendall(one * 10)
        time.sleep(BODY_TIMEOUT * 4)  # never read
    time.sleep(0.5)
    with hardened.log.open("rb") as log:
        log.seek(logged)
        assert b"Traceback" not in log.read()
    import httpx

    assert httpx.get(hardened.url + "/xlwings/custom-functions-meta").status_code == 200


@pytest.mark.server
@needs_server
@pytest.mark.parametrize(
    "refused",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
    ids=["not-http", "headers-too-large"],
)
def test_a_refused_request_answers_after_the_requests_pipelined_before_it(hardened, refused):
    """Calls sent on one connection ahead of one the server refuses get their answers first,
    in order, then the refusal closes the connection (uvicorn closed at once: the calls
    pipelined before it lost their answers)."""
    body = json.dumps(office_js_request("gpu_count", SEED)).encode()
    call = (
        f"POST {CALL} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    logged = hardened.log.stat().st_size
    answer = _raw_answer(hardened, call * 2 + refused)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)  # (a body ends without a line break)
    assert statuses[:2] == [b"200", b"200"], answer[:300]
    assert statuses[2:] in ([b"400"], [b"431"]), answer[-300:]
    assert answer.count(b'{"result":[[') == 2, answer[:500]
    time.sleep(0.2)
    with hardened.log.open("rb") as log:
        log.seek(logged)
        written = log.read()
    # The log says which: too large is not "invalid HTTP", as uvicorn would have it.
    too_large = b"Request headers beyond 65,536 bytes: answered 431." in written
    invalid = b"Invalid HTTP request received." in written
    assert (too_large, invalid) == ((True, False) if b"X-Big" in refused else (False, True))
