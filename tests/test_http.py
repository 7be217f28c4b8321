"""What every response carries: security headers, CSRF enforcement, error pages."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from playbook import create_app
from playbook.config import ProductionConfig
from tests.helpers import check_page


@pytest.mark.parametrize(
    "path", ["/", "/library/plays/", "/auth/login", "/does-not-exist", "/static/css/app.css"]
)
def test_every_response_carries_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "frame-ancestors 'none'" in csp
        and "object-src 'none'" in csp
    )
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    response.close()


def test_pages_have_no_inline_script_or_style(client, library):
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_post_without_csrf_token_is_refused_with_400(client, member):
    response = client.post("/auth/login", data={"email": member.email, "password": "x" * 10})
    assert response.status_code == 400
    assert "form expired" in check_page(response)


def test_unknown_page_is_404_in_the_site_look(client):
    response = client.get("/nope")
    assert response.status_code == 404
    html = check_page(response)
    assert "Page not found" in html and "Skip to main content" in html


def test_wrong_method_is_405_page(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "Not allowed here" in check_page(response)


def test_too_large_request_is_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/auth/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "Too large" in check_page(response)


@pytest.fixture
def failing_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def crash():
        raise RuntimeError("boom")

    def database_down():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    app.add_url_rule("/test-crash", "test_crash", crash)
    app.add_url_rule("/test-db-down", "test_db_down", database_down)
    return app


def test_unexpected_error_is_500_page_without_details(failing_app):
    response = failing_app.test_client().get("/test-crash")
    assert response.status_code == 500
    html = check_page(response)
    assert "Something went wrong" in html and "boom" not in html


def test_database_outage_is_503_page(failing_app):
    response = failing_app.test_client().get("/test-db-down")
    assert response.status_code == 503
    assert "Temporarily unavailable" in check_page(response)


def test_production_refuses_to_start_without_secret_key_or_database(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_to_start_without_its_host_names(monkeypatch, tmp_path):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(
        ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/p.sqlite"
    )
    monkeypatch.setattr(ProductionConfig, "TRUSTED_HOSTS", None)
    with pytest.raises(RuntimeError, match="PLAYBOOK_TRUSTED_HOSTS"):
        create_app(ProductionConfig)


def test_production_starts_with_secret_key_database_and_hosts(monkeypatch, tmp_path):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(
        ProductionConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/p.sqlite"
    )
    monkeypatch.setattr(ProductionConfig, "TRUSTED_HOSTS", ["playbook.example.org"])
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_nul_characters_are_dropped_from_forms_and_query_strings(client, login, member):
    from playbook.extensions import db
    from tests.helpers import post_form

    login(member)
    post_form(
        client,
        "/accounts/profile",
        {"display_name": "Nu\x00ll", "organization": "Org\x00", "role_title": ""},
        expected=302,
    )
    db.session.refresh(member)
    assert member.display_name == "Null" and member.organization == "Org"
    assert client.get("/library/search?q=goal\x00s").status_code == 200


def test_ids_beyond_the_database_range_are_404(client):
    assert client.get(f"/library/plays/{2**31}").status_code == 404
    assert client.get(f"/library/plays/{2**31 - 1}").status_code == 404
