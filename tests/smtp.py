"""A real SMTP server (aiosmtpd) in the test process, that can be stopped and started again."""
from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.servers import free_port


class Inbox:
    """aiosmtpd handler collecting parsed messages."""

    def __init__(self, stall_seconds: float = 0.0):
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.stall_seconds = stall_seconds

    async def handle_DATA(self, server, session, envelope):
        if self.stall_seconds:
            import asyncio

            await asyncio.sleep(self.stall_seconds)
        with self.lock:
            self.messages.append(
                message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            )
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SMTPServer:
    """Start/stop a local SMTP server on a fixed port so a test can simulate an outage."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
