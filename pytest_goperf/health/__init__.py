"""Heap and goroutine series of the load window and their trends (docs/design.md#architecture)."""
