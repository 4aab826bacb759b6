"""The real client in a real browser: xlwings Server's own custom-functions JavaScript, as
``xlplugin serve`` serves it, run in headless Chromium (Debian's ``chromium``, driven by
Playwright's Python client).

The page is the task pane the add-in loads, so that xlwings Server's own modules set up what
the custom-functions script reads (its configuration, its HTTP helper, the culture).
Office.js is the one thing replaced: a stub, served in place of office.js, provides
``Office`` and ``CustomFunctions`` as Excel's runtime does, records the functions the script
associates, and implements ``CustomFunctions.Error`` as a plain class, so that what a call
throws is what Excel would show. A second page, on an origin of its own, calls the server
with ``fetch`` as an Office Script does, so that Chromium's own CORS preflight runs.

Outside CI the test skips when Chromium or Playwright is missing; in CI (CI=true) it runs.
"""

import contextlib
import http.server
import importlib.util
import json
import os
import shutil
import threading
import types

import numpy as np
import pandas as pd
import pytest
from serving import _free_port, office_js_request, running_server
from xlplugin.formulas.vocabulary import OUTPUTS

from xlplugin import formulas

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright downloads no browser here
HAVE_BROWSER = (
    bool(shutil.which(CHROMIUM))
    and importlib.util.find_spec("playwright") is not None
    and all(importlib.util.find_spec(m) for m in ("xlwings_server", "uvicorn", "httpx"))
)
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not HAVE_BROWSER and os.environ.get("CI") != "true",
        reason="needs Debian's chromium (apt-get install chromium) and playwright; CI has both",
    ),
]
# The network here is closed: nothing that would reach out at start-up.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
NAMES = [q.name for q in OUTPUTS]
CALL = "/xlwings/custom-functions-call"

# Office.js as Excel's shared runtime provides it, as far as the task pane's modules and the
# custom-functions script touch it. CustomFunctions.ErrorCode holds the texts Office.js
# gives its codes; CustomFunctions.Error keeps the code and message it is made with.
OFFICE_STUB = r"""
(() => {
  const sets = { CustomFunctionsRuntime: "1.4", ExcelApi: "1.12", SharedRuntime: "1.1" };
  const atLeast = (have, want) => {
    const [a, b] = [have, want || "1.1"].map((v) => v.split(".").map(Number));
    return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
  };
  const info = { host: "Excel", platform: "OfficeOnline" };
  const noop = () => {};
  globalThis.Office = {
    HostType: { Excel: "Excel" },
    PlatformType: { OfficeOnline: "OfficeOnline", PC: "PC", Mac: "Mac" },
    StartupBehavior: { load: "Load", none: "None" },
    EventType: {
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
    },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    context: {
      platform: "OfficeOnline",
      displayLanguage: "en-US",
      diagnostics: { version: "16.0.0.0", platform: "OfficeOnline" },
      requirements: {
        isSetSupported: (name, version) => name in sets && atLeast(sets[name], version),
      },
      ui: { displayDialogAsync: noop, messageParent: noop },
    },
    onReady(callback) {
      const ready = Promise.resolve(info);
      if (callback) ready.then(callback);
      return ready;
    },
    actions: { associate: noop },
    addin: { setStartupBehavior: async () => {}, showAsTaskpane: async () => {} },
    auth: { getAccessToken: async () => { throw new Error("no single sign-on here"); } },
  };

  class RequestContext {
    constructor() {
      const loadable = (fields) => Object.assign({ load: noop }, fields);
      this.workbook = loadable({
        name: "Book1.xlsx",
        worksheets: { onCalculated: { add: noop } },
      });
      this.application = loadable({
        cultureInfo: loadable({
          name: globalThis.__culture || "en-US",  // what Excel's settings say
          datetimeFormat: loadable({ shortDatePattern: "M/d/yyyy" }),
        }),
      });
    }
    async sync() {}
  }
  globalThis.Excel = {
    RequestContext,
    run: async (batch) => batch(new RequestContext()),
  };

  class CustomFunctionsError {
    constructor(code, message) {
      this.code = code;
      this.message = message;
    }
  }
  globalThis.__associated = Object.create(null);
  globalThis.CustomFunctions = {
    Error: CustomFunctionsError,
    ErrorCode: {
      invalidValue: "#VALUE!",
      notAvailable: "#N/A",
      divisionByZero: "#DIV/0!",
      invalidNumber: "#NUM!",
      nullReference: "#NULL!",
      invalidName: "#NAME?",
      invalidReference: "#REF!",
    },
    associate(id, fn) {
      globalThis.__associated[id.toUpperCase()] = fn;
    },
  };

  // An associated function called as Excel calls it: the arguments, then an invocation.
  // Resolves to what the cell would show: cells, or the error thrown.
  globalThis.__excelCall = async (id, args) => {
    const invocation = { address: "Sheet1!A1", setResult: noop };
    try {
      return { cells: await globalThis.__associated[id](...args, invocation) };
    } catch (error) {
      return {
        thrown: {
          isCustomFunctionsError: error instanceof CustomFunctions.Error,
          code: error.code ?? null,
          message: error.message ?? String(error),
        },
      };
    }
  };
})();
"""

