"""Merge profiles into one, as ``go tool pprof -proto a.pprof b.pprof`` does.

pprof's rules (github.com/google/pprof/profile/merge.go), restated:

- the profiles must have the same sample types and period type;
- headers: the earliest non-zero ``time_nanos``, the sum of the durations,
  the largest period, comments once each in first-seen order, the first
  non-empty default sample type and doc link, the first profile's
  drop/keep frames;
- mappings are the same when their build id (else file name), file offset
  and size (rounded up to 4 KiB) agree, so the same binary captured in two
  processes is one mapping (addresses are shifted by the difference of the
  start addresses);
- functions are the same when name, system name, file name and start line
  agree; locations when mapping, address relative to the mapping start,
  lines and the folded flag agree;
- samples are the same when their merged location ids and labels agree, and
  their values add up; samples whose values are all zero are dropped.

Ids are renumbered from 1 in first-seen order, so the result holds only what
its samples use.  Several CPU profiles of one service merge into the one
profile that ``-pgo`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from pytest_goperf.pprof.errors import ProfileError
from pytest_goperf.pprof.model import (
    Function,
    Label,
    Line,
    Location,
    Mapping,
    Profile,
    Sample,
)

_PAGE = 0x1000


def _mapping_key(m: Mapping) -> tuple[int, int, str]:
    size = m.memory_limit - m.memory_start
    size = size + _PAGE - 1
    size -= size % _PAGE
    return size, m.file_offset, m.build_id or m.file


def _check_compatible(profiles: Sequence[Profile]) -> None:
    first = profiles[0]

    def kinds(p: Profile) -> str:
        return ", ".join(f"{t.type}/{t.unit}" for t in p.sample_types) or "no sample types"

    for i, p in enumerate(profiles[1:], start=2):
        if [(t.type, t.unit) for t in p.sample_types] != [(t.type, t.unit) for t in first.sample_types]:
            raise ProfileError(f"cannot merge profile {i} ({kinds(p)}) with profile 1 ({kinds(first)}): "
                               "only profiles of the same kind merge (e.g. CPU profiles with CPU profiles)")
        if p.period_type != first.period_type:
            raise ProfileError(f"cannot merge profile {i} with profile 1: their period types differ "
                               f"({p.period_type} vs {first.period_type})")


class _Merger:
    def __init__(self) -> None:
        self.mappings: dict[int, Mapping] = {}
        self.functions: dict[int, Function] = {}
        self.locations: dict[int, Location] = {}
        self.samples: dict[tuple[tuple[int, ...], tuple[Label, ...]], list[int]] = {}
        self._mapping_keys: dict[tuple[int, int, str], Mapping] = {}
        self._function_keys: dict[tuple[int, str, str, str], Function] = {}
        self._location_keys: dict[tuple[int, int, tuple[tuple[int, int, int], ...], bool], Location] = {}

    def add(self, src: Profile) -> None:
        mapping_of: dict[int, tuple[Mapping, int]] = {}
        function_of: dict[int, Function] = {}
        location_of: dict[int, Location] = {}
        if not self.mappings and src.mappings:
            # pprof maps the first mapping first: it is the main binary, and stays mapping 1.
            first = next(iter(src.mappings.values()))
            mapping_of[first.id] = self._mapping(first)

        def mapping(m: Mapping | None) -> tuple[Mapping | None, int]:
            if m is None:
                return None, 0
            if m.id not in mapping_of:
                mapping_of[m.id] = self._mapping(m)
            return mapping_of[m.id]

        def function(f: Function) -> Function:
            got = function_of.get(f.id)
            if got is None:
                key = (f.start_line, f.name, f.system_name, f.filename)
                got = self._function_keys.get(key)
                if got is None:
                    got = Function(len(self.functions) + 1, f.name, f.system_name, f.filename, f.start_line)
                    self._function_keys[key] = got
                    self.functions[got.id] = got
                function_of[f.id] = got
            return got

        def location(loc: Location) -> Location:
            got = location_of.get(loc.id)
            if got is not None:
                return got
            m, offset = mapping(loc.mapping)
            address = loc.address + offset
            lines = tuple(Line(function(ln.function), ln.line, ln.column) for ln in loc.lines)
            key = (address - (m.memory_start if m is not None else 0), m.id if m is not None else 0,
                   tuple((ln.function.id, ln.line, ln.column) for ln in lines), loc.is_folded)
            got = self._location_keys.get(key)
            if got is None:
                got = Location(len(self.locations) + 1, m, address, lines, loc.is_folded)
                self._location_keys[key] = got
                self.locations[got.id] = got
            location_of[loc.id] = got
            return got

        locs = src.locations
        for smp in src.samples:
            if not any(smp.values):
                continue
            ids = tuple(location(locs[i]).id for i in smp.location_ids)
            key = (ids, tuple(sorted(smp.labels, key=_label_order)))
            acc = self.samples.get(key)
            if acc is None:
                self.samples[key] = list(smp.values)
            else:
                for i, v in enumerate(smp.values):
                    acc[i] += v

    def _mapping(self, m: Mapping) -> tuple[Mapping, int]:
        key = _mapping_key(m)
        got = self._mapping_keys.get(key)
        if got is not None:
            return got, got.memory_start - m.memory_start
        new = Mapping(len(self.mappings) + 1, m.memory_start, m.memory_limit, m.file_offset, m.file, m.build_id,
                      m.has_functions, m.has_filenames, m.has_line_numbers, m.has_inline_frames)
        self._mapping_keys[key] = new
        self.mappings[new.id] = new
        return new, 0


def _label_order(lb: Label) -> tuple[int, str, str, int, str]:
    """pprof keys samples by string labels (sorted by key) then numeric ones: order does not make two samples."""
    return (0 if lb.value is not None else 1, lb.key, lb.value or "", lb.num or 0, lb.num_unit)


def merge_profiles(profiles: Sequence[Profile], *, comments: Sequence[str] = ()) -> Profile:
    """One profile holding every sample of ``profiles`` (see the module doc); ``comments`` are appended."""
    if not profiles:
        raise ProfileError("no profiles to merge")
    _check_compatible(profiles)
    merger = _Merger()
    for p in profiles:
        merger.add(p)
    seen: dict[str, None] = {}
    for p in profiles:
        seen.update(dict.fromkeys(p.comments))
    seen.update(dict.fromkeys(comments))
    nonzero = [p.time_nanos for p in profiles if p.time_nanos]
    first = profiles[0]
    return Profile(
        sample_types=first.sample_types,
        samples=tuple(Sample(ids, tuple(values), labels) for (ids, labels), values in merger.samples.items()),
        locations=MappingProxyType(merger.locations),
        functions=MappingProxyType(merger.functions),
        mappings=MappingProxyType(merger.mappings),
        default_sample_type=next((p.default_sample_type for p in profiles if p.default_sample_type), ""),
        period_type=first.period_type,
        period=max(p.period for p in profiles),
        time_nanos=min(nonzero) if nonzero else 0,
        duration_nanos=sum(p.duration_nanos for p in profiles),
        comments=tuple(seen),
        drop_frames=first.drop_frames,
        keep_frames=first.keep_frames,
        doc_link=next((p.doc_link for p in profiles if p.doc_link), ""),
    )
