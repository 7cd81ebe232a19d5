"""``load.tool: vegeta``: install a pinned vegeta, attack with N local processes, read every result file.

vegeta is installed with ``go install`` through the module proxy on first
use and cached by version and Go version, like our generator.  Each local
attacker runs at ``rate / attackers``; files other hosts produced in the
same window (``load.vegeta.results``) are merged in.  Merging is exact: the
raw results of every file are counted together, as ``vegeta report a b``
does.

vegeta's own latency runs from its actual send.  Its pacer sends hit ``i``
at ``(i + 1) / rate`` after the attack began and stamps it with ``seq`` and
the send time, so the schedule is rebuilt per file (slot ``i`` due at
``i / rate`` after the earliest send minus its slot) and latency is measured
from the scheduled start, as our engines measure it; the difference is the
send lag.
A file from elsewhere has its rate estimated from its own stamps.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import statistics
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import LoadConfig, TLSConfig
from ..errors import LoadError
from ..go.shipped import helper_env
from ..go.toolchain import GoToolchain
from .tally import Tally

MODULE = "github.com/tsenart/vegeta/v12"
VERSION = "v12.13.0"


def install_vegeta(go: GoToolchain, cache_dir: Path) -> Path:
    """The cached vegeta binary, ``go install``ed on first use (needs the Go module proxy once)."""
    dest = Path(cache_dir) / f"vegeta-{VERSION}-{go.version}"
    if dest.is_file() and os.access(dest, os.X_OK):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".vegeta-") as tmp:
        env = helper_env(go, GOBIN=tmp)
        try:
            proc = subprocess.run([str(go.path), "install", f"{MODULE}@{VERSION}"], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise LoadError(f"cannot install vegeta {VERSION} with {go.path}: {exc}") from None
        built = Path(tmp) / "vegeta"
        if proc.returncode != 0 or not built.is_file():
            raise LoadError(f"go install {MODULE}@{VERSION} failed (exit {proc.returncode}); load.tool: vegeta needs "
                            f"the Go module proxy once:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
        os.replace(built, dest)
    return dest


def _rate_arg(rate: float) -> str:
    """vegeta's ``-rate=freq/per`` for any positive rate (whole numbers per second when possible)."""
    if float(rate).is_integer():
        return f"{int(rate)}/1s"
    return f"{round(rate * 1000)}/1000s"


def write_targets(load: LoadConfig, url: str, path: Path, slots: int) -> list[tuple[str, str]]:
    """vegeta's JSON targets for the request mix; returns (method, url) per entry, placeholders as written.

    Weights repeat an entry (vegeta goes round the list); a path with
    ``{seq}`` or ``{rand:LO-HI}`` is expanded once per slot, in a seeded
    random order of the mix, since vegeta's targets are fixed.
    """
    import random
    import re

    rng = random.Random(1)
    base = url.rstrip("/")
    entries = [(spec.method, base + spec.path) for spec in load.requests]
    seq = [0] * len(load.requests)

    def expand(i: int) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group(1) == "seq":
                seq[i] += 1
                return str(seq[i])
            lo, hi = (int(x) for x in m.group(1)[5:].split("-"))
            return str(rng.randint(lo, hi))
        return re.sub(r"\{([^{}]*)\}", one, load.requests[i].path)

    def target(i: int, path: str) -> str:
        spec = load.requests[i]
        body = spec.body_file.read_bytes() if spec.body_file else (spec.body or "").encode()
        headers: dict[str, list[str]] = {}
        for k, v in spec.headers:
            headers.setdefault(k, []).append(v)
        return json.dumps({"method": spec.method, "url": base + path, "header": headers,
                           "body": base64.b64encode(body).decode()}) + "\n"

    weights = [spec.weight for spec in load.requests]
    with path.open("w") as out:
        if any("{" in spec.path for spec in load.requests):
            for i in rng.choices(range(len(weights)), weights=weights, k=max(slots, 1)):
                out.write(target(i, expand(i)))
        else:
            for i, spec in enumerate(load.requests):
                out.write(target(i, spec.path) * spec.weight)
    return entries


