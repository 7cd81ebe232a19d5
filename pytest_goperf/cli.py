"""The ``goperf`` command: inspect benchmark files, profiles and traces by hand.

Thin by design: parse arguments, call the library, print.  Exit codes follow
docs/design.md#cli-and-json-contracts: 0 fine, 1 a gate or comparison failed, 2 usage or input
error (one clear line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_goperf import __version__
from pytest_goperf.errors import GoperfError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as the contract says."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"goperf: {message} (see 'goperf {self.prog.split()[-1]} --help')\n")


# --- goperf compare ---------------------------------------------------------


def _add_compare(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("compare", help="compare two go test -bench outputs, like benchstat")
    p.add_argument("old", help="baseline benchmark output (old.txt)")
    p.add_argument("new", help="candidate benchmark output (new.txt)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--max-regression", default=None,
                   help="exit 1 when a row is worse by more than this (e.g. 5%%) and significant "
                   "after Holm correction over all rows, as the bench gate decides")
    p.add_argument("--split", choices=("pkg", "none"), default="pkg",
                   help="pkg (default, as benchstat): one row per package when packages share a benchmark name; "
                        "none: pool them into one row like 'benchstat -table \"\"' (the row warns 'benchmarks vary "
                        "in pkg', and --max-regression refuses to judge it)")
    p.add_argument("--json", action="store_true", help="print the JSON of docs/design.md#cli-and-json-contracts")
    p.add_argument("--junit", metavar="FILE", default=None,
                   help="also write JUnit XML: one testcase per benchmark and unit (docs/reports.md)")
    p.set_defaults(func=_cmd_compare)


def _cmd_compare(args: argparse.Namespace) -> int:
    import json

    from pytest_goperf.bench.compare import compare_files, render_table
    from pytest_goperf.errors import ConfigError
    from pytest_goperf.gates.bench import judge
    from pytest_goperf.quantities import parse_share

    if not 0 < args.alpha < 1:
        raise ConfigError(f"--alpha must be between 0 and 1, got {args.alpha}")
    if args.max_regression is not None:
        try:
            parse_share(args.max_regression)
        except ValueError as exc:
            raise ConfigError(f"--max-regression: {exc}") from None
    if args.junit is not None:
        from pytest_goperf.report.outputs import Targets, check_targets

        check_targets(Targets(junit=Path(args.junit)))
    comparison = compare_files(args.old, args.new, alpha=args.alpha, split=args.split)
    judgement = None
    if args.max_regression is not None or args.json:  # the JSON rows carry the gate's MDE per row
        judgement = judge(comparison, max_regression=args.max_regression or 0.05, alpha=args.alpha,
                          old_label=args.old, new_label=args.new)
    if args.json:
        assert judgement is not None
        data = comparison.to_json()
        for row, r in zip(data["rows"], comparison.rows):
            v = judgement.verdicts.get((r.pkg or "", r.benchmark, r.unit))
            row["mde_pct"] = v.figures.get("mde_pct") if v is not None else None
        print(json.dumps(data, indent=1, allow_nan=False))
    else:
        sys.stdout.write(render_table(comparison))
    if args.max_regression is None:
        judgement = None
    verdicts = judgement.verdicts if judgement is not None else None
    if args.junit is not None:
        from pytest_goperf.report.compare_junit import write_compare_junit

        write_compare_junit(comparison, verdicts, args.old, args.new, args.junit)
    if judgement is None or verdicts is None:
        return EXIT_OK
    failed = [v for v in verdicts.values() if v.failed]
    for v in verdicts.values():
        if v.skipped and v.figures.get("n_old") and v.figures.get("n_new"):
            print(f"goperf compare: not judged: {v.message}", file=sys.stderr)
    for alert in judgement.alerts:
        print(f"goperf compare: warning: {alert}", file=sys.stderr)
    for v in failed:
        print(f"goperf compare: FAIL {v.message}", file=sys.stderr)
    nothing = judgement.unjudged("goperf compare")
    if nothing is not None:  # a gate that judged nothing must not exit 0
        print(f"goperf compare: FAIL {nothing.message.splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if failed else EXIT_OK


# --- goperf top -------------------------------------------------------------


def _add_top(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("top", help="flat/cum per function of a pprof profile, like go tool pprof -top")
    p.add_argument("profile", help="a pprof profile (gzipped or not)")
    p.add_argument("--sample-index", default=None, help="sample type to use (default: as pprof chooses)")
    p.add_argument("-n", "--nodecount", dest="n", type=int, default=10,
                   help="rows to show, as pprof's -nodecount; 0 shows all, like pprof -top (default 10)")
    p.add_argument("--nodefraction", type=float, default=None,
                   help="hide functions whose cum is below this fraction of the total (default 0.005, as pprof)")
    p.add_argument("--edgefraction", type=float, default=None,
                   help="ignore calls below this fraction of the total when labelling (inline) (default 0.001, as pprof)")
    p.add_argument("--json", action="store_true", help="print the JSON of docs/design.md#cli-and-json-contracts")
    p.set_defaults(func=_cmd_top)


def _cmd_top(args: argparse.Namespace) -> int:
    import json

    from pytest_goperf.pprof import read_profile, top
    from pytest_goperf.pprof.top import EDGE_FRACTION, NODE_FRACTION

    defaults = {"nodefraction": NODE_FRACTION, "edgefraction": EDGE_FRACTION}
    if args.n < 0:
        raise GoperfError(f"-n must be 0 (all rows) or a positive number of rows, not {args.n}")
    for flag, default in defaults.items():
        value = getattr(args, flag)
        if value is None:
            setattr(args, flag, default)
        elif not 0 <= value <= 1:
            raise GoperfError(f"--{flag} must be a fraction between 0 and 1 (pprof's default is {default}), not {value}")
    report = top(read_profile(args.profile), args.sample_index, nodecount=args.n,
                 nodefraction=args.nodefraction, edgefraction=args.edgefraction)
    if args.json:
        print(json.dumps(report.to_json(args.n)))
    else:
        sys.stdout.write(report.to_text(args.n))
    return EXIT_OK


# --- goperf trace -----------------------------------------------------------


def _add_trace(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("trace", help="scheduler latency, STW pauses and blocking from a Go execution trace")
    p.add_argument("trace", help="a runtime/trace file (Go 1.22+)")
    p.add_argument("--json", action="store_true", help="print the JSON of docs/design.md#cli-and-json-contracts")
    p.set_defaults(func=_cmd_trace)


def _cmd_trace(args: argparse.Namespace) -> int:
    import json

    from pytest_goperf.trace import analyze_file
    from pytest_goperf.trace.model import format_table

    stats = analyze_file(args.trace)
    if args.json:
        print(json.dumps(stats.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_table(stats))
    for w in stats.warnings if args.json else ():
        print(f"goperf trace: warning: {w}", file=sys.stderr)
    return EXIT_OK


# --- goperf pgo -------------------------------------------------------------


def _add_pgo(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("pgo", help="refresh default.pgo from a running service, or check it against the code")
    pgo = p.add_subparsers(dest="pgo_command", required=True, parser_class=_Parser)
    r = pgo.add_parser("refresh", help="capture CPU profiles from URL, merge, check and write default.pgo")
    r.add_argument("--from", dest="url", required=True, metavar="URL",
                   help="the service's debug address, e.g. http://localhost:6060 (through kubectl port-forward)")
    r.add_argument("--seconds", type=int, default=60, help="length of each CPU profile (default 60)")
    r.add_argument("--times", type=int, default=1, help="captures to take one after another and merge (default 1)")
    r.add_argument("--main", default=".", help="the main package's folder, where default.pgo goes (default .)")
    r.add_argument("--min-samples", type=int, default=None,
                   help="refuse to write with fewer CPU samples than this (default 1000 = 10 CPU-seconds)")
    r.add_argument("--go-version", default=None,
                   help="the Go that built the profiled binary (go1.26.8), recorded in the profile; default unknown")
    r.add_argument("--summary", default=None, metavar="FILE",
                   help="write the Markdown summary (a pull-request body) here (default OUT/summary.md)")
    r.add_argument("--out", default=".goperf/pgo-refresh", help="folder for the captures and the report")
    r.set_defaults(func=_cmd_pgo_refresh)
    c = pgo.add_parser("check", help="diagnose default.pgo (or PROFILE) against the code, as the pgo gate does")
    c.add_argument("profile", nargs="?", help="the profile to check (default: default.pgo in --main)")
    c.add_argument("--main", default=".", help="the main package's folder (default .)")
    c.add_argument("--out", default=".goperf/pgo-check", help="folder for the scratch build and the compiler's report")
    c.add_argument("--json", action="store_true", help="print the findings and figures as JSON")
    c.set_defaults(func=_cmd_pgo_check)


def _module_of(main: str) -> tuple[Path, str]:
    from pytest_goperf.errors import InputError

    folder = Path(main).resolve()
    module = next((d for d in (folder, *folder.parents) if (d / "go.mod").is_file()), None)
    if not folder.is_dir() or module is None:
        raise InputError(f"--main {main}: not a folder inside a Go module (no go.mod in it or above it)")
    return module, str(folder.relative_to(module)) or "."


def _cmd_pgo_refresh(args: argparse.Namespace) -> int:
    from pytest_goperf.go.toolchain import find_go
    from pytest_goperf.pgo.refresh import RefreshRefused
    from pytest_goperf.pgo.settings import DEFAULT_MIN_SAMPLES
    from pytest_goperf.run.pgo_refresh import refresh_from_url

    for flag, value in (("--seconds", args.seconds), ("--times", args.times), ("--min-samples", args.min_samples)):
        if value is not None and value < 1:
            raise GoperfError(f"{flag} must be at least 1, got {value}")
    out = Path(args.out).resolve()
    try:
        outcome = refresh_from_url(
            find_go(), args.url, Path(args.main), seconds=args.seconds, times=args.times, out_dir=out,
            cache_dir=out.parent / ".cache", min_samples=args.min_samples or DEFAULT_MIN_SAMPLES,
            go_version=args.go_version, summary=Path(args.summary).resolve() if args.summary else None,
            say=lambda m: print(f"goperf pgo: {m}", file=sys.stderr, flush=True))
    except RefreshRefused as exc:
        print(f"goperf pgo refresh: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(outcome.lines()))
    return EXIT_OK


def _cmd_pgo_check(args: argparse.Namespace) -> int:
    import json

    from pytest_goperf.gates.pgo import judge_pgo
    from pytest_goperf.go.toolchain import find_go
    from pytest_goperf.run.pgo_evidence import Target, gather

    module, main = _module_of(args.main)
    out = Path(args.out).resolve()
    profile = Path(args.profile).resolve() if args.profile else None
    evidence = gather(find_go(), Target(module=module, main=main), out, out.parent / ".cache", profile=profile)
    verdict = judge_pgo(evidence)
    if args.json:
        print(json.dumps({"outcome": verdict.outcome.value, "message": verdict.message,
                          "warnings": list(verdict.warnings), "figures": verdict.figures}, indent=1))
    else:
        print(verdict.message)
        for w in verdict.warnings:
            print(f"warning: {w}")
    return EXIT_FAILED if verdict.failed else EXIT_OK
# --- goperf merge-reports -----------------------------------------------------


def _add_merge(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("merge-reports", help="combine the --goperf-json results of CI shards into one set of reports")
    p.add_argument("results", nargs="+", help="goperf-results/1 JSON files, or folders holding them")
    p.add_argument("--markdown", metavar="FILE", help="write the Markdown summary (pull-request comment)")
    p.add_argument("--html", metavar="DIR", help="write the HTML report with charts (needs pytest-goperf[report])")
    p.add_argument("--junit", metavar="FILE", help="write one JUnit XML file for all shards")
    p.add_argument("--json", metavar="FILE", help="write the merged results (also a --goperf-durations file)")
    p.add_argument("--metrics", metavar="FILE", help="write OpenMetrics text (GitLab reports:metrics)")
    p.set_defaults(func=_cmd_merge)


def _cmd_merge(args: argparse.Namespace) -> int:
    from pytest_goperf.report.merge_cli import run_merge

    paths = {k: Path(v) if v else None for k, v in
             (("markdown", args.markdown), ("html", args.html), ("junit", args.junit), ("json", args.json),
              ("metrics", args.metrics))}
    return EXIT_FAILED if run_merge([Path(r) for r in args.results], paths, sys.stdout) else EXIT_OK


# --- goperf cache -------------------------------------------------------------


def _add_cache(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("cache", help="show (or --clear) the tools and binaries goperf keeps between runs")
    p.add_argument("--clear", action="store_true", help="remove them; the next run builds and links them again")
    p.set_defaults(func=_cmd_cache)


def _cmd_cache(args: argparse.Namespace) -> int:
    from pytest_goperf.tool_cache import TOOLS, cache_root, clear, usage

    folders = clear() if args.clear else usage()
    total = sum(u.size for u in folders)
    print(f"{cache_root()}  ($GOPERF_CACHE, else $XDG_CACHE_HOME/pytest-goperf or ~/.cache/pytest-goperf)")
    for u in folders:
        print(f"  {u.name:<9} {u.files:>6} files {u.size / 1e6:>9.1f} MB  {TOOLS[u.name]}")
    verb = "removed" if args.clear else "total"
    print(f"  {verb}: {sum(u.files for u in folders)} files, {total / 1e6:.1f} MB")
    return EXIT_OK


# --- entry point ------------------------------------------------------------


def build_parser() -> _Parser:
    parser = _Parser(prog="goperf", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"goperf {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_compare(sub)
    _add_top(sub)
    _add_trace(sub)
    _add_pgo(sub)
    _add_merge(sub)
    _add_cache(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except GoperfError as exc:
        print(f"goperf {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
