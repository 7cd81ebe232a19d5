"""Drive load at a service: build the Go load generator once, run it, read its result.

The generator ships as Go source inside the package (``load/loadgen``) and is
built with the user's toolchain on first use, cached by a hash of its source
and the Go version, so CI needs no extra binary.  ``load.command`` runs the
user's own tool instead; its latency is only judged if it writes our JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import LoadConfig, TLSConfig, check_path_template
from ..errors import LoadError
from ..go.ports import is_loopback_host, url_origin
from ..go.process import kill_group, tail_lines
from ..go.shipped import helper_env
from ..go.toolchain import GoToolchain
from .model import LoadResult, read_result

LOADGEN_SOURCE = Path(__file__).parent / "loadgen"


def _source_files() -> list[str]:
    """go.mod and every non-test .go file of the generator, in a stable order."""
    names = [p.name for p in LOADGEN_SOURCE.glob("*.go") if not p.name.endswith("_test.go")]
    return ["go.mod", *sorted(names)]


def loadgen_key(go: GoToolchain) -> str:
    """Content hash of the generator's source plus the Go version that builds it."""
    h = hashlib.sha256(go.version.encode())
    for name in _source_files():
        h.update(name.encode() + b"\0" + (LOADGEN_SOURCE / name).read_bytes())
    return h.hexdigest()[:16]


