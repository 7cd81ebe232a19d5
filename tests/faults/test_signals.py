"""Signal rows of the fault matrix: SIGINT and SIGTERM to pytest mid-build, mid-rounds and mid-window.

After each: pytest exits (2, interrupted) within a bound, no service, test
binary, go build or load generator is left, the artifacts already captured
stay on disk, and the JSON and JUnit reports are written for what finished.
CI runners cancel a job with SIGTERM, so it must clean up like Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, interruptible_pytest, processes_under

YAML = f"""\
service: {{name: sig, module: {EXAMPLE}}}
bench: {{packages: [.], bench: HandleRequest/small, count: 40, benchtime: 300ms}}
load:
  warmup: 0s
  duration: 60s
  rate: 50
  requests: [{{method: POST, path: /api/process, body: '{{"items":["a"]}}'}}]
thresholds:
  bench: {{max_regression: 5%, units: [sec/op]}}
  latency: {{p99: 1s}}
"""
LOAD_ONLY = YAML.replace("bench: {packages: [.], bench: HandleRequest/small, count: 40, benchtime: 300ms}\n", "") \
    .replace("  bench: {max_regression: 5%, units: [sec/op]}\n", "")
# The line after which the signal is sent, for each phase.
PHASES = {"build": ("building pgo-off", YAML), "rounds": ("round 1/40 done", YAML),
          "window": ("capturing", LOAD_ONLY)}


def _run_until(folder: Path, marker: str, signum: int, *, second: bool = False,
               cold_links: bool = False) -> tuple[int, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    if cold_links:   # no last-linked binaries to seed from (go/link_cache.py): the builds link, for seconds
        env["GOPERF_CACHE"] = str(folder / "tool-cache")
    proc = subprocess.Popen(interruptible_pytest("-p", "no:cacheprovider", "-o", "addopts=", "--goperf",
                             "goperf.yaml", "--goperf-artifacts", "art", "--goperf-json", "out/results.json",
                             "--junitxml", "out/junit.xml"), cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if marker in line:
                break
        else:
            raise AssertionError(f"never saw {marker!r}:\n" + "".join(seen))
        time.sleep(0.5)
        sent = time.monotonic()
        os.kill(proc.pid, signum)
        if second:
            time.sleep(0.3)
            os.kill(proc.pid, signum)
        rest, _ = proc.communicate(timeout=90)
        return proc.returncode, "".join(seen) + rest, time.monotonic() - sent
    finally:
        if proc.poll() is None:  # only when the run went wrong: pytest did not stop by itself
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            # A pytest killed here cannot stop what it started (services run in their own session):
            # a failing run must not leave them behind for the rest of the suite.
            for line in processes_under(folder):
                try:
                    os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
                except OSError:
                    pass


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase", sorted(PHASES))
def test_signal_mid_phase(tmp_path: Path, phase: str, signame: str) -> None:
    marker, body = PHASES[phase]
    (tmp_path / "goperf.yaml").write_text(body)
    code, output, took = _run_until(tmp_path, marker, getattr(signal, signame), cold_links=phase == "build")
    assert code == 2, output[-3000:]
    assert "KeyboardInterrupt" in output and "Traceback" not in output, output[-3000:]
    assert took < 60, f"took {took:.0f}s to stop"
    time.sleep(0.5)
    assert processes_under(tmp_path) == [], output[-2000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["interrupted"] is True
    assert (tmp_path / "out" / "junit.xml").is_file()
    art = tmp_path / "art" / "sig"
    if phase == "rounds":
        assert (art / "old.txt").read_text().count("BenchmarkHandleRequest/small") >= 1  # the finished round kept
    if phase == "window":
        assert (art / "service.log").is_file()


def test_second_ctrl_c_still_exits_promptly(tmp_path: Path) -> None:
    (tmp_path / "goperf.yaml").write_text(LOAD_ONLY)
    code, output, took = _run_until(tmp_path, "capturing", signal.SIGINT, second=True)
    # A second Ctrl-C may land inside pytest's own interrupt report: then Python dies of SIGINT (-2) at once,
    # as any program does; what matters is that it exits and leaves nothing running.
    assert code in (2, -signal.SIGINT), output[-3000:]
    assert took < 60
    time.sleep(0.5)
    assert processes_under(tmp_path) == [], output[-2000:]
