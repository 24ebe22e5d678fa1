"""The billing feed (docs/spec.md §6a "Billing feed"): per student, section and catalog line, what the bursar may charge.

rows.py builds the rows (one query, streamed; the choice rule is orders/domain/students/choices.py); export.py writes
the file atomically; cli.py is `flask --app app export-billing`; views.py is the back office download.
"""
