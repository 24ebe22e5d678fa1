"""Operator endpoints (health, readiness, metrics) and the back office's failed mail."""
