"""The web layer: requests, forms, htmx, guards, errors, and the helper that runs a change for a view."""
