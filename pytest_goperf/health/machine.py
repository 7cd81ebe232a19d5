"""The machine's own noise over a window: CPU steal, CPU pressure, other processes' CPU.

Why: on a shared VM a hypervisor that steals the CPU, or a neighbour process
that burns it, stretches pauses, scheduler waits and latencies.  A runtime
verdict shows these figures so a reader can tell "the service got slower" from
"the machine was busy", and a timing gate's failure says when the machine was
the likely cause.  Linux only (``/proc``); elsewhere every figure is None.

- steal: share of all CPUs' time the hypervisor gave to someone else
  (``/proc/stat`` steal delta / all jiffies delta);
- pressure: share of wall time in which some runnable task waited for a CPU
  (``/proc/pressure/cpu`` ``some total`` delta).  It includes the service
  competing with the load generator, so it is shown, never blamed alone;
- other CPU: cores used by everything but the plugin and its children's
  process groups (a started service, the load generator): busy jiffies minus
  those.  An attached service is not ours and counts here.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from ..go.process import group_pids

# When the machine is blamed for a timing gate's failure.
STEAL_BLAME = 0.05          # 5 % of all CPU time stolen
OTHER_BLAME = 0.25          # a quarter of a core used by processes that are not ours
_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class _Snapshot:
    wall: float
    jiffies: tuple[int, ...] | None     # user nice system idle iowait irq softirq steal
    pressure_us: int | None
    ours: float                         # CPU seconds of the service group, the plugin and its children


@dataclass(frozen=True)
class MachineNoise:
    """What the machine did besides our work over one window (fractions, cores)."""

    seconds: float
    cpus: int
    steal: float | None = None
    pressure: float | None = None
    other_cores: float | None = None

    @property
    def busy(self) -> str | None:
        """Why the machine is the likely cause of a timing failure, or None."""
        if self.steal is not None and self.steal >= STEAL_BLAME:
            return f"CPU steal {self.steal * 100:.1f}% (>= {STEAL_BLAME * 100:.0f}%)"
        if self.other_cores is not None and self.other_cores >= OTHER_BLAME:
            return f"other processes used {self.other_cores:.2f} cores (>= {OTHER_BLAME:g})"
        return None

    @property
    def stall_share(self) -> float:
        """The share of moments at which some CPU was being stolen: 1 - (1 - steal)^cpus (0 without steal).

        A stop-the-world needs every CPU the service runs on, so a pause
        stretches when any of them is stolen; the trace gates tolerate this
        share of events over a limit (``gates.extremes``).
        """
        if not self.steal:
            return 0.0
        return 1.0 - (1.0 - min(self.steal, 1.0)) ** max(self.cpus, 1)

    def describe(self) -> str:
        def pct(v: float | None) -> str:
            return "n/a" if v is None else f"{v * 100:.1f}%"

        other = "n/a" if self.other_cores is None else f"{self.other_cores:.2f} cores"
        return (f"machine noise over the {self.seconds:.0f}s window: CPU steal {pct(self.steal)}, "
                f"CPU pressure {pct(self.pressure)}, other processes {other} (of {self.cpus})")

    def figures(self) -> dict[str, float | None]:
        return {"machine_steal": self.steal, "machine_cpu_pressure": self.pressure,
                "machine_other_cores": self.other_cores, "machine_stall_share": self.stall_share}


def _jiffies() -> tuple[int, ...] | None:
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            first = fh.readline().split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    return tuple(int(x) for x in first[1:9])


def _pressure_us() -> int | None:
    try:
        text = Path("/proc/pressure/cpu").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("some "):
            for part in line.split():
                if part.startswith("total="):
                    return int(part[len("total="):])
    return None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def _our_processes() -> set[int]:
    """Our live children and everything in their process groups (service, load generator, their children)."""
    me = os.getpid()
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and len(fields) > 1 and fields[1] == str(me):
                children.add(int(entry.name))
    return {pid for child in children for pid in group_pids(child)} | children


def _ours_cpu() -> float:
    """CPU seconds of this process, its reaped children and its live process groups."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    for pid in _our_processes():
        fields = _stat_fields(pid)
        if fields is not None and len(fields) > 12:
            total += (int(fields[11]) + int(fields[12])) / _HZ  # utime, stime
    return total


class NoiseMeter:
    """Snapshot at ``start()``, difference at ``stop()``.

    "Ours" is this process plus its children's process groups: a started
    service and the load generator.  An attached service is not ours, so its
    CPU counts as "other processes".
    """

    def __init__(self) -> None:
        self._start: _Snapshot | None = None

    def _snap(self) -> _Snapshot:
        return _Snapshot(time.monotonic(), _jiffies(), _pressure_us(), _ours_cpu())

    def start(self) -> NoiseMeter:
        self._start = self._snap()
        return self

    def stop(self) -> MachineNoise:
        if self._start is None:
            raise RuntimeError("NoiseMeter.stop() before start()")
        a, b = self._start, self._snap()
        seconds = max(b.wall - a.wall, 1e-9)
        cpus = os.cpu_count() or 1
        noise = MachineNoise(seconds=seconds, cpus=cpus)
        if a.jiffies is not None and b.jiffies is not None:
            d = [y - x for x, y in zip(a.jiffies, b.jiffies)]
            all_j = sum(d) or 1
            steal = d[7] / all_j
            busy_s = (all_j - d[3] - d[4] - d[7]) / _HZ
            other = max(0.0, busy_s - (b.ours - a.ours)) / seconds
            noise = MachineNoise(seconds, cpus, steal=steal, other_cores=other)
        if a.pressure_us is not None and b.pressure_us is not None:
            noise = MachineNoise(noise.seconds, cpus, noise.steal, (b.pressure_us - a.pressure_us) / 1e6 / seconds,
                                 noise.other_cores)
        return noise
