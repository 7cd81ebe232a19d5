"""``load.tool``: start the chosen engine for one window, and read what it measured as a ``LoadResult``.

``builtin`` is our generator (``generator.py``), ``vegeta`` and ``locust``
run as several processes (attackers; a master and its workers), each in its
own process group, awaited and always stopped together (``GroupRun``).
Their results are turned into goperf-load/1 (``load.json``) after the window,
so the latency gate never knows which engine measured.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import LoadConfig, RequestSpec, TLSConfig
from ..errors import LoadError
from .generator import LoadRun, check_target, start_command, start_load
from .model import LoadResult, read_result


class GroupRun:
    """Several engine processes that make one load run; the result is built from their files at the end."""

    def __init__(self, runs: Sequence[LoadRun], *, what: str, result_path: Path,
                 finish: Callable[[], dict[str, Any]]) -> None:
        self.runs = list(runs)
        self.what = what
        self.result_path = result_path
        self._finish = finish
        self.started = min(r.started for r in self.runs)

    @property
    def pid(self) -> int | None:
        return self.runs[0].pid

    def poll(self) -> int | None:
        """None while any process runs; else the first non-zero exit status (0 if all ended well)."""
        codes = [r.poll() for r in self.runs]
        if any(c is None for c in codes):
            return None
        return next((c for c in codes if c), 0)

    def wait(self) -> int:
        codes = [r.wait() for r in self.runs]
        return next((c for c in codes if c), 0)

    def stop(self) -> None:
        for r in self.runs:
            r.stop()

    def log_tail(self, n: int = 20) -> str:
        return "\n".join(f"--- {r.log_path.name} ---\n{r.log_tail(n)}" for r in self.runs)

    def __enter__(self) -> GroupRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def result(self) -> LoadResult:
        code = self.wait()
        try:
            data = self._finish()
        except LoadError as exc:
            raise LoadError(f"{self.what} (exit {code}): {exc}\n{self.log_tail()}") from None
        self.result_path.write_text(json.dumps(data, indent=1) + "\n")
        return read_result(self.result_path)


def start_engine(load: LoadConfig, url: str, artifacts: Path, *, loadgen: Path | None = None,
                 vegeta: Path | None = None, allowed_hosts: Iterable[str] = (), tls: TLSConfig | None = None,
                 cwd: Path | None = None) -> LoadRun | GroupRun:
    """Start ``load.command``, our generator, vegeta or Locust against ``url``; returns at once."""
    if load.command:
        return start_command(load, url=url, artifacts=artifacts, cwd=cwd)
    if load.tool == "vegeta":
        if vegeta is None:
            raise LoadError("load.tool: vegeta needs the vegeta binary (load.vegeta.install_vegeta)")
        check_target(url, allowed_hosts)
        return start_vegeta(vegeta, load, url, artifacts, tls=tls)
    if load.tool == "locust":
        check_target(url, allowed_hosts)
        return start_locust(load, url, artifacts, tls=tls)
    if loadgen is None:
        raise LoadError("the built-in engine needs the load generator binary (build_loadgen)")
    return start_load(loadgen, url, load, artifacts / "load.json", allowed_hosts=allowed_hosts, tls=tls)


def start_vegeta(vegeta: Path, load: LoadConfig, url: str, artifacts: Path, *,
                 tls: TLSConfig | None = None) -> GroupRun:
    """``load.vegeta.attackers`` local ``vegeta attack`` processes at an equal share of the rate."""
    from .vegeta import attack_argv, vegeta_result, write_targets

    artifacts.mkdir(parents=True, exist_ok=True)
    n = load.vegeta.attackers
    slots = int((load.warmup + load.duration) * (load.rate or 0)) + 1
    targets = artifacts / "vegeta-targets.jsonl"
    entries = write_targets(load, url, targets, slots)
    outputs = [artifacts / f"vegeta-{i}.bin" for i in range(n)]
    runs: list[LoadRun] = []
    try:
        for i, out in enumerate(outputs):
            out.unlink(missing_ok=True)
            argv = attack_argv(vegeta, load, targets, out, attackers=n, index=i, tls=tls,
                               cleartext=urlsplit(url).scheme == "http")
            runs.append(LoadRun(argv, log_path=artifacts / f"vegeta-{i}.log", result_path=None,
                                deadline=load.warmup + load.duration + load.timeout + 10.0, what="vegeta"))
    except BaseException:
        for r in runs:
            r.stop()
        raise
    return GroupRun(runs, what=f"vegeta ({n} attacker{'s' if n > 1 else ''})", result_path=artifacts / "load.json",
                    finish=lambda: vegeta_result(vegeta, load, url, outputs, entries))


LOCUST_FILES = Path(__file__).parent / "locust_files"


def locust_available() -> str | None:
    """Why Locust cannot run from this Python (None: it can)."""
    import importlib.util

    missing = [m for m in ("locust", "hdrh") if importlib.util.find_spec(m) is None]
    if missing:
        return (f"load.tool: locust needs {' and '.join(missing)} in this Python ({sys.executable}): "
                "pip install 'pytest-goperf[locust]'")
    return None


def start_locust(load: LoadConfig, url: str, artifacts: Path, *, tls: TLSConfig | None = None,
                 startup: float = 60.0) -> GroupRun:
    """A headless Locust master with ``load.locust.workers`` workers; returns once the load has started."""
    import base64
    import math

    from ..go.ports import free_port

    if (problem := locust_available()) is not None:
        raise LoadError(problem)
    artifacts.mkdir(parents=True, exist_ok=True)
    workers = load.locust.workers
    result = artifacts / "locust-result.json"
    for stale in (result, Path(f"{result}.started")):
        stale.unlink(missing_ok=True)
    def body(r: RequestSpec) -> str | None:
        raw = r.body_file.read_bytes() if r.body_file else r.body.encode() if r.body is not None else None
        return base64.b64encode(raw).decode() if raw is not None else None

    requests = [{"method": r.method, "path": r.path, "weight": r.weight, "headers": dict(r.headers),
                 "body": body(r)} for r in load.requests]
    settings = {"url": url, "rate": load.rate or 0, "warmup": load.warmup, "duration": load.duration,
                "timeout": load.timeout, "workers": workers, "expect": list(load.expect_status),
                "requests": requests, "result": str(result),
                "ca_file": str(tls.ca_file) if tls is not None and tls.ca_file else "",
                "insecure": bool(tls is not None and tls.insecure_skip_verify)}
    env = {"GOPERF_LOCUST": json.dumps(settings), "PYTHONUNBUFFERED": "1"}
    userfile = load.locust.locustfile or LOCUST_FILES / "goperf_locustfile.py"
    files = f"{userfile},{LOCUST_FILES / 'goperf_hook.py'}"
    port = free_port()
    run_time = load.warmup + load.duration + 2.0   # the users stop at the window's end; this is a margin for
    # the workers, whose clocks start when the master's spawn message reaches them
    deadline = startup + run_time + load.timeout + 30.0
    users = max(load.connections, workers)
    master = [sys.executable, "-m", "locust", "-f", files, "--headless", "--master", "--master-bind-host",
              "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", str(workers), "-u", str(users),
              "-r", str(users), "--run-time", f"{math.ceil(run_time)}s", "--stop-timeout", f"{load.timeout:g}",
              "--host", url, "--csv", str(artifacts / "locust"), "--exit-code-on-error", "0", "--only-summary"]
    runs = [LoadRun(master, log_path=artifacts / "locust-master.log", result_path=None, deadline=deadline,
                    what="locust", cwd=userfile.parent, env=env)]
    try:
        for i in range(workers):
            argv = [sys.executable, "-m", "locust", "-f", files, "--worker", "--master-host", "127.0.0.1",
                    "--master-port", str(port)]
            runs.append(LoadRun(argv, log_path=artifacts / f"locust-worker-{i}.log", result_path=None,
                                deadline=deadline, what="locust", cwd=userfile.parent, env=env))
        group = GroupRun(runs, what=f"locust (master + {workers} worker{'s' if workers > 1 else ''})",
                         result_path=artifacts / "load.json", finish=lambda: locust_result(load, url, artifacts))
        limit = time.monotonic() + startup
        while not Path(f"{result}.started").is_file():
            if group.poll() is not None or any(r.poll() is not None for r in runs):
                raise LoadError(f"Locust ended before the load started:\n{group.log_tail()}")
            if time.monotonic() > limit:
                raise LoadError(f"Locust's {workers} worker(s) did not start the load within {startup:g}s:\n"
                                f"{group.log_tail()}")
            time.sleep(0.05)
    except BaseException:
        for r in runs:
            r.stop()
        raise
    return group


def locust_result(load: LoadConfig, url: str, artifacts: Path) -> dict[str, Any]:
    """goperf-load/1 from the hook's merged histograms, plus Locust's own aggregated stats beside it."""
    import math

    from .tally import Tally, decode_into

    path = artifacts / "locust-result.json"
    if not path.is_file():
        raise LoadError(f"Locust wrote no {path.name} (did the master quit normally?)")
    data = json.loads(path.read_text())
    keys = [f"{r.method} {r.path}" for r in load.requests] if load.locust.locustfile is None else sorted(data["entries"])
    entries = [(k.split(" ", 1)[0], url.rstrip("/") + k.split(" ", 1)[1]) for k in keys]
    tally = Tally(expect=load.expect_status, entries=entries)
    for key, phases in data["entries"].items():
        if key not in keys:
            continue
        for phase, counts in enumerate(phases):
            if counts is not None:
                tally.phases[phase][keys.index(key)].add(counts)
    decode_into(tally.latency, data["lat"])
    decode_into(tally.lag, data["lag"])
    tally.sent_in_window = int(data["sent"])
    tally.examples.update(data["examples"])
    dropped = (0, 0)
    if load.rate and load.locust.locustfile is None:
        warm = sum(p.requests for p in tally.phases[0])
        window = sum(p.requests for p in tally.phases[1])
        warm_slots = math.ceil(load.warmup * load.rate)
        window_slots = math.ceil((load.warmup + load.duration) * load.rate) - warm_slots
        dropped = (max(warm_slots - warm, 0), max(window_slots - window, 0))
    model = "open" if load.rate and load.locust.locustfile is None else "closed"
    extra: dict[str, Any] = {"workers": data.get("workers"), "locust_stats": _locust_stats(artifacts)}
    return tally.result(engine=f"locust {data.get('locust', '')}".strip(), target=url, model=model,
                        rate=load.rate if model == "open" else None, connections=load.connections,
                        warmup=load.warmup, duration=load.duration, dropped=dropped, extra=extra)


def _locust_stats(artifacts: Path) -> dict[str, Any] | None:
    """Locust's own "Aggregated" row (whole run, warmup included; its percentiles rounded to 2 digits)."""
    import csv

    stats = artifacts / "locust_stats.csv"
    if not stats.is_file():
        return None
    with stats.open() as fh:
        for row in csv.DictReader(fh):
            if row.get("Name") == "Aggregated":
                return {k: row[k] for k in ("Request Count", "Failure Count", "50%", "90%", "99%", "100%")
                        if k in row}
    return None
