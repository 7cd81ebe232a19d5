"""Service, endpoint and load-generator rows of the fault matrix, against tests/data/faults/service.

Three sessions at once, one misbehaving service per goperf.yaml (2 s windows).  Per
case: the gate's exit and message (cause, where to look, what to change),
no traceback, the service log and captures kept, no process left.  The
service that ignores SIGTERM is killed after the grace period and its gate
still passes.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator

import pytest

from pytest_goperf.go.toolchain import GoToolchain

from tests.faults.harness import DATA, Session, run_goperf_concurrently
from tests.helpers import processes_under

SERVICE = DATA / "service"
LATENCY = "{latency: {p99: 1s}}"
CPU = "{cpu: {max_function_share: 90%, min_samples: 1}}"


def _yaml(name: str, mode: str, thresholds: str, ready: str = "10s", debug: str = "-debug-addr={debug_addr}",
          addr: str = "-addr={addr}") -> str:
    return (f"service: {{name: {name}, module: {SERVICE}, args: ['{addr}', '{debug}', '-mode={mode}'], "
            f"ready: {{path: /healthz, timeout: {ready}}}}}\n"
            "load: {warmup: 0s, duration: 2s, rate: 20, timeout: 500ms, requests: [{path: /}], trace: 1s}\n"
            f"thresholds: {thresholds}\n")


@pytest.fixture(scope="module")
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, taken_port: int, go: GoToolchain) -> Session:
    folder = tmp_path_factory.mktemp("service-faults")
    files = {
        "exit_at_once": _yaml("exit_at_once", "exit", LATENCY),
        "never_ready": _yaml("never_ready", "never-ready", LATENCY, ready="2s"),
        "crash_mid": _yaml("crash_mid", "crash-after", LATENCY),
        "ignores_term": _yaml("ignores_term", "ignore-term", LATENCY),
        "floods_stdout": _yaml("floods_stdout", "flood", LATENCY),
        "port_taken": _yaml("port_taken", "ok", LATENCY, addr=f"-addr=127.0.0.1:{taken_port}"),
        "public_debug": _yaml("public_debug", "ok", CPU, debug="-debug-addr=0.0.0.0:0"),
        "too_slow": _yaml("too_slow", "slow", LATENCY),
        "all_500": _yaml("all_500", "status500", LATENCY),
        "pprof_404": _yaml("pprof_404", "pprof-404", CPU),
        "pprof_500": _yaml("pprof_500", "pprof-500", CPU),
        "pprof_html": _yaml("pprof_html", "pprof-html", CPU),
        "pprof_cut": _yaml("pprof_cut", "pprof-truncated", CPU),
        "trace_hang": _yaml("trace_hang", "trace-hang", "{scheduler: {p99: 1s}}"),
        "trace_index": _yaml("trace_index", "pprof-index-only", "{scheduler: {p99: 1s}}"),
    }
    for name, body in files.items():
        (folder / f"{name}.goperf.yaml").write_text(body)
    # Three sessions at once, four or five services each: the outcomes are the faults', not timings.  The two that
    # wait longest (a deadline, a grace period) go to different sessions.  The service is built once first:
    # sessions starting together on a new machine would each compile the standard library, all at once.
    subprocess.run([str(go.path), "build", "-o", os.devnull, "."], cwd=SERVICE, env=go.env(), check=True,
                   capture_output=True, timeout=600)
    slow = ["trace_hang", "ignores_term"]
    names = [f"{name}.goperf.yaml" for name in slow + [n for n in files if n not in slow]]
    return run_goperf_concurrently(folder, [names[0::3], names[1::3], names[2::3]], "-rA")


def test_session_outcome(session: Session) -> None:
    assert session.returncode == 1, session.output[-4000:]
    counts = [tuple(map(int, m)) for m in re.findall(r"goperf: (\d+) failed, (\d+) passed, (\d+) skipped", session.output)]
    assert len(counts) == 3 and tuple(map(sum, zip(*counts))) == (13, 2, 0), session.output[-4000:]
    assert "Traceback" not in session.output and 'File "' not in session.output
    assert processes_under(session.folder) == []


def _log_kept(session: Session, name: str, line: str) -> None:
    assert line in (session.folder / "art" / name / "service.log").read_text()


def test_exits_at_once(session: Session) -> None:
    text = session.section("exit_at_once::latency")
    assert re.match(r"service exit_at_once \(pid \d+\) exited while starting \(exit status 3\)\.\n", text), text
    assert "faultservice: exiting at once on purpose" in text
    _log_kept(session, "exit_at_once", "exiting at once on purpose")


def test_never_ready(session: Session) -> None:
    text = session.section("never_ready::latency")
    first = text.splitlines()[0]
    assert re.fullmatch(r"service never_ready \(pid \d+\) was not ready after 2s: GET http://127\.0\.0\.1:\d+/healthz "
                        r"-> HTTP 503\. Check service\.ready and the args/env placeholders\.", first), first


def test_crashes_mid_window(session: Session) -> None:
    text = session.section("crash_mid::latency")
    assert re.match(r"service crash_mid \(pid \d+\) exited under load \(exit status 1\)\.\n", text), text
    assert "faultservice: crashing after 20 requests on purpose" in text
    _log_kept(session, "crash_mid", "crashing after 20 requests")


def test_ignores_sigterm_is_killed_and_judged(session: Session) -> None:
    assert "PASSED ignores_term.goperf.yaml::ignores_term::latency" in session.output
    assert processes_under(session.folder) == []


def test_floods_stdout_log_is_capped(session: Session) -> None:
    """Gigabytes to stdout: the log stops at 64 MiB plus a marker and the last 256 KiB; the gate still judges."""
    assert "PASSED floods_stdout.goperf.yaml::floods_stdout::latency" in session.output
    log = session.folder / "art" / "floods_stdout" / "service.log"
    assert log.stat().st_size <= (64 << 20) + (256 << 10) + 200
    with log.open("rb") as f:
        f.seek(-(256 << 10) - 200, 2)
        end = f.read()
    assert re.search(rb"\[goperf: log capped at 64 MiB; \d+ more bytes dropped, the last \d+ follow\]\n", end), end[:300]


def test_port_already_taken(session: Session, taken_port: int) -> None:
    text = session.section("port_taken::latency")
    assert str(taken_port) in text and "already taken" in text, text


def test_public_debug_listener_refused(session: Session) -> None:
    text = session.section("public_debug::cpu")
    assert "0.0.0.0:0" in text and "allow_public_debug" in text, text


def test_responses_slower_than_the_timeout(session: Session) -> None:
    text = session.section("too_slow::latency")
    assert re.match(r"every measured request to http://127\.0\.0\.1:\d+ failed \((\d+) timeout\); see "
                    rf"{re.escape(str(session.folder / 'art' / 'too_slow' / 'load.json'))}\.", text), text
    assert "timeout: no full response within the request timeout" in text
    assert (session.folder / "art" / "too_slow" / "load.json").is_file()


def test_every_request_fails(session: Session) -> None:
    text = session.section("all_500::latency")
    assert re.match(r"every measured request to http://127\.0\.0\.1:\d+ failed \((\d+) HTTP 500\)", text), text
    assert (session.folder / "art" / "all_500" / "load.json").is_file()


def test_pprof_404(session: Session) -> None:
    first = session.section("pprof_404::cpu").splitlines()[0]
    assert re.fullmatch(r"GET http://127\.0\.0\.1:\d+/debug/pprof/profile\?seconds=2 -> HTTP 404: 404 page not found\. "
                        r"Is net/http/pprof registered on this listener .*give that path as debug_url, e\.g\. "
                        r"http://host:port/admin/pprof/\.", first), first


def test_trace_reaching_only_pprof_index(session: Session) -> None:
    """A router that sends every /debug/pprof/* path to pprof.Index (prometheus/pushgateway's does) answers
    the trace with "Unknown profile": the message names the missing handler, not a missing pprof."""
    first = session.section("trace_index::scheduler").splitlines()[0]
    assert re.search(r"GET http://127\.0\.0\.1:\d+/debug/pprof/trace\?seconds=1 -> HTTP 404: Unknown profile\. This "
                     r"listener sends trace to net/http/pprof's Index, .* register pprof\.Trace for /debug/pprof/trace",
                     first), first


def test_pprof_500(session: Session) -> None:
    first = session.section("pprof_500::cpu").splitlines()[0]
    assert re.fullmatch(r"GET http://127\.0\.0\.1:\d+/debug/pprof/profile\?seconds=2 -> HTTP 500: profiler exploded\.",
                        first), first


def test_pprof_answers_html(session: Session) -> None:
    first = session.section("pprof_html::cpu").splitlines()[0]
    saved = session.folder / "art" / "pprof_html" / "cpu.pprof"
    assert first.endswith(f"answered, but not with a CPU profile (first bytes b'<html><body><h1>', saved in {saved}): "
                          "is this really a net/http/pprof endpoint?"), first
    assert saved.read_bytes().startswith(b"<html>")


def test_profile_cut_mid_transfer(session: Session) -> None:
    first = session.section("pprof_cut::cpu").splitlines()[0]
    assert re.fullmatch(r"GET http://127\.0\.0\.1:\d+/debug/pprof/profile\?seconds=2: the answer was cut off \d+ bytes "
                        r"short", first), first


def test_trace_endpoint_hangs_past_its_deadline(session: Session) -> None:
    first = session.section("trace_hang::scheduler").splitlines()[0]
    assert re.fullmatch(r"GET http://127\.0\.0\.1:\d+/debug/pprof/trace\?seconds=1: no answer after waiting \d+s", first), first
