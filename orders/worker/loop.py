"""The one loop behind every `--loop` command: run a step until SIGINT or SIGTERM, surviving a database blink."""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from orders.extensions import db

log = logging.getLogger(__name__)


def run_until_stopped(step: Callable[[], bool], *, idle_seconds: float, what: str) -> None:
    """Call `step` again and again; it returns whether it did work (then it runs again at once).

    When it did nothing, or failed (logged and rolled back: the outbox and the reminder markers make a
    rerun safe), wait `idle_seconds` or until a stop signal. Each pass ends with a fresh session.
    """
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        try:
            busy = step()
        except Exception:  # the database blinked: log, back off, keep the worker alive
            log.exception("%s failed", what)
            db.session.rollback()
            busy = False
        db.session.remove()
        if not busy:
            stop.wait(idle_seconds)
