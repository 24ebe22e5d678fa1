"""The order feed (docs/spec.md §6a): per-term CSV snapshots of orders for the bookstore and the content provider.

rows.py builds the rows (one query, streamed); export.py writes files and keeps the delta windows;
cli.py is `flask --app app export-feed`; views.py is the back office's download page.
"""

# Bump when a column is added, removed, renamed or changes meaning; README.md documents each version.
FEED_VERSION = "1"
