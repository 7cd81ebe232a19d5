"""``goperf compare OLD NEW --junit FILE``: JUnit through junit-xml, valid against the xunit2 schema."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).parent / "data" / "junit-10.xsd"
DATA = ROOT / "tests" / "data" / "bench"

HEAD = "goos: linux\ngoarch: amd64\npkg: example.com/shop\ncpu: Test CPU @ 3.0GHz\n"


def _bench(path: Path, ns: float, allocs: int) -> Path:
    lines = [f"BenchmarkEncode/n=10-4 \t 1000\t {ns + i:.0f} ns/op\t 64 B/op\t {allocs} allocs/op\n" for i in range(8)]
    lines += [f"BenchmarkDecode-4 \t 500\t {900 + i} ns/op\n" for i in range(8)]
    path.write_text(HEAD + "".join(lines))
    return path


def goperf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest_goperf", *args], capture_output=True, text=True, check=False)


def _cases(path: Path) -> dict[str, ET.Element]:
    return {tc.get("name", ""): tc for tc in ET.parse(path).getroot().iter("testcase")}


def test_compare_junit_fails_the_regressed_rows(tmp_path: Path) -> None:
    old, new = _bench(tmp_path / "old.txt", 1000, 2), _bench(tmp_path / "new.txt", 1300, 3)
    out = tmp_path / "reports" / "compare.xml"
    proc = goperf("compare", str(old), str(new), "--max-regression", "5%", "--junit", str(out))
    assert proc.returncode == 1, proc.stderr
    xmlschema.XMLSchema(SCHEMA).validate(out)
    root = ET.parse(out).getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["goos"] == "linux" and props["goarch"] == "amd64" and props["cpu"] == "Test CPU @ 3.0GHz"
    assert props["gomaxprocs"] == "4" and props["go_version"].startswith("go1.") and props["pkg"] == "example.com/shop"
    cases = _cases(out)
    assert set(cases) == {"Encode/n=10-4 sec/op", "Encode/n=10-4 B/op", "Encode/n=10-4 allocs/op", "Decode-4 sec/op"}
    assert {tc.get("classname") for tc in cases.values()} == {"example.com/shop"}
    failed = {n for n, tc in cases.items() if tc.find("failure") is not None}
    assert failed == {"Encode/n=10-4 sec/op", "Encode/n=10-4 allocs/op"}
    message = cases["Encode/n=10-4 sec/op"].find("failure").get("message", "")  # type: ignore[union-attr]
    assert message == "Encode/n=10-4 sec/op regression +29.90% > 5% (p=0.000155 n=8)"
    # time: what the candidate's measured runs took, 8 x 1000 iterations x ~1.3 µs
    assert float(cases["Encode/n=10-4 sec/op"].get("time", "0")) == round(sum(1000 * (1300 + i) * 1e-9 for i in range(8)), 3)
    out_lines = dict(ln.split("=", 1) for ln in (cases["Encode/n=10-4 allocs/op"].findtext("system-out") or "").splitlines())
    assert out_lines["old"] == "2.0" and out_lines["new"] == "3.0" and float(out_lines["delta_pct"]) == 50.0


def test_compare_junit_without_a_gate_and_one_sided_rows(tmp_path: Path) -> None:
    out = tmp_path / "one.xml"
    proc = goperf("compare", str(DATA / "one_side.old.txt"), str(DATA / "one_side.new.txt"), "--junit", str(out))
    assert proc.returncode == 0, proc.stderr
    xmlschema.XMLSchema(SCHEMA).validate(out)
    cases = list(ET.parse(out).getroot().iter("testcase"))
    names = [(tc.get("classname"), tc.get("name")) for tc in cases]
    assert len(names) == len(set(names)) > 0
    assert all(float(tc.get("time", "0")) > 0 for tc in cases)
    assert any(tc.find("skipped") is not None for tc in cases)          # a row on one side only
    assert not any(tc.find("failure") is not None for tc in cases)      # no --max-regression: nothing judged


def test_compare_junit_unwritable_path_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    proc = goperf("compare", str(DATA / "real_old.txt"), str(DATA / "real_new.txt"), "--junit", str(tmp_path / "file" / "x.xml"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "is a file, not a folder" in proc.stderr
