"""The service lifecycle on real services of each shape: placeholders, readiness kinds, the pprof probe, the guard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from pytest_goperf.config import ReadyCheck
from pytest_goperf.errors import ServiceError
from pytest_goperf.go.service import ServiceProcess
from pytest_goperf.go.toolchain import GoToolchain

from .conftest import SERVICES


@pytest.fixture(scope="session")
def built(go: GoToolchain, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test services built as `go build` would (no PGO), once a session."""
    out = tmp_path_factory.mktemp("service-bins")
    bins = {}
    for name, folder, pkg in (("twelvefactor", "twelvefactor", "."), ("configfile", "configfile", "."),
                              ("api", "multimain", "./cmd/api"), ("wsvc", "workspace/svc", ".")):
        subprocess.run([str(go.path), "build", "-o", str(out / name), pkg], cwd=SERVICES / folder, env=go.env(),
                       check=True, timeout=600)
        bins[name] = out / name
    return bins


def _gone(pid: int | None) -> bool:
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_env_port_with_204_health_and_pprof_found_by_the_probe(built: dict[str, Path], tmp_path: Path) -> None:
    with ServiceProcess(built["twelvefactor"], args=[], env={"PORT": "{port}"}, log_path=tmp_path / "s.log",
                        allow_public_debug=True) as svc:
        assert svc.env["PORT"] == svc.url.rsplit(":", 1)[1]
        assert svc.debug_url == svc.url and svc.debug_note is not None and "by probing" in svc.debug_note
        assert svc.pprof_on_api is not None and "never expose it through a public LoadBalancer" in svc.pprof_on_api
        with urllib.request.urlopen(svc.url + "/healthz", timeout=5) as resp:
            assert resp.status == 204


def test_pprof_on_a_public_api_listener_is_refused_and_stopped(built: dict[str, Path], tmp_path: Path) -> None:
    svc = ServiceProcess(built["twelvefactor"], args=[], env={"PORT": "{port}"}, log_path=tmp_path / "s.log")
    with pytest.raises(ServiceError) as err, svc:
        pass
    message = str(err.value)
    assert f"serves pprof on {svc.url} (the API listener), but that listener binds [::]:{svc.endpoints.port}" in message
    assert "service.allow_public_debug: true" in message and "The service was stopped." in message
    assert _gone(svc.pid)


def test_no_probe_when_no_gate_reads_pprof(built: dict[str, Path], tmp_path: Path) -> None:
    # A latency-only run: nothing asks for pprof, so neither the probe nor the guard has a listener to judge.
    with ServiceProcess(built["twelvefactor"], args=[], env={"PORT": "{port}"}, log_path=tmp_path / "s.log",
                        probe_debug=False) as svc:
        assert svc.debug_url is None and svc.pprof_on_api is None
        assert svc.debug_problem is not None and "no {debug_addr}" in svc.debug_problem


def test_probe_that_finds_nothing_says_what_it_saw(built: dict[str, Path], tmp_path: Path) -> None:
    with ServiceProcess(built["api"], args=["-listen={addr}"], env={}, ready=ReadyCheck(tcp=True),
                        log_path=tmp_path / "s.log") as svc:
        assert svc.debug_url is None
        assert svc.debug_problem is not None
        assert f"GET {svc.url}/debug/pprof/ -> HTTP 404" in svc.debug_problem
        assert 'import _ "net/http/pprof"' in svc.debug_problem and "{debug_addr}" in svc.debug_problem


def test_debug_same_without_pprof_is_named(built: dict[str, Path], tmp_path: Path) -> None:
    with ServiceProcess(built["api"], args=["-listen={addr}"], env={}, ready=ReadyCheck(tcp=True), debug="same",
                        log_path=tmp_path / "s.log") as svc:
        assert svc.debug_url == svc.url
        assert svc.debug_problem == f"service.debug: same, but the probe GET {svc.url}/debug/pprof/ -> HTTP 404"


def test_ready_by_tcp_for_a_service_without_health_path(built: dict[str, Path], tmp_path: Path) -> None:
    with ServiceProcess(built["api"], args=["-listen={addr}", "-pprof={debug_addr}"], env={},
                        ready=ReadyCheck(tcp=True), log_path=tmp_path / "s.log") as svc:
        assert svc.debug_url == f"http://{svc.debug_addr}" and svc.pprof_on_api is None
        with urllib.request.urlopen(svc.url + "/price?skus=sku-100", timeout=5) as resp:
            assert resp.read() == b"107\n"


def test_ready_path_may_redirect_without_being_followed(built: dict[str, Path], tmp_path: Path) -> None:
    # /healthz answers 302 to /status, which does not exist: the redirect itself means "up".
    with ServiceProcess(built["wsvc"], args=["-addr={addr}"], env={}, log_path=tmp_path / "s.log") as svc:
        with urllib.request.urlopen(svc.url + "/slug?q=A+b", timeout=5) as resp:
            assert resp.read() == b"a-b\n"


