"""Command-line entry points (flask --app app ...): one module per command family."""
