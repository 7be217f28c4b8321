"""The benchmark's in-memory page: absent unless PLAYBOOK_BENCH_ROUTES is on; then a
page of the asked size, with the site's layout and no database statement."""

from __future__ import annotations

import pytest

from playbook import create_app
from playbook.database import count_statements
from playbook.extensions import db


def test_the_page_does_not_exist_by_default(app, client):
    assert "bench.page" not in app.view_functions
    assert client.get("/_bench/page").status_code == 404


@pytest.fixture
def bench_client():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PLAYBOOK_BENCH_ROUTES": True})
    with app.app_context():
        yield app.test_client()
        db.engine.dispose()


@pytest.mark.parametrize("size", [5_000, 60_000, 400_000])
def test_it_renders_about_the_asked_size_from_memory(bench_client, size):
    with count_statements() as statements:
        response = bench_client.get(f"/_bench/page?bytes={size}")
    assert response.status_code == 200 and statements == []
    html = response.get_data(as_text=True)
    assert size - 1_000 <= len(response.data) <= size
    assert "<title>A page from memory · Playbook</title>" in html and 'class="site-header"' in html
    assert response.headers["ETag"] and response.headers["Content-Security-Policy"]


def test_it_declares_a_public_access_rule(bench_client):
    assert bench_client.application.view_functions["bench.page"].access_rule == "public"


def test_absurd_sizes_are_clamped(bench_client):
    assert len(bench_client.get("/_bench/page?bytes=-5").data) < 5_000
    assert len(bench_client.get("/_bench/page?bytes=999999999").data) <= 2_000_000
