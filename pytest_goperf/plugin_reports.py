"""pytest wiring for reports, shards and the xdist check: options, ini keys and hooks only.

Loaded with ``plugin.py`` (its ``pytest_plugins``); the work is in
``report/`` and ``sharding.py``.  Report targets are checked in
``pytest_configure``, before any build; verdicts are recorded as tests
finish; every report is written from ``pytest_sessionfinish``, which also
runs after Ctrl-C and failing builds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_goperf.errors import GoperfError
from pytest_goperf.plugin import GoperfItem, GoperfService, GoperfState, state_key


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("goperf", "Go performance gates (pytest-goperf)")
    for name, metavar, what in _REPORT_OPTIONS:
        group.addoption(f"--goperf-{name}", metavar=metavar, default=None,
                        help=f"{what} (ini: goperf_{name}; docs/reports.md)")
    group.addoption("--goperf-shard", metavar="K/N", default=None,
                    help="measure only the K-th of N stable parts of the goperf.yaml files (one CI job each)")
    group.addoption("--goperf-durations", metavar="FILE", default=None,
                    help="balance --goperf-shard by the durations in a previous run's --goperf-json (or merged) results")
    for name, _metavar, _what in _REPORT_OPTIONS:
        parser.addini(f"goperf_{name}", default="", help=f"same as --goperf-{name}; relative to the ini file's folder")


_REPORT_OPTIONS = (
    ("html", "DIR", "write an HTML report with charts into DIR (needs pytest-goperf[report])"),
    ("markdown", "FILE", "write the Markdown summary (for a pull-request comment) to FILE"),
    ("json", "FILE", "write every verdict with its figures as goperf-results/1 JSON to FILE"),
    ("metrics", "FILE", "write every verdict and figure as OpenMetrics text (GitLab reports:metrics) to FILE"),
)


@pytest.hookimpl(trylast=True)     # after plugin.py made the state
def pytest_configure(config: pytest.Config) -> None:
    state = config.stash[state_key]
    if state.enabled:
        _refuse_xdist(config)
        _configure_shard(config, state)
        _configure_reports(config, state)


XDIST_REFUSED = (
    "pytest-goperf: --goperf cannot run under pytest-xdist (-n {n}): every worker would build and benchmark "
    "every service while collecting, and load windows on one machine would run side by side, corrupting "
    "both measurements. Run the goperf tests in their own pytest run without -n (or -n 0, or -p no:xdist; "
    "'-o goperf=false' keeps -n for your other tests), and spread services over CI jobs with --goperf-shard K/N")


def _refuse_xdist(config: pytest.Config) -> None:
    """Measurements need the machine to themselves: refuse xdist's parallel workers (docs/reports.md)."""
    dist = getattr(config.option, "dist", "no")
    if hasattr(config, "workerinput") or (dist and dist != "no"):
        raise pytest.UsageError(XDIST_REFUSED.format(n=getattr(config.option, "numprocesses", None) or dist))


def _configure_shard(config: pytest.Config, state: GoperfState) -> None:
    spec: str | None = config.getoption("goperf_shard")
    durations: str | None = config.getoption("goperf_durations")
    if spec is None:
        if durations:
            raise pytest.UsageError("pytest-goperf: --goperf-durations balances --goperf-shard K/N; give both")
        return
    from pytest_goperf.sharding import make_shard

    invoked = Path(config.invocation_params.dir)
    try:
        state.shard = make_shard(spec, (invoked / durations).resolve() if durations else None, durations)
    except GoperfError as exc:
        raise pytest.UsageError(f"pytest-goperf: {exc}") from None


def _configure_reports(config: pytest.Config, state: GoperfState) -> None:
    """Report targets are checked now, before any build: a bad path must not cost a run."""
    from pytest_goperf.report.collector import Collector
    from pytest_goperf.report.outputs import Targets, check_targets

    paths = {name: _path_option(config, name) for name, _m, _w in _REPORT_OPTIONS}
    state.targets = Targets.from_env(paths)
    names = {name: f"--goperf-{name}" for name in paths} | {"step_summary": "GITHUB_STEP_SUMMARY"}
    try:
        check_targets(state.targets, names)
    except GoperfError as exc:
        raise pytest.UsageError(f"pytest-goperf: {exc}") from None
    state.collector = Collector(config.rootpath)


def _path_option(config: pytest.Config, name: str) -> Path | None:
    """A path option: relative to the invocation folder; its ini key relative to the ini file's folder."""
    invoked = Path(config.invocation_params.dir)
    given: str | None = config.getoption(f"goperf_{name}")
    if given:
        return (invoked / given).resolve()
    raw = str(config.getini(f"goperf_{name}") or "")
    if not raw:
        return None
    base = config.inipath.parent if config.inipath is not None else invoked
    return (base / raw).resolve()


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(state_key, None)
    return f"goperf: {state.shard.describe()}" if state is not None and state.shard is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[Any]:
    """Time each service's collection: its bench rounds run there (JUnit time, shard balancing)."""
    if not isinstance(collector, GoperfService):
        return (yield)
    started = time.monotonic()
    try:
        return (yield)
    finally:
        state = collector.config.stash[state_key]
        if state.collector is not None:
            state.collector.collected(collector.run.cfg, time.monotonic() - started)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if isinstance(item, GoperfItem):
        state = item.config.stash[state_key]
        if state.collector is not None:
            from pytest_goperf.report.collector import ItemInfo

            state.collector.phase(ItemInfo(item.nodeid, item.run.cfg, item.gate, item.key, item.verdict), report)
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every report, also after Ctrl-C or a failing build; after pytest wrote its own JUnit file."""
    state = session.config.stash.get(state_key, None)
    if state is not None and state.shard is not None and session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK    # this shard's share is empty: not an error in CI
    if state is None or state.collector is None or state.targets is None or session.config.option.collectonly:
        return
    from pytest_goperf.report.github import on_github
    from pytest_goperf.report.session import finish

    shard = None
    if state.shard is not None:
        shard = {"index": state.shard.index, "total": state.shard.total, "durations": state.shard.durations_file,
                 "files": list(state.shard_files), "other_files": state.shard_others}
    state.reports = finish(state.collector, state.runs, state.targets,
                           interrupted=exitstatus == pytest.ExitCode.INTERRUPTED, shard=shard,
                           junit=_pytest_junit(session.config), github=on_github())


def _pytest_junit(config: pytest.Config) -> Any:
    """pytest's --junitxml target and its test naming, when there is one."""
    path = getattr(config.option, "xmlpath", None)
    if not path:
        return None
    try:
        from _pytest.junitxml import mangle_test_address
    except ImportError:  # pragma: no cover - private API moved: leave pytest's file as it is
        return None
    from pytest_goperf.report.session import PytestJunit

    prefix = getattr(config.option, "junitprefix", None)

    def names(nodeid: str) -> tuple[str, str]:
        parts = mangle_test_address(nodeid)
        return ".".join(([prefix] if prefix else []) + parts[:-1]), parts[-1]

    family = str(config.getini("junit_family") or "xunit2")
    return PytestJunit(Path(path).expanduser().resolve(), "xunit1" if family == "legacy" else family, names)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    from pytest_goperf.report.terminal import write_summary

    state = config.stash.get(state_key, None)
    if state is None:
        return
    reports = state.reports
    write_summary(terminalreporter, state.runs.values(), reports.results if reports else None,
                  config.getoption("verbose"), written=reports.written if reports else (),
                  annotations=reports.annotations if reports else (), timings=state.timings)
    for problem in reports.problems if reports else ():
        terminalreporter.write_line(problem, red=True)
