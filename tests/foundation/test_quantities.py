"""Go duration syntax and shares, checked against Go's own time.ParseDuration."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.toolchain import find_go
from pytest_goperf.quantities import parse_duration, parse_share, parse_size

CASES = ["1.5s", "200us", "200µs", "1h2m3.5s", "0", "-1.5ms", "2m", "3ns", ".5s", "1.s", "10ms5us"]

GO_PROGRAM = """package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	for _, a := range os.Args[1:] {
		d, err := time.ParseDuration(a)
		if err != nil {
			fmt.Println("error")
			continue
		}
		fmt.Println(d.Nanoseconds())
	}
}
"""


def test_durations_match_go(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text(GO_PROGRAM)
    (tmp_path / "go.mod").write_text("module d\n\ngo 1.22\n")
    go = find_go()
    bad = ["30", "1d", "s", "1.5", ""]
    out = subprocess.run([str(go.path), "run", ".", *CASES, *bad], cwd=tmp_path, env=go.env(),
                         capture_output=True, text=True, check=True).stdout.split()
    for text, want in zip(CASES + bad, out):
        if want == "error":
            with pytest.raises(ValueError):
                parse_duration(text)
        else:
            assert round(parse_duration(text) * 1e9) == int(want), text


def test_shares_and_sizes() -> None:
    assert parse_share("30%") == pytest.approx(0.30)
    assert parse_share(0.25) == 0.25
    assert parse_size("64MiB") == 64 << 20
    assert parse_size("10kB") == 10_000
    for bad in ("30", "x%", True):
        with pytest.raises(ValueError):
            parse_share(bad)  # type: ignore[arg-type]
