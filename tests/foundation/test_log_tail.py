"""Log tails read from the end: same answer as reading the whole file, constant memory on a huge log."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from pytest_goperf.go.process import tail_lines
from pytest_goperf.run.gate_run import GateRun


def test_tail_matches_the_whole_file_read(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    lines = [f"line {i} " + "x" * (i % 300) for i in range(20_000)]
    log.write_text("\n".join(lines) + "\n")
    for n in (1, 3, 40, 500):
        assert tail_lines(log, n) == "\n".join(lines[-n:])
    log.write_text("no newline at the end")
    assert tail_lines(log, 40) == "no newline at the end"
    log.write_text("")
    assert tail_lines(log, 40) == ""
    assert tail_lines(tmp_path / "missing.log", 40) == ""


def test_tail_of_a_huge_log_costs_what_a_small_one_does(tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    with log.open("wb") as fh:  # 1.1 GB, sparse: only the last lines take disk space
        fh.truncate(1_100_000_000)
        fh.seek(0, 2)
        fh.write(b"\n".join(f"request {i} done".encode() for i in range(100)) + b"\npanic: boom\n")
    tracemalloc.start()
    try:
        tail = tail_lines(log, 3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tail == "request 98 done\nrequest 99 done\npanic: boom"
    assert peak < 4 << 20, f"peak {peak} bytes"
    # A line longer than the cap: the tail is cut, never the whole file read.
    with log.open("r+b") as fh:
        fh.truncate(1_100_000_000)
    tracemalloc.start()
    try:
        assert tail_lines(log, 3) == ""  # zeros only, no full line within the cap
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"peak {peak} bytes"


def test_gate_run_service_log_tail_reads_from_the_end(tmp_path: Path) -> None:
    art = tmp_path / "art"
    art.mkdir()
    (art / "service.log").write_text("".join(f"log {i}\n" for i in range(1000)))
    run = GateRun.__new__(GateRun)
    run.artifacts = art
    assert run.service_log_tail() == "\n".join(f"log {i}" for i in range(960, 1000))
