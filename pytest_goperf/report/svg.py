"""Make matplotlib's SVG renderable under a strict Content-Security-Policy.

Jenkins serves archived files with ``style-src 'self'`` (no inline styles).
matplotlib writes ``style="fill: #fff; stroke: ..."`` attributes and one
``<style>`` element; every property in them is also an SVG presentation
attribute, so each one is rewritten as such (``fill="#fff"``) and the
``<style>`` rule moves onto the root element, where its properties inherit.
The picture is the same; nothing in it is CSS any more.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

# Properties matplotlib writes that are SVG presentation attributes (SVG 1.1, section M.2).
PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "stroke-miterlimit", "opacity", "clip-path",
    "clip-rule", "color", "display", "visibility", "font-family", "font-size", "font-style", "font-weight",
    "text-anchor", "dominant-baseline", "alignment-baseline", "letter-spacing", "word-spacing", "mask", "filter",
})

_STYLE_ATTR = re.compile(r'<(?P<tag>[\w:]+)(?P<attrs>[^<>]*?)\sstyle="(?P<style>[^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>\s*\*\s*\{(?P<body>[^}]*)\}\s*</style>", re.DOTALL)
_ROOT = re.compile(r"<svg\b")


class UnsafeSvg(ValueError):
    """A style the rewrite cannot express as attributes (a matplotlib change; say so loudly)."""


def _declarations(css: str) -> list[tuple[str, str]]:
    out = []
    for part in css.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or name not in PRESENTATION or '"' in value:
            raise UnsafeSvg(f"style property {part.strip()!r} has no presentation attribute")
        out.append((name, value))
    return out


def _attributes(pairs: list[tuple[str, str]]) -> str:
    return "".join(f' {name}="{value}"' for name, value in pairs)


def csp_safe(svg: str) -> str:
    """The same drawing without any ``style`` attribute or ``<style>`` element."""
    root_attrs = ""
    m = _STYLE_ELEMENT.search(svg)
    if m is not None:
        root_attrs = _attributes(_declarations(m.group("body")))
        svg = svg[: m.start()] + svg[m.end():]

    def replace(match: re.Match[str]) -> str:
        pairs = _declarations(match.group("style"))
        present = set(re.findall(r'\s([\w:-]+)="', match.group("attrs")))
        clash = [name for name, _ in pairs if name in present]
        if clash:
            raise UnsafeSvg(f"<{match.group('tag')}> sets {clash} both as attribute and in style")
        return f"<{match.group('tag')}{match.group('attrs')}{_attributes(pairs)}"

    svg = _STYLE_ATTR.sub(replace, svg)
    if root_attrs:
        svg = _ROOT.sub("<svg" + root_attrs, svg, count=1)
    if "style=" in svg or "<style" in svg:
        raise UnsafeSvg("styles left after the rewrite")
    ET.fromstring(svg.encode("utf-8"))      # still well-formed XML (raises ParseError if not)
    return svg
