"""Progress: a live dashboard of who has ordered, with "Remind now" (docs/spec.md §3 "Progress")."""
