"""One exception hierarchy for everything the plugin reports to a user.

Every message says what failed, where (file, line, key, URL, byte offset) and
what to do next.  The pytest plugin and the CLI show a ``GoperfError`` as its
message alone, without a Python traceback.
"""

from __future__ import annotations


class GoperfError(Exception):
    """Base of every error meant for the user rather than for a debugger."""


class ConfigError(GoperfError):
    """A goperf.yaml (or command-line) value is missing, misspelt or invalid."""


class ToolchainError(GoperfError):
    """No usable Go toolchain, or one that is too old."""


class BuildError(GoperfError):
    """``go build`` / ``go test -c`` failed or produced the wrong kind of binary."""


class BenchError(GoperfError):
    """Benchmark rounds could not run or produced nothing comparable."""


class InputError(GoperfError):
    """An artifact given to us (benchmark file, profile, trace) cannot be read."""


class ServiceError(GoperfError):
    """The service under test did not start, became unhealthy or died."""


class CaptureError(GoperfError):
    """A live profile or trace could not be fetched from the debug endpoint."""


class LoadError(GoperfError):
    """The load generator could not be built or run."""
