"""``Profile`` -> gzipped protobuf bytes, the form Go writes and every pprof tool reads.

The inverse of ``parse``: strings are interned into one table (index 0 is
the empty string), records keep their ids.  A profile written here and read
back with ``parse_profile`` compares equal field by field, and
``go tool pprof`` and ``go build -pgo`` read it like one Go wrote.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

from pytest_goperf.pprof import profile_pb2 as pb
from pytest_goperf.pprof.model import Profile


class _Strings:
    """The string table: each distinct string once, ``""`` at index 0."""

    def __init__(self) -> None:
        self.table: list[str] = [""]
        self.index: dict[str, int] = {"": 0}

    def __call__(self, s: str | None) -> int:
        if not s:
            return 0
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.table)
            self.table.append(s)
        return i


def to_message(profile: Profile) -> pb.Profile:
    """The protobuf message for ``profile``."""
    s = _Strings()
    msg = pb.Profile()
    for vt in profile.sample_types:
        msg.sample_type.add(type=s(vt.type), unit=s(vt.unit))
    for smp in profile.samples:
        out = msg.sample.add(location_id=smp.location_ids, value=smp.values)
        for lb in smp.labels:
            if lb.value is not None:
                out.label.add(key=s(lb.key), str=s(lb.value))
            else:
                out.label.add(key=s(lb.key), num=lb.num or 0, num_unit=s(lb.num_unit))
    for m in profile.mappings.values():
        msg.mapping.add(id=m.id, memory_start=m.memory_start, memory_limit=m.memory_limit,
                        file_offset=m.file_offset, filename=s(m.file), build_id=s(m.build_id),
                        has_functions=m.has_functions, has_filenames=m.has_filenames,
                        has_line_numbers=m.has_line_numbers, has_inline_frames=m.has_inline_frames)
    for loc in profile.locations.values():
        out_loc = msg.location.add(id=loc.id, mapping_id=loc.mapping.id if loc.mapping is not None else 0,
                                   address=loc.address, is_folded=loc.is_folded)
        for ln in loc.lines:
            out_loc.line.add(function_id=ln.function.id, line=ln.line, column=ln.column)
    for fn in profile.functions.values():
        msg.function.add(id=fn.id, name=s(fn.name), system_name=s(fn.system_name), filename=s(fn.filename),
                         start_line=fn.start_line)
    msg.drop_frames = s(profile.drop_frames)
    msg.keep_frames = s(profile.keep_frames)
    msg.time_nanos = profile.time_nanos
    msg.duration_nanos = profile.duration_nanos
    if profile.period_type is not None:
        msg.period_type.type = s(profile.period_type.type)
        msg.period_type.unit = s(profile.period_type.unit)
    msg.period = profile.period
    msg.comment.extend(s(c) for c in profile.comments)
    msg.default_sample_type = s(profile.default_sample_type)
    msg.doc_link = s(profile.doc_link)
    msg.string_table.extend(s.table)
    return msg


def encode_profile(profile: Profile) -> bytes:
    """Gzipped protobuf, as ``runtime/pprof`` writes it (mtime 0, so equal profiles give equal bytes)."""
    return gzip.compress(to_message(profile).SerializeToString(), compresslevel=6, mtime=0)


def write_profile(profile: Profile, path: str | os.PathLike[str]) -> Path:
    """Write ``profile`` to ``path`` atomically: a temporary file in the same folder, then a rename.

    A reader (or ``go build``) sees the old file or the new one, never half of one.
    """
    path = Path(path)
    data = encode_profile(profile)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
