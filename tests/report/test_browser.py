"""The HTML reports in a real headless Chromium, served with Jenkins' default Content-Security-Policy.

Checked from the screenshot's pixels: the charts were drawn (their series
colour is on the page), the stylesheet applied (the header's pass/fail
colour), and Chromium logged no CSP violation.  A page with an inline
style, served the same way, must log one: the check can fail.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Run

JENKINS_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'self';"
CHART_BLUE = (31, 119, 180)       # charts.MAIN
HEADER = {"passed": (26, 127, 55), "failed": (207, 34, 46)}   # style.css --passed / --failed


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine: install Debian's chromium (.ci/run does where apt is available)")


class _CspHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", JENKINS_CSP)
        super().end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[functools.partial[str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                 functools.partial(_CspHandler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield functools.partial(start)
    for server in servers:
        server.shutdown()
        server.server_close()


def screenshot(url: str, png: Path, profile: Path, height: int = 5200) -> str:
    """Chromium's console log while it rendered ``url`` into ``png``."""
    proc = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--hide-scrollbars", f"--window-size=1280,{height}", "--enable-logging=stderr", "--v=0",
         f"--screenshot={png}", url],
        capture_output=True, text=True, timeout=180, check=False)
    assert png.is_file(), proc.stderr[-3000:]
    return "\n".join(line for line in proc.stderr.splitlines() if "CONSOLE" in line)


def pixels(png: Path, colour: tuple[int, int, int]) -> int:
    import numpy as np
    from PIL import Image

    with Image.open(png) as im:
        rgb = np.asarray(im.convert("RGB"))
    return int(np.all(rgb == np.array(colour, dtype=rgb.dtype), axis=-1).sum())


def test_csp_violations_are_seen(tmp_path: Path, serve: functools.partial[str]) -> None:
    (tmp_path / "index.html").write_text('<!DOCTYPE html><html><body><p style="color: red">inline</p></body></html>')
    console = screenshot(serve(tmp_path) + "/index.html", tmp_path / "shot.png", tmp_path / "profile", height=300)
    assert "Content Security Policy" in console


@pytest.mark.parametrize("outcome", ["passed", "failed"])
def test_report_renders_under_jenkins_csp(outcome: str, request: pytest.FixtureRequest, tmp_path: Path,
                                          serve: functools.partial[str]) -> None:
    run: Run = request.getfixturevalue("passing_run" if outcome == "passed" else "failing_run")
    png = run.out / f"report-{outcome}.png"
    console = screenshot(serve(run.out / "html") + "/index.html", png, tmp_path / "profile")
    assert "Content Security Policy" not in console and "Refused" not in console, console
    assert pixels(png, HEADER[outcome]) > 1000        # the stylesheet's header border: style.css was applied
    assert pixels(png, CHART_BLUE) > 5000             # the SVG charts were drawn
