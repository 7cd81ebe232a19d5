"""Output for people and CI (docs/design.md#architecture)."""
