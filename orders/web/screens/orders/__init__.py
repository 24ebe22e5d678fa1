"""Placed orders: the summary, cancel, edit and added sections."""
