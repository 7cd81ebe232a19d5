"""bench.layouts' linker flag joins the user's own -ldflags instead of replacing them (go keeps the last one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.errors import BuildError
from pytest_goperf.go.layout import goflags_ldflags, layout_seeds, with_layout
from pytest_goperf.go.toolchain import find_go


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), ("-ldflags=-randlayout=3",)),
        (("-tags=x",), ("-tags=x", "-ldflags=-randlayout=3")),
        (("-ldflags=-X main.version=1.2.3", "-tags=x"), ("-ldflags=-X main.version=1.2.3 -randlayout=3", "-tags=x")),
        (("-ldflags", "-s -w"), ("-ldflags", "-s -w -randlayout=3")),
        (("-ldflags=-s", "-ldflags=-w"), ("-ldflags=-s", "-ldflags=-w -randlayout=3")),  # go uses the last
        (("-ldflags=",), ("-ldflags=-randlayout=3",)),
    ],
)
def test_seed_joins_the_last_ldflags(flags: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert with_layout(flags, 3) == expected


def test_dangling_ldflags_is_an_error() -> None:
    with pytest.raises(BuildError, match="ends with -ldflags and no value"):
        with_layout(("-tags=x", "-ldflags"), 1)


def test_first_layout_is_the_toolchains_own() -> None:
    assert list(layout_seeds(1)) == [] and list(layout_seeds(4)) == [1, 2, 3]


def test_goflags_ldflags_are_carried_unless_the_command_line_has_its_own() -> None:
    assert with_layout((), 2, "-X=main.v=9") == ("-ldflags=-X=main.v=9 -randlayout=2",)
    assert with_layout(("-ldflags=-s",), 2, "-X=main.v=9") == ("-ldflags=-s -randlayout=2",)  # replaces GOFLAGS'


def test_goflags_ldflags_read_through_go_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    go = find_go()
    monkeypatch.setenv("GOFLAGS", "-mod=mod -ldflags=-s -ldflags=-X=main.v=9")
    assert goflags_ldflags(go, tmp_path) == "-X=main.v=9"           # the last wins, as in cmd/go
    assert goflags_ldflags(go.with_env((("GOFLAGS", "-trimpath"),)), tmp_path) == ""  # service.build_env
    monkeypatch.setenv("GOFLAGS", "-ldflags='-s -w'")
    assert goflags_ldflags(go, tmp_path) == "-s -w"
