"""A local SMTP server for the demo: accepts every message and keeps it as an .eml file."""
from __future__ import annotations

import itertools
import logging
import os
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class MaildirHandler:
    """aiosmtpd handler writing each message to a folder, named so they sort by arrival."""

    def __init__(self, folder: str):
        self.folder = folder
        self.counter = itertools.count(1)
        os.makedirs(folder, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self.counter):04d}.eml"
        with open(os.path.join(self.folder, name), "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        subject = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)["subject"]
        print(f"Mail to {', '.join(envelope.rcpt_tos)}: {subject} -> {name}", flush=True)
        return "250 Message accepted"


def serve(folder: str, host: str, port: int) -> None:
    """Run the sink until interrupted."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
    controller = Controller(MaildirHandler(folder), hostname=host, port=port)
    controller.start()
    print(f"Local mailbox listening on {host}:{port}, writing to {folder}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
