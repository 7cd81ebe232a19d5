"""What a PGO profile file is, read before any build.

``go build -pgo`` accepts a pprof profile with a ``samples/count`` or
``cpu/nanoseconds`` sample type (cmd/internal/pgo ``FromPProf``) and
``Function.start_line`` data (written by Go 1.20 and later).  Anything else
makes the build fail with a terse parser message (a heap or goroutine
profile, a truncated download), or builds silently without PGO (an empty
file).  ``read_facts`` says which, naming the file and what to capture
instead, and for a usable profile measures what the diagnostics need:

- **samples**: the ``samples/count`` total (CPU profiles sample at 100 Hz,
  so 1,000 samples are 10 CPU-seconds);
- **busy cores**: CPU time over the capture's duration; a service profiled
  while nearly idle shows a few hundredths of a core;
- **runtime share**: the share of weight on stacks with no frame outside the
  Go runtime (scheduler, idle, background GC, sysmon): work that belongs to
  no code of the program, so nothing PGO could optimise;
- the Go version and source goperf recorded in the profile's comments when
  it wrote the file (``metadata``), or None for profiles it did not write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import InputError
from pytest_goperf.pgo.metadata import Metadata, read_metadata
from pytest_goperf.pprof.model import Profile

PREPROFILE_HEADER = b"GO PREPROFILE V1\n"
CAPTURE = "curl -o default.pgo 'http://<debug-addr>/debug/pprof/profile?seconds=30' under load"
NEAR_IDLE_CORES = 0.05   # below 5 % of one core on average the service was barely running


class NotACpuProfile(InputError):
    """The file cannot serve as a PGO profile: another kind of profile, empty, cut short or not pprof."""


@dataclass(frozen=True)
class ProfileFacts:
    """One usable CPU profile and the figures the diagnostics judge."""

    path: Path
    size: int
    profile: Profile
    value_index: int              # the sample type the compiler reads (samples/count, else cpu/nanoseconds)
    samples: int                  # samples/count total (CPU time / period when only cpu/nanoseconds is there)
    cpu_seconds: float
    duration_seconds: float       # 0 when the profile does not say
    runtime_share: float
    runtime_top: tuple[tuple[str, float], ...]   # leaf functions of runtime-only stacks, share of all weight
    metadata: Metadata

    @property
    def busy_cores(self) -> float | None:
        """Average CPU use while profiled, in cores (None when the duration is unknown)."""
        return self.cpu_seconds / self.duration_seconds if self.duration_seconds > 0 else None

    @property
    def near_idle(self) -> bool:
        cores = self.busy_cores
        return cores is not None and cores < NEAR_IDLE_CORES

    @property
    def main_binary(self) -> str | None:
        """The profiled binary's path as the profile records it (its first mapping)."""
        first = next(iter(self.profile.mappings.values()), None)
        return first.file if first is not None and first.file else None


def is_runtime_function(name: str) -> bool:
    """Functions of the Go runtime (and its internal packages), including pprof's pseudo-frames."""
    return name.startswith(("runtime.", "internal/runtime/", "runtime/internal/"))


def describe_kind(profile: Profile) -> str | None:
    """For a profile that is not a CPU profile: what it is and where it came from (None for a CPU profile)."""
    types = {(t.type, t.unit) for t in profile.sample_types}
    if ("samples", "count") in types or ("cpu", "nanoseconds") in types:
        return None
    names = {t for t, _ in types}
    if names & {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}:
        return "a heap (or allocs) profile, from /debug/pprof/heap"
    if names == {"goroutine"}:
        return "a goroutine profile, from /debug/pprof/goroutine"
    if names & {"contentions", "delay"}:
        return "a block or mutex profile"
    if names == {"threadcreate"}:
        return "a threadcreate profile"
    shown = ", ".join(f"{t.type}/{t.unit}" for t in profile.sample_types) or "no sample types"
    return f"a profile of {shown}"


def _reject(path: Path, what: str) -> NotACpuProfile:
    return NotACpuProfile(f"{path}: not a CPU profile: {what}. PGO needs a CPU profile of this service under "
                          f"representative load: {CAPTURE}, or pytest --goperf --goperf-update-pgo, "
                          "or goperf pgo refresh --from URL")


def read_facts(path: str | Path) -> ProfileFacts:
    """Read ``path`` as a PGO profile; ``NotACpuProfile`` says why it cannot be one."""
    from pytest_goperf.pprof.errors import ProfileError
    from pytest_goperf.pprof.parse import parse_profile

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read PGO profile {path}: {exc.strerror or exc}") from None
    if not data:
        raise _reject(path, "the file is empty (go build accepts it and builds without PGO)")
    if data.startswith(PREPROFILE_HEADER):
        raise _reject(path, "it is a preprocessed profile (go tool preprofile), which goperf cannot inspect; "
                            "commit the pprof profile it came from")
    try:
        profile = parse_profile(data, source=str(path))
    except ProfileError as exc:
        raise NotACpuProfile(f"{exc} (PGO needs a CPU profile: {CAPTURE})") from None
    kind = describe_kind(profile)
    if kind is not None:
        raise _reject(path, f"it is {kind} (go build -pgo would fail: 'profile does not contain a sample index "
                            "with value/type samples/count or cpu/nanoseconds')")
    return facts_of(profile, path, len(data))


def facts_of(profile: Profile, path: Path, size: int) -> ProfileFacts:
    """The figures of a CPU profile already parsed (see ``read_facts``)."""
    if profile.functions and not any(f.start_line for f in profile.functions.values()):
        raise _reject(path, "its functions have no start lines: the profiled program was built with Go older "
                            "than 1.20, and go build -pgo refuses such profiles")
    index, samples, cpu_ns = _weights(profile)
    total = 0
    runtime = 0
    leaves: Counter[str] = Counter()
    for smp in profile.samples:
        v = smp.values[index]
        total += v
        names = [ln.function.name for i in smp.location_ids for ln in profile.locations[i].lines]
        if names and all(is_runtime_function(n) for n in names):
            runtime += v
            leaves[names[0]] += v
    share = runtime / total if total else 0.0
    top = tuple((name, v / total) for name, v in leaves.most_common(5)) if total else ()
    return ProfileFacts(path=path, size=size, profile=profile, value_index=index, samples=samples,
                        cpu_seconds=cpu_ns / 1e9, duration_seconds=profile.duration_nanos / 1e9,
                        runtime_share=share, runtime_top=top, metadata=read_metadata(profile))


def _weights(profile: Profile) -> tuple[int, int, int]:
    """(index the compiler weighs by, samples, CPU nanoseconds)."""
    types = [(t.type, t.unit) for t in profile.sample_types]
    index = next(i for i, t in enumerate(types) if t in (("samples", "count"), ("cpu", "nanoseconds")))
    sums = [sum(s.values[i] for s in profile.samples) for i in range(len(types))]
    cpu_ns = sums[types.index(("cpu", "nanoseconds"))] if ("cpu", "nanoseconds") in types else 0
    if ("samples", "count") in types:
        samples = sums[types.index(("samples", "count"))]
    else:
        samples = cpu_ns // profile.period if profile.period > 0 else 0
    if not cpu_ns and profile.period_type is not None and profile.period_type.unit == "nanoseconds":
        cpu_ns = samples * profile.period
    return index, samples, cpu_ns
