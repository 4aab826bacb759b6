"""``xlplugin serve`` and ``xlplugin lite``: the Excel functions on xlwings Server and Lite.

``serve`` starts xlwings Server (the ``server`` extra) with :mod:`xlplugin.functions` as its
custom functions, on 127.0.0.1 unless told otherwise. xlwings Server imports a top-level
package ``custom_functions`` from its project folder (``XLWINGS_PROJECT_DIR``); the
folder is generated in a temporary directory and removed when the server stops.

Every request passes a guard (:class:`BodyLimit`), inside xlwings Server's CORS and
security-header layers so that its answers carry the same headers as the others. It:

- refuses a request body over ``--max-body-bytes`` (``XLPLUGIN_MAX_BODY_BYTES``, default
  :data:`MAX_BODY_BYTES`) with ``413``, before parsing it;
- waits at most ``--body-timeout`` seconds (``XLPLUGIN_BODY_TIMEOUT``, default
  :data:`BODY_TIMEOUT`) for each piece of a body, and for the whole body that long plus a
  second per :data:`MIN_BODY_RATE` bytes, then answers ``408`` and closes the connection
  (a connection that does not finish a request's headers that long is closed);
- refuses a custom-functions-call that is not what Excel's Office.js sends (``400``;
  ``415`` for a body that is not JSON), naming the problem in one line and never repeating
  the body; a function name matches in any case (``Gpu_Count``), as in Excel;
- builds URLs (those of ``/manifest.xml``) from ``--public-url`` (``XLPLUGIN_PUBLIC_URL``)
  or else the address the server listens on (listening on all interfaces, ``--host
  0.0.0.0``: the address each connection reached), never from the request's ``Host`` or
  ``X-Forwarded-Host`` header;
- answers a POST to ``/xlwings/custom-scripts-call/...`` with ``404`` (there are no scripts).

Its answers are one line of plain text. The Excel functions refuse a range over
``--max-cells`` (``XLPLUGIN_MAX_CELLS``) with a one-line ``#VALUE!`` cell. The answer of a
custom-functions-call is encoded once, with orjson when it is installed
(:mod:`xlplugin._server_hooks`, which holds what depends on xlwings Server's internals).

Behind a reverse proxy with TLS (Excel needs HTTPS), run ``xlplugin serve --workers 4
--public-url https://excel.example.com`` on 127.0.0.1 and let the proxy terminate TLS, e.g.
nginx::

    server {
        listen 443 ssl;
        server_name excel.example.com;
        ssl_certificate     /etc/ssl/excel.example.com.pem;
        ssl_certificate_key /etc/ssl/excel.example.com.key;
        client_max_body_size 50m;          # as --max-body-bytes
        client_body_timeout 10s;           # as --body-timeout
        location / {
            proxy_pass http://127.0.0.1:8000;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 60s;
        }
    }

The add-in manifest is then ``https://excel.example.com/manifest.xml``; nginx also buffers
each request before passing it on, which shields the workers from slow clients. uvicorn
trusts ``X-Forwarded-Proto`` and ``-For`` from 127.0.0.1 only (``FORWARDED_ALLOW_IPS`` says
otherwise). Each worker is a process of its own (uvicorn's ``--workers``); with more than
one, socket.io (used only by streaming functions, which xlplugin has none of) is off unless
``XLWINGS_ENABLE_SOCKETIO`` says otherwise. A page of another origin that calls the server
needs that origin in ``XLWINGS_CORS_ALLOW_ORIGINS`` (a JSON list, e.g.
``'["https://other.example"]'``).

``lite`` writes what an xlwings Lite workbook needs: ``main.py`` (one import),
``requirements.txt`` and a pure-Python wheel of ``formulas`` and ``xlplugin`` to host
where the browser can fetch it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import errno
import functools
import gc
import hashlib
import importlib.util
import inspect
import itertools
import json
import logging
import math
import os
import re
import signal
import socket
import ssl
import stat
import sys
import tempfile
import zipfile
from importlib import resources
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import xlplugin
from xlplugin.formulas.errors import EstimateError
from xlplugin.options import Once, shown
from xlplugin.workbook import atomic

try:  # optional: the server extra recommends it
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised where orjson is missing
    _orjson = None

__all__ = [
    "BODY_TIMEOUT",
    "DRAIN_BYTES",
    "MAX_BODY_BYTES",
    "MIN_BODY_RATE",
    "BodyLimit",
    "LiteError",
    "ServeError",
    "add_parser",
    "app",
    "call_problem",
    "project_files",
    "read_json",
    "server_environment",
    "write_lite",
    "write_wheel",
]

_log = logging.getLogger("xlplugin.serve")

MAX_BODY_BYTES = 50_000_000  # 50 MB: a 1,000,000-cell range is about 15 MB of JSON
DRAIN_BYTES = 1_000_000_000  # read and discarded past the limit, so the client sees the 413
BODY_TIMEOUT = 10.0  # seconds: the longest wait for request headers, or a piece of a body
MIN_BODY_RATE = 50_000  # bytes: a body may take a second per this many beyond BODY_TIMEOUT
CALL_PATH = "/xlwings/custom-functions-call"
SCRIPTS_PATH = "/xlwings/custom-scripts-call/"
PARSED_CALL = "xlplugin.call"  # scope key: the call as parsed, for the route (_server_hooks)

_CUSTOM_FUNCTIONS = '''\
"""Generated by `xlplugin serve`: the Excel functions this xlwings Server offers."""

from xlplugin.functions import *  # noqa: F403
from xlplugin.functions import __getattr__  # noqa: F401 (a call may name GPU_COUNT)
'''
_CUSTOM_SCRIPTS = '"""Generated by `xlplugin serve`: no scripts."""\n'


def add_parser(subparsers) -> None:
    """Add the ``serve`` and ``lite`` subcommands to the ``xlplugin`` command line."""
    serve = subparsers.add_parser(
        "serve",
        allow_abbrev=False,  # python -m xlplugin.serve's parser is argparse's own
        help="start xlwings Server with the Excel functions (needs the server extra)",
        description="Start xlwings Server with every Excel function of xlplugin. Excel loads "
        "it through the add-in manifest at /manifest.xml; Excel needs HTTPS, so pass a "
        "certificate (e.g. from mkcert) for anything but a quick HTTP test, or run it on "
        "127.0.0.1 behind a reverse proxy that terminates TLS (nginx: proxy_pass to this "
        "port, proxy_set_header X-Forwarded-Proto $scheme) and give the proxy's address with "
        "--public-url. Licence: xlwings Server is PolyForm Noncommercial 1.0.0 or "
        "commercial; set XLWINGS_LICENSE_KEY.",
    )
    serve.add_argument(
        "--host",
        action=Once,
        type=_host,
        default="127.0.0.1",
        help="interface to listen on (default: 127.0.0.1, this machine only)",
    )
    serve.add_argument(
        "--port", action=Once, type=_port, default=8000, help="port, 1 to 65535 (default: 8000)"
    )
    serve.add_argument(
        "--public-url",
        action=Once,
        type=_public_url,
        default=None,
        help="scheme://host[:port] that Excel reaches the server at, for the URLs of the "
        "add-in manifest, e.g. https://excel.example.com behind a reverse proxy (default: "
        "$XLPLUGIN_PUBLIC_URL, or the address the server listens on; never the request's "
        "Host header)",
    )
    serve.add_argument("--ssl-certfile", action=Once, help="TLS certificate (PEM) to serve HTTPS")
    serve.add_argument("--ssl-keyfile", action=Once, help="TLS private key (PEM) to serve HTTPS")
    serve.add_argument(
        "--workers",
        action=Once,
        type=_workers,
        default=1,
        help=f"worker processes (uvicorn's --workers; default: 1; at most {MAX_WORKERS}, "
        f"{WORKERS_PER_CORE} per CPU core)",
    )
    serve.add_argument(
        "--max-body-bytes",
        action=Once,
        type=_positive,
        default=None,
        help="largest request body; larger ones get 413 (default: "
        f"$XLPLUGIN_MAX_BODY_BYTES or {MAX_BODY_BYTES:,})",
    )
    serve.add_argument(
        "--body-timeout",
        action=Once,
        type=_seconds,
        default=None,
        help="seconds to wait for a request's headers or each piece of its body; slower "
        f"clients get 408 and are disconnected (default: $XLPLUGIN_BODY_TIMEOUT or "
        f"{BODY_TIMEOUT:g})",
    )
    serve.add_argument(
        "--max-cells",
        action=Once,
        type=_positive,
        default=None,
        help="most cells in one argument or one result of an Excel function "
        "(default: $XLPLUGIN_MAX_CELLS or 1,000,000)",
    )
    serve.set_defaults(run=_serve)
    lite = subparsers.add_parser(
        "lite",
        allow_abbrev=False,
        help="write main.py, requirements.txt and a wheel for xlwings Lite",
        description="Write what an xlwings Lite workbook needs to offer the Excel functions: "
        "main.py, requirements.txt and the xlplugin wheel. Host the wheel where the browser "
        "can fetch it (HTTPS, CORS allowed) and give its URL with --url.",
    )
    lite.add_argument(
        "-o",
        "--output",
        action=Once,
        default="xlplugin-lite",
        help="directory to write (default: ./xlplugin-lite)",
    )
    lite.add_argument(
        "--url",
        action=Once,
        type=_wheel_url,
        help=f"http:// or https:// URL the wheel will be served from, ending in its file name "
        f"({_wheel_name()}), for requirements.txt",
    )
    lite.set_defaults(run=_lite)


# Each worker is a process of its own, ~100 MB once it has loaded xlwings, pandas and the
# catalogue: --workers 1000 took the 24 GB of a 2-core host and every process on it with
# it. More workers than cores only queue for them; a few per core cover requests waiting
# on the network.
WORKERS_PER_CORE = 4
MAX_WORKERS = WORKERS_PER_CORE * (os.cpu_count() or 1)


def _workers(text: str) -> int:
    value = _positive(text)
    if value > MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"got {shown(text)}; accepts a whole number from 1 to {MAX_WORKERS} "
            f"({WORKERS_PER_CORE} per CPU core here: each worker is a process of ~100 MB)"
        )
    return value


def _host(text: str) -> str:
    # Empty (an unset $HOST), uvicorn listens on every interface: the opposite of the
    # default. Every interface is there to ask for, by name.
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"got {shown(text)}; accepts an interface's address or name (127.0.0.1, this "
            "machine only; 0.0.0.0, every interface)"
        )
    return text


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {shown(text)}; accepts a whole number >= 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"got {shown(text)}; accepts a whole number from 1 to 65535"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    # Below a second, a client across a network cannot send its headers in time: every
    # request would be dropped unanswered.
    if not 1 <= value <= 3600:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"got {shown(text)}; accepts seconds from 1 to 3600")
    return value


def _public_url(text: str) -> str:
    accepts = "accepts http:// or https:// and a host, optionally :port, without a path"
    try:
        parts = urlsplit(text.strip())
        port = parts.port  # ValueError when out of range
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise argparse.ArgumentTypeError(f"got {shown(text)}; {accepts}")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise argparse.ArgumentTypeError(f"got {shown(text)}; {accepts}") from None
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")


def _wheel_url(text: str) -> str:
    # The file name too, here: found by write_lite, it was a ValueError's traceback.
    if problem := wheel_url_problem(text) or _wheel_name_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def _wheel_name_problem(url: str) -> str | None:
    """requirements.txt would install a wheel other than the one written (or none)."""
    name = _wheel_name()
    if PurePosixPath(urlsplit(url).path).name != name:
        return f"got {shown(url)}; accepts a URL ending in /{name}, the wheel written"
    return None


def wheel_url_problem(text: str) -> str | None:
    """What is wrong with the wheel's URL, one line of requirements.txt (None: nothing): a
    line break or a space in it would add a line of its own (``--index-url``, a package)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (ValueError when out of range: https://x:99999/...)
    except ValueError:
        parts = urlsplit("")
    if (
        text.isascii()
        and text.isprintable()
        and " " not in text
        and parts.scheme.lower() in ("http", "https")
        and parts.netloc
        and parts.path.endswith(".whl")
    ):
        return None
    return f"got {shown(text)}; accepts an http:// or https:// URL of the .whl file, without spaces"


def _limit(environ: dict, name: str, default: int) -> int:
    return _setting(environ, name, default, _positive)


def _setting(environ: dict, name: str, default, parse):
    text = environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        return parse(text)
    except argparse.ArgumentTypeError as error:
        print(f"xlplugin serve: {name}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


class BodyLimit:
    """ASGI middleware: the request guard of ``xlplugin serve``.

    A body larger than ``max_bytes`` is refused with 413: a declared Content-Length over
    the limit before the body is read; a body without one (chunked) as it streams. Below the
    limit the body is read whole and handed on unchanged (the JSON endpoints read it whole
    anyway); past it, nothing more is kept: up to ``drain_bytes`` are read and dropped so
    that the client, still sending, can read the answer, a one-line plain-text message such
    as ``request body: got 325,000,000 bytes; accepts at most 50,000,000 bytes``.

    Each piece of the body must come within ``body_timeout`` seconds, and the whole of it
    within ``body_timeout`` plus a second per :data:`MIN_BODY_RATE` bytes; else 408 and the
    connection is closed. A POST to the custom-functions-call must be the JSON Office.js
    sends (:func:`call_problem`, 400; 415 for another content type), naming a function of
    ``module`` (default :mod:`xlplugin.functions`) in any case; the call, parsed, is handed
    on in the scope. The app sees ``public_url`` (``scheme://host[:port]``), or else the
    address the connection reached, as the request's scheme and Host, whatever the client
    sent. An exception in the app is answered with 500 and one line, not a traceback.
    """

    def __init__(
        self,
        app,
        max_bytes: int = MAX_BODY_BYTES,
        drain_bytes: int = DRAIN_BYTES,
        body_timeout: float = BODY_TIMEOUT,
        public_url: str | None = None,
        module=None,
    ):
        self.app, self.max_bytes, self.drain_bytes = app, max_bytes, drain_bytes
        self.body_timeout, self.module = body_timeout, module
        self.public = None
        if public_url:
            parts = urlsplit(_public_url(public_url))
            self.public = (parts.scheme, parts.netloc.encode("ascii"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self._as_configured(scope)
        loop = asyncio.get_running_loop()
        start, size = loop.time(), 0
        declared = self._declared(scope)

        async def next_piece():
            # Each piece within body_timeout; the whole body within body_timeout plus a
            # second per MIN_BODY_RATE bytes (declared, or received so far).
            left = start + self.body_timeout + max(declared or 0, size) / MIN_BODY_RATE
            return await asyncio.wait_for(receive(), min(self.body_timeout, left - loop.time()))

        try:
            if declared is not None and declared > self.max_bytes:
                if declared <= self.max_bytes + self.drain_bytes:
                    await self._drain(next_piece, self.drain_bytes + self.max_bytes)
                return await self._refuse(send, f"{declared:,}")
            chunks = []
            while True:
                message = await next_piece()
                if message["type"] != "http.request":  # the client went away: an answer
                    # nobody reads, which the layers around the guard still expect
                    return await self._answer(
                        send, 400, "request body: the connection closed before its end"
                    )
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    if message.get("more_body", False):
                        await self._drain(next_piece, self.drain_bytes)
                    return await self._refuse(send, f"more than {self.max_bytes:,}")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        except TimeoutError:
            got = f"{size:,} of {declared:,}" if declared is not None else f"{size:,}"
            return await self._answer(
                send,
                408,
                f"request body: got {got} bytes, then nothing for too long; accepts a body "
                f"sent within {self.body_timeout:g} s (XLPLUGIN_BODY_TIMEOUT)",
                close=True,
            )
        body, given = b"".join(chunks), False
        chunks.clear()

        async def replay():
            nonlocal given
            if given:
                return await receive()  # after the body: a disconnect, when it comes
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        if scope.get("method") == "POST" and SCRIPTS_PATH in scope["path"]:
            return await self._answer(send, 404, "custom scripts: xlplugin serve has none")
        if scope.get("method") == "POST" and scope["path"].endswith(CALL_PATH):
            if not _is_json(kind := self._header(scope, b"content-type")):
                return await self._answer(
                    send, 415, f"content-type: got {_media_type(kind)}; accepts application/json"
                )
            # A compressed body was read as text ("'utf-8' codec can't decode byte 0x8b"),
            # and a plain one labelled gzip taken as it was: say what is accepted.
            coding = self._header(scope, b"content-encoding")
            if coding is not None and coding.strip().lower() not in (b"", b"identity"):
                shown_coding = shown(coding.decode("latin-1"))
                return await self._answer(
                    send,
                    415,
                    f"content-encoding: got {shown_coding}; accepts identity (an "
                    "uncompressed body, as Excel sends)",
                )
            problem, data, renamed = _check_call(body, _served(self.module))
            if problem:
                return await self._answer(send, 400, problem)
            if renamed:  # Excel's spelling to Python's, for whoever reads the body
                body = json.dumps(data).encode()
            scope[PARSED_CALL] = data
        started = False

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, replay, watched)
        except Exception as error:  # a bug: one line for the client, the connection kept
            _log.error("xlplugin serve: %s %s failed: %r", scope["method"], scope["path"], error)
            if not started:
                await self._answer(send, 500, f"server error: {type(error).__name__}")

    def _as_configured(self, scope) -> None:
        """The public scheme and host in place of what the client sent."""
        if self.public is not None:
            scheme, host = self.public
        elif server := scope.get("server"):
            name, port = server
            scheme = scope.get("scheme", "http")
            name = f"[{name}]" if ":" in name else name
            host = (name if port is None else f"{name}:{port}").encode()
        else:
            return
        scope["scheme"] = scheme
        scope["headers"] = [
            *(
                (key, value)
                for key, value in scope.get("headers", ())
                if key not in (b"host", b"x-forwarded-proto", b"x-forwarded-host")
            ),
            (b"host", host),
        ]

    @staticmethod
    def _header(scope, name: bytes) -> bytes | None:
        for key, value in scope.get("headers", ()):
            if key == name:
                return value
        return None

    @classmethod
    def _declared(cls, scope) -> int | None:
        value = cls._header(scope, b"content-length")
        try:
            return None if value is None else int(value)
        except ValueError:
            return None  # the HTTP server itself refuses a malformed length

    @staticmethod
    async def _drain(next_piece, limit: int) -> None:
        drained = 0
        try:
            while drained <= limit:
                message = await next_piece()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                drained += len(message.get("body", b""))
        except TimeoutError:
            return  # the 413 closes the connection anyway

    async def _refuse(self, send, size: str) -> None:
        await self._answer(
            send,
            413,
            f"request body: got {size} bytes; accepts at most "
            f"{self.max_bytes:,} bytes (XLPLUGIN_MAX_BODY_BYTES)",
            close=True,
        )

    @staticmethod
    async def _answer(send, status: int, message: str, close: bool = False) -> None:
        text = (message + "\n").encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(text)).encode()),
        ]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"connection", b"close")] if close else headers,
            }
        )
        await send({"type": "http.response.body", "body": text})


