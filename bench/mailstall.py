"""A local SMTP server that takes 2 s per message: a slow relay the web requests must never wait on."""
from __future__ import annotations

import asyncio
import logging
import socket
import threading

from aiosmtpd.controller import Controller


class StallingHandler:
    """Accepts every message after a delay and counts them."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        with self._lock:
            self.received += 1
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StallingSMTP:
    """with StallingSMTP(2.0) as smtp: ... smtp.port, smtp.handler.received"""

    def __init__(self, delay: float, port: int):
        self.handler = StallingHandler(delay)
        self.port = port
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
