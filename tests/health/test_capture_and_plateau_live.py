"""Issue 26 on real services: failed captures fail the gates, pprof under /admin/pprof/ is found,
a leak at a constant rate fails the heap gate and a cache that fills, then stays flat, passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.go.ports import free_port
from pytest_goperf.go.service import ServiceProcess

from .conftest import SHAPES

GENERIC = "main.(*Ring[go.shape.uint64]).Push"
WINDOW = """\
load:
  warmup: 500ms
  duration: {duration}
  rate: 100
  connections: 4
  requests: [{{path: /work}}]
  sample_every: 500ms
  trace: 0s
"""


def _attach(name: str, url: str, debug_url: str, thresholds: str) -> str:
    return (f"service:\n  name: {name}\n  attach: {{url: \"{url}\", debug_url: \"{debug_url}\"}}\n"
            + WINDOW.format(duration="4s") + f"thresholds:\n{thresholds}")


def _started(name: str, args: str, duration: str, thresholds: str) -> str:
    return (f"service:\n  name: {name}\n  module: {SHAPES}\n"
            f"  args: [\"-addr={{addr}}\", \"-debug-addr={{debug_addr}}\", {args}]\n"
            + WINDOW.format(duration=duration) + f"thresholds:\n{thresholds}")


def test_capture_failures_fail_and_plateaus_pass(pytester: pytest.Pytester, shapes_binary: Path) -> None:
    with ServiceProcess(shapes_binary, args=["-addr={addr}", "-debug-addr={debug_addr}", "-leak-bytes=65536",
                                             "-pprof-prefix=/admin/pprof/"],
                        env={}, log_path=pytester.path / "leaky.log") as svc:
        assert svc.debug_url is not None
        closed = f"http://127.0.0.1:{free_port()}"
        files = {
            # The issue's story: pprof under /admin/pprof/, given as debug_url, used as given; the leak fails.
            "admin.goperf.yaml": _attach("admin", svc.url, svc.debug_url + "/admin/pprof/",
                                         "  heap: {max_growth: 5%/min}\n"),
            # A wrong debug port: every sample fails, and so does the gate (it used to be skipped).
            "port.goperf.yaml": _attach("port", svc.url, closed, "  heap: {max_growth: 5%/min}\n"
                                        "  goroutines: {max_drift: 10%}\n"),
            # A started service whose pprof is not at /debug/pprof/: 404s fail every gate that needed them.
            "notfound.goperf.yaml": _started("notfound", '"-pprof-prefix=/admin/pprof/"', "4s",
                                             "  heap: {max_growth: 5%/min}\n  cpu: {min_samples: 1}\n"),
            # A cache filling 96 MiB over its first 2.5 s, then flat: a plateau, not a leak.
            # ... whose hottest function (~60%) is a generic method: cpu.ignore can name it as pprof prints it;
            # the next one, main.work, takes ~32%, so the limit sits well between the two.
            "cache.goperf.yaml": _started("cache", '"-cache-bytes=100663296", "-cache-fill=2500ms", "-ring=1000000"',
                                          "7s", "  heap: {max_growth: 5%/min}\n  cpu: {max_function_share: 50%, "
                                          "min_samples: 20, ignore: ['runtime.*', '" + GENERIC + "']}\n"),
        }
        for name, text in files.items():
            (pytester.path / name).write_text(text)
        result = pytester.runpytest("--goperf", *files, "--goperf-artifacts", str(pytester.path / "art"), "-rA")
    result.stdout.fnmatch_lines([
        "FAILED admin.goperf.yaml::admin::heap*", "FAILED port.goperf.yaml::port::heap*",
        "FAILED port.goperf.yaml::port::goroutines*", "FAILED notfound.goperf.yaml::notfound::cpu*",
        "FAILED notfound.goperf.yaml::notfound::heap*"])
    result.stdout.fnmatch_lines(["PASSED cache.goperf.yaml::cache::cpu", "PASSED cache.goperf.yaml::cache::heap"])
    result.assert_outcomes(passed=2, failed=5)
    art = pytester.path / "art"
    out = result.stdout.str()
    # /admin/pprof/ was used as given: every sample succeeded there, and the leak was seen.
    assert (art / "admin" / "heap-000.pprof").is_file() and '"errors": {}' in (art / "admin" / "window.json").read_text()
    result.stdout.fnmatch_lines(["heap keeps growing under constant load: heap in-use grows +*%/min*"])
    result.stdout.fnmatch_lines([
        f"heap: 8 of the window's samples failed, 0 succeeded (need 6): sample 000 heap: GET {closed}/debug/pprof/"
        "heap?gc=1&debug=1: connection refused*",
        f"goroutines: 8 of the window's samples failed, 0 succeeded (need 6): sample 000 goroutines: GET {closed}"
        "/debug/pprof/goroutine?debug=1: connection refused*",
    ])
    result.stdout.fnmatch_lines(["GET http://127.0.0.1:*/debug/pprof/profile?seconds=4 -> HTTP 404*give that path "
                                 "as debug_url, e.g. http://host:port/admin/pprof/."])
    result.stdout.fnmatch_lines(["heap: 8 of the window's samples failed*/debug/pprof/heap?gc=1&debug=1 -> HTTP 404*"])
    assert "only 0 heap samples" not in out and "SKIPPED" not in out
    # The generic method was the hottest function, and the ignore pattern written as pprof prints it skipped it.
    from pytest_goperf.gates.cpu import judge_cpu
    from pytest_goperf.pprof import read_profile, top

    prof = read_profile(art / "cache" / "cpu.pprof")
    assert GENERIC in [r.function for r in top(prof).rows[:5]]
    kept = judge_cpu(prof, max_function_share=1.0, min_samples=1, ignore=["runtime.*"])
    dropped = judge_cpu(prof, max_function_share=1.0, min_samples=1, ignore=["runtime.*", GENERIC])
    assert dropped.figures["hottest_function"] != GENERIC
    assert kept.figures["hottest_function"] == GENERIC or dropped.figures == kept.figures


def test_debug_url_rule(shapes_binary: Path, tmp_path: Path) -> None:
    from pytest_goperf.pprof.capture import fetch_profile, pprof_base, profile_url, resolve_pprof_base

    assert pprof_base("http://h:1") == pprof_base("http://h:1/") == "http://h:1/debug/pprof"
    assert pprof_base("http://h:1/debug/pprof/") == "http://h:1/debug/pprof"
    assert profile_url("http://h:1/admin/pprof/", "heap", gc=True) == "http://h:1/admin/pprof/heap?gc=1"
    assert profile_url("http://h:1/svc", "heap") == "http://h:1/svc/debug/pprof/heap"  # not probed: appended
    with ServiceProcess(shapes_binary, args=["-addr={addr}", "-debug-addr={debug_addr}",
                                             "-pprof-prefix=/admin/profiling/"],
                        env={}, log_path=tmp_path / "svc.log") as svc:
        assert svc.debug_url is not None
        given = svc.debug_url + "/admin/profiling/"
        base = resolve_pprof_base(given)  # answers the index: used as given
        assert profile_url(base, "heap").startswith(given + "heap")
        assert fetch_profile(base, "heap", tmp_path / "heap.pprof").stat().st_size > 0
        other = svc.debug_url + "/nothing/here"  # answers no index: /debug/pprof appended, as before
        assert resolve_pprof_base(other) == other
        assert profile_url(resolve_pprof_base(other), "heap") == other + "/debug/pprof/heap"
