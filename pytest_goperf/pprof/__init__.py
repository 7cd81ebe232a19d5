"""pprof profiles: a validated model over protobuf, ``top`` and ``diff`` like go tool pprof.

Analysis here does no I/O except ``read_profile``; live capture lives in
``pprof.capture``.  ``pytest_goperf.pprof.top`` and ``.diff`` are the
functions (re-exported over their same-named modules); ``from
pytest_goperf.pprof.top import Top`` still reaches the module.
"""

from pytest_goperf.pprof.errors import (
    MalformedProfileError,
    NotAProfileError,
    ProfileError,
    SampleIndexError,
    TruncatedProfileError,
)
from pytest_goperf.pprof.model import Function, Label, Line, Location, Mapping, Profile, Sample, ValueType
from pytest_goperf.pprof.parse import parse_profile, read_profile
from pytest_goperf.pprof.top import Top, TopRow, top
from pytest_goperf.pprof.diff import Diff, DiffRow, diff

__all__ = [
    "Function", "Label", "Line", "Location", "Mapping", "Profile", "Sample", "ValueType",
    "ProfileError", "NotAProfileError", "TruncatedProfileError", "MalformedProfileError", "SampleIndexError",
    "parse_profile", "read_profile", "top", "Top", "TopRow", "diff", "Diff", "DiffRow",
]
