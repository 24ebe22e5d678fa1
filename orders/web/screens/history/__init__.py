"""Order history (SPEC 3): every order a user may view, filtered, paginated, as CSV; and Reorder."""
