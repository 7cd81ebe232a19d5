"""pytest-goperf's Locust hook: count every request the way goperf's own engines count.

Loaded next to the locustfile (``locust -f yours.py,goperf_hook.py``) in the
master and every worker; it defines no User.  Workers record each request
event into HdrHistograms and counters (warmup apart, latency from the
scheduled start when the generated locustfile passes one in the request
context) and attach what they counted since their last report to the report
Locust sends the master anyway; the master adds the workers' histograms up
(merged, never averaged) and writes them to GOPERF_LOCUST's "result" file
when it quits.  Settings come as JSON in the GOPERF_LOCUST variable.
"""

import base64
import json
import os
import time

from hdrh.histogram import HdrHistogram
from locust import events
from locust.runners import MasterRunner, WorkerRunner

CFG = json.loads(os.environ["GOPERF_LOCUST"])
HIGHEST = 3_600_000_000_000
CLASSES = ("connect", "timeout", "io", "conn_reset")


def _hist():
    return HdrHistogram(1, HIGHEST, 3)


def _record(h, ns):
    h.record_value(int(min(max(ns, 1), HIGHEST)))


def _expected(code):
    for e in CFG["expect"]:
        if (e.endswith("xx") and str(code)[0] == e[0]) or e == str(code):
            return True
    return False


def _classify(exc):
    text = f"{type(exc).__name__}: {exc}".lower()
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if any(s in text for s in ("refused", "connectionerror", "no route", "name or service", "ssl", "certificate")):
        return "connect"
    if any(s in text for s in ("reset", "broken pipe", "closed", "eof", "remotedisconnected")):
        return "conn_reset"
    return "io"


class Counts:
    """What one process counted since its last report (workers) or in total (master)."""

    def __init__(self):
        self.lat, self.lag = _hist(), _hist()
        self.entries = {}          # "METHOD name" -> [warmup, window] counters
        self.sent = 0
        self.examples = {}

    def entry(self, key, phase):
        e = self.entries.setdefault(key, [None, None])
        if e[phase] is None:
            e[phase] = {"requests": 0, "ok": 0, "errors": dict.fromkeys(CLASSES, 0), "status": {}}
        return e[phase]

    def to_json(self):
        return {"lat": base64.b64encode(self.lat.encode()).decode() if self.lat.get_total_count() else "",
                "lag": base64.b64encode(self.lag.encode()).decode() if self.lag.get_total_count() else "",
                "entries": self.entries, "sent": self.sent, "examples": self.examples}

    def add(self, data):
        for name in ("lat", "lag"):
            if data[name]:
                getattr(self, name).add(HdrHistogram.decode(base64.b64decode(data[name])))
        for key, phases in data["entries"].items():
            for phase, c in enumerate(phases):
                if c is None:
                    continue
                mine = self.entry(key, phase)
                mine["requests"] += c["requests"]
                mine["ok"] += c["ok"]
                for k in CLASSES:
                    mine["errors"][k] += c["errors"][k]
                for code, n in c["status"].items():
                    mine["status"][code] = mine["status"].get(code, 0) + n
        self.sent += data["sent"]
        for k, v in data["examples"].items():
            self.examples.setdefault(k, v)


STATE = {"counts": Counts(), "t0": None, "workers": 0}


def on_request(request_type, name, response_time, response_length=0, response=None, context=None,
               exception=None, start_time=None, **_kw):
    context = context or {}
    t0 = context.get("goperf_t0", STATE["t0"])   # the generated locustfile's own clock, when it passes one
    if t0 is None:
        return
    start = start_time if start_time is not None else time.time() - response_time / 1000
    end = start + response_time / 1000
    due = context.get("goperf_due")
    t = (due if due is not None else start) - t0
    warmup, window_end = CFG["warmup"], CFG["warmup"] + CFG["duration"]
    if t >= window_end:
        return                      # sent while stopping: outside the run
    phase = 1 if t >= warmup else 0
    counts = STATE["counts"]
    c = counts.entry(f"{request_type} {name}", phase)
    c["requests"] += 1
    code = int(getattr(response, "status_code", 0) or 0)
    failure = None
    if code:
        c["status"][str(code)] = c["status"].get(str(code), 0) + 1
        c["ok"] += 1 if _expected(code) else 0
    else:
        failure = _classify(exception) if exception is not None else "io"
        c["errors"][failure] += 1
        counts.examples.setdefault(failure, f"{type(exception).__name__}: {exception}")
    if phase == 1:
        if failure is None or failure == "timeout":
            _record(counts.lat, (end - due) * 1e9 if due is not None else response_time * 1e6)
        if due is not None:
            _record(counts.lag, (start - context.get("goperf_ready", due)) * 1e9)
    if warmup <= start - t0 < window_end:
        counts.sent += 1


def on_report_to_master(client_id, data, **_kw):
    data["goperf"] = STATE["counts"].to_json()
    STATE["counts"] = Counts()


def on_worker_report(client_id, data, **_kw):
    if "goperf" in data:
        STATE["counts"].add(data["goperf"])


def on_test_start(environment, **_kw):
    STATE["t0"] = time.time()
    if isinstance(environment.runner, MasterRunner):
        STATE["workers"] = environment.runner.worker_count
        with open(CFG["result"] + ".started", "w") as f:
            f.write(str(STATE["t0"]))


def on_quitting(environment, **_kw):
    if not isinstance(environment.runner, MasterRunner):
        return
    import locust
    out = {"schema": "goperf-locust/1", "locust": locust.__version__, "t0": STATE["t0"],
           "workers": STATE["workers"], **STATE["counts"].to_json()}
    with open(CFG["result"] + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(CFG["result"] + ".tmp", CFG["result"])


@events.init.add_listener
def on_init(environment, **_kw):
    events.test_start.add_listener(on_test_start)
    if isinstance(environment.runner, WorkerRunner):
        events.request.add_listener(on_request)
        events.report_to_master.add_listener(on_report_to_master)
    elif isinstance(environment.runner, MasterRunner):
        events.worker_report.add_listener(on_worker_report)
        events.quitting.add_listener(on_quitting)
