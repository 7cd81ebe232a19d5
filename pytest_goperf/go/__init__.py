"""Go itself: toolchain discovery, builds with PGO evidence, service processes, ports, process groups (docs/design.md#architecture)."""