def _is_json(kind: bytes | None) -> bool:
    """No content type (FastAPI reads JSON then), application/json or application/*+json."""
    if kind is None:
        return True
    main = kind.split(b";")[0].strip().lower()
    return main == b"application/json" or (
        main.startswith(b"application/") and main.endswith(b"+json")
    )


# A run of 19 digits, or an exponent of three digits, found in C: every digit made "0", "e"
# and "E" an "e", signs dropped ("e-400" is "e000"), everything else " ".
_DIGITS_AS_ZEROS = bytes(48 if 48 <= i <= 57 else 101 if i in (69, 101) else 32 for i in range(256))
_SIGNS = b"+-"
_LONG_DIGITS = b"0" * 19
_LONG_EXPONENT = b"e000"


def _long_exponent(shape: bytes, looked_at: int = 32) -> bool:
    """Whether ``shape`` holds an exponent of three digits: the first few "e"s (an Excel
    call's keys have a handful) looked at one by one, each found in C; past them, one scan
    of the rest (a scan of the whole for "e000" took 0.6 ms of a 10,000-row call)."""
    i = shape.find(b"e")
    for _ in range(looked_at):
        if i < 0:
            return False
        if shape[i + 1 : i + 4] == b"000":
            return True
        i = shape.find(b"e", i + 1)
    return i >= 0 and _LONG_EXPONENT in shape[i:]


