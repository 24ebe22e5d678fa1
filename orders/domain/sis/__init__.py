"""The nightly SIS import (docs/spec.md §6a): `flask --app app import-sis DIR [--dry-run]`."""
