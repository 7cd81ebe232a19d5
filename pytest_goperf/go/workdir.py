"""The folder a service runs in, with ``service.files`` rendered into it without touching the user's tree.

With no files to render the service runs in its ``cwd`` as is.  With files,
it runs in a *view* of ``cwd`` built in the artifacts folder: every entry of
``cwd`` is a symlink to the original, except along the paths of the rendered
files, where real folders hold symlinks to their siblings and the rendered
file itself.  So the service finds ``config/test.yaml`` at the relative path
it always reads, its other relative paths (``static/``, ``migrations/``)
still work, and the user's own ``config/test.yaml``, if there is one, is
never written over.  The rendered files stay in the artifacts folder for
reading after the run.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ..errors import ServiceError
from .placeholders import expand


def render(template: Path, values: Mapping[str, str]) -> str:
    """The template's text with its placeholders filled in (checked at config load time)."""
    try:
        text = template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError(f"service.files: cannot read template {template}: {exc}") from None
    try:
        return expand(text, values)
    except KeyError as exc:  # changed since the config was loaded
        raise ServiceError(f"service.files: template {template} uses unknown placeholder {{{exc.args[0]}}}") from None


def prepare(cwd: Path, files: Mapping[str, Path], values: Mapping[str, str], view: Path) -> Path:
    """The working folder for the service: ``cwd`` itself, or ``view`` rebuilt with the rendered files."""
    if not files:
        return cwd
    if view.is_symlink() or view.is_file():
        view.unlink()
    elif view.exists():
        shutil.rmtree(view)  # symlinks inside are removed, never followed
    rendered = {PurePosixPath(dest): render(template, values) for dest, template in files.items()}
    _mirror(cwd, view, rendered)
    for dest, template in files.items():
        shutil.copymode(template, view / dest)  # a rendered script stays executable
    return view


def _mirror(source: Path, target: Path, rendered: Mapping[PurePosixPath, str]) -> None:
    """Make ``target`` a view of ``source`` where ``rendered`` (paths relative to it) replace or add files."""
    target.mkdir(parents=True)
    here = {p.parts[0] for p in rendered}
    deeper: dict[str, dict[PurePosixPath, str]] = {}
    for path, text in rendered.items():
        if len(path.parts) == 1:
            (target / path.parts[0]).write_text(text, encoding="utf-8")
        else:
            deeper.setdefault(path.parts[0], {})[PurePosixPath(*path.parts[1:])] = text
    for name, inner in deeper.items():
        if (target / name).exists():
            raise ServiceError(f"service.files: {name} is both a rendered file and a folder of rendered files")
        _mirror(source / name, target / name, inner)
    if source.is_dir():
        for entry in source.iterdir():
            if entry.name not in here:
                (target / entry.name).symlink_to(entry)
