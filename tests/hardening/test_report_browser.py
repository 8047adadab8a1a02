"""The report in a real browser: headless Chromium (Debian's ``chromium``) over the DevTools protocol.

Checks, for the built-in report and for one built from hostile names (quotes, angle brackets,
slashes, non-ASCII, an ``onerror`` payload and a ``<script>``): every image decodes
(``naturalWidth > 0``), the console shows no errors, no injected script ran, and the names
appear as written. The protocol runs over ``--remote-debugging-pipe`` (file descriptors 3 and
4, NUL-separated JSON), so no websocket client or other dependency is needed. Skips with a
message where chromium is not installed (``.ci/run`` installs it when missing).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install -y chromium; .ci/run installs it when missing)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]
HOSTILE = ["he said \"hi\" & 'bye'", "<img src=x onerror=\"window.__pwned=1\">", "a/b\\c", "θ_ünïcødé→"]
SCRIPT = "<script>window.__pwned=2</script>"


class Browser:
    """Minimal DevTools-protocol client over the pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, profile: Path):
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()
        # the child reads commands on its fd 3 and writes replies on its fd 4
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, pass_fds=(3, 4),
                                     preexec_fn=lambda: (os.dup2(to_r, 3), os.dup2(from_w, 4)))
        os.close(to_r), os.close(from_w)
        self._buf, self._id, self.events = b"", 0, []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout=60.0):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def _read(self) -> dict:
        while b"\0" not in self._buf:
            chunk = os.read(self._from_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        os.close(self._to_w), os.close(self._from_r)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def open_report(browser: Browser, path: Path) -> dict:
    """Load ``path``, wait until images settle, return the page's findings and console errors."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        browser.send(f"{domain}.enable", session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": path.as_uri()}, session=session)
    probe = ("JSON.stringify({ready: document.readyState, pwned: window.__pwned === undefined ? null : "
             "window.__pwned, images: Array.from(document.images).map(i => [i.complete, i.naturalWidth]), "
             "text: document.body ? document.body.innerText : ''})")
    for _ in range(100):
        res = json.loads(browser.send("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                                      session=session)["result"]["value"])
        if res["ready"] == "complete" and all(c for c, _ in res["images"]):
            break
        time.sleep(0.1)
    errors = [e for e in browser.events if e.get("sessionId") == session and (
        e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"))]
    browser.send("Target.closeTarget", {"targetId": target})
    return {**res, "errors": errors}


def _hostile_recording():
    from neurodiscovery.data import Recording, TimeSeries

    rng = np.random.default_rng(0)
    t = np.arange(0, 120, 0.02)
    hd = TimeSeries("head_direction", t, np.mod(np.cumsum(rng.normal(0, 0.05, len(t))), 2 * np.pi),
                    units="rad", circular=True)
    behs = {"head_direction": hd}
    for k, name in enumerate(HOSTILE + [SCRIPT]):
        behs[name] = TimeSeries(name, t, np.sin(t / (k + 2))[:, None] + rng.normal(0, 0.1, (len(t), 1)))
    pref = rng.uniform(0, 2 * np.pi, 6)
    spikes = []
    for p in pref:  # von Mises tuned Poisson units so every section has something to draw
        rate = 2 + 20 * np.exp(2 * (np.cos(hd.values[:, 0] - p) - 1))
        n = rng.poisson(rate * 0.02)
        spikes.append(np.sort(np.repeat(t, n) + rng.uniform(0, 0.02, n.sum())))
    regions = [HOSTILE[i % len(HOSTILE)] for i in range(6)]
    return Recording(spikes, unit_ids=np.arange(6), regions=regions, behaviors=behs,
                     name=f"{SCRIPT} \"rec\" <b>/ø", epochs={"wake": [[0, 120]]})


def _analyze(args, cwd: Path, sections: str = "summary,quality") -> Path:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = cwd / f"run-{len(list(cwd.iterdir()))}"
    p = subprocess.run([sys.executable, "-m", "neurodiscovery.cli", "analyze", *args, "--quick",
                        "--no-progress", "--sections", sections, "--out", str(out)],
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return out / "report.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def _check(found: dict) -> None:
    assert found["ready"] == "complete"
    assert found["images"], "the report has no images"
    assert all(w > 0 for _, w in found["images"]), f"images that did not decode: {found['images']}"
    assert found["pwned"] is None, "an injected script ran"
    assert not found["errors"], f"console errors: {found['errors'][:3]}"


def test_builtin_report_renders(browser, tmp_path):
    _check(open_report(browser, _analyze([], tmp_path)))


def test_hostile_names_are_inert_and_shown_as_written(browser, tmp_path):
    from neurodiscovery.data import write_recording

    src = write_recording(_hostile_recording(), tmp_path / "hostile.npz")
    found = open_report(browser, _analyze([str(src)], tmp_path, "summary,quality,tuning"))
    _check(found)
    for name in HOSTILE:
        assert name in found["text"], f"{name!r} is not shown as written"