def _configfile_tree(tmp_path: Path, template: str) -> tuple[Path, Path]:
    tree = tmp_path / "tree"
    shutil.copytree(SERVICES / "configfile", tree)
    tmpl = tmp_path / "app.json.tmpl"
    tmpl.write_text(template)
    return tree, tmpl


def test_rendered_config_and_log_readiness(built: dict[str, Path], tmp_path: Path) -> None:
    tree, tmpl = _configfile_tree(
        tmp_path, '{"listen": "{addr}", "debug_listen": "{host}:{debug_port}", "greeting": "hi {url}"}')
    art = tmp_path / "art"
    with ServiceProcess(built["configfile"], args=[], env={}, cwd=tree, files={"config/app.json": tmpl},
                        ready=ReadyCheck(log=r"ready to serve on 127\.0\.0\.1:\d+$"), log_path=art / "s.log") as svc:
        assert svc.workdir == art / "workdir"
        assert svc.debug_url == f"http://{svc.debug_addr}"
        with urllib.request.urlopen(svc.url + "/greet?n=0", timeout=5) as resp:
            assert resp.read().startswith(f"hi {svc.url} #0\n".encode())
    assert json.loads((tree / "config" / "app.json").read_text())["listen"] == ":8080"


def test_log_readiness_timeout_says_no_line_matched(built: dict[str, Path], tmp_path: Path) -> None:
    tree, tmpl = _configfile_tree(tmp_path, '{"listen": "{addr}", "greeting": "x"}')
    with pytest.raises(ServiceError, match=r"not ready after 1s: no log line matched ready.log 'never printed' yet"):
        with ServiceProcess(built["configfile"], args=[], env={}, cwd=tree, files={"config/app.json": tmpl},
                            ready=ReadyCheck(log="never printed", timeout=1.0), log_path=tmp_path / "s.log"):
            pass


def test_debug_port_bound_to_all_interfaces_is_refused(built: dict[str, Path], tmp_path: Path) -> None:
    # {debug_port} alone: the service binds ":port", all interfaces; the live sockets show it.
    tree, tmpl = _configfile_tree(tmp_path, '{"listen": "{addr}", "debug_listen": ":{debug_port}", "greeting": "x"}')
    with pytest.raises(ServiceError, match=r"serves pprof on http://127\.0\.0\.1:\d+, but that listener binds "
                                           r"\[::\]:\d+: all interfaces"):
        with ServiceProcess(built["configfile"], args=[], env={}, cwd=tree, files={"config/app.json": tmpl},
                            ready=ReadyCheck(log="ready to serve"), log_path=tmp_path / "s.log"):
            pass


def test_unknown_placeholder_is_refused_before_starting(built: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match=r"unknown placeholder \{prot\}; did you mean \{port\}\?"):
        ServiceProcess(built["twelvefactor"], args=[], env={"PORT": "{prot}"}, log_path=tmp_path / "s.log")
    assert not (tmp_path / "s.log").exists()


def test_debug_address_in_a_named_env_variable(built: dict[str, Path], tmp_path: Path) -> None:
    common = {"args": ["-listen={addr}"], "ready": ReadyCheck(tcp=True), "log_path": tmp_path / "s.log"}
    svc = ServiceProcess(built["api"], env={"PPROF_LISTEN": "127.0.0.1:6061", "DEBUG_FORMAT": "json:pretty"}, **common)
    assert svc.debug_url == "http://127.0.0.1:6061"
    with pytest.raises(ServiceError, match=r"debug address '0.0.0.0:6061' binds 0.0.0.0, not loopback"):
        ServiceProcess(built["api"], env={"PPROF_LISTEN": "0.0.0.0:6061"}, **common)


def test_service_cwd_from_the_config_is_where_it_runs(built: dict[str, Path], tmp_path: Path) -> None:
    from pytest_goperf.config import load_config
    from pytest_goperf.go.service import service_for

    tree = tmp_path / "repo"
    shutil.copytree(SERVICES / "configfile", tree)
    deploy = tree / "deploy" / "staging"        # the folder its relative paths are meant from
    shutil.copytree(tree / "static", deploy / "static")
    (deploy / "config").mkdir()
    (tree / "goperf.yaml").write_text(
        "service:\n  args: []\n  cwd: deploy/staging\n  files: {config/app.json: goperf/app.json.tmpl}\n"
        "  ready: {log: ready to serve}\nload: {requests: [{path: /greet}]}\nthresholds: {latency: {}}\n")
    (deploy / "static" / "banner.txt").write_text("staging banner\n")
    cfg = load_config(tree / "goperf.yaml")
    assert cfg.service.workdir == deploy
    with service_for(cfg.service, built["configfile"], tmp_path / "art", probe_debug=False) as svc:
        assert isinstance(svc, ServiceProcess)
        assert (svc.workdir / "static").resolve() == (deploy / "static").resolve()
    assert "staging banner" in (tmp_path / "art" / "service.log").read_text()
