"""The one way in: bytes (gzipped or not) -> validated ``Profile``.

Sniffing, decoding and every consistency check live here so that analysis
code can trust ids and string indexes.  Errors are classified so the user
learns whether the file is the wrong kind, cut short, or internally broken.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import zlib
from types import MappingProxyType

from google.protobuf.message import DecodeError

from pytest_goperf.errors import InputError
from pytest_goperf.pprof import profile_pb2 as pb
from pytest_goperf.pprof.errors import MalformedProfileError, NotAProfileError, TruncatedProfileError
from pytest_goperf.pprof.model import Function, Label, Line, Location, Mapping, Profile, Sample, ValueType

_GZIP_MAGIC = b"\x1f\x8b"
_HINT = "capture it again, e.g. curl -o cpu.pprof http://HOST/debug/pprof/profile?seconds=10"


def read_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and parse a profile file; I/O errors become ``InputError``.

    ``read_profile("cpu.pprof")`` takes what ``go test -cpuprofile`` or
    ``/debug/pprof/profile`` wrote (gzipped or not); the ``Profile`` remembers its file.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InputError(f"cannot read profile {os.fspath(path)}: {exc.strerror or exc}") from None
    return dataclasses.replace(parse_profile(data, source=os.fspath(path)), source=os.fspath(path))


def parse_profile(data: bytes, *, source: str = "profile") -> Profile:
    """Parse a pprof profile from bytes, gzipped (as Go writes it) or raw protobuf."""
    raw = _decompress(data, source)
    msg = _decode(raw, source)
    return _build(msg, source)


def _decompress(data: bytes, source: str) -> bytes:
    if not data:
        raise NotAProfileError(f"{source}: empty file, not a pprof profile; {_HINT}")
    if not data.startswith(_GZIP_MAGIC):
        return bytes(data)
    try:
        return gzip.decompress(data)
    except EOFError:
        raise TruncatedProfileError(
            f"{source}: truncated: the gzip stream ends early ({len(data)} bytes read); {_HINT}"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise NotAProfileError(f"{source}: not a pprof profile: corrupt gzip data ({exc})") from None


def _decode(raw: bytes, source: str) -> pb.Profile:
    try:
        msg = pb.Profile.FromString(raw)
    except DecodeError:
        if _looks_like_text(raw):
            raise _text_profile(source) from None
        if _wire_truncated(raw):
            raise TruncatedProfileError(
                f"{source}: truncated: the protobuf ends in the middle of a record ({len(raw)} bytes); {_HINT}"
            ) from None
        raise NotAProfileError(f"{source}: not a pprof profile: the bytes are not a valid protobuf message") from None
    if not msg.string_table and _looks_like_text(raw):
        raise _text_profile(source)
    return msg


def _looks_like_text(raw: bytes) -> bool:
    head = raw[:64]
    return bool(head) and all(32 <= b < 127 or b in (9, 10, 13) for b in head)


def _text_profile(source: str) -> NotAProfileError:
    return NotAProfileError(
        f"{source}: not a pprof profile: it is text, not protobuf (for a ?debug=1 profile, "
        "fetch it again without ?debug= to get the protobuf form)"
    )


def _wire_truncated(raw: bytes) -> bool:
    """True when the top-level fields are well formed but the last one runs past the end.

    Only called after protobuf refused the bytes, to tell a cut-short file from junk.
    """
    pos, end = 0, len(raw)

    def varint() -> int | None:
        nonlocal pos
        shift = result = 0
        while pos < end:
            b = raw[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 63:
                return -1
        return None

    while pos < end:
        key = varint()
        if key is None:
            return True
        if key <= 0:
            return False
        wire, field = key & 7, key >> 3
        if field == 0 or field > 15:
            return False
        if wire == 0:
            v = varint()
            if v is None:
                return True
            if v < 0:
                return False
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            if pos > end:
                return True
        elif wire == 2:
            n = varint()
            if n is None:
                return True
            if n < 0:
                return False
            pos += n
            if pos > end:
                return True
        else:
            return False
    return False


def _build(msg: pb.Profile, source: str) -> Profile:
    """Resolve strings and ids once, checking every reference on the way."""
    strings = list(msg.string_table)
    if not strings or strings[0] != "":
        if not msg.sample_type and not msg.sample and not strings:
            raise NotAProfileError(f"{source}: not a pprof profile: no string table and no sample types")
        raise MalformedProfileError(f"{source}: malformed profile: string_table[0] must be the empty string")
    if "" in strings[1:]:
        # Go writes each string once; a second "" is where another profile's table starts.
        raise MalformedProfileError(
            f"{source}: malformed profile: concatenated profiles detected (two string tables); "
            "keep one, or merge them with: go tool pprof -proto a.pprof b.pprof > merged.pprof"
        )
    nstr = len(strings)

    def s(index: int, what: str) -> str:
        if 0 <= index < nstr:
            return strings[index]
        raise MalformedProfileError(
            f"{source}: malformed references: {what} uses string index {index}, "
            f"but the string table has {nstr} entries (is the file truncated?)"
        )

    def check_id(kind: str, ident: int, seen: dict[int, object]) -> None:
        if ident == 0:
            raise MalformedProfileError(f"{source}: malformed references: a {kind} has the reserved id 0")
        if ident in seen:
            raise MalformedProfileError(f"{source}: malformed references: two {kind}s have id {ident}")

    mappings: dict[int, Mapping] = {}
    for m in msg.mapping:
        check_id("mapping", m.id, mappings)  # type: ignore[arg-type]
        mappings[m.id] = Mapping(
            m.id, m.memory_start, m.memory_limit, m.file_offset,
            s(m.filename, f"mapping {m.id} filename"), s(m.build_id, f"mapping {m.id} build_id"),
            m.has_functions, m.has_filenames, m.has_line_numbers, m.has_inline_frames,
        )
    functions: dict[int, Function] = {}
    for f in msg.function:
        check_id("function", f.id, functions)  # type: ignore[arg-type]
        what = f"function {f.id}"
        functions[f.id] = Function(
            f.id, s(f.name, what + " name"), s(f.system_name, what + " system_name"),
            s(f.filename, what + " filename"), f.start_line,
        )
    locations: dict[int, Location] = {}
    for loc in msg.location:
        check_id("location", loc.id, locations)  # type: ignore[arg-type]
        lines = []
        for ln in loc.line:
            fn = functions.get(ln.function_id)
            if fn is None:
                raise MalformedProfileError(
                    f"{source}: malformed references: location {loc.id} refers to function "
                    f"{ln.function_id}, which the profile does not define"
                )
            lines.append(Line(fn, ln.line, ln.column))
        # Like pprof, an unknown mapping id only loses the binary name; it is not fatal.
        locations[loc.id] = Location(loc.id, mappings.get(loc.mapping_id), loc.address, tuple(lines), loc.is_folded)

    sample_types = tuple(ValueType(s(v.type, "sample_type"), s(v.unit, "sample_type unit")) for v in msg.sample_type)
    ntypes = len(sample_types)
    samples: list[Sample] = []
    referenced: set[int] = set()
    label_cache: dict[tuple[int, int, int, int], Label] = {}

    def label(key: int, text: int, num: int, unit: int) -> Label:
        lb = label_cache.get((key, text, num, unit))
        if lb is None:
            lb = label_cache[(key, text, num, unit)] = Label(
                s(key, "label key"),
                s(text, "label value") if text else None,
                num if (num or unit) and not text else None,
                s(unit, "label unit"),
            )
        return lb

    for i, smp in enumerate(msg.sample):
        values = tuple(smp.value)
        if len(values) != ntypes:
            raise MalformedProfileError(
                f"{source}: malformed profile: sample {i} has {len(values)} values but there are "
                f"{ntypes} sample types"
            )
        ids = tuple(smp.location_id)
        referenced.update(ids)
        labels = tuple(label(lb.key, lb.str, lb.num, lb.num_unit) for lb in smp.label) if smp.label else ()
        samples.append(Sample(ids, values, labels))
    missing = referenced.difference(locations)
    if missing:
        raise MalformedProfileError(
            f"{source}: malformed references: samples refer to location ids {sorted(missing)[:5]} "
            f"that the profile does not define"
        )

    period_type = None
    if msg.HasField("period_type"):
        period_type = ValueType(s(msg.period_type.type, "period_type"), s(msg.period_type.unit, "period_type unit"))
    return Profile(
        sample_types=sample_types,
        samples=tuple(samples),
        locations=MappingProxyType(locations),
        functions=MappingProxyType(functions),
        mappings=MappingProxyType(mappings),
        default_sample_type=s(msg.default_sample_type, "default_sample_type"),
        period_type=period_type,
        period=msg.period,
        time_nanos=msg.time_nanos,
        duration_nanos=msg.duration_nanos,
        comments=tuple(s(c, "comment") for c in msg.comment),
        drop_frames=s(msg.drop_frames, "drop_frames"),
        keep_frames=s(msg.keep_frames, "keep_frames"),
        doc_link=s(msg.doc_link, "doc_link"),
    )
