"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what the app sends."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """An SMTP server on 127.0.0.1 (on `port`, or a free one); `messages` holds what
    it received as email.message.EmailMessage objects, `recipients` the envelope
    recipients of each. After stall(), a message that arrives is held without an
    answer (`stalled` is set) until release(), then refused with 451."""

    def __init__(self, port: int | None = None):
        self.messages = []
        self.recipients: list[list[str]] = []
        self.stalled = threading.Event()
        self._stalling = threading.Event()
        self.port = port or free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_DATA(self, server, session, envelope):
        if self._stalling.is_set():
            self.stalled.set()
            deadline = time.monotonic() + 120  # never hold a connection for ever
            while self._stalling.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return "451 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def stall(self) -> None:
        self.stalled.clear()
        self._stalling.set()

    def release(self) -> None:
        self._stalling.clear()

    def stop(self) -> None:
        self.release()
        self._controller.stop()


@pytest.fixture
def smtp_server(app):
    """Point the app's mail at a local SMTP server and hand the server to the test."""
    server = SMTPServer()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=server.port)
    yield server
    server.stop()


@pytest.fixture
def outbox(app):
    """Point the app's mail at a local SMTP server; the list holds the messages it received."""
    server = SMTPServer()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=server.port)
    yield server.messages
    server.stop()