def build_loadgen(go: GoToolchain, cache_dir: Path) -> Path:
    """Return the cached generator binary, building it with ``go`` on first use."""
    if not sys.platform.startswith("linux"):
        raise LoadError("the built-in load generator runs on Linux only (it drives sockets through epoll); "
                        "set load.command to run your own load tool on this system")
    cache_dir = Path(cache_dir)
    dest = cache_dir / f"goperf-loadgen-{loadgen_key(go)}"
    if dest.is_file() and os.access(dest, os.X_OK):
        return dest
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".loadgen-build-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in _source_files():
            shutil.copy2(LOADGEN_SOURCE / name, src / name)
        out = Path(tmp) / "loadgen"
        try:
            proc = subprocess.run(
                [go.path, "build", "-o", str(out), "."],
                cwd=src, env=helper_env(go), capture_output=True, text=True, timeout=600,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise LoadError(f"cannot build the load generator with {go.path}: {exc}") from exc
        if proc.returncode != 0:
            raise LoadError(
                f"building the load generator with {go.path} failed (exit {proc.returncode}):\n"
                f"{(proc.stdout + proc.stderr).strip()}"
            )
        os.replace(out, dest)  # atomic: concurrent builders agree on the result
    return dest


def check_target(target_url: str, allowed_hosts: Iterable[str] = ()) -> None:
    """Refuse any target that is neither loopback nor an explicitly allowed (attach) origin."""
    parts = urlsplit(target_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoadError(f"load target {target_url!r} must be an http://host:port or https://host:port URL")
    if is_loopback_host(parts.hostname):
        return
    origin, host = url_origin(target_url), parts.hostname.lower()
    for entry in allowed_hosts:  # an origin URL, host:port, or a bare host (any port)
        e = entry.strip().rstrip("/").lower()
        if "://" in e:
            e = url_origin(e)
        if e in (origin, origin.split("://", 1)[1], host):
            return
    raise LoadError(
        f"refusing to send load to {origin}: only loopback or the service.attach URL may be targeted"
    )


def tls_json(tls: TLSConfig | None) -> dict[str, Any]:
    """``service.tls`` as the generator's JSON config reads it."""
    if tls is None:
        return {}
    return {"ca_file": str(tls.ca_file) if tls.ca_file else "", "insecure_skip_verify": tls.insecure_skip_verify,
            "server_name": tls.server_name or ""}


def _config_json(target_url: str, load: LoadConfig, allowed: Sequence[str],
                 tls: TLSConfig | None = None) -> dict[str, Any]:
    requests = []
    for i, spec in enumerate(load.requests, 1):
        if (problem := check_path_template(spec.path)) is not None:
            raise LoadError(f"load.requests[{i}] ({spec.method} {spec.path}): {problem}")
        entry: dict[str, Any] = {"method": spec.method, "path": spec.path, "headers": dict(spec.headers),
                                 "weight": spec.weight}
        if spec.body_file is not None:
            if not Path(spec.body_file).is_file():
                raise LoadError(f"load.requests[{i}] ({spec.method} {spec.path}): body_file {spec.body_file} does not exist")
            entry["body_file"] = str(spec.body_file)
        elif spec.body is not None:
            entry["body"] = spec.body
        requests.append(entry)
    return {"target": target_url, "allow": list(allowed), "rate": load.rate or 0, "connections": load.connections,
            "threads": load.threads, "warmup_s": load.warmup, "duration_s": load.duration,
            "timeout_s": load.timeout, "expect_status": list(load.expect_status),
            "follow_redirects": load.follow_redirects, "requests": requests, "http2": load.http2,
            "arrivals": load.arrivals,
            "tls": tls_json(tls)}


class LoadRun:
    """A running load (our generator or ``load.command``), so captures can run beside it."""

    def __init__(self, argv: Sequence[str], *, log_path: Path, result_path: Path | None, deadline: float,
                 what: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        self.log_path = log_path
        self.result_path = result_path
        self.what = what
        self.deadline = deadline  # seconds from start after which we stop it
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.started = time.monotonic()
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                cwd=cwd, env={**os.environ, **(env or {})}, start_new_session=True,
            )
        except OSError as exc:
            self._log.close()
            raise LoadError(f"cannot start {what} {argv[0]!r}: {exc}") from exc
        self.returncode: int | None = None
        self.stopped_by_us = False

    @property
    def pid(self) -> int | None:
        """The process id while it runs (None once stopped)."""
        return self._proc.pid if self._proc is not None else None

    def poll(self) -> int | None:
        return self._proc.poll() if self._proc is not None else self.returncode

    def wait(self) -> int:
        """Wait until it ends by itself or its deadline passes (then stop it)."""
        if self._proc is not None:
            remaining = self.deadline - (time.monotonic() - self.started)
            try:
                self._proc.wait(timeout=max(remaining, 0.0))
            except subprocess.TimeoutExpired:
                self.stopped_by_us = True
            self.stop()
        assert self.returncode is not None
        return self.returncode

    def stop(self) -> None:
        """SIGTERM then SIGKILL the process group; idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            kill_group(proc, 3.0)
            self.returncode = proc.returncode
            self._log.close()

    def log_tail(self, n: int = 20) -> str:
        return tail_lines(self.log_path, n)

    def __enter__(self) -> LoadRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def result(self) -> LoadResult | None:
        """Wait, then read the JSON result (``None``: a command that writes none)."""
        code = self.wait()
        if self.result_path is None:
            return None
        if not self.result_path.is_file():
            if self.what != "load generator":
                return None
            raise LoadError(f"the load generator exited {code} without a result:\n{self.log_tail()}")
        return read_result(self.result_path)


def start_load(binary: Path, target_url: str, load: LoadConfig, result_path: Path, *,
               allowed_hosts: Iterable[str] = (), tls: TLSConfig | None = None) -> LoadRun:
    """Start our generator against ``target_url``; returns at once (see ``LoadRun``).

    http:// without ``load.http2`` runs the epoll engine (HTTP/1.1); https://
    or ``load.http2`` runs the net/http engine (``tls`` says what to trust).
    """
    allowed = list(allowed_hosts)
    check_target(target_url, allowed)
    result_path = Path(result_path)
    result_path.parent.mkdir(parents=True, exist_ok=True)
    result_path.unlink(missing_ok=True)
    cfg_path = result_path.with_name(result_path.stem + "-config.json")
    cfg_path.write_text(json.dumps(_config_json(target_url, load, allowed, tls), indent=1))
    log = result_path.with_name(result_path.stem + ".log")
    return LoadRun([str(binary), "-config", str(cfg_path), "-result", str(result_path)], log_path=log,
                   result_path=result_path, deadline=load.warmup + load.duration + load.timeout + 10.0,
                   what="load generator")


def run_load(binary: Path, target_url: str, load: LoadConfig, result_path: Path, *,
             allowed_hosts: Iterable[str] = (), tls: TLSConfig | None = None) -> LoadResult:
    """Run our generator to completion and return its result."""
    with start_load(binary, target_url, load, result_path, allowed_hosts=allowed_hosts, tls=tls) as run:
        code = run.wait()
        if code != 0 or not result_path.is_file():
            raise LoadError(f"the load generator failed (exit {code}):\n{run.log_tail()}")
        return read_result(result_path)


def start_command(load: LoadConfig, *, url: str, artifacts: Path, cwd: Path | None = None) -> LoadRun:
    """Run ``load.command`` for warmup + duration (stopped with SIGTERM if it runs on).

    Placeholders in its arguments: ``{url}``, ``{warmup}``, ``{duration}``
    (Go durations), ``{rate}``, ``{connections}``, ``{result}``; the same go
    into ``GOPERF_URL``, ``GOPERF_RESULT`` ... environment variables.
    """
    assert load.command
    result = Path(load.result) if load.result else artifacts / "load-result.json"
    values = {"url": url, "warmup": f"{load.warmup:g}s", "duration": f"{load.duration:g}s",
              "rate": f"{load.rate:g}" if load.rate else "", "connections": str(load.connections),
              "result": str(result)}
    argv = []
    for arg in load.command:
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        argv.append(arg)
    env = {f"GOPERF_{k.upper()}": v for k, v in values.items()}
    if load.result:
        result.unlink(missing_ok=True)
    return LoadRun(argv, log_path=artifacts / "load-command.log", result_path=result if load.result else None,
                   deadline=load.warmup + load.duration + load.timeout, what="load.command", cwd=cwd, env=env)
