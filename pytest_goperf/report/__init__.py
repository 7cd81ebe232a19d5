"""report: see DESIGN.md section 5."""