READY = """() =>
    globalThis.__associated && globalThis.__associated.GPU_COUNT
    && globalThis.__associated.SCENARIOS && globalThis.config && globalThis.xwRequest
    && globalThis.xlwings && typeof globalThis.xlwings.getCultureInfoName === "function"
"""


@contextlib.contextmanager
def _page_server(html: str):
    """A tiny HTTP server on 127.0.0.1 and a port of its own (so an origin of its own) that
    serves ``html`` at /; yields its origin."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = html.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def origins():
    """Two pages on origins other than the server's: the first allowed, the second not."""
    with (
        _page_server("<!doctype html><title>allowed</title>") as allowed,
        _page_server("<!doctype html><title>other</title>") as other,
    ):
        yield allowed, other


@pytest.fixture(scope="module")
def server(tmp_path_factory, origins):
    allowed, _ = origins
    environment = {"XLWINGS_CORS_ALLOW_ORIGINS": json.dumps([allowed])}
    with running_server(tmp_path_factory.mktemp("browser"), environment) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def meta(server):
    import httpx

    return httpx.get(f"{server.url}/xlwings/custom-functions-meta", timeout=30).json()


@pytest.fixture(scope="module")
def taskpane(browser, server):
    """The task pane as the add-in loads it, office.js replaced by the stub; what it sent
    to the custom-functions-call endpoint and the answers' statuses, in order."""
    yield from _taskpane(browser, server, "en-US")


@pytest.fixture(scope="module")
def taskpane_de(browser, server):
    """The same task pane in an Excel set to German (de-DE)."""
    yield from _taskpane(browser, server, "de-DE")


def _taskpane(browser, server, culture: str):
    context = browser.new_context()
    context.add_init_script(f"globalThis.__culture = {json.dumps(culture)};")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    served, refused, calls, errors = [], [], [], []

    def route(route):
        url = route.request.url
        if url.split("?")[0].endswith(("/office.js", "/custom-functions-runtime.js")):
            served.append(url)
            return route.fulfill(status=200, content_type="text/javascript", body=OFFICE_STUB)
        if not url.startswith(server.url):
            refused.append(url)
            return route.abort()
        return route.continue_()

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            calls.append((response.request.method, response.status))
            if response.url.endswith(CALL)
            else None
        ),
    )
    page.goto(f"{server.url}/taskpane.html", wait_until="load")
    page.wait_for_function(READY)
    assert served, "the page did not load office.js"
    assert not refused, refused  # everything the task pane needs, the server serves
    yield types.SimpleNamespace(page=page, calls=calls, errors=errors)
    context.close()


