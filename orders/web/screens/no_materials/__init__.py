""""No materials needed": a Courses row answered as done without an order (docs/spec.md §1–3)."""