def read_json(body: bytes):
    """A request's JSON, strictly (no NaN or Infinity, no number beyond a float's range;
    ValueError if it is not JSON): by orjson where installed (a 10,000-row call: 8 ms
    against the standard library's 17.5 here), and by the standard library where orjson
    refuses it (its error messages name the problem), where a run of 19 digits may be an
    integer beyond 64 bits (which orjson reads as a float, the standard library as the
    integer it is), and where an exponent of three digits may take a number beyond a
    float's range (both read 1e400 as infinity, and 1e-400 as 0)."""
    if _orjson is not None:
        shape = body.translate(_DIGITS_AS_ZEROS, _SIGNS)
        if _LONG_DIGITS not in shape and not _long_exponent(shape):
            try:
                return _orjson.loads(body)
            except ValueError:
                pass
    # UTF-8 and nothing else, as orjson reads (the standard library would also take UTF-16,
    # UTF-32, a byte-order mark and encoded surrogates): a UnicodeDecodeError is a ValueError
    return json.loads(
        body.decode("utf-8"), parse_constant=_no_constant, parse_float=_float_in_range
    )


def _shortened(text: str, most: int = 120) -> str:
    """``text`` cut at a word boundary to at most ``most`` characters, "..." where cut."""
    if len(text) <= most:
        return text
    return text[: most - 3].rsplit(" ", 1)[0] + "..."


