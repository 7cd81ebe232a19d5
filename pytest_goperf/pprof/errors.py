"""Errors for profiles we cannot read, each saying what is wrong and what to do.

Three distinct failures a user can act on differently: the bytes are not a
pprof profile at all, the file was cut short (an interrupted download or
copy), or it decodes but its internal references do not hold together.
"""

from __future__ import annotations

from pytest_goperf.errors import InputError


class ProfileError(InputError):
    """Base for every problem with a pprof profile given to us."""


class NotAProfileError(ProfileError):
    """Not gzip and not a pprof protobuf (or gzip holding something else)."""


class TruncatedProfileError(ProfileError):
    """The gzip stream or the protobuf ends in the middle of a record."""


class MalformedProfileError(ProfileError):
    """Decodes as protobuf, but ids, string indexes or value counts do not match up."""


class SampleIndexError(ProfileError):
    """A sample index (type name or number) that the profile does not have."""
