"""Code layouts for the benchmark rounds: the same test binary linked with ``-randlayout`` seeds.

Where the linker puts each function decides which cache lines and branch
predictor slots a hot loop shares, and a change anywhere in a binary moves
the rest.  A benchmark of a few nanoseconds read 9.3 % slower in a package
nobody touched (go-chi/chi, docs/bench.md, "Code layout"): a real difference
between the two binaries, but not one the change made.  ``bench.layouts: N``
links each test binary N ways (the toolchain's own order and N-1 orders
shuffled by ``cmd/link -randlayout=seed``, Go 1.23 and newer) and round ``i``
runs layout ``i mod N`` on both sides, so layout becomes noise both sides
share instead of a bias one side carries.  Linking is all it costs: the
linker flag is not part of any compile's cache key.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pytest_goperf.errors import BuildError
from pytest_goperf.go.toolchain import GoToolchain

RANDLAYOUT_SINCE = (1, 23)


def check_layouts(go: GoToolchain, layouts: int) -> None:
    """Refuse more than one layout where the linker cannot shuffle functions."""
    if layouts > 1 and go.version_tuple < RANDLAYOUT_SINCE:
        raise BuildError(
            f"bench.layouts: {layouts} links each test binary with -ldflags=-randlayout=<seed>, which the linker "
            f"has from Go 1.23 on; {go.version} has none. Set bench.layouts: 1, or build with Go 1.23 or newer "
            "(GOPERF_GO)")


def layout_seeds(layouts: int) -> range:
    """The -randlayout seeds of the extra layouts (the first layout is the toolchain's own order)."""
    return range(1, layouts)


def goflags_ldflags(go: GoToolchain, module: Path) -> str:
    """The ``-ldflags`` value GOFLAGS gives (the environment, service.build_env or ``go env -w``), "" if none.

    A command-line ``-ldflags`` replaces the one GOFLAGS sets, so the layout
    variants must carry it along or they would link without the user's own
    ``-X`` or ``-s -w`` and differ from layout 0 in more than the layout.
    """
    done = subprocess.run([str(go.path), "env", "GOFLAGS"], cwd=module, env=go.env(), capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"go env GOFLAGS failed in {module}: {done.stderr.strip()}")
    try:
        fields = shlex.split(done.stdout.strip())   # cmd/go splits GOFLAGS with quoting too
    except ValueError as exc:
        raise BuildError(f"GOFLAGS={done.stdout.strip()!r} cannot be split into flags: {exc}") from None
    value = ""
    for field in fields:
        name, eq, rest = field.partition("=")
        if eq and name in ("-ldflags", "--ldflags"):
            value = rest          # the last one wins, as in cmd/go
    return value


def with_layout(build_flags: Sequence[str], seed: int, inherited: str = "") -> tuple[str, ...]:
    """``build_flags`` with ``-randlayout=seed`` added to the linker flags.

    go build keeps only the last ``-ldflags``, so the user's own linker flags
    (``-ldflags=-X main.version=1``, or ``-ldflags`` and its value as two
    entries) get the seed appended instead of being replaced; without any,
    the seed joins ``inherited``, the value GOFLAGS set (``goflags_ldflags``).
    """
    flags = list(build_flags)
    extra = f"-randlayout={seed}"
    for i in range(len(flags) - 1, -1, -1):
        flag = flags[i]
        name, eq, value = flag.partition("=")
        if name not in ("-ldflags", "--ldflags"):
            continue
        if eq:
            flags[i] = f"{name}={_append(value, extra)}"
        elif i + 1 < len(flags):
            flags[i + 1] = _append(flags[i + 1], extra)
        else:
            raise BuildError(f"service.build_flags ends with {flag} and no value after it")
        return tuple(flags)
    return (*flags, f"-ldflags={_append(inherited, extra)}")


def _append(value: str, extra: str) -> str:
    """Add a linker flag to an -ldflags value."""
    stripped = value.strip()
    return f"{stripped} {extra}" if stripped else extra
