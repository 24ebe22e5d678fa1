"""Sign-in (docs/spec.md §6a): local passwords with throttling, a single sign-on header, server-side sessions."""
