"""Where ``xlplugin serve`` reaches past the public APIs of xlwings Server, FastAPI and uvicorn.

Everything that depends on their internals is here, pinned to the versions in :data:`TESTED`;
``tests/test_server_hardening.py`` fails when an installed version differs, or when what
:func:`install` and :class:`HeaderDeadline` rely on has moved. :func:`install`:

- puts the request guard (:class:`xlplugin.serve.BodyLimit`) *inside* xlwings Server's CORS
  and security-header layers (as the innermost user middleware of its FastAPI app), so that
  the guard's own answers carry the same headers as every other;
- replaces the ``POST /xlwings/custom-functions-call`` route by one that calls xlwings
  Server's own endpoint function (same dependencies: user, Redis client) on the call the
  guard has parsed, and answers its dict encoded once, by orjson when installed, instead of
  FastAPI's generic ``jsonable_encoder`` and ``json.dumps`` (for a 190,000-cell SCENARIOS
  result: about 13 ms instead of 360; about 170 ms without orjson), a pre-encoded result
  sent in the pieces it was made in (:class:`PiecesResponse`). NaN or infinity, which
  the Excel functions never return, would become ``null`` with orjson. A result the encoder
  cannot take goes FastAPI's way, unchanged;
- answers a request FastAPI finds invalid (422) without repeating the request's input;
- gives the answers that xlwings Server's security-header layer does not see (the CORS
  preflights, which its CORS layer answers itself; socket.io) the same security headers.

:class:`HeaderDeadline` is uvicorn's HTTP protocol with the limits it lacks: uvicorn closes
an idle keep-alive connection, but waits forever for the headers of a request (a connection
that sends nothing, or half a request line) and for a client to read its answer, takes
headers of any size, and answers what is not HTTP without the security headers (or the
CORS headers a page on an allowed origin needs to read the answer).
"""

import functools
import inspect
import json
import logging
import os
import re
from importlib import metadata

from starlette.responses import Response
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from xlplugin._excel import PRE_ENCODED, PreEncoded
from xlplugin.formulas.units import UNKNOWN_CULTURE, is_culture_name, reading_culture
from xlplugin.serve import BODY_TIMEOUT, PARSED_CALL, read_json

try:  # optional: the server extra recommends it
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is missing
    orjson = None

__all__ = [
    "PARSED_CALL",
    "TESTED",
    "HeaderDeadline",
    "PiecesResponse",
    "encode",
    "install",
    "pieces",
    "served_module",
    "versions",
]

_log = logging.getLogger("xlplugin.serve")

TESTED = {
    "xlwings": "0.37.8",
    "xlwings-server": "1.20.0",
    "fastapi": "0.165.0",
    "starlette": "1.10.0",
    "uvicorn": "0.54.0",
}
CALL_PARAMETERS = ("current_user", "redis_client", "data")  # of xlwings Server's endpoint
BODY_TIMEOUT_ENV = "XLPLUGIN_BODY_TIMEOUT"


def versions() -> dict[str, str | None]:
    """The installed versions of the packages in :data:`TESTED`."""
    found = {}
    for name in TESTED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def encode(content) -> bytes | None:
    """``content`` as compact UTF-8 JSON, or None if the fast encoder cannot take it. A
    result the function encoded itself (:class:`xlplugin._excel.PreEncoded`) goes in as it is."""
    found = pieces(content)
    return None if found is None else b"".join(found)


def pieces(content) -> tuple[bytes | memoryview, ...] | None:
    """:func:`encode`'s JSON in the pieces it was made in, not joined: a 4 MB SCENARIOS
    answer is sent from where orjson wrote it, not copied into one more buffer first."""
    if type(content) is dict and content.keys() == {"result"}:
        result = content["result"]
        if isinstance(result, PreEncoded):
            *head, rows = result.parts  # the rows last: the one large piece
            return (b"".join((b'{"result":', *head)), rows, b"}")
    try:
        if orjson is not None:
            return (orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),)
        # ASCII (other text as \u escapes): the faster path of the standard library
        return (json.dumps(content, allow_nan=False, separators=(",", ":")).encode(),)
    except (TypeError, ValueError):
        return None