def _float_in_range(text: str) -> float:
    """A JSON number with a fraction or an exponent, as a float; ValueError where the float
    would be infinite, or 0 for a number that is not."""
    value = float(text)
    mantissa = text.lower().partition("e")[0]
    if math.isinf(value) or (value == 0 and mantissa.strip("-0.")):
        shown = text if len(text) <= 30 else f"{text[:27]}..."
        raise ValueError(f"got the number {shown}, beyond the range of a float")
    return value


def _no_constant(name: str):
    raise ValueError(f"got {name}, which JSON does not allow")


_FIELD_CHARS = 64  # the longest version or client text a call may carry ("0.37.8", "Excel")
# A cell as Office.js sends it: a value, null for an empty cell, or an object for an error
# cell or a data type (a formatted number, an entity: the function reads its basicValue).
_CELL_TYPES = frozenset({str, int, float, bool, type(None), dict})
_JSON_NAMES = {dict: "object", list: "list", str: "text", bool: "true/false", type(None): "null"}


def _json_name(value) -> str:
    return _JSON_NAMES.get(type(value), "number")


@functools.lru_cache(maxsize=8)
def _served(module=None) -> dict[str, tuple[str, inspect.Signature, frozenset[str]]]:
    """The functions a call may name: lowercase name -> (Python name, signature, the
    parameters Excel passes as one value rather than a range)."""
    if module is None:
        from xlplugin import functions as module
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, f in inspect.getmembers(module) if hasattr(f, "__xlfunc__")]
    return {n.lower(): _served_function(n, getattr(module, n)) for n in names}


