"""``xlplugin serve`` started for a test: a real server on 127.0.0.1 and a free port; and
the request Excel sends it.

Its log goes to a file, since a pipe nobody reads fills up and stalls the server.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xlwings


def office_js_request(name: str, args: list) -> dict:
    """A request as Excel's Office.js runtime sends it, ``args`` each a 2-D list already."""
    return {
        "func_name": name,
        "args": args,
        "caller_address": "[Book1]Sheet1!A1",
        "version": xlwings.__version__,
        "client": "Office.js",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "runtime": "1.4",
    }


START_TIMEOUT = 60  # seconds for the server to answer


class Server:
    """A running server: its URL, process id and log."""

    def __init__(self, url: str, pid: int, log: Path):
        self.url, self.pid, self.log = url, pid, log

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra) -> dict:
    """The test run's environment without its xlwings and xlplugin settings, with the
    noncommercial licence key (tests are noncommercial use) and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XLWINGS_", "XLPLUGIN_"))}
    env["XLWINGS_LICENSE_KEY"] = "noncommercial"
    env.update(extra)
    return env


@contextlib.contextmanager
def running_server(folder: Path, environment: dict | None = None):
    """Start ``xlplugin serve`` with the default limits (:func:`started`).

    ``environment`` adds settings (``XLWINGS_*``, ``XLPLUGIN_*``) to the ones the test run
    has, which are left out: the server sees only what the test sets.
    """
    port = _free_port()
    command = [sys.executable, "-m", "xlplugin.cli", "serve", "--port", str(port)]
    with started(folder, command, clean_env(**(environment or {})), port) as server:
        yield server


@contextlib.contextmanager
def started(
    folder: Path,
    command: list,
    env: dict,
    port: int,
    start_timeout: float = START_TIMEOUT,
    absent: tuple[str, ...] = (),
):
    """Run ``command`` (a server on 127.0.0.1:``port``) in ``folder``, wait until it answers
    (at most ``start_timeout`` seconds), stop it (its process group) afterwards, and fail if
    its log holds a traceback or any text of ``absent``. Its log goes to a file."""
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            cwd=folder,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process, log_path, start_timeout)
        yield Server(url, process.pid, log_path)
        assert process.poll() is None, "the server died during the tests"
    finally:
        process.terminate()  # uvicorn shuts down on SIGTERM; the temp project is removed
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    text = log_path.read_text()
    # A traceback begins a line; a client's text in a logged value cannot (line breaks in it
    # are escaped), so it cannot fail this check by writing the word.
    assert not re.search(r"^Traceback \(most recent call last\):", text, re.M), text[-3000:]
    for unwanted in absent:
        assert unwanted not in text, text[-3000:]


def _wait(url: str, process, log_path: Path, seconds: float) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=10) as client:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited early:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/xlwings/custom-functions-meta").status_code == 200:
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {seconds} s")
            time.sleep(0.2)
