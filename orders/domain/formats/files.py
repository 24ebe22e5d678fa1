"""What every export command shares below the feeds: the errors it reports and its output directory.

The order feed and the billing feed both write a file atomically into a directory an operator names, and
both fail in the operator's terms (an unknown term, a directory that cannot be written).
"""
from __future__ import annotations

import os


class ExportError(Exception):
    """A run that cannot go ahead; the message says why in the operator's terms."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownTerm(ExportError):
    pass


class OutputNotWritable(ExportError):
    pass


def check_directory(out_dir: str) -> None:
    """Create the output directory if needed; OutputNotWritable when that or writing fails."""
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise OutputNotWritable(f"Cannot create the output directory {out_dir}: {error.strerror or error}.") from error
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputNotWritable(f"The output directory {out_dir} is not writable.")
