"""Reminder emails before the deadline (docs/spec.md §4) and their back-office page."""
