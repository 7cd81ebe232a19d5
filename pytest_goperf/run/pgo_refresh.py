"""Refresh ``default.pgo``: from the gate's own load (``--goperf-update-pgo``) or from a live URL.

From load: the service is built *without* PGO (profiling a PGO build would
feed the profile's own inlining back into it), started as the gate starts
it, and driven by the configured load for ``pgo.windows`` windows; each
window's CPU profile covers ``load.duration``.  From a URL: N captures of
``/debug/pprof/profile?seconds=S``, typically through ``kubectl
port-forward``.  Either way ``_finish`` merges, refuses short captures,
runs the diagnostics on the new profile, reports what changed and replaces
the file atomically (pgo/refresh.py has the rules).
"""

from __future__ import annotations

import dataclasses
import datetime
import socket
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_goperf import __version__
from pytest_goperf.errors import CaptureError, ConfigError, GoperfError, InputError
from pytest_goperf.gates.pgo import PgoThreshold
from pytest_goperf.go.toolchain import GoToolchain
from pytest_goperf.pgo.change import ProfileChange, profile_change
from pytest_goperf.pgo.diagnose import Finding, PgoEvidence
from pytest_goperf.pgo.metadata import Metadata
from pytest_goperf.pgo.refresh import (
    RefreshRefused,
    merge_captures,
    refuse_if_short,
    writable_target,
)
from pytest_goperf.pgo.report import refresh_lines, refresh_markdown
from pytest_goperf.pgo.settings import DEFAULT_MIN_SAMPLES
from pytest_goperf.run.pgo_evidence import Target

if TYPE_CHECKING:
    from pytest_goperf.run.gate_run import GateRun


@dataclass(frozen=True)
class RefreshOutcome:
    path: Path
    change: ProfileChange
    evidence: PgoEvidence | None
    findings: tuple[Finding, ...]
    report: Path
    captures: tuple[Path, ...]
    source: str

    def lines(self) -> list[str]:
        return [*refresh_lines(self.change, self.source, self.evidence, self.findings), f"report: {self.report}"]


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _finish(go: GoToolchain, target: Target, captures: Sequence[Path], meta: Metadata, min_samples: int,
            out_dir: Path, cache_dir: Path, how: str, command: str, threshold: PgoThreshold,
            summary: Path | None = None, say: Callable[[str], None] = lambda _m: None) -> RefreshOutcome:
    from pytest_goperf.gates.pgo import pgo_findings
    from pytest_goperf.pprof.write import encode_profile, write_profile
    from pytest_goperf.run.pgo_evidence import gather

    dest = writable_target(target.main_dir)
    merged, samples = merge_captures(captures, meta)
    refuse_if_short(samples, min_samples, out_dir, how)
    candidate = write_profile(merged, out_dir / "default.pgo")
    say(f"merged {len(captures)} capture(s): {samples} samples; checking the new profile against the code")
    evidence: PgoEvidence | None = None
    found: tuple[Finding, ...] = ()
    notes: list[str] = []
    try:
        evidence = gather(go, target, out_dir / "check", cache_dir, profile=candidate)
        found = tuple(pgo_findings(evidence, threshold))
    except GoperfError as exc:
        notes.append(f"warning: the diagnostics of the new profile could not run: {exc}")
    if evidence is not None and evidence.identity is not None and evidence.identity.another_program:
        raise RefreshRefused(f"{next(f.message for f in found if f.kind == 'another-program')}; default.pgo was "
                             f"NOT changed (the captures are in {out_dir})")
    change = dataclasses.replace(profile_change(dest, merged, len(encode_profile(merged)), samples),
                                 notes=tuple(notes))
    write_profile(merged, dest)
    report = summary or out_dir / "summary.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(refresh_markdown(change, meta.source or "", meta.go_label, evidence, found, command),
                      encoding="utf-8")
    return RefreshOutcome(path=dest, change=change, evidence=evidence, findings=found, report=report,
                          captures=tuple(captures), source=meta.source or "")


# --- from the gate's own load ----------------------------------------------------


