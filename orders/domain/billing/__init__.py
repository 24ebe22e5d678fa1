"""The billing feed (docs/spec.md §6a "Billing feed"): what the bursar may charge.

One row per student, section and catalog line. rows.py builds the rows (one query, streamed; the choice rule is
orders/domain/students/choices.py); export.py writes the file atomically; cli.py is `flask --app app export-billing`;
views.py is the back office download.
"""