def _served_function(name: str, function) -> tuple[str, inspect.Signature, frozenset[str]]:
    # xlwings Server declares an argument with a list of names (a dropdown) "scalar" in the
    # functions' metadata, and Excel then passes it one value; every other one "matrix", a
    # list of rows, whatever the range (custom_functions_meta in xlwings.pro.udfs_officejs).
    arguments = getattr(function, "__xlfunc__", {}).get("args", [])
    scalar = frozenset(a["name"] for a in arguments if a.get("options", {}).get("enum"))
    return name, inspect.signature(function), scalar


def call_problem(body: bytes, module=None) -> str | None:
    """What is wrong with a custom-functions-call request, in one line; None if nothing.

    Checked before xlwings Server sees it, which would otherwise answer a malformed call
    with a bare 500. JSON has no NaN or Infinity (Python's reader would take them): they are
    refused here, so no such number reaches a function from this face. The function may be
    named in any case, as in Excel; ``module`` holds the functions (default
    :mod:`xlplugin.functions`).
    """
    return _check_call(body, _served(module))[0]


def _check_call(body: bytes, served: dict) -> tuple[str | None, dict | None, bool]:
    """(the problem or None, the call parsed, whether func_name was respelled)."""
    accepts = (
        "accepts a JSON object with func_name (an xlplugin function), args (a list) "
        "and the version and client fields Office.js sends"
    )
    try:
        data = read_json(body)
    except (ValueError, RecursionError) as error:
        reason = (
            _shortened(str(error).splitlines()[0])
            if isinstance(error, ValueError)
            else "nested too deeply"
        )
        return f"request body: not valid JSON ({reason}); {accepts}", None, False
    if not isinstance(data, dict):
        return f"request body: got a JSON {_json_name(data)}; {accepts}", None, False
    name = data.get("func_name")
    # ASCII first: str.lower() makes the Kelvin sign a "k" (Excel names are ASCII)
    if not isinstance(name, str) or not name.isascii() or name.lower() not in served:
        if isinstance(name, str):
            shown = repr(name)[:60]
        else:
            shown = "nothing" if "func_name" not in data else f"a JSON {_json_name(name)}"
        return (
            f"func_name: got {shown}; accepts one of "
            f"{', '.join(n.upper() for n in sorted(served))}",
            None,
            False,
        )
    python_name, signature, scalar = served[name.lower()]
    args = data.get("args")
    if not isinstance(args, list):
        got = "nothing" if "args" not in data else f"a JSON {_json_name(args)}"
        return f"args: got {got}; {accepts}", None, False
    parameters = list(signature.parameters.values())
    required = [p.name for p in parameters if p.default is p.empty]
    if not len(required) <= len(args) <= len(parameters):
        return (
            f"args: got {len(args)} arguments; accepts {_between(len(required), len(parameters))}"
            f" for {name.upper()} (required: {', '.join(required) or 'none'})",
            None,
            False,
        )
    for field in ("version", "client"):
        if not isinstance(data.get(field), str):
            got = "nothing" if field not in data else f"a JSON {_json_name(data[field])}"
            return f"{field}: got {got}; {accepts}", None, False
        if len(data[field]) > _FIELD_CHARS:  # xlwings would repeat it whole in its answer
            return (
                f"{field}: got text of {len(data[field]):,} characters; accepts a "
                f"version or client name of at most {_FIELD_CHARS}",
                None,
                False,
            )
        if not data[field].isascii() or not data[field].isprintable():
            # xlwings repeats it in its version-mismatch answer and log: a line break would
            # split that answer, a lone surrogate fail it with a 500
            return (
                f"{field}: got text with characters other than printable ASCII; accepts a "
                f"version or client name such as {'0.37.8' if field == 'version' else 'Office.js'}",
                None,
                False,
            )
    for field, required_field, kinds in (
        ("runtime", True, (str,)),
        ("culture_info_name", True, (str, type(None))),
        ("date_format", False, (str, type(None))),
        ("caller_address", False, (str, type(None))),
        ("session_id", False, (str, type(None))),
    ):
        if field not in data and required_field:
            return f"{field}: missing; {accepts}", None, False
        if field in data and not isinstance(data[field], kinds):
            kind = "text" if len(kinds) == 1 else "text or null"
            return f"{field}: got a JSON {_json_name(data[field])}; accepts {kind}", None, False
    for parameter, arg in zip(parameters, args, strict=False):
        if arg is None:  # an optional argument left out: Excel passes null
            continue
        check = _cell_problem if parameter.name in scalar else _range_problem
        if problem := check(arg):
            return f"args: {parameter.name}: {problem}", None, False
    renamed = name != python_name
    if renamed:
        data["func_name"] = python_name
    return None, data, renamed


def _cell_problem(arg) -> str | None:
    """An argument Excel passes as one value (a dropdown's): a cell, or a range as any
    other argument (the function takes either)."""
    return None if type(arg) in _CELL_TYPES else _range_problem(arg)


def _range_problem(arg) -> str | None:
    """Office.js sends every other argument as a 2-D list (rows) of cells: text, a number,
    true/false, null, or an object (an error cell, a data type). Ragged or empty ranges are
    for the function to refuse."""
    accepts = "accepts a list of rows, each a list of cells (text, number, true/false, null)"
    if type(arg) is not list:
        return f"got a JSON {_json_name(arg)}; {accepts}"
    # One pass in C over the rows and one over the cells; Python looks only for the culprit.
    if arg and set(map(type, arg)) != {list}:
        r, row = next((r, v) for r, v in enumerate(arg, 1) if type(v) is not list)
        return f"row {r}: got a JSON {_json_name(row)}; {accepts}"
    if not _CELL_TYPES.issuperset(map(type, itertools.chain.from_iterable(arg))):
        for r, row in enumerate(arg, 1):
            for c, cell in enumerate(row, 1):
                if type(cell) not in _CELL_TYPES:
                    return f"row {r}, cell {c}: got a JSON {_json_name(cell)}; {accepts}"
    return None


# A media type as a client names one ("text/plain"): shown back; anything else is not.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]{0,40}/[A-Za-z0-9][\w!#$&^.+-]{0,40}", re.ASCII)


