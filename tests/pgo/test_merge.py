"""Merging CPU captures: our merge against ``go tool pprof -proto a b``, on real profiles of the example."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pprof import ProfileError, parse_profile, read_profile, top
from pytest_goperf.pprof.merge import merge_profiles
from pytest_goperf.pprof.write import encode_profile, write_profile


def _pprof_top(go: GoToolchain, profile: Path) -> str:
    out = subprocess.run([str(go.path), "tool", "pprof", "-top", "-nodefraction=0", "-edgefraction=0", str(profile)],
                         capture_output=True, text=True, timeout=120, check=True, env=go.env())
    return out.stdout


def test_merge_gives_the_profile_go_tool_pprof_proto_gives(captures: dict[str, Path], go: GoToolchain,
                                                            tmp_path: Path) -> None:
    a, b = read_profile(captures["cpu1"]), read_profile(captures["cpu2"])
    ours = write_profile(merge_profiles([a, b]), tmp_path / "ours.pprof")
    theirs = tmp_path / "theirs.pb.gz"
    with theirs.open("wb") as fh:
        subprocess.run([str(go.path), "tool", "pprof", "-proto", str(captures["cpu1"]), str(captures["cpu2"])],
                       stdout=fh, check=True, timeout=120, env=go.env())
    # go tool pprof prints the same table (header, totals, every row) for both files
    assert _pprof_top(go, ours) == _pprof_top(go, theirs)
    mine, ref = read_profile(ours), read_profile(theirs)
    assert top(mine, nodefraction=0, edgefraction=0).rows == top(ref, nodefraction=0, edgefraction=0).rows
    assert (len(mine.samples), len(mine.locations), len(mine.functions), len(mine.mappings)) == \
        (len(ref.samples), len(ref.locations), len(ref.functions), len(ref.mappings))
    assert (mine.duration_nanos, mine.time_nanos, mine.period) == (ref.duration_nanos, ref.time_nanos, ref.period)
    for i in range(len(a.sample_types)):   # nothing lost, nothing counted twice
        assert sum(s.values[i] for s in mine.samples) == sum(s.values[i] for p in (a, b) for s in p.samples)


def test_a_written_profile_reads_back_equal(captures: dict[str, Path]) -> None:
    p = read_profile(captures["cpu1"])
    assert parse_profile(encode_profile(p)) == p
    assert encode_profile(p) == encode_profile(p)   # deterministic bytes (gzip mtime 0)


def test_merging_a_heap_profile_into_cpu_profiles_is_refused(captures: dict[str, Path]) -> None:
    with pytest.raises(ProfileError, match=r"cannot merge profile 2 \(.*alloc_objects.*\) with profile 1 \(samples/count"):
        merge_profiles([read_profile(captures["cpu1"]), read_profile(captures["heap"])])
