"""A failing timing row in a package whose own files the change left alone: say what else can move it.

Against a ``git:`` baseline the gate knows what changed.  When a ``sec/op``
row fails in a package none of whose files differ from the base commit, the
change reached that benchmark through the packages it imports, or only
through where the linker put its code: a 7 ns benchmark of go-chi/chi
read 9.3 % slower in one layout, 2.5 % over eight, for an edit in another
package (docs/bench.md, "Code layout").  The verdict stays a failure (the binary
is slower), and its message says which of the two to check and how
``bench.layouts`` tells them apart.
"""

from __future__ import annotations

import dataclasses
import filecmp
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path

from pytest_goperf.gates import Verdict
from pytest_goperf.gates.bench import Key

_OWN_FILES = ":(glob)*"     # the files directly in the package folder (subfolders are other packages)
# Changes up to this size can be code layout alone: one layout against another moved chi's benchmarks by up
# to 18 % here (docs/bench.md), about 10 % in the literature (Mytkowicz et al., "Producing wrong data without
# doing anything obviously wrong!", 2009).
LAYOUT_SCALE_PCT = 20.0


def package_untouched(directory: Path, sha: str) -> bool:
    """Whether no tracked file of the package folder differs from ``sha`` and no untracked one was added."""
    try:
        diff = subprocess.run(["git", "diff", "--quiet", sha, "--", _OWN_FILES], cwd=directory,
                              capture_output=True, timeout=60)
        added = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", _OWN_FILES],
                               cwd=directory, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False  # cannot tell: say nothing rather than something wrong
    return diff.returncode == 0 and added.returncode == 0 and not added.stdout.strip()


def identical_binaries(old: Mapping[str, Path], new: Mapping[str, Path]) -> set[str]:
    """Packages whose test binary is the same bytes on both sides (git: sides are built with -trimpath)."""
    same = set()
    for pkg, path in new.items():
        other = old.get(pkg)
        try:
            if other is not None and filecmp.cmp(other, path, shallow=False):
                same.add(pkg)
        except OSError:
            continue  # cannot tell: claim nothing
    return same


def identical_note(same: Collection[str], packages: int) -> str | None:
    """The run's note on byte-identical test binaries, or None."""
    if not same:
        return None
    if len(same) == packages:
        return (f"both sides' test binaries are byte-identical ({packages} package(s)): no code change reaches these "
                "benchmarks, so unless they read changed files as they run (testdata), whatever they measure apart "
                "is the machine's noise")
    return (f"test binaries byte-identical on both sides, so no code change reaches their benchmarks: "
            f"{', '.join(sorted(same))}")


def explain_untouched(verdicts: Mapping[Key, Verdict], directories: Mapping[str, Path], ref: str, sha: str,
                      layouts: int, same: Collection[str] = ()) -> dict[Key, Verdict]:
    """``verdicts`` with the explanation added to each failing row of an unchanged package or identical binary."""
    out = dict(verdicts)
    checked: dict[str, bool] = {}
    for key, verdict in verdicts.items():
        pkg, _name, unit = key
        if verdict.failed and pkg in same:
            note = (f"\nThe test binaries of {pkg} are byte-identical on both sides (built with -trimpath): no code "
                    "change reaches this benchmark, so unless it reads changed files as it runs (testdata), this "
                    "difference is the machine's noise; more rounds (bench.count, or count: auto) or "
                    "thresholds.bench.test: paired settle it.")
            figures = {**verdict.figures, "test_binary": "identical"}
            out[key] = dataclasses.replace(verdict, message=verdict.message + note, figures=figures)
            continue
        if not verdict.failed or unit != "sec/op" or pkg not in directories:
            continue
        if pkg not in checked:
            checked[pkg] = package_untouched(directories[pkg], sha)
        if not checked[pkg]:
            continue
        note = (f"\nThe files of {pkg} are unchanged against git:{ref} ({sha[:12]}): the change reaches this "
                "benchmark through the packages it imports")
        delta = verdict.figures.get("delta_pct")
        if layouts == 1 and isinstance(delta, (int, float)) and abs(delta) <= LAYOUT_SCALE_PCT:
            note += (", or only through where the linker put the code (code layout, "
                     "docs/bench.md#code-layout-benchlayouts): bench.layouts: 4 with thresholds.bench.test: paired "
                     "runs each round in one of 4 layouts on both sides, so a layout effect cancels and a slowdown "
                     "through an import stays")
        note += "."
        figures = {**verdict.figures, "package_files": "unchanged"}
        out[key] = dataclasses.replace(verdict, message=verdict.message + note, figures=figures)
    return out
