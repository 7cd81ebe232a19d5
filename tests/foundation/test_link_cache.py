"""A warm build into a new folder links nothing Go already linked (go/link_cache.py), and never keeps a stale binary.

Go's own up-to-date check decides: a seeded binary that Go keeps is the very
file the seed wrote (same inode; Go only touches its times), one Go linked
again is a new file moved into place.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.build import Side, build_side
from pytest_goperf.go.link_cache import LinkCache
from pytest_goperf.go.toolchain import GoToolchain

TINY = {
    "go.mod": "module example.com/tiny\n\ngo 1.22\n",
    "main.go": 'package main\n\nimport "fmt"\n\nfunc add(a, b int) int { return a + b }\n\n'
               "func main() { fmt.Println(add(1, 2)) }\n",
    "main_test.go": 'package main\n\nimport "testing"\n\nfunc BenchmarkAdd(b *testing.B) {\n'
                    "\tfor i := 0; i < b.N; i++ {\n\t\tadd(i, 1)\n\t}\n}\n",
}


def _module(root: Path, answer: int = 2) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in TINY.items():
        (root / name).write_text(text.replace("add(1, 2)", f"add(1, {answer})"))
    return root


class Recording(LinkCache):
    """The inode of each binary as seeded, before go runs."""

    seeded: dict[Path, int] = {}

    def seed(self, slot: Path, dest: Path) -> None:
        super().seed(slot, dest)
        if dest.exists():
            Recording.seeded[dest] = dest.stat().st_ino


def test_a_warm_build_in_a_new_folder_keeps_the_seeded_binaries(go: GoToolchain, tmp_path: Path) -> None:
    module, cache = _module(tmp_path / "tiny"), Recording(tmp_path / "links")
    side = Side("pgo-off", module, ".", "off")
    first = build_side(go, side, tmp_path / "run1", service_name="tiny", bench_packages=["."], link_cache=cache)
    second = build_side(go, side, tmp_path / "run2", service_name="tiny", bench_packages=["."], link_cache=cache)
    assert first.service_binary is not None and second.service_binary is not None
    pairs = [(first.service_binary, second.service_binary),
             (first.test_binaries[0].binary, second.test_binaries[0].binary)]
    for old, new in pairs:
        assert new.read_bytes() == old.read_bytes()
        assert Recording.seeded.get(new) == new.stat().st_ino, f"go linked {new.name} again"
        assert os.access(new, os.X_OK)
    assert len(list(cache.folder.iterdir())) == 2 and not list(cache.folder.glob(".link-*"))


def test_a_stale_seed_is_linked_over(go: GoToolchain, tmp_path: Path) -> None:
    module, cache = _module(tmp_path / "tiny"), Recording(tmp_path / "links")
    side = Side("pgo-off", module, ".", "off")
    first = build_side(go, side, tmp_path / "run1", service_name="tiny", link_cache=cache)
    _module(module, answer=40)   # the source changed: the slot's binary is stale
    second = build_side(go, side, tmp_path / "run2", service_name="tiny", link_cache=cache)
    assert first.service_binary is not None and second.service_binary is not None
    assert second.service_binary.read_bytes() != first.service_binary.read_bytes()
    assert Recording.seeded[second.service_binary] != second.service_binary.stat().st_ino   # seeded, then relinked

    assert subprocess.run([str(second.service_binary)], capture_output=True, text=True,
                          check=True).stdout.strip() == "41"
    # the slot now holds the new binary
    (slot,) = cache.folder.iterdir()
    assert slot.read_bytes() == second.service_binary.read_bytes()


def test_an_unwritable_cache_costs_a_link_not_a_failure(go: GoToolchain, tmp_path: Path) -> None:
    module = _module(tmp_path / "tiny")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    built = build_side(go, Side("pgo-off", module, ".", "off"), tmp_path / "run", service_name="tiny",
                       link_cache=LinkCache(blocker / "links"))
    assert built.service_binary is not None and built.service_binary.is_file()


def test_the_folder_keeps_the_most_recently_used_slots_within_its_bound(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_goperf.go.link_cache as link_cache

    monkeypatch.setattr(link_cache, "MAX_BYTES", 250)
    cache = LinkCache(tmp_path / "links")
    cache.folder.mkdir()
    for age, name in enumerate(["newest", "newer", "older", "oldest"]):
        (cache.folder / name).write_bytes(b"x" * 100)
        os.utime(cache.folder / name, (1e9 - age * 100, 1e9 - age * 100))
    cache.prune(keep=cache.folder / "oldest")
    assert sorted(p.name for p in cache.folder.iterdir()) == ["newer", "newest", "oldest"]
