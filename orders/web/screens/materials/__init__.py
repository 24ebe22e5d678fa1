"""Public course materials (docs/spec.md §3): each section's materials for anyone, no sign-in, cacheable."""
