"""trace: see DESIGN.md section 5."""
