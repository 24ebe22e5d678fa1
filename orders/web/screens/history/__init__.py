"""Order history (docs/spec.md §3): every order a user may view, filtered, paginated, as CSV; and Reorder."""
