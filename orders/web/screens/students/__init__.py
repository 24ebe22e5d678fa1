"""Students: their Course materials, their choices, and the back office's view of them."""
