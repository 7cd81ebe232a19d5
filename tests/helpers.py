"""What the project's tests share that is not a fixture: paths, and the example's config as data.

Tests import from here, never from conftest.py (pytest imports conftest
itself; importing it again as a module is fragile under pytester).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "go-service"


def example_config() -> dict[str, Any]:
    """examples/go-service/goperf.yaml as a dict whose paths still work from another folder."""
    cfg: dict[str, Any] = yaml.safe_load((EXAMPLE / "goperf.yaml").read_text())
    cfg["service"]["module"] = str(EXAMPLE)
    for req in cfg.get("load", {}).get("requests", []):
        if "body_file" in req:
            req["body_file"] = str(EXAMPLE / req["body_file"])
    return cfg