def refresh_from_load(run: GateRun) -> RefreshOutcome:
    """``--goperf-update-pgo`` for one goperf.yaml: build pgo-off, load it, capture, merge, write."""
    from pytest_goperf.go.build import Side, build_side
    from pytest_goperf.go.service import service_for
    from pytest_goperf.load.generator import build_loadgen
    from pytest_goperf.tool_cache import tool_cache
    from pytest_goperf.run.window import run_window

    cfg = run.cfg
    svc = cfg.service
    if svc.attach is not None:
        raise ConfigError(f"{cfg.path}: --goperf-update-pgo refreshes default.pgo from a service goperf builds and "
                          f"starts, but this file attaches to {svc.attach.url}; refresh from the running service "
                          f"with: goperf pgo refresh --from {svc.attach.debug_url or '<debug-url>'} --main <main package folder>")
    if cfg.load is None:
        raise ConfigError(f"{cfg.path}: --goperf-update-pgo drives the configured load at the service, but the file "
                          "has no 'load' section; add one with the requests production sees")
    load = cfg.pgo.load_for_refresh(cfg.load)
    target = Target(module=svc.module, main=svc.main, flags=svc.build_flags)
    writable_target(target.main_dir)          # before minutes of building and loading
    go = run.go().with_env(svc.build_env)
    out = run.make_artifacts() / "pgo-refresh"
    out.mkdir(parents=True, exist_ok=True)
    windows = cfg.pgo.windows
    gate = cfg.thresholds.build.get("pgo")
    min_samples = cfg.pgo.min_samples or (gate.min_samples if gate is not None else DEFAULT_MIN_SAMPLES)
    run.say("refreshing default.pgo: building without PGO")
    built = build_side(go, Side(label="pgo-off", module=svc.module, main=svc.main, pgo="off"), out / "pgo-off",
                       service_name=run.name, build_flags=svc.build_flags, build_service=True, progress=run.say)
    loadgen = None if load.command else build_loadgen(run.go(), tool_cache("loadgen", run.artifacts.parent / ".cache"))
    captures: list[Path] = []
    with service_for(svc, built.service_binary, out, probe_debug=True) as service:
        if service.debug_url is None:
            raise CaptureError(f"{cfg.path}: the service has no pprof endpoint to profile "
                               f"({service.debug_problem or 'no {debug_addr} in service.args'})")
        for i in range(windows):
            run.say(f"refreshing default.pgo: window {i + 1}/{windows}, {load.warmup:g}s warmup + "
                     f"{load.duration:g}s CPU profile")
            window = run_window(service, load, out / f"window-{i + 1}", loadgen=loadgen,
                                command_cwd=cfg.path.parent, captures={"cpu"})
            if window.cpu_profile is None:
                raise CaptureError(f"window {i + 1}: no CPU profile: {window.errors.get('cpu', 'capture failed')}; "
                                   "default.pgo was NOT changed")
            captures.append(window.cpu_profile)
    rate = f"{load.rate:g} req/s" if load.rate else f"{load.connections} connections"
    meta = Metadata(go=go.version, source=f"load window of {run.name} (pgo-off build), {windows} x "
                                          f"{load.duration:g}s at {rate}",
                    written=f"{_now()} by pytest-goperf {__version__}")
    how = "Capture longer or under more load (pgo.duration, pgo.rate: max), or more windows (pgo.windows)."
    return _finish(go, target, captures, meta, min_samples, out, run.artifacts.parent / ".cache", how,
                   "pytest --goperf --goperf-update-pgo", gate or PgoThreshold(min_samples=min_samples), say=run.say)


# --- from a live URL ---------------------------------------------------------------


def _base_url(url: str) -> str:
    """The debug base URL, whether given as host:port, .../debug/pprof or .../debug/pprof/profile?seconds=N."""
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--from {url!r}: give the service's debug address, e.g. http://localhost:6060")
    path = parts.path.rstrip("/")
    for tail in ("/profile", "/debug/pprof"):
        path = path.removesuffix(tail)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _reachable(base: str) -> None:
    parts = urllib.parse.urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=5):
            return
    except ConnectionRefusedError:
        why = "connection refused"
    except socket.gaierror as exc:
        raise InputError(f"--from {base}: cannot resolve {parts.hostname} ({exc})") from None
    except OSError as exc:
        why = f"cannot connect ({exc.strerror or exc})"
    raise InputError(f"--from {base}: {why}. Is the service's debug (pprof) listener up on port {port}, and is the "
                     f"port forwarded to it (kubectl port-forward pod/<pod> {port}:<debug port>)? Check with: "
                     f"curl {base}/debug/pprof/")


def refresh_from_url(go: GoToolchain, url: str, main_dir: Path, *, seconds: int, times: int, out_dir: Path,
                     cache_dir: Path, min_samples: int, go_version: str | None, summary: Path | None,
                     say: Callable[[str], None]) -> RefreshOutcome:
    """``goperf pgo refresh --from URL``: N captures of S seconds, merged, checked and written."""
    from pytest_goperf.pprof.capture import fetch_profile

    main_dir = main_dir.resolve()
    module = next((d for d in (main_dir, *main_dir.parents) if (d / "go.mod").is_file()), None)
    if module is None:
        raise InputError(f"--main {main_dir}: no go.mod in it or above it; give the service's main package folder")
    target = Target(module=module, main=str(main_dir.relative_to(module)) or ".")
    writable_target(main_dir)
    base = _base_url(url)
    _reachable(base)
    out_dir.mkdir(parents=True, exist_ok=True)
    captures = []
    for i in range(times):
        say(f"capture {i + 1}/{times}: {base}/debug/pprof/profile?seconds={seconds}")
        try:
            captures.append(fetch_profile(base, "profile", out_dir / f"capture-{i + 1}.pprof", seconds=seconds))
        except CaptureError as exc:
            raise CaptureError(f"{exc}; default.pgo was NOT changed") from None
    meta = Metadata(go=go_version, source=f"{base}, {times} x {seconds}s CPU profile",
                    written=f"{_now()} by goperf {__version__}")
    how = "Capture longer (--seconds), more often (--times), or while the service is busier."
    cmd = f"goperf pgo refresh --from {url} --seconds {seconds} --times {times} --main {main_dir}"
    return _finish(go, target, captures, meta, min_samples, out_dir, cache_dir, how, cmd,
                   PgoThreshold(min_samples=min_samples), summary=summary, say=say)
