"""The machine's noise over a window: a real meter on this machine, and what the trace gates tolerate from it."""

from __future__ import annotations

import os
import time

import pytest

from pytest_goperf.health.machine import MachineNoise, NoiseMeter


def test_meter_reads_this_machine() -> None:
    meter = NoiseMeter().start()
    end = time.monotonic() + 0.3
    while time.monotonic() < end:  # our own CPU: never counted as other processes'
        pass
    noise = meter.stop()
    assert noise.seconds >= 0.3 and noise.cpus == (os.cpu_count() or 1)
    if os.path.exists("/proc/stat"):
        assert noise.steal is not None and 0.0 <= noise.steal <= 1.0
        assert noise.other_cores is not None and noise.other_cores >= 0.0
    assert "machine noise over the" in noise.describe()
    assert set(noise.figures()) == {"machine_steal", "machine_cpu_pressure", "machine_other_cores",
                                    "machine_stall_share"}


@pytest.mark.parametrize(("steal", "cpus", "share"), [(None, 2, 0.0), (0.0, 2, 0.0), (0.05, 2, 0.0975),
                                                      (0.182, 2, 0.330876), (0.05, 1, 0.05), (1.5, 2, 1.0)])
def test_stall_share_is_the_chance_some_cpu_is_stolen(steal: float | None, cpus: int, share: float) -> None:
    assert MachineNoise(30.0, cpus, steal=steal).stall_share == pytest.approx(share)
