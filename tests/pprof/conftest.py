"""Real profiles for the pprof tests: the example service under load, and a dominant-function program.

Everything is captured once per session: the session's example build is
started with ``ServiceProcess`` (free loopback ports, own process group),
driven by a few threads of urllib POSTs while /debug/pprof/profile?seconds=2
runs, and stopped on the way out.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from pytest_goperf.go.build import BuiltSide
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import find_go

ROOT = Path(__file__).resolve().parents[2]
DOMINANT = ROOT / "tests" / "data" / "pprof" / "dominant"
CONTENDED = ROOT / "tests" / "data" / "pprof" / "contended"


def _go() -> str:
    return str(find_go().path)


def _get(url: str, timeout: float = 30.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback only)
        data: bytes = resp.read()
        return data


def _load(api: str, stop: threading.Event) -> None:
    body = json.dumps({"customer": "acme", "currency": "EUR", "items": ["apple", "pear", "plum", "fig"]}).encode()
    while not stop.is_set():
        req = urllib.request.Request(api + "/api/process", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
                resp.read()
        except OSError:
            time.sleep(0.01)


@pytest.fixture(scope="session")
def service_profiles(tmp_path_factory: pytest.TempPathFactory, example_sides: dict[str, BuiltSide]) -> dict[str, Path]:
    """cpu, heap, allocs and goroutine profiles (gzipped proto) of the example service under load."""
    out = tmp_path_factory.mktemp("service-profiles")
    binary = example_sides["pgo-off"].service_binary
    assert binary is not None
    stop = threading.Event()
    paths: dict[str, Path] = {}
    with ServiceProcess(binary, args=["-addr={addr}", "-debug-addr={debug_addr}"], env={"GOMAXPROCS": "2"},
                        log_path=out / "service.log") as svc:
        threads = [threading.Thread(target=_load, args=(svc.url, stop), daemon=True) for _ in range(3)]
        try:
            for t in threads:
                t.start()
            base = f"{svc.debug_url}/debug/pprof/"
            time.sleep(0.3)
            paths["heap_early"] = out / "heap-early.pprof"  # the base of the heap diff tests
            paths["heap_early"].write_bytes(_get(base + "heap"))
            paths["cpu"] = out / "cpu.pprof"
            paths["cpu"].write_bytes(_get(base + "profile?seconds=2"))
            for kind in ("heap", "allocs", "goroutine"):
                paths[kind] = out / f"{kind}.pprof"
                paths[kind].write_bytes(_get(base + kind))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
    return paths


@pytest.fixture(scope="session")
def dominant_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CPU profile where main.burn dominates (built and run from tests/data/pprof/dominant)."""
    out = tmp_path_factory.mktemp("dominant")
    binary = out / "dominant"
    subprocess.run([_go(), "build", "-o", str(binary), "."], cwd=DOMINANT, check=True, timeout=300)
    prof = out / "cpu.pprof"
    subprocess.run([str(binary), str(prof)], check=True, timeout=60, start_new_session=True)
    return prof


@pytest.fixture(scope="session")
def go_test_profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """block, mutex and mem (alloc_objects ...) profiles written by ``go test`` on a contended program."""
    out = tmp_path_factory.mktemp("go-test-profiles")
    paths = {kind: out / f"{kind}.pprof" for kind in ("block", "mutex", "mem")}
    subprocess.run(
        [_go(), "test", "-count=1", "-run", "TestContend", "-o", str(out / "contended.test"),
         f"-blockprofile={paths['block']}", f"-mutexprofile={paths['mutex']}",
         f"-memprofile={paths['mem']}", "-memprofilerate=1", "."],
        cwd=CONTENDED, check=True, timeout=300, capture_output=True,
        env={**os.environ, "GOMAXPROCS": "2", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"},
    )
    return paths


ZERO_FRACTIONS = ("-nodefraction=0", "-edgefraction=0")

PprofTop = Callable[..., tuple[int, list[tuple[str, int, str, int, str, str]]]]


@pytest.fixture(scope="session")
def pprof_top() -> PprofTop:
    """``go tool pprof -top`` as a function: (profile, unit, *flags) -> (total, rows); pprof's defaults unless flags say."""
    return _pprof_top


def _pprof_top(profile: Path, unit: str, *extra: str) -> tuple[int, list[tuple[str, int, str, int, str, str]]]:
    """Run ``go tool pprof -top`` and parse total and rows (name, flat, flat%, cum, cum%, inline label)."""
    args = [_go(), "tool", "pprof", "-top", *extra]
    u = {"nanoseconds": "ns", "bytes": "B"}.get(unit)
    if u:
        args.append(f"-unit={u}")
    res = subprocess.run([*args, str(profile)], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    return parse_pprof_top(res.stdout, u or "")


def parse_pprof_top(text: str, unit: str) -> tuple[int, list[tuple[str, int, str, int, str, str]]]:
    import re

    row = re.compile(r"^\s*(-?[\d.]+)\S*\s+(\S+%)\s+\S+%\s+(-?[\d.]+)\S*\s+(\S+%)\s\s(.*?)(?: \((inline|partial-inline)\))?$")
    total = None
    rows = []
    in_rows = False
    for line in text.splitlines():
        m = re.search(r" of (-?[\d.]+)\S* total$", line)
        if m:
            total = int(m.group(1))
        if line.lstrip().startswith("flat  flat%"):
            in_rows = True
            continue
        if in_rows and line.strip():
            r = row.match(line)
            assert r, f"cannot parse pprof row: {line!r}"
            rows.append((r.group(5), int(r.group(1)), r.group(2), int(r.group(3)), r.group(4), r.group(6) or ""))
    assert total is not None, text
    return total, rows



def _build_profile(
    *,
    sample_types: list[tuple[str, str]],
    functions: Sequence[tuple[int, str, str, int]] = (),
    locations: Sequence[tuple[int, int, Sequence[tuple[int, int]]]] = (),
    samples: Sequence[tuple[Sequence[int], Sequence[int]]] = (),
    mappings: Sequence[tuple[int, str]] = (),
    default_sample_type: str = "",
    gzipped: bool = True,
) -> bytes:
    """Encode a profile from plain tuples: the only way to get rare shapes that Go never writes."""
    import gzip

    from pytest_goperf.pprof import profile_pb2 as pb

    strings: dict[str, int] = {"": 0}

    def s(text: str) -> int:
        return strings.setdefault(text, len(strings))

    msg = pb.Profile()
    for t, u in sample_types:
        msg.sample_type.add(type=s(t), unit=s(u))
    for mid, file in mappings:
        msg.mapping.add(id=mid, filename=s(file), has_functions=True)
    for fid, name, filename, start in functions:
        msg.function.add(id=fid, name=s(name), system_name=s(name), filename=s(filename), start_line=start)
    for lid, mid, lines in locations:
        loc = msg.location.add(id=lid, mapping_id=mid, address=0x1000 + lid)
        for fid, line in lines:
            loc.line.add(function_id=fid, line=line)
    for locs, values in samples:
        msg.sample.add(location_id=locs, value=values)
    msg.default_sample_type = s(default_sample_type)
    msg.string_table.extend(strings)
    raw = msg.SerializeToString()
    return gzip.compress(raw) if gzipped else raw


@pytest.fixture(scope="session")
def build_profile() -> Callable[..., bytes]:
    """Encode a synthetic profile (see ``_build_profile``)."""
    return _build_profile
