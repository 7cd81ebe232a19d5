"""The service section at load time: every mistake named by file, line and key, before any build."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.config import has_debug_endpoints, load_config
from pytest_goperf.errors import ConfigError
from pytest_goperf.service_config import debug_plan

LOAD = "load: {requests: [{path: /}]}\n"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    (tmp_path / "app.tmpl").write_text('{\n  "listen": "{addr}",\n  "env": "${HOME}"\n}\n')
    (tmp_path / "bad.tmpl").write_text('{\n  "listen": "{addr}",\n  "pprof": "{debug_adr}"\n}\n')
    path = tmp_path / "goperf.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("service", "expected"), [
    ("  args: ['-addr={addr}', '-pprof={debug_adr}']\n",
     (":3: service.args[1]: unknown placeholder {debug_adr}; did you mean {debug_addr}? valid placeholders: "
      "{addr}, {host}, {port}, {debug_addr}, {debug_port}, {url}")),
    ("  env:\n    PORT: '{prot}'\n",
     ":4: service.env.PORT: unknown placeholder {prot}; did you mean {port}?"),
    ("  files: {config/app.json: bad.tmpl}\n",
     ":3: service.files.config/app.json: {tmp}/bad.tmpl:3: unknown placeholder {debug_adr}"),
    ("  files: {config/app.json: nowhere.tmpl}\n",
     ":3: service.files.config/app.json: template {tmp}/nowhere.tmpl does not exist (templates are relative to the YAML file)"),
    ("  files: {../app.json: app.tmpl}\n",
     ":3: service.files.../app.json: '../app.json' must be a path inside the service's working folder"),
    ("  env: {CGO_ENABLED: '0'}\n",
     (":3: service.env.CGO_ENABLED: CGO_ENABLED is read by the go command when building, not by the running "
      "service: put it in service.build_env")),
    ("  build_env: {GOTOOLCHAIN: go1.23.0}\n",
     ":3: service.build_env.GOTOOLCHAIN: goperf always builds with GOTOOLCHAIN=local"),
    ("  debug: separate\n", ":3: service.debug: must be auto (probe the API address"),
    ("  debug: same\n  args: ['-addr={addr}', '-debug-addr={debug_addr}']\n",
     ":3: service.debug: debug: same contradicts the {debug_addr}/{debug_port} placeholder"),
    ("  ready: {path: /healthz, tcp: true}\n", ":3: service.ready.tcp: give one readiness check: path, tcp or log"),
    ("  ready: {log: 'ready (on'}\n", ":3: service.ready.log: not a valid regular expression"),
    ("  ready: {tcp: false}\n", ":3: service.ready.tcp: tcp: true is the only value"),
    ("  cwd: run/here\n", ":3: service.cwd: folder {tmp}/run/here does not exist"),
    ("  attach: {url: 'http://127.0.0.1:1', debug_url: 'http://127.0.0.1:2'}\n  debug: same\n",
     ":3: service.attach.debug_url: service.debug: same says pprof is on the API address"),
])
def test_service_mistakes_name_file_line_and_key(tmp_path: Path, service: str, expected: str) -> None:
    path = write(tmp_path, f"service:\n  name: svc\n{service}{LOAD}thresholds: {{latency: {{}}}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}{expected.replace('{tmp}', str(tmp_path))}" in str(err.value)


def test_new_keys_and_their_defaults(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    cfg = load_config(write(tmp_path, f"""service:
  args: ['--listen', '{{addr}}', '--public={{url}}', '{{{{addr}}}}']
  env: {{PORT: '{{port}}', FLAG: on, N: 3}}
  build_env: {{CGO_ENABLED: '0', GOFLAGS: -mod=vendor}}
  cwd: run
  files: {{config/app.json: app.tmpl}}
  ready: {{log: 'listening on \\S+', timeout: 5s}}
{LOAD}thresholds: {{cpu: {{}}}}
"""))
    svc = cfg.service
    assert svc.args == ("--listen", "{addr}", "--public={url}", "{{addr}}")
    assert svc.env == (("PORT", "{port}"), ("FLAG", "on"), ("N", "3"))   # as written, not YAML 1.1 booleans
    assert svc.build_env == (("CGO_ENABLED", "0"), ("GOFLAGS", "-mod=vendor"))
    assert svc.workdir == tmp_path / "run" and svc.files == (("config/app.json", tmp_path / "app.tmpl"),)
    assert svc.ready.log == r"listening on \S+" and svc.ready.timeout == 5.0 and not svc.ready.tcp
    assert svc.debug == "auto" and has_debug_endpoints(svc)
    assert "probed at start" in debug_plan(svc)
    plain = load_config(write(tmp_path, "thresholds: {bench: {}}\n")).service
    assert plain.workdir == plain.module == tmp_path and plain.ready.path == "/healthz"
    assert plain.cwd is None and plain.files == () and plain.build_env == ()


def test_debug_modes_and_the_load_time_pprof_check(tmp_path: Path) -> None:
    def service(text: str) -> str:
        return f"service:\n{text}{LOAD}thresholds: {{scheduler: {{}}}}\n"

    # auto without a debug placeholder: the probe decides at start, so the config is accepted
    auto = load_config(write(tmp_path, service("  args: ['-addr={addr}']\n"))).service
    assert has_debug_endpoints(auto) and "GET /debug/pprof/" in debug_plan(auto)
    same = load_config(write(tmp_path, service("  env: {PORT: '{port}'}\n  debug: same\n"))).service
    assert same.debug == "same" and debug_plan(same) == "the API address (service.debug: same)"
    placeholder = load_config(write(tmp_path, service("  env: {PPROF_PORT: '{debug_port}'}\n"))).service
    assert debug_plan(placeholder) == "the separate listener on {debug_addr}"
    with pytest.raises(ConfigError, match=r":5: thresholds.scheduler: this gate reads pprof data \(trace\) but the "
                                          r"service has no debug endpoints: set service.debug to auto or same"):
        load_config(write(tmp_path, service("  args: ['-addr={addr}']\n  debug: none\n")))
    attached = load_config(write(tmp_path, service("  attach: {url: 'http://127.0.0.1:9/'}\n  debug: same\n")))
    assert attached.service.attach is not None and attached.service.attach.debug_url == "http://127.0.0.1:9"
