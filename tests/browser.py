"""Headless Chromium driven over the DevTools protocol through a pipe (--remote-debugging-pipe:
no port, no extra package): open a page, record every request and console message, run a
script in it, take screenshots.

    with Browser() as browser:
        page = browser.open(path, width=390)
        page.evaluate("document.title"), page.screenshot(png), page.requests, page.problems
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--remote-debugging-pipe"]
TIMEOUT = 60.0  # seconds for any one answer of the browser


def chromium() -> str | None:
    """The Chromium executable (Debian's `chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserError(RuntimeError):
    pass


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One Chromium process with a fresh profile; messages are NUL-terminated JSON."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="derive-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # moved above fd 9, so that putting them on 3 and 4 cannot overwrite one of them
        to_browser_r, from_browser_w = (_above_nine(fd) for fd in (to_browser_r, from_browser_w))
        # Chromium reads commands on fd 3 and writes answers on fd 4: bash puts them there
        redirect = f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}'
        with open(os.path.join(self.profile, "stderr.log"), "wb") as log:
            self.process = subprocess.Popen(
                ["/bin/bash", "-c", redirect, chromium(), *FLAGS,
                 f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                pass_fds=(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            with open(os.path.join(self.profile, "stderr.log"), "rb") as log:
                return log.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium closed the DevTools pipe: {self._log_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its answer; events meanwhile go to `self.events`."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise BrowserError(f"Chromium has stopped: {self._log_tail()}") from None
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, session: str) -> dict:
        """The first event `method` of `session` (already received, or waited for)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self.events.remove(event)
                    return event
            self.events.append(self._read_message(deadline))

    def open(self, path: Path, width: int = 1000, height: int = 900) -> Page:
        """A new tab showing the file `path`, loaded, at `width` CSS pixels (a phone: 390)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, Path(path).resolve().as_uri())
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": width < 600}, session=session)
        self.send("Page.navigate", {"url": page.url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        page.settle()
        return page


class Page:
    """A loaded tab: what it requested and logged, a script's value, screenshots."""

    def __init__(self, browser: Browser, session: str, url: str):
        self.browser, self.session, self.url = browser, session, url

    def _events(self, method: str) -> list[dict]:
        return [e["params"] for e in self.browser.events
                if e.get("sessionId") == self.session and e.get("method") == method]

    def settle(self):
        """Let late events (a blocked request, a console message) arrive."""
        self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)))")

    @property
    def requests(self) -> list[str]:
        """Every URL the page asked for (the document itself included)."""
        return [e["request"]["url"] for e in self._events("Network.requestWillBeSent")]

    @property
    def blocked(self) -> dict[str, str]:
        """URL → the reason the browser refused to load it (`csp`: the page's policy)."""
        ids = {e["requestId"]: e["request"]["url"]
               for e in self._events("Network.requestWillBeSent")}
        return {ids.get(e["requestId"], "?"): e["blockedReason"]
                for e in self._events("Network.loadingFailed") if e.get("blockedReason")}

    @property
    def problems(self) -> list[str]:
        """Console messages, uncaught exceptions and browser log entries of level warning or
        error (a request blocked by the page's security policy is one)."""
        found = [f"console.{e['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                     for a in e.get("args", []))
                 for e in self._events("Runtime.consoleAPICalled")]
        found += [f"exception: {e['exceptionDetails'].get('text')}"
                  for e in self._events("Runtime.exceptionThrown")]
        found += [f"log {e['entry']['level']}: {e['entry']['text']}"
                  for e in self._events("Log.entryAdded")
                  if e["entry"]["level"] in ("warning", "error")]
        return found

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.browser.send("Runtime.evaluate",
                                   {"expression": expression, "returnByValue": True,
                                    "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, top: int = 0, height: int | None = None) -> Path:
        """A PNG of the page from `top` down, `height` pixels long (default: to the end)."""
        width, length = self.evaluate(
            "[document.documentElement.clientWidth, document.documentElement.scrollHeight]")
        height = min(length - top if height is None else height, 16000)
        params = {"format": "png", "captureBeyondViewport": True,
                  "clip": {"x": 0, "y": top, "width": width, "height": height, "scale": 1}}
        data = self.browser.send("Page.captureScreenshot", params, session=self.session)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
