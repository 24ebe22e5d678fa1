"""The nightly SIS import (SPEC section 6a): `flask --app app import-sis DIR [--dry-run]`."""
