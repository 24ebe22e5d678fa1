"""The Program Administrators' back office (SPEC section 3, "Back office"), served at /admin."""
