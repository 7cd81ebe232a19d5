"""Regenerate default.pgo from a CPU profile of the service under load.

    python examples/go-service/make_pgo.py [seconds]

Builds the service without PGO, starts it on loopback, sends a steady mix of
POST /api/process requests from a few threads, and saves
/debug/pprof/profile?seconds=N as default.pgo next to main.go (the main
package's directory, where `go build -pgo=auto` looks for it).
"""

from __future__ import annotations

import json
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp:
        binary = pathlib.Path(tmp) / "go-service"
        subprocess.run(["go", "build", "-pgo=off", "-o", str(binary), "."], cwd=HERE, check=True)
        addr, debug = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        proc = subprocess.Popen([str(binary), f"-addr={addr}", f"-debug-addr={debug}"])
        stop = threading.Event()
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    urllib.request.urlopen(f"http://{addr}/healthz", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

            def load(items: int) -> None:
                body = json.dumps({"customer": "acme", "currency": "EUR",
                                   "items": [f"item-{i}" for i in range(items)]}).encode()
                while not stop.is_set():
                    req = urllib.request.Request(f"http://{addr}/api/process", data=body,
                                                 headers={"Content-Type": "application/json"})
                    try:
                        urllib.request.urlopen(req, timeout=5).read()
                    except OSError:
                        if not stop.is_set():
                            raise

            threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in (2, 2, 50, 50)]
            for t in threads:
                t.start()
            profile = urllib.request.urlopen(
                f"http://{debug}/debug/pprof/profile?seconds={seconds}", timeout=seconds + 30).read()
            (HERE / "default.pgo").write_bytes(profile)
            print(f"wrote {HERE / 'default.pgo'} ({len(profile)} bytes)")
        finally:
            stop.set()
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
