"""Go itself: toolchain discovery, builds with PGO evidence, service processes, ports, process groups.

See docs/design.md#architecture.
"""
