"""Progress: a live dashboard of who has ordered, with "Remind now" (SPEC 3 "Progress")."""