def _media_type(value: bytes) -> str:
    """A request's content type as a 415 names it: its media type if it is one, parameters
    left out; else not repeated."""
    if not value.strip():
        return "none"
    media = value.decode("latin-1").split(";", 1)[0].strip()
    return repr(media) if _MEDIA_TYPE.fullmatch(media) else "a value that is not a media type"


def app(
    max_body_bytes: int | None = None,
    body_timeout: float | None = None,
    public_url: str | None = None,
):
    """xlwings Server's application with :class:`BodyLimit` inside it (call once configured:
    xlwings Server reads its settings when first imported). Unset limits come from
    ``XLPLUGIN_MAX_BODY_BYTES``, ``XLPLUGIN_BODY_TIMEOUT`` and ``XLPLUGIN_PUBLIC_URL``;
    it is the factory of ``uvicorn --factory xlplugin.serve:app``, in each worker."""
    from xlplugin import _memory, _server_hooks

    if max_body_bytes is None:
        max_body_bytes = _limit(os.environ, "XLPLUGIN_MAX_BODY_BYTES", MAX_BODY_BYTES)
    if body_timeout is None:
        body_timeout = _setting(os.environ, "XLPLUGIN_BODY_TIMEOUT", BODY_TIMEOUT, _seconds)
    if public_url is None:
        public_url = _setting(os.environ, "XLPLUGIN_PUBLIC_URL", None, _public_url)
    served = _server_hooks.install(
        BodyLimit,
        max_bytes=max_body_bytes,
        body_timeout=body_timeout,
        public_url=public_url,
        module=_server_hooks.served_module(),
    )
    # What is loaded by now (xlwings Server, pandas, the catalogue: about 100,000 objects)
    # lives as long as the process. Out of the collector's reach, it is not walked again by
    # each full collection, which took 60 ms and came every few large calls (the rows a
    # call parses set them off), holding every connection of the worker.
    gc.freeze()
    # Each large call's arrays and answer reuse the last one's memory, not fault in fresh
    # pages (xlplugin._memory: a 10,000-row SCENARIOS call 24 ms -> 21 ms).
    _memory.keep_freed_memory()
    return served


def project_files(directory: Path) -> Path:
    """Write the xlwings Server project folder (custom functions, no scripts) and return it."""
    for package, text in (
        ("custom_functions", _CUSTOM_FUNCTIONS),
        ("custom_scripts", _CUSTOM_SCRIPTS),
    ):
        (directory / package).mkdir(parents=True, exist_ok=True)
        (directory / package / "__init__.py").write_text(text, encoding="utf-8")
    return directory


def server_environment(project: Path, environ: dict | None = None) -> dict[str, str]:
    """Environment for xlwings Server: our project folder, and defaults a user may override.

    Functions carry no namespace (``=GPU_COUNT``, as in xlwings Lite). Without a licence
    key the noncommercial one is used, which xlwings' licence allows only for
    noncommercial use (a notice says so).
    """
    env = dict(os.environ if environ is None else environ)
    env["XLWINGS_PROJECT_DIR"] = str(project)
    env["XLWINGS_ON_SERVER"] = "true"
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    env.setdefault("XLWINGS_ENVIRONMENT", "prod")
    env.setdefault("XLWINGS_PROJECT_NAME", "xlplugin")
    env.setdefault("XLWINGS_FUNCTIONS_NAMESPACE", "")
    return env


def _serve(args: argparse.Namespace) -> int:
    # Found, not imported: xlwings Server reads its settings when first imported.
    if not all(importlib.util.find_spec(name) for name in ("uvicorn", "xlwings_server")):
        print(
            "xlplugin serve: xlwings Server is not installed; pip install 'xlplugin[server]'",
            file=sys.stderr,
        )
        return 2
    # Before the banner, the re-start and uvicorn: uvicorn finds these only once it has
    # said where it serves, and answers with a traceback or several log lines (status 3).
    if problem := _tls_problem(args.ssl_certfile, args.ssl_keyfile) or _listen_problem(
        args.host, args.port
    ):
        raise ServeError(problem)
    xlwings = sys.modules.get("xlwings")
    main = getattr(sys.modules.get("__main__"), "__spec__", None)
    if (
        "xlwings_server" in sys.modules
        or (xlwings and not getattr(xlwings, "on_server", 0))
        # Each worker process imports the main module first: let it be this light one.
        or (args.workers > 1 and getattr(main, "name", None) != "xlplugin.serve")
    ):
        # Both read their settings once, at import: start afresh, configured.
        os.environ["XLWINGS_ON_SERVER"] = "true"
        os.execv(sys.executable, [sys.executable, "-m", "xlplugin.serve", *_argv(args)])
    # A bad setting in the environment: one line and status 2, not a traceback. Settled
    # here and handed to the workers (and app()) through the environment.
    settled = {
        "XLPLUGIN_MAX_BODY_BYTES": args.max_body_bytes
        or _limit(os.environ, "XLPLUGIN_MAX_BODY_BYTES", MAX_BODY_BYTES),
        "XLPLUGIN_BODY_TIMEOUT": args.body_timeout
        or _setting(os.environ, "XLPLUGIN_BODY_TIMEOUT", BODY_TIMEOUT, _seconds),
        "XLPLUGIN_PUBLIC_URL": args.public_url
        or _setting(os.environ, "XLPLUGIN_PUBLIC_URL", None, _public_url),
    }
    _limit(os.environ, "XLPLUGIN_MAX_CELLS", 1)
    with tempfile.TemporaryDirectory(prefix="xlplugin-server-") as folder:
        env = server_environment(project_files(Path(folder)))
        if "XLWINGS_LICENSE_KEY" not in os.environ:
            print(
                "xlplugin serve: XLWINGS_LICENSE_KEY is not set; using the noncommercial key "
                "(PolyForm Noncommercial 1.0.0). Commercial use needs an xlwings PRO licence.",
                file=sys.stderr,
            )
        os.environ.update(env)
        os.environ.update({k: str(v) for k, v in settled.items() if v is not None})
        if args.max_cells:
            os.environ["XLPLUGIN_MAX_CELLS"] = str(args.max_cells)
        if args.workers > 1:  # socket.io keeps sessions per process; no function streams
            os.environ.setdefault("XLWINGS_ENABLE_SOCKETIO", "false")
        if problem := _xlwings_settings_problem():
            raise ServeError(problem)
        import uvicorn

        scheme = "https" if args.ssl_certfile else "http"
        host = f"[{args.host}]" if ":" in args.host else args.host
        public = settled["XLPLUGIN_PUBLIC_URL"]
        if public is None and args.host not in ("0.0.0.0", "::", ""):
            public = os.environ["XLPLUGIN_PUBLIC_URL"] = f"{scheme}://{host}:{args.port}"
        print(
            f"xlplugin serve: Excel functions on {scheme}://{host}:{args.port} (add-in "
            f"manifest: {public or f'{scheme}://THIS-HOST:{args.port}'}/manifest.xml)",
            file=sys.stderr,
        )
        if args.max_cells:  # in case xlplugin._excel was imported before the variable was set
            from xlplugin import _excel

            _excel.MAX_ARGUMENT_CELLS = _excel.MAX_RESULT_CELLS = args.max_cells
        # uvicorn re-raises SIGTERM/SIGINT once it has stopped: exit through this function,
        # so that the temporary project folder is removed.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _stopped)
        uvicorn.run(
            "xlplugin.serve:app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            # By name: a worker imports it (and xlplugin) once it answers uvicorn's health
            # checks; a class would be imported before.
            http="xlplugin._server_hooks:HeaderDeadline",
            # A worker that does not answer uvicorn's health check in time is killed; it
            # starts answering after importing the main module, slow on a busy machine.
            timeout_worker_healthcheck=30,
            timeout_keep_alive=5,
        )
    return 0


