"""pprof: see DESIGN.md section 5."""
