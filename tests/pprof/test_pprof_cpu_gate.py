"""The cpu gate passes on the example service and fails on a program with one dominant function."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_goperf.gates import GateFailed
from pytest_goperf.gates.cpu import assert_top_function_below, judge_cpu
from pytest_goperf.pprof import parse_profile, read_profile

SERVICE_IGNORE = ["runtime.*", "internal/runtime/*", "syscall.*"]  # as in examples/go-service/goperf.yaml


@pytest.mark.slow
def test_gate_passes_on_example_service(service_profiles: dict[str, Path]) -> None:
    path = service_profiles["cpu"]
    # A 2 s profile of light load: judged at a lowered min_samples (the default would call it too few).
    verdict = judge_cpu(read_profile(path), max_function_share=0.30, ignore=SERVICE_IGNORE, profile_path=path,
                        min_samples=20)
    assert verdict.passed, verdict.message
    hottest = verdict.figures["hottest_function"]
    assert isinstance(hottest, str) and not hottest.startswith(("runtime.", "internal/runtime/", "syscall."))
    share = verdict.figures["hottest_flat_share"]
    assert isinstance(share, float) and 0 < share <= 0.30
    assert_top_function_below(path, "30%", ignore=SERVICE_IGNORE, min_samples=20)
    # At the default min_samples a light profile is still decided when its share is far from the limit:
    # the 95 % interval of the hottest share lies wholly under 30 %.
    light = judge_cpu(read_profile(path), max_function_share=0.30, ignore=SERVICE_IGNORE)
    assert light.passed and float(light.figures["share_high"] or 1) < 0.30, light.message
    assert "95 % interval" in light.message
    # ... and not when the limit falls inside that interval: too few samples, with the count that would decide.
    close = judge_cpu(read_profile(path), max_function_share=share * 1.2, ignore=SERVICE_IGNORE)
    assert close.failed and close.message.startswith("too few CPU samples: "), close.message
    assert "samples would decide it" in close.message


@pytest.mark.slow
def test_gate_fails_on_dominant_function(dominant_profile: Path) -> None:
    verdict = judge_cpu(read_profile(dominant_profile), max_function_share=0.30, profile_path=dominant_profile,
                        min_samples=50)  # about 110 samples: far from the limit, so fewer than 385 suffice
    assert not verdict.passed
    msg = verdict.message
    assert msg.startswith("cpu: main.burn takes ") and "above the limit of 30.00%" in msg
    assert f"go tool pprof -http=: {dominant_profile}" in msg
    table = msg.split("top 10 of cpu")[1].splitlines()[1:]
    assert table[0].split() == ["flat%", "cum%", "function"] and table[1].endswith("main.burn")
    assert "main.fib" in msg and "main.main" in msg  # the neighbourhood is listed
    with pytest.raises(GateFailed, match="main.burn takes"):
        assert_top_function_below(dominant_profile, "30%", min_samples=50)


@pytest.mark.slow
def test_ignore_globs_skip_to_next_function(dominant_profile: Path) -> None:
    prof = read_profile(dominant_profile)
    verdict = judge_cpu(prof, max_function_share=0.5, ignore=["main.b*"], min_samples=50)
    assert verdict.figures["hottest_function"] != "main.burn"
    assert "(ignored)" not in verdict.message
    failing = judge_cpu(prof, max_function_share=0.01, ignore=["main.b*"], min_samples=50)
    assert not failing.passed and "main.burn" in failing.message and "(ignored)" in failing.message


def test_all_ignored_and_empty_profiles(build_profile: Callable[..., bytes]) -> None:
    spec = dict(sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
                functions=[(1, "runtime.mcall", "", 0)], locations=[(1, 0, [(1, 1)])])
    busy = parse_profile(build_profile(**spec, samples=[([1], [1, 10])]))
    v = judge_cpu(busy, max_function_share=0.1, ignore=["runtime.*"], min_samples=1)
    assert v.skipped and "every function in the profile is ignored" in v.message
    idle = parse_profile(build_profile(**spec))
    v = judge_cpu(idle, max_function_share=0.1)
    assert v.failed and v.message.startswith("too few CPU samples: 0")
    assert not judge_cpu(busy, max_function_share=0.1, min_samples=1).passed


def _cpu_profile(build_profile: Callable[..., bytes], stacks: dict[tuple[str, ...], int]) -> bytes:
    """A CPU profile with ``count`` samples (10 ms each) per stack of function names (leaf first)."""
    names = sorted({n for stack in stacks for n in stack})
    fid = {n: i + 1 for i, n in enumerate(names)}
    return build_profile(
        sample_types=[("samples", "count"), ("cpu", "nanoseconds")],
        functions=[(fid[n], n, "x.go", 1) for n in names],
        locations=[(fid[n], 0, [(fid[n], 1)]) for n in names],
        samples=[([fid[n] for n in stack], [count, count * 10_000_000]) for stack, count in stacks.items()],
    )


def test_too_few_samples_fail_and_pprof_handlers_are_left_out(build_profile: Callable[..., bytes]) -> None:
    # The story: 3 samples, two of them the service gzipping a heap profile for the plugin.
    few = parse_profile(_cpu_profile(build_profile, {
        ("bytes.Index", "main.handle"): 1,
        ("compress/flate.(*compressor).deflate", "compress/gzip.(*Writer).Write",
         "runtime/pprof.(*profileBuilder).flush", "net/http/pprof.handler.ServeHTTP"): 2,
    }))
    v = judge_cpu(few, max_function_share=0.30)
    assert v.failed
    assert v.message.startswith("too few CPU samples: bytes.Index takes 100.0% (95 % interval 20.7-100.0% over 1 "
                                "samples)"), v.message
    assert "2 samples in the plugin's own captures" in v.message and "raise the load or the window" in v.message
    assert v.figures["capture_samples"] == 2
    # Lowered min_samples: judged, and the gzip work is not the hottest function.
    v = judge_cpu(few, max_function_share=0.30, min_samples=1)
    assert v.failed and v.figures["hottest_function"] == "bytes.Index" and v.figures["samples"] == 1
    # Enough samples: judged with the default; the captures never count toward a share.
    many = parse_profile(_cpu_profile(build_profile, {
        ("main.a",): 150, ("main.b",): 150, ("main.c",): 150,
        ("compress/flate.deflate", "net/http/pprof.handler.ServeHTTP"): 600,
    }))
    v = judge_cpu(many, max_function_share=0.34)
    assert v.passed and abs(float(v.figures["hottest_flat_share"] or 0) - 1 / 3) < 1e-9, v.message
    assert v.figures["samples"] == 450 and "600 samples in the plugin's own captures" in v.message


def test_share_interval_matches_scipy_and_decides_far_from_the_limit(build_profile: Callable[..., bytes]) -> None:
    from scipy.stats import binomtest

    from pytest_goperf.gates.cpu import wilson_interval

    for hits, n in ((0, 5), (2, 3), (27, 341), (120, 385), (999, 1000)):
        ours = wilson_interval(hits, n)
        ref = binomtest(hits, n).proportion_ci(0.95, "wilson")
        assert ours == pytest.approx((ref.low, ref.high), abs=1e-7), (hits, n)
    # 27 of 341 samples (8 %, the example's Score after the change) is decided under 30 % below min_samples;
    # 120 of 341 (35 %, interval 30.3-40.4 %) is decided over it; 110 of 341 (32 %) straddles it: too few.
    for hot, outcome in ((27, "passed"), (120, "failed"), (110, "too few")):
        rest = 341 - hot
        filler = {(f"main.f{i}",): min(20, rest - 20 * i) for i in range((rest + 19) // 20)}
        prof = parse_profile(_cpu_profile(build_profile, {("main.hot",): hot, **filler}))
        v = judge_cpu(prof, max_function_share=0.30)
        if outcome == "too few":
            assert v.failed and v.message.startswith("too few CPU samples"), v.message
        else:
            assert v.outcome.value == outcome and v.figures["hottest_function"] == "main.hot", v.message
    # At min_samples and beyond, a share near the limit is decided by its value, as before.
    prof = parse_profile(_cpu_profile(build_profile, {("main.hot",): 120, **{(f"main.f{i}",): 20 for i in range(14)}}))
    assert judge_cpu(prof, max_function_share=0.31).passed


def test_min_samples_default_is_the_binomial_bound() -> None:
    from pytest_goperf.gates.cpu import DEFAULT_MIN_SAMPLES

    n = DEFAULT_MIN_SAMPLES
    assert 1.96 * (0.25 / n) ** 0.5 <= 0.05 < 1.96 * (0.25 / (n - 2)) ** 0.5


def test_ignore_patterns_match_generic_names(build_profile: Callable[..., bytes]) -> None:
    from pytest_goperf.gates.patterns import compile_pattern

    def m(pattern: str, name: str) -> bool:
        return compile_pattern(pattern).matches(name)

    generic = "main.(*Ring[go.shape.int]).Push"
    assert m(generic, generic) and m("main.(*Ring[*]).Push", generic) and m("main.(*Ring[*", generic)
    assert not m("main.(*Ring[go.shape.int]).Pop", generic)
    assert m("main.(*T).M", "main.(*T).M") and not m("main.(*T).M", "main.(xT).M")  # parentheses literal
    assert not m("main.Ring?", "main.Rings")  # '?' is literal
    for glob, name in (("runtime.*", "runtime.mallocgc"), ("internal/runtime/*", "internal/runtime/maps.(*Map).Get"),
                       ("syscall.*", "syscall.Syscall6"), ("*.Push", generic)):
        assert m(glob, name)  # today's globs keep meaning what they meant
    assert not m("runtime.*", "main.runtime")
    assert m(r"re:^main\.\(\*Ring\[.*\]\)\.", generic) and m("re:Ring", generic) and not m("re:^Ring", generic)
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_pattern("re:main.(")
    prof = parse_profile(_cpu_profile(build_profile, {(generic,): 500, ("main.other",): 100}))
    v = judge_cpu(prof, max_function_share=0.30, ignore=["main.(*Ring[go.shape.int]).Push"])
    assert v.passed and v.figures["hottest_function"] == "main.other", v.message
    v = judge_cpu(prof, max_function_share=0.30, ignore=["main.Ring?"])
    assert v.failed and any("'?', '[' and '(' are literal" in w for w in v.warnings)


def test_bad_ignore_regexp_is_a_config_error(tmp_path: Path) -> None:
    from pytest_goperf.config import load_config
    from pytest_goperf.errors import ConfigError

    (tmp_path / "go.mod").write_text("module x\n")
    (tmp_path / "goperf.yaml").write_text(
        "load: {requests: [{path: /}]}\nthresholds:\n  cpu: {ignore: ['runtime.*', 're:main.(']}\n")
    with pytest.raises(ConfigError, match=r"goperf.yaml:3.*ignore.*not a valid regular expression"):
        load_config(tmp_path / "goperf.yaml")