class ServeError(EstimateError):
    """``xlplugin serve`` cannot start as asked (one line, naming the flag)."""


def _xlwings_settings_problem() -> str | None:
    """What in xlwings Server's ``XLWINGS_*`` settings it cannot read (None: nothing).

    It reads them when first imported, which is once uvicorn has started: a list given as
    plain text (``XLWINGS_CORS_ALLOW_ORIGINS=https://a.example``) was a traceback there."""
    try:
        import xlwings_server.config  # noqa: F401 (reads the settings, as each worker does)
    except ValueError as error:  # pydantic's SettingsError and ValidationError are ones
        return _settings_message(error)
    return None


def _settings_message(error: ValueError) -> str:
    """One line for pydantic's refusal of an ``XLWINGS_*`` setting."""
    errors = getattr(error, "errors", None)
    if callable(errors) and errors():  # a ValidationError: a value of the wrong type
        first = errors()[0]
        field = "_".join(str(part) for part in first.get("loc", ())) or "setting"
        accepts = " ".join(str(first.get("msg", "")).split()).removeprefix("Input should be ")
        return (
            f"XLWINGS_{field.upper()}: got {shown(str(first.get('input', '')))}; accepts {accepts}"
        )
    found = re.search(r'field "(\w+)"', str(error))
    name = f"XLWINGS_{found[1].upper()}" if found else "an XLWINGS_ setting"
    got = shown(os.environ.get(name, "")) if found else "a value xlwings Server cannot read"
    return (
        f"{name}: got {got}; accepts JSON, as xlwings Server reads its lists "
        """(e.g. XLWINGS_CORS_ALLOW_ORIGINS='["https://example.com"]')"""
    )


_TLS_ACCEPTS = "a certificate (--ssl-certfile) and its private key (--ssl-keyfile), PEM files"


def _tls_problem(certfile: str | None, keyfile: str | None) -> str | None:
    """What keeps uvicorn from serving HTTPS with these files (None: nothing, or no TLS)."""
    if certfile is None and keyfile is None:
        return None
    given = {"--ssl-certfile": certfile, "--ssl-keyfile": keyfile}
    for flag, path in given.items():
        if path is None:
            other = next(f for f in given if f != flag)
            return (
                f"{other}: got {given[other]!r} without {flag}; accepts {_TLS_ACCEPTS}, "
                "given together (or neither, for HTTP)"
            )
        if problem := _file_problem(path):
            return f"{flag}: got {shown(path)}{problem}; accepts {_TLS_ACCEPTS}"
    return _pair_problem(certfile, keyfile)


def _file_problem(path: str) -> str | None:
    """Why ``path`` cannot be read (``", which ..."``), without reading it: a pipe
    (``<(cat key.pem)``) can be read once, and that once is uvicorn's."""
    if not path.strip():
        return ", an empty value"
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return f": {error.strerror or error}"
    if stat.S_ISDIR(mode):
        return ", a folder"
    if not os.access(path, os.R_OK):
        return ": cannot be read (permission denied)"
    return None


class _Encrypted(Exception):
    """The key asks for a password: uvicorn asks for it on the terminal, as before."""


def _encrypted():
    raise _Encrypted


def _pair_problem(certfile: str, keyfile: str) -> str | None:
    """Whether the two regular files load as uvicorn loads them (a swapped or mismatched
    pair was an SSL error after the banner)."""
    flags = f"--ssl-certfile, --ssl-keyfile: got {shown(certfile)} and {shown(keyfile)}"
    try:
        if not all(stat.S_ISREG(os.stat(path).st_mode) for path in (certfile, keyfile)):
            return None  # a pipe is read once: left to uvicorn
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile, _encrypted)
    except _Encrypted:
        return None
    except ssl.SSLError as error:
        mismatch = error.reason == "KEY_VALUES_MISMATCH"
        why = "the key is not the certificate's" if mismatch else "not read as PEM"
        return (
            f"{flags}, which do not load as a certificate and its key ({why}); "
            f"accepts {_TLS_ACCEPTS}"
        )
    except OSError as error:  # removed or made unreadable since it was looked at
        return f"{flags}, which cannot be read ({error.strerror or error}); accepts {_TLS_ACCEPTS}"
    return None


