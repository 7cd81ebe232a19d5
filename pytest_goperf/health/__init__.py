"""health: see DESIGN.md section 5."""