def _excel_args(meta, name: str, values: list) -> list:
    """Arguments as Excel passes them to a custom function: one per declared parameter,
    null for an omitted optional one, a 2-D array for a parameter declared as a matrix and
    the value itself for a scalar one (a dropdown)."""
    [function] = [f for f in meta["functions"] if f["id"] == name]
    parameters = function["parameters"]
    args = []
    for value, parameter in zip([*values, *[None] * len(parameters)], parameters, strict=False):
        matrix = parameter.get("dimensionality", "scalar") == "matrix"
        wrap = matrix and value is not None and not isinstance(value, list)
        args.append([[value]] if wrap else value)
    return args


def _excel_call(pane, meta, name: str, *values):
    """What the cell would show, and the calls the script made for it (method, status)."""
    before = len(pane.calls)
    answer = pane.page.evaluate(
        "([id, args]) => globalThis.__excelCall(id, args)",
        [name, _excel_args(meta, name, list(values))],
    )
    return answer, pane.calls[before:]


def test_gpu_count_through_the_add_ins_script(taskpane, meta):
    for values in (
        (1e8, 10, 8.1e9, "A100"),
        (2.5e7, 4, "70B", "H100"),
        ("100M", "10", "8.1B", "H200"),
    ):
        answer, calls = _excel_call(taskpane, meta, "GPU_COUNT", *values)
        assert calls == [("POST", 200)], (calls, answer)
        expected = formulas.gpu_count(*values)
        assert answer == {"cells": [[pytest.approx(expected, rel=1e-9, abs=0)]]}
        assert answer["cells"][0][0] == int(expected)  # a whole number of GPUs
    # A column against a row spills a table, broadcast as formulas broadcasts.
    daus, gpus = [[1e7], [1e8], [1e9]], [["A100", "H100", "L4"]]
    answer, _ = _excel_call(taskpane, meta, "GPU_COUNT", daus, 10, 8.1e9, gpus)
    expected = formulas.gpu_count(np.array(daus), 10, 8.1e9, np.array(gpus, dtype=object))
    assert np.allclose(answer["cells"], expected, rtol=1e-9, atol=0)
    assert taskpane.errors == []


def test_scenarios_through_the_add_ins_script(taskpane, meta):
    table = [
        ["dau", "requests_per_user", "gpu", "params"],
        [1e8, 10, "A100", "8.1B"],
        [2e8, 5, "H100", 70e9],
        [5e7, 20, "L4", None],
    ]
    answer, calls = _excel_call(taskpane, meta, "SCENARIOS", table)
    assert calls == [("POST", 200)], calls
    header, *rows = answer["cells"]
    assert header == NAMES
    frame = pd.DataFrame(table[1:], columns=table[0]).replace({None: np.nan})
    expected = formulas.estimate_table(frame)[NAMES].to_numpy(dtype=float)
    assert np.allclose(np.array(rows, dtype=float), expected, rtol=1e-9, atol=0)
    # A bad row: its cells hold the message as text; the other rows are computed.
    bad = [table[0], table[1], [-5, 10, "A100", "8.1B"], table[2]]
    answer, calls = _excel_call(taskpane, meta, "SCENARIOS", bad)
    assert calls == [("POST", 200)], calls
    _, first, refused, last = answer["cells"]
    assert refused == [f"#VALUE! {_message(formulas.estimate, dau=-5)}"] * len(NAMES)
    assert np.allclose([first, last], expected[:2], rtol=1e-9, atol=0)


def _message(function, *args, **kwargs) -> str:
    """The one-line message formulas raises for these inputs."""
    with pytest.raises(formulas.EstimateError) as raised:
        function(*args, **kwargs)
    return str(raised.value)


