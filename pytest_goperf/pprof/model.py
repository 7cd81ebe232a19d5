"""Frozen, string-resolved view of a pprof profile.

The protobuf message stores every string as an index into one table and links
records by numeric ids; these types hold the resolved strings and objects so
analysis code never touches the wire representation.  Hot, numerous records
(samples, lines, labels) are NamedTuples because they are built tens of
thousands of times per profile; the rest are frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import NamedTuple

from pytest_goperf.pprof.errors import SampleIndexError


@dataclass(frozen=True, slots=True)
class ValueType:
    """What a sample value measures, e.g. ``cpu``/``nanoseconds``."""

    type: str
    unit: str


@dataclass(frozen=True, slots=True)
class Function:
    """A source function; ``name`` is what pprof prints (``main.burn``)."""

    id: int
    name: str
    system_name: str
    filename: str
    start_line: int


@dataclass(frozen=True, slots=True)
class Mapping:
    """A mapped binary or library; ``file`` is shown for unsymbolized frames."""

    id: int
    memory_start: int
    memory_limit: int
    file_offset: int
    file: str
    build_id: str
    has_functions: bool
    has_filenames: bool
    has_line_numbers: bool
    has_inline_frames: bool


class Line(NamedTuple):
    """One source position of a location; inlined callees come first."""

    function: Function
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Location:
    """A program counter; ``lines[0]`` is the innermost (possibly inlined) frame."""

    id: int
    mapping: Mapping | None
    address: int
    lines: tuple[Line, ...]
    is_folded: bool


class Label(NamedTuple):
    """A sample label: ``value`` for string labels, ``num`` (with unit) for numeric ones."""

    key: str
    value: str | None
    num: int | None
    num_unit: str


class Sample(NamedTuple):
    """One stack with its values; ``location_ids[0]`` is the leaf."""

    location_ids: tuple[int, ...]
    values: tuple[int, ...]
    labels: tuple[Label, ...]


@dataclass(frozen=True)
class Profile:
    """A validated profile: every id in ``samples`` resolves in ``locations``."""

    sample_types: tuple[ValueType, ...]
    samples: tuple[Sample, ...]
    locations: MappingABC[int, Location]
    functions: MappingABC[int, Function]
    mappings: MappingABC[int, Mapping]
    default_sample_type: str
    period_type: ValueType | None
    period: int
    time_nanos: int
    duration_nanos: int
    comments: tuple[str, ...]
    drop_frames: str
    keep_frames: str
    doc_link: str
    source: str | None = field(default=None, compare=False)   # the file read_profile read, if any

    def stack(self, sample: Sample) -> tuple[Location, ...]:
        """The sample's locations, leaf first."""
        locs = self.locations
        return tuple(locs[i] for i in sample.location_ids)

    def sample_index(self, name: str | None = None) -> int:
        """Resolve a sample index the way ``go tool pprof -sample_index`` does.

        ``None``/``""`` picks ``default_sample_type`` if present, else the last
        type; a number is taken as a position; ``inuse_X`` also matches ``X``.
        """
        if not self.sample_types:
            raise SampleIndexError("the profile has no sample types (it holds no samples)")
        names = [t.type for t in self.sample_types]
        if not name:
            if self.default_sample_type in names:
                return names.index(self.default_sample_type)
            return len(names) - 1
        if name.lstrip("-").isdigit():
            i = int(name)
            if not 0 <= i < len(names):
                raise SampleIndexError(f"sample index {name} is outside the range [0..{len(names) - 1}]")
            return i
        short = name.removeprefix("inuse_")
        for i, n in enumerate(names):
            if n in (name, short):
                return i
        raise SampleIndexError(f"unknown sample index {name!r}: this profile has {', '.join(names)}")
