"""Public course materials (SPEC 3): each section's materials for anyone, no sign-in, cacheable."""
