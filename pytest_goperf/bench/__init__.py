"""bench: see DESIGN.md section 5."""
