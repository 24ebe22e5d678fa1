"""The catalog: search, the fields of an item (form and CSV), and audited saves."""