def _listen_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host`` and ``port`` (None: it can), found by
    binding each address as asyncio's create_server does (every address the host resolves
    to, the port reusable from a closed connection's wait) and closing it again."""
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (OSError, UnicodeError) as error:
        why = getattr(error, "strerror", None) or error
        return f"--host: got {shown(host)} ({why}); accepts an address or name of this machine"
    for family, kind, protocol, _, address in found:
        with socket.socket(family, kind, protocol) as probe:
            if os.name == "posix":  # as asyncio: elsewhere the option lets a port be taken
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio: "::" and "0.0.0.0" can coexist
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                return _bind_problem(host, port, error)
    return None


def _bind_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"--port: got {port}, which is in use on {host or 'every interface'} (another "
            "server listens there); accepts a free port"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host: got {shown(host)}, not an address of this machine; accepts one that is"
    if error.errno == errno.EACCES:  # a port below 1024 without the right to it
        return (
            f"--port: got {port}; cannot listen on it at {shown(host)}: {error.strerror or error}"
        )
    # Anything else is the address's (EINVAL: a link-local IPv6 address without %scope)
    why = error.strerror or error
    return (
        f"--host: got {shown(host)}, which this machine cannot listen on ({why}); "
        "accepts one it can"
    )


def _stopped(signum, frame):
    raise SystemExit(128 + signum)


def _argv(args: argparse.Namespace) -> list[str]:
    argv = ["--host", args.host, "--port", str(args.port)]
    for option in (
        "public_url",
        "ssl_certfile",
        "ssl_keyfile",
        "workers",
        "max_body_bytes",
        "body_timeout",
        "max_cells",
    ):
        if getattr(args, option):
            argv += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    return argv


def _lite(args: argparse.Namespace) -> int:
    if not args.output.strip():
        raise LiteError("--output: got an empty value; accepts a directory to write")
    directory = Path(args.output)
    if directory.exists() and not directory.is_dir():
        raise LiteError(f"--output: got {args.output!r}, a file; accepts a directory to write")
    try:
        written = write_lite(directory, args.url)
    except OSError as error:
        where = error.filename or args.output
        raise LiteError(f"--output: cannot write {where}: {error.strerror or error}") from None
    for path in written:
        print(path)
    wheel = written[-1].name
    host = (
        f"host {wheel} at {args.url} (the browser must be allowed to fetch it: CORS)"
        if args.url
        else f"host {wheel} at a URL the browser may fetch (CORS), run again with --url URL"
    )
    print(
        f"\nNext: {host}, then paste main.py into xlwings Lite's main.py and add the lines "
        "of requirements.txt to its requirements.txt.",
        file=sys.stderr,
    )
    return 0


class LiteError(EstimateError):
    """``xlplugin lite`` cannot do what it was asked (one line, naming the flag)."""


def _wheel_name() -> str:
    return f"xlplugin-{xlplugin.__version__}-py3-none-any.whl"


def write_lite(directory: Path, url: str | None = None) -> list[Path]:
    """Write main.py, requirements.txt and the wheel for xlwings Lite into ``directory``,
    each file whole or not at all (written aside, then renamed into place)."""
    if url is not None and (problem := wheel_url_problem(url)):
        raise ValueError(f"url: {problem}")
    if url is not None and (problem := _wheel_name_problem(url)):
        raise ValueError(f"url: {problem}")
    name = _wheel_name()
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / name
    with atomic.replacing(wheel) as temporary:
        write_wheel(temporary)
    template = resources.files("xlplugin").joinpath("lite")
    line = url or (
        f"# Replace the next line with the HTTPS URL where {name} is hosted.\n"
        f"https://YOUR-HOST/{name}"
    )
    texts = {
        "main.py": template.joinpath("main.py").read_text(encoding="utf-8"),
        "requirements.txt": template.joinpath("requirements.txt")
        .read_text(encoding="utf-8")
        .replace("{wheel}", line),
    }
    for file, text in texts.items():
        with atomic.replacing(directory / file) as temporary:
            Path(temporary).write_text(text, encoding="utf-8")
    return [directory / "main.py", directory / "requirements.txt", wheel]


def write_wheel(target: Path) -> Path:
    """A pure-Python wheel of the installed ``formulas`` and ``xlplugin`` (code and data),
    written to ``target``.

    It requires only numpy and pandas (which Pyodide provides): in xlwings Lite the Excel
    functions need nothing else, and xlwings comes with Lite.
    """
    version = xlplugin.__version__
    dist_info = f"xlplugin-{version}.dist-info"
    files = {}
    from xlplugin import formulas  # here: a server worker need not import it first

    # formulas installs as xlplugin.formulas wherever its folder is (an editable install
    # keeps it beside xlplugin/, not inside it).
    for package in (formulas, xlplugin):
        root = Path(package.__file__).parent
        prefix = package.__name__.replace(".", "/")
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".csv") and "__pycache__" not in path.parts:
                files[f"{prefix}/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: xlplugin\nVersion: {version}\n"
        "Summary: Capacity and cost estimates for generative-AI services, as Excel functions.\n"
        "License: BSD-3-Clause\nRequires-Python: >=3.11\n"
        "Requires-Dist: numpy\nRequires-Dist: pandas\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: xlplugin lite\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{dist_info}/top_level.txt"] = b"xlplugin\n"
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    wheel = Path(target)
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main(argv: list[str] | None = None) -> int:
    """``python -m xlplugin.serve [--host H] [--port P]``: the server alone."""
    parser = argparse.ArgumentParser(prog="xlplugin", allow_abbrev=False)
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.run(args)
    except EstimateError as error:  # checked again after the re-start: one line, as before it
        print(f"xlplugin: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())


def _between(least: int, most: int) -> str:
    """How many arguments a function takes: "2", or "3 to 44"."""
    return str(least) if least == most else f"{least} to {most}"
