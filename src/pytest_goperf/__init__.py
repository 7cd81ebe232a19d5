"""pytest-goperf: Go performance as a pytest CI gate."""

from __future__ import annotations

__version__ = "0.1.0"
