"""What each section costs (docs/spec.md §10): other required costs on orders, the estimated required cost per
section and its labels ("Zero textbook cost", "Low cost"), and the share of sections whose cost is disclosed."""
