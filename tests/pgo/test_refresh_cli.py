"""``goperf pgo refresh --from URL`` against the running example, and ``goperf pgo check``.

The CLI runs as a user runs it (``python -m pytest_goperf``, a separate
process); the service is the example built without PGO, kept busy by a few
threads of POSTs while the captures run.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.facts import read_facts

from .conftest import busy, copy_example, example_running, write_protected


def goperf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_goperf", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refresh_from_a_running_service(example_off: Path, go: GoToolchain, tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc")
    before = (module / "default.pgo").read_bytes()
    with example_running(example_off, tmp_path) as svc:
        args = ["pgo", "refresh", "--from", str(svc.debug_url), "--seconds", "2", "--times", "2",
                "--main", str(module), "--min-samples", "50", "--go-version", go.version,
                "--summary", str(tmp_path / "pr.md"), "--out", str(tmp_path / "out")]
        with subprocess.Popen([sys.executable, "-m", "pytest_goperf", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) as proc:
            assert proc.stderr is not None
            err: list[str] = []
            with busy(svc.url):
                # busy only while it captures: the full PGO rebuild that checks the new profile then runs on
                # an idle machine (under the POSTs it took 85 s instead of 40 s)
                for line in proc.stderr:
                    err.append(line)
                    if "merged 2 capture(s)" in line:
                        break
            out_rest, err_rest = proc.communicate(timeout=600)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out_rest, "".join(err) + err_rest)
    assert done.returncode == 0, done.stderr
    assert f"capture 2/2: {svc.debug_url}/debug/pprof/profile?seconds=2" in done.stderr
    assert f"default.pgo refreshed from {svc.debug_url}, 2 x 2s CPU profile" in done.stdout
    assert "% of the weight moved" in done.stdout and "compiler: " in done.stdout
    written = module / "default.pgo"
    assert written.read_bytes() != before
    facts = read_facts(written)
    assert facts.metadata.go == go.version and facts.samples >= 50
    assert sorted(p.name for p in (tmp_path / "out").glob("capture-*.pprof")) == ["capture-1.pprof", "capture-2.pprof"]
    body = (tmp_path / "pr.md").read_text()
    assert body.startswith("## Refresh `default.pgo`")
    assert f"| Go of the profiled binary | {go.version} |" in body
    assert "hot call sites inlined" in body
    assert f"Made by `goperf pgo refresh --from {svc.debug_url} --seconds 2 --times 2 --main {module}`." in body
    # the file it wrote passes the same diagnostics the pgo gate applies (samples aside: 4 s of capture)
    check = goperf("pgo", "check", "--main", str(module), "--out", str(tmp_path / "check"), cwd=tmp_path)
    assert "unrepresentative" in check.stdout and "stale" not in check.stdout and "misplaced" not in check.stdout


def test_refresh_refuses_too_few_samples(example_off: Path, tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc")
    before = (module / "default.pgo").read_bytes()
    with example_running(example_off, tmp_path) as svc:   # idle: a second of profile holds next to nothing
        done = goperf("pgo", "refresh", "--from", str(svc.debug_url), "--seconds", "1", "--main", str(module),
                      "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "fewer than the minimum of 1000 (10 CPU-seconds at 100 Hz): default.pgo was NOT changed" in done.stderr
    assert (module / "default.pgo").read_bytes() == before


def test_refresh_from_an_unreachable_url_says_what_to_check(tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc")
    port = _free_port()
    done = goperf("pgo", "refresh", "--from", f"localhost:{port}", "--main", str(module), cwd=tmp_path)
    assert done.returncode == 2
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"--from http://localhost:{port}: connection refused. Is the service's debug (pprof) listener up on " \
           f"port {port}, and is the port forwarded to it (kubectl port-forward pod/<pod> {port}:<debug port>)?" in err


def test_refresh_into_a_write_protected_folder_fails_before_capturing(tmp_path: Path) -> None:
    module = copy_example(tmp_path / "svc")
    with write_protected(module):
        done = goperf("pgo", "refresh", "--from", f"localhost:{_free_port()}", "--main", str(module),
                      "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"{module} is write-protected" in done.stderr and "nothing was captured" in done.stderr
    assert not (tmp_path / "out").exists()