class PiecesResponse(Response):
    """A JSON answer sent in pieces (bytes or memoryviews), each as an ASGI body message."""

    media_type = "application/json"

    def __init__(self, parts: tuple[bytes | memoryview, ...]) -> None:
        super().__init__()
        self.parts = parts
        self.headers["content-length"] = str(sum(map(len, parts)))

    async def __call__(self, scope, receive, send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        *first, last = self.parts
        for part in first:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": last})


def install(guard, **options):
    """xlwings Server's ASGI application with ``guard(app, **options)`` inside its CORS and
    security-header layers and the custom-functions-call route answering pre-encoded JSON.

    Call once, before the first request (xlwings Server builds its middleware when it
    serves the first one). Where xlwings Server is not as expected, the guard wraps the whole
    application instead (its answers then lack the CORS and security headers), with a warning.
    """
    from xlwings_server import main

    if (found := versions()) != TESTED:
        _log.warning(
            "xlplugin serve: tested with %s; installed: %s. Check tests/test_server_hardening.py.",
            TESTED,
            found,
        )
    fastapi_app = main.app
    try:
        _fast_call_route()
        _inner_guard(fastapi_app, guard, options)
        _quiet_validation_errors(fastapi_app)
    except (AttributeError, LookupError, RuntimeError, TypeError, ValueError) as error:
        _log.warning("xlplugin serve: the request guard wraps xlwings Server (%s)", error)
        return guard(main.main_app, **options)
    return _with_security_headers(_requested_headers_checked(main.main_app))


@functools.cache
def security_headers() -> tuple[tuple[bytes, bytes], ...]:
    """xlwings Server's security headers as its settings give them (none where they are off),
    lowercase names: what main.add_security_headers adds to the answers that pass it."""
    from xlwings_server.config import settings
    from xlwings_server.security_headers import resolve_security_headers

    if not settings.add_security_headers:
        return ()
    found = resolve_security_headers(
        excel_online=settings.enable_excel_online, cdn_officejs=settings.cdn_officejs
    )
    found |= settings.custom_headers
    return tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in found.items())


# An Origin header in headers the parser never reached (beyond the limit in one read).
_ORIGIN_LINE = re.compile(rb"\r\norigin[ \t]*:[ \t]*([^\r\n]*?)[ \t]*\r\n", re.IGNORECASE)


@functools.cache
def _cors_origins() -> tuple[frozenset, bool]:
    """The origins xlwings Server's CORS layer allows (its settings), and whether all."""
    from xlwings_server.config import settings

    origins = list(settings.cors_allow_origins or ())
    return frozenset(o.encode("latin-1") for o in origins if o != "*"), "*" in origins


def cors_headers(origin: bytes | None) -> tuple[tuple[bytes, bytes], ...]:
    """The CORS headers xlwings Server's CORS layer (Starlette's, allow_credentials off)
    puts on an answer to a request from ``origin``: an answer of uvicorn's own (a
    request it cannot parse, headers beyond the limit) had none, so that a browser showed
    a CORS failure instead of the message."""
    allowed, every = _cors_origins()
    if origin is None:  # (as that layer: a request without one passes it untouched)
        return ()
    if every:
        return ((b"access-control-allow-origin", b"*"),)
    if origin in allowed:
        return (b"access-control-allow-origin", origin), (b"vary", b"Origin")
    return ()


# What a browser asks a preflight to allow: a list of header names (tokens, RFC 9110).
_HEADER_NAMES = re.compile(
    rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*"
)
_MOST_REQUESTED = 2_000  # bytes: a few dozen names, more than any client asks for