def test_a_bad_single_cell_call_is_a_real_value_error(taskpane, meta):
    for values, message in (
        (("abc", 10, 8.1e9), _message(formulas.gpu_count, "abc", 10, 8.1e9)),
        ((-5, 10, 8.1e9), _message(formulas.gpu_count, -5, 10, 8.1e9)),
        ((1e8, 10, 8.1e9, "H900"), _message(formulas.gpu_count, 1e8, 10, 8.1e9, "H900")),
    ):
        answer, calls = _excel_call(taskpane, meta, "GPU_COUNT", *values)
        # CustomFunctions.Error(invalidValue, our line): Excel's #VALUE!, the line on its flag
        assert answer == {
            "thrown": {"isCustomFunctionsError": True, "code": "#VALUE!", "message": message}
        }, answer
        assert "\n" not in message and not message.startswith("#VALUE!")
        # 400: one request, which the script does not retry (it retries 5xx)
        assert calls == [("POST", 400)], calls
    # A bad cell inside a spilled range is that cell's text; the rest compute.
    answer, _ = _excel_call(taskpane, meta, "GPU_COUNT", [[1e8], ["abc"]], 10, 8.1e9)
    assert answer["cells"] == [
        [int(formulas.gpu_count(1e8, 10, 8.1e9))],
        [f"#VALUE! {_message(formulas.gpu_count, 'abc', 10, 8.1e9)}"],
    ]


def test_text_numbers_are_read_in_excels_culture(taskpane_de, meta):
    # The add-in's script sends the culture Office.js reports; in German "1,500" is 1.5
    # and "1.500" is 1500, so either text is a #VALUE! naming both readings.
    for text in ("1,500", "1.500"):
        with formulas.units.reading_culture("de-DE"):
            message = _message(formulas.gpu_count, text, 10, 8.1e9)
        assert message.endswith(f"(in de-DE, {text!r} could be 1500 or 1.5: write one of those)")
        answer, calls = _excel_call(taskpane_de, meta, "GPU_COUNT", text, 10, "8.1B")
        assert answer == {
            "thrown": {"isCustomFunctionsError": True, "code": "#VALUE!", "message": message}
        }, answer
        assert calls == [("POST", 400)], calls
    for value, dau in ((1500.0, 1500), ("1,500,000", 1.5e6), ("1.5K", 1500)):  # one reading
        answer, _ = _excel_call(taskpane_de, meta, "GPU_COUNT", value, 10, "8.1B")
        assert answer == {"cells": [[int(formulas.gpu_count(dau, 10, 8.1e9))]]}, (value, answer)
    assert taskpane_de.errors == []


OFFICE_SCRIPT_FETCH = """async ([url, request]) => {
    // As an Office Script calls a server: fetch with a JSON body, which is not a "simple"
    // request, so the browser sends a CORS preflight (OPTIONS) first.
    try {
        const response = await fetch(url, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(request),
        });
        return { status: response.status, body: await response.json() };
    } catch (error) {
        return { blocked: String(error) };
    }
}"""


def test_a_page_on_another_origin_calls_as_an_office_script_does(browser, server, origins):
    import httpx

    allowed, other = origins
    request = office_js_request("gpu_count", [[[1e8]], [[10.0]], [[8.1e9]], [["A100"]]])
    seed = int(formulas.gpu_count(1e8, 10, 8.1e9, "A100"))
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        methods = []
        page.on("request", lambda r: methods.append(r.method) if r.url.endswith(CALL) else None)
        page.goto(f"{allowed}/")
        answer = page.evaluate(OFFICE_SCRIPT_FETCH, [f"{server.url}{CALL}", request])
        assert answer == {"status": 200, "body": {"result": [[seed]]}}, answer
        page.goto(f"{other}/")
        blocked = page.evaluate(OFFICE_SCRIPT_FETCH, [f"{server.url}{CALL}", request])
        assert set(blocked) == {"blocked"} and "Failed to fetch" in blocked["blocked"], blocked
    finally:
        context.close()
    # What Chromium's preflights got: the allowed origin named in the answer, the other not.
    for origin, allows in ((allowed, True), (other, False)):
        preflight = httpx.options(
            f"{server.url}{CALL}",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=30,
        )
        assert (preflight.headers.get("access-control-allow-origin") == origin) is allows
    assert "POST" in methods
