"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what the app sends."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """An SMTP server on 127.0.0.1 (on `port`, or a free one); `messages` holds what
    it received as email.message.EmailMessage objects."""

    def __init__(self, port: int | None = None):
        self.messages = []
        self.port = port or free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def outbox(app):
    """Point the app's mail at a local SMTP server; the list holds the messages it received."""
    server = SMTPServer()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=server.port)
    yield server.messages
    server.stop()
