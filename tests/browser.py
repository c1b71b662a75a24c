"""A headless Chromium driven over loopback by chromedriver (W3C WebDriver, plain HTTP
with the standard library): Debian's ``chromium`` and ``chromium-driver`` packages,
no downloaded browser. Used by tests/test_review_catalogue.py."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or ``None`` when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    def __init__(self, base: str, session: str) -> None:
        self.base = base
        self.session = session

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}/session/{self.session}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"webdriver {method} {path}: {exc.read().decode(errors='replace')}") from None

    def open(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def type_into(self, css: str, text: str) -> None:
        el = self._call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]
        self._call("POST", f"/element/{el}/clear", {})
        self._call("POST", f"/element/{el}/value", {"text": text})

    def console(self) -> list[dict[str, Any]]:
        """Browser log entries since the last call (console messages, uncaught exceptions)."""
        entries: list[dict[str, Any]] = self._call("POST", "/se/log", {"type": "browser"})
        return entries


@contextlib.contextmanager
def browser(chromium: str, driver: str) -> Iterator[Browser]:
    port = _free_port()
    profile = tempfile.mkdtemp(prefix="audiencelang-chromium-")
    proc = subprocess.Popen([driver, f"--port={port}", "--allowed-ips=127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    session = None
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/status", timeout=2) as r:
                if json.loads(r.read())["value"]["ready"]:
                    break
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": [*FLAGS, f"--user-data-dir={profile}"]},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}}
        req = urllib.request.Request(f"{base}/session", data=json.dumps(caps).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            session = json.loads(r.read())["value"]["sessionId"]
        yield Browser(base, session)
    finally:
        if session is not None:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(urllib.request.Request(f"{base}/session/{session}", method="DELETE"),
                                       timeout=30).close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def file_url(path: Path) -> str:
    return path.absolute().as_uri()
