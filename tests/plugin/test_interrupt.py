"""Ctrl-C in the middle of the load window leaves no service or load generator behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from ..helpers import EXAMPLE, interruptible_pytest, processes_under

YAML = f"""\
service: {{name: interrupted, module: {EXAMPLE}}}
load:
  warmup: 1s
  duration: 60s
  rate: 100
  requests: [{{method: POST, path: /api/process, body: '{{"items":["a"]}}'}}]
  trace: 1s
thresholds:
  latency: {{p99: 1s}}
"""


def test_ctrl_c_mid_load_stops_everything(tmp_path: Path) -> None:
    (tmp_path / "goperf.yaml").write_text(YAML)
    art = tmp_path / "art"
    proc = subprocess.Popen(
        interruptible_pytest("--goperf", "goperf.yaml", "--goperf-artifacts", str(art), "-p", "no:cacheprovider"),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if "capturing" in line:
                break
        else:
            raise AssertionError("the load window never started:\n" + "".join(seen))
        time.sleep(2.0)  # well inside the 60 s window
        assert processes_under(art), "service and load generator should be running now"
        os.kill(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = "".join(seen) + rest
    assert "KeyboardInterrupt" in output, output
    deadline = time.monotonic() + 5
    while processes_under(art) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_under(art) == []
    assert (art / "interrupted" / "service.log").is_file()  # artifacts captured so far are kept
