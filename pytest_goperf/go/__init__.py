"""go: see DESIGN.md section 5."""
