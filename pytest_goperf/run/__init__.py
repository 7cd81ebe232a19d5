"""Orchestration: one gate run per goperf.yaml -- builds, interleaved bench rounds, the load window."""
