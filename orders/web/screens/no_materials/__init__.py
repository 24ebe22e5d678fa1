""""No materials needed": a Courses row answered as done without an order (SPEC sections 1-3)."""
