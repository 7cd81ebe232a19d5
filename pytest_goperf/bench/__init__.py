"""Benchmark output: reading, units, benchstat statistics, comparison (docs/design.md#architecture)."""
