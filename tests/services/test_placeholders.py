"""Placeholder syntax: what is filled in, what is left alone, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_goperf.go import placeholders, workdir
from pytest_goperf.go.placeholders import (
    Endpoints,
    expand,
    names_in,
    unknown_message,
    uses_debug,
)

VALUES = Endpoints("127.0.0.1", 41234, 41235).values()


@pytest.mark.parametrize(("text", "expected"), [
    ("-addr={addr}", "-addr=127.0.0.1:41234"),
    (":{port}", ":41234"),
    ("{url}/callback", "http://127.0.0.1:41234/callback"),
    ("{host}:{debug_port}", "127.0.0.1:41235"),
    ('{"listen": "{addr}", "pprof": {"at": "{debug_addr}"}}',
     '{"listen": "127.0.0.1:41234", "pprof": {"at": "127.0.0.1:41235"}}'),   # JSON braces stay
    ("${PORT} and ${HOME}", "${PORT} and ${HOME}"),                         # shell syntax stays
    ("{{addr}} is literal, {addr} is not", "{addr} is literal, 127.0.0.1:41234 is not"),
    ("{{ .Port }} {1} {}", "{{ .Port }} {1} {}"),                           # not a word: left alone
])
def test_expand(text: str, expected: str) -> None:
    assert unknown_message(text) is None
    assert expand(text, VALUES) == expected


def test_unknown_name_suggests_the_closest_and_lists_all() -> None:
    message = unknown_message("-listen={adr}")
    assert message is not None
    assert message.startswith("unknown placeholder {adr}; did you mean {addr}? valid placeholders: "
                              "{addr}, {host}, {port}, {debug_addr}, {debug_port}, {url}")
    assert "write {{adr}} for a literal {adr}" in message
    assert unknown_message("{{adr}}") is None
    with pytest.raises(KeyError):
        expand("{nope}", VALUES)


def test_debug_port_is_allocated_only_when_asked_for() -> None:
    assert names_in("a {addr} {{debug_addr}} {debug_port}") == ["addr", "debug_port"]
    assert uses_debug(["-x={debug_port}"]) and uses_debug(["{debug_addr}"])
    assert not uses_debug(["{{debug_addr}}", "{addr}"])
    assert Endpoints("127.0.0.1", 1).values()["debug_addr"] == ""
    assert placeholders.valid_list().count("{") == len(placeholders.NAMES)


def test_view_renders_files_and_links_the_rest(tmp_path: Path) -> None:
    cwd = tmp_path / "svc"
    (cwd / "config").mkdir(parents=True)
    (cwd / "config" / "app.json").write_text('{"listen": ":8080"}')
    (cwd / "config" / "other.json").write_text("{}")
    (cwd / "static").mkdir()
    (cwd / "run.sh").write_text("#!/bin/sh\n")
    template = tmp_path / "app.json.tmpl"
    template.write_text('{"listen": "{addr}"}')
    script = tmp_path / "env.sh.tmpl"
    script.write_text("export PORT={port}\n")
    script.chmod(0o755)
    view = tmp_path / "art" / "workdir"
    files = {"config/app.json": template, "bin/env.sh": script}
    for _ in range(2):   # rebuilt from scratch on every start
        assert workdir.prepare(cwd, files, VALUES, view) == view
    assert (view / "config" / "app.json").read_text() == '{"listen": "127.0.0.1:41234"}'
    assert (cwd / "config" / "app.json").read_text() == '{"listen": ":8080"}'   # the user's file is untouched
    assert (view / "config" / "other.json").is_symlink() and (view / "static").is_symlink()
    assert (view / "run.sh").resolve() == (cwd / "run.sh").resolve()
    assert (view / "bin" / "env.sh").read_text() == "export PORT=41234\n"
    assert (view / "bin" / "env.sh").stat().st_mode & 0o111
    assert workdir.prepare(cwd, {}, VALUES, view) == cwd   # nothing to render: the folder itself
