"""The Program Administrators' back office (docs/spec.md §3, "Back office"), served at /admin."""
