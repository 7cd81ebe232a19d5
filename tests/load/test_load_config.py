"""The load: section's request options: placeholders, expected statuses, redirects, threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.config import load_config
from pytest_goperf.errors import ConfigError


def write(tmp_path: Path, load: str) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.22\n")
    path = tmp_path / "goperf.yaml"
    path.write_text(f"load:\n{load}thresholds: {{latency: {{p99: 10ms}}}}\n")
    return path


def test_request_options_are_read(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """\
  expect_status: [200, 3xx]
  follow_redirects: true
  threads: 2
  requests:
    - {path: "/users/{seq}/orders/{rand:1-10000}"}
"""))
    assert cfg.load is not None
    assert cfg.load.expect_status == ("200", "3xx") and cfg.load.follow_redirects and cfg.load.threads == 2
    assert cfg.load.requests[0].path == "/users/{seq}/orders/{rand:1-10000}"
    default = load_config(write(tmp_path, "  requests: [{path: /}]\n")).load
    assert default is not None and default.expect_status == ("2xx",) and not default.follow_redirects


@pytest.mark.parametrize(("load", "expected"), [
    ("  requests:\n    - {path: /}\n    - {path: '/users/{id}'}\n",
     ":4: load.requests[1].path: unknown placeholder {id} in '/users/{id}': use {seq} or {rand:LO-HI}"),
    ("  requests: [{path: '/x/{rand:9-1}'}]\n", ":2: load.requests[0].path: placeholder {rand:9-1}: LO must not"),
    ("  requests: [{path: '/x/{rand:a-b}'}]\n", "load.requests[0].path: unknown placeholder {rand:a-b}"),
    ("  requests: [{path: '/x/{seq'}]\n", "load.requests[0].path: unbalanced '{' or '}'"),
    ("  expect_status: [ok]\n", ":2: load.expect_status: 'ok' is neither a status code (100-599) nor a class"),
    ("  expect_status: [600]\n", "load.expect_status: '600' is neither"),
    ("  follow_redirects: maybe\n", ":2: load.follow_redirects: expected true or false"),
])
def test_bad_request_options_name_file_line_and_key(tmp_path: Path, load: str, expected: str) -> None:
    path = write(tmp_path, load)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    message = str(excinfo.value)
    assert str(path) in message and (f"{path}{expected}" if expected.startswith(":") else expected) in message
