"""Which report files a run writes, checked before anything is built, written at the end.

Why checked first: a typo in ``--goperf-html`` found after twenty minutes of
benchmarks loses the run.  So every target is probed at start (folder
created, a file opened for writing) and a problem is one line naming the
option, the path and the reason.  At the end each target is written on its
own: one that fails is reported and the others are still written.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_goperf.errors import ConfigError
from pytest_goperf.report.records import RunRecord

INSTALL_REPORT_EXTRA = "pip install 'pytest-goperf[report]'"


@dataclass(frozen=True)
class Targets:
    """Report files of one run (or one merge); None = not asked for."""

    html: Path | None = None            # a folder: index.html, style.css, charts/*.svg
    markdown: Path | None = None
    json: Path | None = None
    metrics: Path | None = None
    junit: Path | None = None           # merge-reports only: pytest writes its own --junitxml
    step_summary: Path | None = None    # $GITHUB_STEP_SUMMARY (appended to)

    @classmethod
    def from_env(cls, paths: Mapping[str, Path | None], env: Mapping[str, str] = os.environ) -> Targets:
        """The given paths, plus $GITHUB_STEP_SUMMARY when GitHub Actions set it."""
        summary = env.get("GITHUB_STEP_SUMMARY")
        return cls(step_summary=Path(summary) if summary else None, **paths)

    @property
    def wants_charts(self) -> bool:
        """The HTML and JSON reports carry chart data (the load window's series, trace and profile)."""
        return self.html is not None or self.json is not None

    def named(self) -> list[tuple[str, Path]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if getattr(self, f.name) is not None]


OPTION_NAMES = {"html": "--goperf-html", "markdown": "--goperf-markdown", "json": "--goperf-json",
                "metrics": "--goperf-metrics", "junit": "--junit", "step_summary": "GITHUB_STEP_SUMMARY"}


def _no_file_above(path: Path) -> None:
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(20, f"{parent} is a file, not a folder")


def _probe_file(path: Path) -> None:
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file")
    _no_file_above(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    with open(path, "a", encoding="utf-8"):
        pass
    if not existed:
        path.unlink()


def _probe_folder(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(20, "is a file, not a folder")
    _no_file_above(path)
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path, prefix=".goperf-probe-"):
        pass


def check_targets(targets: Targets, option_names: Mapping[str, str] = OPTION_NAMES) -> None:
    """Raise ``ConfigError`` (one line) for the first target that cannot be written, or missing matplotlib."""
    for name, path in targets.named():
        try:
            (_probe_folder if name == "html" else _probe_file)(path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError(f"{option_names.get(name, name)} {path}: cannot write there ({reason}); "
                              "choose a writable path") from None
    if targets.html is not None:
        require_matplotlib(option_names.get("html", "html"))


def require_matplotlib(option: str) -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError(f"{option} draws its charts with matplotlib, which is not installed: "
                          f"{INSTALL_REPORT_EXTRA}") from None


def write_reports(run: RunRecord, targets: Targets) -> tuple[list[str], list[str]]:
    """Write every target; returns (lines saying what was written, problems)."""
    written: list[str] = []
    problems: list[str] = []
    for name, path in targets.named():
        try:
            _WRITERS[name](run, path)
        except Exception as exc:  # noqa: BLE001 - one broken report must not cost the others
            problems.append(f"goperf: could not write the {name.replace('_', ' ')} {path}: {type(exc).__name__}: {exc}")
            continue
        shown = path / "index.html" if name == "html" else path
        written.append(f"goperf {name.replace('_', ' ')}: {shown}")
    return written, problems


def _json(run: RunRecord, path: Path) -> None:
    from pytest_goperf.report.records import write_json

    write_json(run, path)


def _markdown(run: RunRecord, path: Path) -> None:
    from pytest_goperf.report.markdown import COMMENT_LIMIT, render

    _atomic_text(path, render(run, limit=COMMENT_LIMIT))


def _step_summary(run: RunRecord, path: Path) -> None:
    from pytest_goperf.report.markdown import STEP_SUMMARY_LIMIT, render

    used = path.stat().st_size if path.exists() else 0
    text = render(run, limit=max(STEP_SUMMARY_LIMIT - used, 4096))
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def _metrics(run: RunRecord, path: Path) -> None:
    from pytest_goperf.report.openmetrics import render

    _atomic_text(path, render(run))


def _html(run: RunRecord, path: Path) -> None:
    from pytest_goperf.report.html import write_html

    write_html(run, path)


def _junit(run: RunRecord, path: Path) -> None:
    from pytest_goperf.report.junit_suites import write_results_junit

    write_results_junit(run, path)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


_WRITERS = {"html": _html, "markdown": _markdown, "json": _json, "metrics": _metrics, "junit": _junit,
            "step_summary": _step_summary}
