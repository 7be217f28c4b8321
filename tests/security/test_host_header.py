"""Links in e-mail must point at this site, whatever Host header the request that
caused the mail carried (password-reset poisoning: an attacker asks for a reset of
the victim's account with `Host: evil.example`, and the victim's mail then carries
the secret reset token to the attacker's host)."""

from __future__ import annotations

import logging
import re

import pytest

from playbook import create_app
from playbook.config import ProductionConfig
from playbook.extensions import db
from tests import factories
from tests.helpers import csrf_token_from

EVIL = "evil.example"
SITE = "playbook.example.org"


@pytest.fixture
def production_app(monkeypatch, tmp_path):
    """The production settings as a district runs them, plus mail bodies in the log
    (there is no SMTP server here) so the test can read the link."""
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(
        ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/playbook.sqlite"
    )
    monkeypatch.setattr(ProductionConfig, "PLAYBOOK_LOG_MAIL_BODIES", True)
    monkeypatch.setattr(ProductionConfig, "PLAYBOOK_MAIL_SERVER", "")
    monkeypatch.setattr(ProductionConfig, "TRUSTED_HOSTS", [SITE])
    # The reset mail is written by a job: run jobs where they are queued, so the test
    # reads the link the job built from the request's host.
    monkeypatch.setattr(ProductionConfig, "PLAYBOOK_QUEUE_IMMEDIATE", True)
    monkeypatch.setattr(ProductionConfig, "PLAYBOOK_QUEUE_URL", f"sqlite:///{tmp_path}/jobs.sqlite")
    app = create_app(ProductionConfig)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _ask_for_reset(app, host: str, email: str, caplog):
    client = app.test_client()
    # The request as an attacker sends it: any Host, and a Referer to match (CSRF's HTTPS check).
    headers = {"Host": host, "Referer": f"https://{host}/auth/reset"}
    page = client.get("/auth/reset", headers=headers, base_url="https://" + host)
    if page.status_code != 200:
        return page, []
    token = csrf_token_from(page.get_data(as_text=True))
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        response = client.post(
            "/auth/reset",
            data={"csrf_token": token, "email": email},
            headers=headers,
            base_url="https://" + host,
        )
    return response, re.findall(r"https?://[^\s/]+/auth/reset/\S+", caplog.text)


def test_a_request_naming_another_host_is_refused_and_sends_nothing(production_app, caplog):
    member = factories.make_user()
    response, links = _ask_for_reset(production_app, EVIL, member.email, caplog)
    assert response.status_code == 400
    assert links == []


def test_reset_link_points_at_this_site(production_app, caplog):
    member = factories.make_user()
    response, links = _ask_for_reset(production_app, SITE, member.email, caplog)
    assert response.status_code == 302
    assert len(links) == 1 and links[0].startswith(f"https://{SITE}/auth/reset/"), links
