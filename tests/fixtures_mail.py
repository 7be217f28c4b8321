"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what the app sends."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


class _Keeper:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def outbox(app):
    """Point the app's mail at a local SMTP server; the list holds the messages it
    received (email.message.EmailMessage objects)."""
    keeper = _Keeper()
    port = _free_port()
    controller = Controller(keeper, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(PLAYBOOK_MAIL_SERVER="127.0.0.1", PLAYBOOK_MAIL_PORT=port)
    yield keeper.messages
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