def _requested_headers_checked(app):
    """``app`` with a preflight's Access-Control-Request-Headers left out unless it is a
    list of header names of at most 2 kB: xlwings Server's CORS layer (``allow_headers``
    "*") answers with it as it came, whatever it holds, for any origin."""

    async def checked(scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "OPTIONS":
            headers = scope.get("headers", ())
            kept = [(k, v) for k, v in headers if k != _REQUESTED or _header_names(v)]
            if len(kept) != len(headers):
                scope = {**scope, "headers": kept}
        return await app(scope, receive, send)

    checked.__wrapped__ = app
    return checked


_REQUESTED = b"access-control-request-headers"


def _header_names(value: bytes) -> bool:
    return len(value) <= _MOST_REQUESTED and _HEADER_NAMES.fullmatch(value.strip()) is not None


def _with_security_headers(app):
    """``app`` with xlwings Server's security headers added to every answer that lacks them:
    its CORS layer answers a preflight itself, before the layer that adds them to the rest,
    and its socket.io endpoint is served outside the FastAPI application."""
    added = security_headers()
    if not added:
        return app

    async def with_security_headers(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in added if h[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        return await app(scope, receive, with_headers)

    with_security_headers.__wrapped__ = app
    return with_security_headers


def served_module():
    """The module whose functions xlwings Server serves (its project's ``custom_functions``)."""
    from xlwings_server.routers import xlwings as xlwings_routes

    return xlwings_routes.custom_functions


def _inner_guard(fastapi_app, guard, options) -> None:
    from starlette.middleware import Middleware

    if fastapi_app.middleware_stack is not None:
        raise RuntimeError("xlwings Server has already served a request")
    # add_middleware() would put it outermost, outside the security headers; innermost is
    # the end of the list. A second install replaces the first.
    stack = [m for m in fastapi_app.user_middleware if m.cls is not guard]
    fastapi_app.user_middleware[:] = [*stack, Middleware(guard, **options)]


def _fast_call_route() -> None:
    from fastapi import HTTPException, Request
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse, Response
    from fastapi.routing import APIRoute
    from xlwings_server import dependencies as dep
    from xlwings_server.routers import xlwings as xlwings_routes

    # FastAPI 0.165 keeps an included router by reference: the route is replaced in xlwings
    # Server's own router (add_api_route tells the app that its routes changed).
    router = xlwings_routes.router
    path = router.prefix + "/custom-functions-call"
    [route] = [
        r
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and "POST" in r.methods
    ]
    original = route.endpoint
    if getattr(original, "__wrapped_by_xlplugin__", False):
        return
    if original is not xlwings_routes.custom_functions_call:
        raise LookupError(f"{path} is not xlwings Server's custom_functions_call")
    if tuple(inspect.signature(original).parameters) != CALL_PARAMETERS:
        raise TypeError(f"{path}'s endpoint takes {tuple(inspect.signature(original).parameters)}")

    # (No "from __future__ import annotations" in this module: FastAPI reads these.)
    async def custom_functions_call(
        request: Request, current_user: dep.User, redis_client: dep.RedisClient
    ):
        data = request.scope.pop(PARSED_CALL, None)
        if data is None:  # not through the guard (it hands on what it parsed)
            try:
                data = read_json(await request.body())
            except ValueError:
                raise HTTPException(400, "request body: not valid JSON") from None
            if not isinstance(data, dict):
                raise HTTPException(400, "request body: accepts a JSON object")
        # The functions may hand back their result encoded (PreEncoded) while this runs:
        # orjson writes the numbers of an array at once.
        # Text numbers are read in the caller's culture: in de-DE, "1,500" is refused as
        # ambiguous rather than read as 1500.
        token = PRE_ENCODED.set(orjson is not None)
        try:
            with reading_culture(_culture(data.get("culture_info_name"))):
                answer = await original(
                    current_user=current_user, redis_client=redis_client, data=data
                )
        finally:
            PRE_ENCODED.reset(token)
        content = pieces(answer)
        if content is None:  # what FastAPI does with a dict
            return JSONResponse(jsonable_encoder(answer))
        if len(content) == 1:
            return Response(content[0], media_type="application/json")
        return PiecesResponse(content)

    custom_functions_call.__wrapped_by_xlplugin__ = True
    router.routes.remove(route)
    router.add_api_route(
        "/custom-functions-call",
        custom_functions_call,
        methods=["POST"],
        name=route.name,
        dependencies=[d for d in route.dependencies if d not in router.dependencies],
    )


def _quiet_validation_errors(fastapi_app) -> None:
    """FastAPI's 422 answer echoes the request body back; this one names the problem only."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import PlainTextResponse

    async def refuse(request, error: RequestValidationError):
        first = (error.errors() or [{}])[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "request"
        message = " ".join(str(first.get("msg", "not valid")).split())[:200]
        return PlainTextResponse(f"{where}: {message}\n", status_code=422)

    fastapi_app.add_exception_handler(RequestValidationError, refuse)


def header_timeout() -> float:
    """Seconds a connection may take to send a request's headers (XLPLUGIN_BODY_TIMEOUT)."""
    try:
        value = float(os.environ.get(BODY_TIMEOUT_ENV, "") or BODY_TIMEOUT)
    except ValueError:
        value = BODY_TIMEOUT
    return value if value > 0 else BODY_TIMEOUT


# The most a request's headers may take (Excel's are under 2 kB; nginx allows 32 kB):
# beyond, 431 and the connection closed. uvicorn's httptools parser has no limit of its
# own (its h11 parser has: 16 kB).
MAX_HEADER_BYTES = 65_536


class _HeadersTooLarge(Exception):
    """Raised from the parser's callback: httptools stops there."""


class _NotInvalid(logging.Filter):
    """uvicorn logs "Invalid HTTP request received." for any stop of its parser, ours at the
    header limit included: that request was HTTP, too large, and is logged as such."""

    pending = False  # set just before the parser is stopped at the limit (one event loop)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pending and record.msg == "Invalid HTTP request received.":
            self.pending = False
            return False
        return True


_NOT_INVALID = _NotInvalid()


class HeaderDeadline(AutoHTTPProtocol):
    """uvicorn's HTTP protocol (httptools or h11) with the limits it lacks:

    - a connection whose next request's headers have not all arrived within
      :func:`header_timeout` seconds (after it opens, and after each answer) is closed;
    - a request whose headers exceed :data:`MAX_HEADER_BYTES` gets 431 and is closed;
    - a client that reads nothing of its answer for :func:`header_timeout` seconds, while
      the answer waits to be sent, is cut off (its answer would stay in memory);
    - the answers uvicorn gives itself, to what is not HTTP, carry the security headers.

    Pass it by name: ``uvicorn.run(..., http="xlplugin._server_hooks:HeaderDeadline")``."""

    _deadline = None
    _stalled = None  # the deadline of an answer its client does not read
    _idle = True  # the parser is between requests: the next byte begins one
    _in_headers = False  # between the parser's start of a request and the end of its headers
    _streamed = 0  # bytes of the request's headers as they arrived, whitespace and all
    _tail = b""  # the last bytes of unfinished headers: their blank line may span two reads
    _counted_start = False  # while a read that begins a request (counted) is parsed
    _parsed = 0  # bytes of the request line and headers the parser has read
    _cycles: tuple | list = ()  # each connection its own list (connection_made)
    _refusal = None  # an answer of ours that waits for the requests before it (pipelined)
    _origin = None  # the Origin header of the request being parsed, once read

    def connection_made(self, transport) -> None:
        if _NOT_INVALID not in self.logger.filters:  # once uvicorn's logging is set up
            self.logger.addFilter(_NOT_INVALID)
        super().connection_made(transport)
        self._cycles = []  # requests begun and not yet answered, pipelined ones included
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:  # the connection ends with that answer: nothing more
            return
        # Two counts, each at most the headers' true size. Before parsing, a read that
        # begins a request or continues its headers, up to the blank line that ends them
        # (a body in the same read is not counted; a header sent slowly, or padded with
        # whitespace the parser drops, is). While parsing, what the parser reads of the
        # request line and headers: a request that begins inside a read, after another.
        starts = self._idle and not self._in_headers
        if starts or self._in_headers:
            if starts:
                self._streamed, self._tail, self._origin = 0, b"", None
            end = self._headers_end(data)
            self._streamed += len(data) if end < 0 else end
            if self._streamed > MAX_HEADER_BYTES:
                self._in_headers = self._idle = False
                if found := _ORIGIN_LINE.search(data, 0, MAX_HEADER_BYTES):  # unparsed yet
                    self._origin = found[1]
                return self._too_large()
            self._tail = (self._tail + data[-3:])[-3:] if end < 0 else b""
        self._counted_start = starts
        try:
            super().data_received(data)
        finally:
            self._counted_start = False

    def _headers_end(self, data: bytes) -> int:
        """How many bytes of ``data`` reach the end of the headers (-1: not there yet)."""
        if self._tail:
            joint = (self._tail + data[:3]).find(b"\r\n\r\n")
            if joint >= 0:
                return joint + 4 - len(self._tail)
        found = data.find(b"\r\n\r\n")
        return found + 4 if found >= 0 else -1

    # httptools calls these as it parses (h11 has a limit of its own: 16 kB)
    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._counted_start:  # begun inside a read, after another request: its
            self._streamed, self._tail = 0, b""  # later reads are counted from here
        self._counted_start = False
        self._idle, self._in_headers, self._parsed = False, True, 0
        self._origin = None

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._idle = True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if name.lower() == b"origin":  # for the CORS headers of an answer of our own
            self._origin = value
        self._count(len(name) + len(value) + 4)  # ": " and the line break

    def _count(self, size: int) -> None:
        self._parsed += size
        if self._parsed > MAX_HEADER_BYTES:
            _NOT_INVALID.pending = True
            raise _HeadersTooLarge  # stops the parser: send_400_response answers 431

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()
        if self.cycle is not None:
            self._cycles.append(self.cycle)

    def on_response_complete(self) -> None:
        self._cycles = [c for c in self._cycles if not c.response_complete]
        if self._refusal is not None and not self._cycles:  # the requests before it answered
            return self._close_with(self._refusal)
        super().on_response_complete()
        self._arm()

    def send_400_response(self, msg: str) -> None:
        if self._parsed > MAX_HEADER_BYTES:  # the parser stopped at the limit
            return self._too_large()
        self._answer(b"400 Bad Request", msg)

    def _too_large(self) -> None:
        _NOT_INVALID.pending = False  # (uvicorn's line, if any, has been dropped by now)
        _log.warning("Request headers beyond %s bytes: answered 431.", f"{MAX_HEADER_BYTES:,}")
        self._answer(
            b"431 Request Header Fields Too Large",
            f"request headers: more than {MAX_HEADER_BYTES:,} bytes; "
            f"accepts at most {MAX_HEADER_BYTES:,}",
        )

    def _answer(self, status: bytes, message: str) -> None:
        """An answer of uvicorn's own, before any application: one line of text, the
        security headers, the connection closed."""
        body = message.encode("ascii", "replace") + b"\n"
        lines = [b"HTTP/1.1 " + status]
        headers = (
            *self.server_state.default_headers,
            *security_headers(),
            *cors_headers(self._origin),
        )
        lines += [name + b": " + value for name, value in headers]
        lines += [
            b"content-type: text/plain; charset=utf-8",
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        answer = b"\r\n".join(lines) + b"\r\n\r\n" + body
        if any(not cycle.response_complete for cycle in self._cycles):
            # Requests pipelined before the refused one are still being answered: theirs
            # go first, in order, then this one (uvicorn closed at once: their answers lost).
            self._refusal = answer
            self.transport.pause_reading()
            return
        self._close_with(answer)

    def _close_with(self, answer: bytes) -> None:
        self._refusal = None
        self.transport.write(answer)
        self.transport.close()

    def pause_writing(self) -> None:  # the client's side of the connection is full
        super().pause_writing()
        if self._stalled is None:
            self._stalled = self.loop.call_later(header_timeout(), self._cut_off)

    def resume_writing(self) -> None:  # the client reads again
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None
        super().resume_writing()

    def _cut_off(self) -> None:
        self._stalled = None
        if not self.transport.is_closing():
            self.transport.abort()  # close() would wait for the answer to be read

    def connection_lost(self, exc) -> None:
        for timer in (self._deadline, self._stalled):
            if timer is not None:
                timer.cancel()
        self._deadline = self._stalled = None
        # uvicorn tells only the request parsed last that its client is gone: with requests
        # pipelined, the one being answered went on writing to the closed connection (a
        # RuntimeError and a traceback in the log for each client cut off so).
        for cycle in self._cycles:
            cycle.disconnected = True
        self._cycles = []
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(header_timeout(), self._expire, self.cycle)

    def _expire(self, cycle) -> None:
        # No request has begun since (the same cycle), and that one is answered: idle, or
        # stuck in the headers of the next request. Closed without an answer: an idle
        # keep-alive connection must not read a 408 as the answer to its next request.
        self._deadline = None
        if self.transport.get_protocol() is not self:
            return  # upgraded to a WebSocket, which is not ours to time
        if self.cycle is cycle and (cycle is None or cycle.response_complete):
            self.transport.close()


def _culture(name: object) -> str:
    """The call's culture as Office.js names it; a call without one (not from Excel), or
    with text that names none, reads text as where the culture is not known."""
    return name if is_culture_name(name) else UNKNOWN_CULTURE