def attack_argv(vegeta: Path, load: LoadConfig, targets: Path, output: Path, *, attackers: int, index: int,
                tls: TLSConfig | None, cleartext: bool) -> list[str]:
    """One local attacker's command line: its share of the rate and of the connections."""
    conns = max(1, load.connections // attackers + (1 if index < load.connections % attackers else 0))
    argv = [str(vegeta), "attack", "-format=json", f"-targets={targets}", f"-output={output}",
            f"-name=goperf-{index}", f"-duration={load.warmup + load.duration:g}s", f"-timeout={load.timeout:g}s",
            f"-workers={conns}", f"-max-workers={conns}", f"-connections={conns}", f"-max-connections={conns}",
            f"-redirects={10 if load.follow_redirects else -1}", f"-http2={'true' if load.http2 else 'false'}",
            "-rate=" + (_rate_arg(load.rate / attackers) if load.rate else "0")]
    if load.http2 and cleartext:
        argv.append("-h2c")
    if tls is not None:
        if tls.server_name:
            raise LoadError("service.tls.server_name: vegeta cannot set a TLS server name; use load.tool: builtin")
        if tls.ca_file:
            argv.append(f"-root-certs={tls.ca_file}")
        if tls.insecure_skip_verify:
            argv.append("-insecure")
    return argv


@dataclass(frozen=True)
class Hit:
    """One vegeta result: send time and latency in ns, status (0: failed), its error text and sequence number."""

    ts: int
    code: int
    latency: int
    error: str
    seq: int
    method: str
    url: str


def read_hits(vegeta: Path, path: Path) -> list[Hit]:
    """Every result in a vegeta results file (gob, JSON or CSV), through ``vegeta encode -to csv``."""
    if not path.is_file():
        raise LoadError(f"vegeta results {path} do not exist (load.vegeta.results names files produced in "
                        "the same window elsewhere; copy them here before the window ends)")
    proc = subprocess.run([str(vegeta), "encode", "-to", "csv", str(path)], capture_output=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise LoadError(f"vegeta encode {path} failed: {proc.stderr.decode(errors='replace').strip()}")
    hits = []
    for row in csv.reader(io.StringIO(proc.stdout.decode("utf-8", "replace"))):
        if len(row) < 11:
            continue
        hits.append(Hit(ts=int(row[0]), code=int(row[1]), latency=int(row[2]), error=row[5], seq=int(row[8]),
                        method=row[9], url=row[10]))
    return hits


def classify(error: str) -> str:
    """vegeta's error text -> our failure class."""
    e = error.lower()
    if "timeout" in e or "deadline exceeded" in e:
        return "timeout"
    if any(s in e for s in ("dial ", "connection refused", "no such host", "tls:", "x509", "handshake")):
        return "connect"
    if any(s in e for s in ("eof", "connection reset", "broken pipe", "server closed", "goaway", "stream error")):
        return "conn_reset"
    return "io"


def _interval(hits: Sequence[Hit]) -> float:
    """ns between slots of a file whose rate we did not set, from its own stamps.

    The median slope of send time over ``seq`` between each hit of the first
    half and its partner half a file later: a late hit spoils only its own pair.
    """
    ordered = sorted(hits, key=lambda h: h.seq)
    half = len(ordered) // 2
    slopes = [(b.ts - a.ts) / (b.seq - a.seq) for a, b in zip(ordered[:half], ordered[half:2 * half])
              if b.seq > a.seq]
    return statistics.median(slopes) if slopes else 1e9


def tally_files(files: Sequence[tuple[list[Hit], float | None]], load: LoadConfig,
                entries: Sequence[tuple[str, str]]) -> tuple[Tally, tuple[int, int]]:
    """Count every file's hits; each file's (hits, ns per slot or None for unknown). Returns the tally and dropped."""
    tally = Tally(expect=load.expect_status, entries=list(entries), exact_latency=[])
    index = {(m, u): i for i, (m, u) in enumerate(entries)}
    warm_ns, end_ns = load.warmup * 1e9, (load.warmup + load.duration) * 1e9
    dropped = [0, 0]
    for hits, interval in files:
        if not hits:
            continue
        if load.rate is None:           # closed model: no schedule, latency from the send
            first = min(h.ts for h in hits)
            for h in hits:
                phase = 1 if warm_ns <= h.ts - first < end_ns else 0
                _add(tally, phase, _entry(index, h), h, h.latency, None)
                tally.sent_in_window += phase
            continue
        # vegeta sends hit i at (i + 1) * step after it began: slot i of a schedule starting one step later,
        # which is ours (slot i at i / rate), so every hit of a local attacker falls in the warmup or the window.
        step = interval if interval is not None else _interval(hits)
        began = min(h.ts - h.seq * step for h in hits)
        last = (max(h.seq for h in hits) + 1) if interval is None else int((load.warmup + load.duration) * 1e9 / step)
        slots = [sum(1 for s in range(last) if s * step < warm_ns), 0]
        slots[1] = sum(1 for s in range(last) if warm_ns <= s * step < end_ns)
        sent = [0, 0]
        for h in hits:
            due = h.seq * step
            if due >= end_ns:
                continue                 # a file from elsewhere that ran longer than this window
            phase = 1 if due >= warm_ns else 0
            sent[phase] += 1
            sched = began + due
            _add(tally, phase, _entry(index, h), h, h.ts + h.latency - sched, h.ts - sched)
            if warm_ns <= h.ts - began < end_ns:
                tally.sent_in_window += 1
        dropped[0] += max(slots[0] - sent[0], 0)
        dropped[1] += max(slots[1] - sent[1], 0)
    return tally, (dropped[0], dropped[1])


def _entry(index: dict[tuple[str, str], int], h: Hit) -> int:
    if (h.method, h.url) in index:
        return index[(h.method, h.url)]
    for i, (m, u) in enumerate(index):   # a templated path: match the entry by method and URL prefix
        if m == h.method and h.url.startswith(u.split("{", 1)[0]):
            return i
    return 0


def _add(tally: Tally, phase: int, entry: int, h: Hit, latency: float, lag: float | None) -> None:
    if h.code:
        tally.add(phase, entry, code=h.code, latency_ns=latency, lag_ns=lag)
    else:
        failure = classify(h.error)
        tally.add(phase, entry, failure=failure, latency_ns=latency, lag_ns=lag, message=h.error)


def vegeta_result(vegeta: Path, load: LoadConfig, url: str, local: Sequence[Path],
                  entries: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The goperf-load/1 result of the local attackers' files plus ``load.vegeta.results``."""
    step = 1e9 / (load.rate / len(local)) if load.rate else None
    files: list[tuple[list[Hit], float | None]] = [(read_hits(vegeta, p), step) for p in local]
    files += [(read_hits(vegeta, p), None) for p in load.vegeta.results]
    tally, dropped = tally_files(files, load, entries)
    return tally.result(engine=f"vegeta {VERSION}", target=url, model="open" if load.rate else "closed",
                        rate=load.rate, connections=load.connections, warmup=load.warmup, duration=load.duration,
                        dropped=dropped,
                        extra={"attackers": len(local), "result_files": [str(p) for p in [*local, *load.vegeta.results]]})
