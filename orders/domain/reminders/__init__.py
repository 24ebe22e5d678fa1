"""Reminder emails before the deadline (SPEC section 4) and their back-office page."""
