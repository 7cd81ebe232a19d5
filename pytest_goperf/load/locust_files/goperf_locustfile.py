"""pytest-goperf's locustfile, generated behaviour from load.requests: an open model at load.rate.

Slot i of the schedule is due at t0 + i / rate; worker w of W sends slots
w, w + W, w + 2W ...; each user (one connection) claims the worker's next
slot when it is free, sleeps until it is due and sends it, passing the due
time to goperf_hook through the request context, so latency counts from
the scheduled start as in goperf's own engines.  A slot that cannot start
within load.timeout of its schedule, or before the window ends, is never
sent (the plugin counts it as dropped).  Without a rate every user sends
back to back (closed model).  Settings come as JSON in GOPERF_LOCUST.
"""

import base64
import json
import os
import random
import re
import ssl
import time

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

CFG = json.loads(os.environ["GOPERF_LOCUST"])
SLOTS = {"next": 0, "step": 1, "t0": None}
RNG = random.Random(os.getpid())
SEQ = [0] * len(CFG["requests"])


@events.test_start.add_listener
def _start(environment, **_kw):
    SLOTS["t0"] = time.time()
    SLOTS["next"] = getattr(environment.runner, "worker_index", 0)
    SLOTS["step"] = max(CFG["workers"], 1)


def _expand(i, path):
    def one(m):
        if m.group(1) == "seq":
            SEQ[i] += 1
            return str(SEQ[i])
        lo, hi = (int(x) for x in m.group(1)[5:].split("-"))
        return str(RNG.randint(lo, hi))
    return re.sub(r"\{([^{}]*)\}", one, path)


def _ssl_context():
    ctx = ssl.create_default_context(cafile=CFG["ca_file"] or None)
    if CFG["insecure"]:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


class GoperfUser(FastHttpUser):
    host = CFG["url"]
    wait_time = constant(0)
    network_timeout = CFG["timeout"]
    connection_timeout = CFG["timeout"]
    concurrency = 1
    insecure = CFG["insecure"]
    ssl_context_factory = staticmethod(_ssl_context)

    @task
    def slot(self):
        t0, rate = SLOTS["t0"], CFG["rate"]
        end = t0 + CFG["warmup"] + CFG["duration"]
        now = time.time()
        context = {}
        if rate:
            k = SLOTS["next"]
            SLOTS["next"] += SLOTS["step"]
            due = t0 + k / rate
            if due >= end:
                gevent.sleep(max(end - now, 0) + 0.5)
                raise StopUser()
            if due > now:
                gevent.sleep(due - now)
            if time.time() - due > CFG["timeout"]:
                return              # could not start within load.timeout of its schedule: dropped
            context = {"goperf_due": due, "goperf_ready": max(due, now), "goperf_t0": t0}
        elif now >= end:
            gevent.sleep(0.5)
            raise StopUser()
        i = RNG.choices(range(len(CFG["requests"])), weights=[r["weight"] for r in CFG["requests"]])[0]
        spec = CFG["requests"][i]
        headers = {"Accept-Encoding": "identity", **spec["headers"]}
        self.client.request(spec["method"], _expand(i, spec["path"]), name=spec["path"],
                            data=base64.b64decode(spec["body"]) if spec["body"] is not None else None,
                            headers=headers, context=context, allow_redirects=False)
