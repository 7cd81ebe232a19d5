"""Which frames of a stack are the standard library's and which the program's.

Why here: the trace analysis names the goroutine a stop-the-world waited for
by its first frame of the program, and the blocks gate leaves out blocks the
standard library has with itself; both read frames the same way.
"""

from __future__ import annotations

from pytest_goperf.trace.model import Stack

# First elements of the standard library's import paths (``go list std``; ``vendor/`` holds its
# vendored golang.org/x code).  A module path has a dot in its first element, ``main`` is the program.
STD_ROOTS = frozenset({
    "archive", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context", "crypto", "database",
    "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go", "hash", "html", "image", "index",
    "internal", "io", "iter", "log", "maps", "math", "mime", "net", "os", "path", "plugin", "reflect", "regexp",
    "runtime", "slices", "sort", "strconv", "strings", "structs", "sync", "syscall", "testing", "text", "time",
    "unicode", "unique", "unsafe", "vendor", "weak",
})


def in_stdlib(function: str) -> bool:
    """Whether a frame's function belongs to the standard library (``net/http.(*conn).serve``: yes)."""
    slash = function.rfind("/")
    package = function[: slash + 1] + function[slash + 1:].split(".", 1)[0]
    return package.split("/", 1)[0] in STD_ROOTS


def program_frame(stack: Stack) -> str:
    """"fn file:line" of the stack's first frame outside the standard library, else outside the runtime."""
    for fn, fl, line in stack:
        if not in_stdlib(fn):
            return f"{fn} {fl}:{line}"
    for fn, fl, line in stack:
        if not fn.startswith(("runtime.", "internal/")):
            return f"{fn} {fl}:{line}"
    return ""
