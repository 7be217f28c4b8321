"""HTTP caching: visitors' public pages carry a weak ETag and answer 304 when nothing
changed; signed-in people's pages are never stored by shared caches and never get
a validator (so never someone else's 304)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from playbook.auth import sessions
from playbook.extensions import db
from playbook.models import Component, Framework, Play, Resource
from playbook.playbooks import sharing
from tests import factories as pf
from tests.helpers import csrf_token_from

VISITOR_PAGES = [
    "/",
    "/library/",
    "/library/plays/",
    "/library/resources/",
    "/library/frameworks/",
    "/library/plays/{play}",
    "/library/resources/{resource}",
    "/library/frameworks/{framework}",
    "/library/components/{component}",
    "/library/search?q=learner",
    "/gallery/",
    "/gallery/?q=team",
    "/playbooks/{playbook}",
]


@pytest.fixture
def public_playbook(app, library, member):
    playbook = pf.make_playbook(
        member, 6, framework=pf.seeded_framework(), title="Team playbook in public"
    )
    sharing.set_visibility(member, pf.reload(playbook.id), "public")
    return pf.reload(playbook.id)


@pytest.fixture
def urls(public_playbook):
    first = lambda model: db.session.scalar(select(model.id).order_by(model.id))  # noqa: E731
    ids = dict(
        play=first(Play),
        resource=first(Resource),
        framework=first(Framework),
        component=first(Component),
        playbook=public_playbook.id,
    )
    return [page.format(**ids) for page in VISITOR_PAGES]


@pytest.fixture
def visitor(app):
    """A browser without any cookie, as a first-time reader or a shared cache sees the site."""
    return app.test_client(use_cookies=False)


def test_visitor_pages_carry_a_weak_etag_and_set_no_cookie(visitor, urls):
    for url in urls:
        response = visitor.get(url)
        assert response.status_code == 200, url
        etag, weak = response.get_etag()
        assert etag and weak, url
        assert response.cache_control.no_cache and not response.cache_control.no_store, url
        assert not response.cache_control.private, url
        assert "Cookie" in response.vary, url
        assert "Set-Cookie" not in response.headers, url


def test_visitor_gets_304_for_an_unchanged_page(visitor, urls):
    for url in urls:
        first = visitor.get(url)
        again = visitor.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        assert again.data == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        # Security headers stay on the short answer too.
        assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_head_request_is_answered_304_too(visitor, urls):
    etag = visitor.get(urls[0]).headers["ETag"]
    assert visitor.head(urls[0], headers={"If-None-Match": etag}).status_code == 304


def test_a_stale_or_foreign_etag_gets_the_full_page(visitor, urls):
    home = visitor.get("/").headers["ETag"]
    for url in urls[1:]:
        response = visitor.get(url, headers={"If-None-Match": home})
        assert response.status_code == 200 and response.data, url
    assert visitor.get("/", headers={"If-None-Match": 'W/"nothing-like-it"'}).status_code == 200


def test_a_changed_playbook_gets_a_new_etag(app, visitor, member, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    before = visitor.get(url).headers["ETag"]
    pf.add_note(member, public_playbook.id, title="A brand new idea")
    response = visitor.get(url, headers={"If-None-Match": before})
    assert response.status_code == 200
    assert "A brand new idea" in response.get_data(as_text=True)
    assert response.headers["ETag"] != before


def test_a_new_library_entry_changes_the_list_etag(app, visitor):
    from tests import factories

    before = visitor.get("/library/resources/").headers["ETag"]
    factories.make_resource(title="Aardvark reading circles")
    response = visitor.get("/library/resources/", headers={"If-None-Match": before})
    assert response.status_code == 200 and "Aardvark reading circles" in response.get_data(
        as_text=True
    )


def test_signed_in_pages_are_private_and_never_get_a_validator(client, login, other_member, urls):
    login(other_member)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.private and response.cache_control.no_store, url
        assert "ETag" not in response.headers, url
        assert "Cookie" in response.vary, url


def test_signed_in_person_never_gets_a_304_meant_for_a_visitor(
    app, visitor, client, login, other_member, urls
):
    login(other_member)
    for url in urls:
        etag = visitor.get(url).headers["ETag"]
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, url
        assert other_member.display_name in response.get_data(as_text=True), url


def test_one_member_never_gets_another_members_page_as_not_modified(
    app, client, login, member, other_member, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    login(member)
    owners_page = client.get(url)
    assert "Share" in owners_page.get_data(as_text=True)
    other = app.test_client()
    token = sessions.open_session(other_member)
    db.session.commit()
    with other.session_transaction() as session:
        session["_user_id"] = token
    for etag in ('W/"anything"', "*"):
        response = other.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200
        assert f'href="/playbooks/{public_playbook.id}/share"' not in response.get_data(
            as_text=True
        )


def test_private_playbook_is_404_for_visitors_whatever_etag_they_send(app, visitor, member):
    playbook = pf.make_playbook(member, 1, title="Our private plans")
    for etag in (None, "*", 'W/"guess"'):
        response = visitor.get(
            f"/playbooks/{playbook.id}", headers={"If-None-Match": etag} if etag else {}
        )
        assert response.status_code == 404
        assert "ETag" not in response.headers


def test_secret_link_pages_are_cached_only_privately_and_only_for_the_link_holder(app, member):
    playbook = pf.make_playbook(member, 2, title="Shared by link")
    token = sharing.set_visibility(member, pf.reload(playbook.id), "link")
    holder = app.test_client()
    assert holder.get(f"/playbooks/{playbook.id}/s/{token}").status_code == 302
    holder.get(f"/playbooks/{playbook.id}")  # the first visit may still settle the session cookie
    page = holder.get(f"/playbooks/{playbook.id}")
    assert page.status_code == 200 and "Shared by link" in page.get_data(as_text=True)
    assert page.cache_control.private and page.cache_control.no_cache
    assert (
        holder.get(
            f"/playbooks/{playbook.id}", headers={"If-None-Match": page.headers["ETag"]}
        ).status_code
        == 304
    )
    stranger = app.test_client(use_cookies=False)
    assert (
        stranger.get(
            f"/playbooks/{playbook.id}", headers={"If-None-Match": page.headers["ETag"]}
        ).status_code
        == 404
    )


def test_a_page_that_sets_a_cookie_is_not_stored(visitor):
    response = visitor.get("/auth/login")
    assert response.status_code == 200 and "Set-Cookie" in response.headers
    assert response.cache_control.private and response.cache_control.no_store
    assert "ETag" not in response.headers


def test_page_with_a_flashed_message_is_not_stored_and_the_next_one_is_fresh(client, member):
    from tests.factories import PASSWORD

    page = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "email": member.email,
            "password": PASSWORD,
        },
    )
    home = client.get("/")
    client.post("/auth/logout", data={"csrf_token": csrf_token_from(home.get_data(as_text=True))})
    flashed = client.get("/")
    assert "You are signed out." in flashed.get_data(as_text=True)
    assert flashed.cache_control.no_store and "ETag" not in flashed.headers
    # The browser still holds a session (its CSRF token): private copies only, and
    # the next page no longer shows the message.
    after = client.get("/")
    assert "You are signed out." not in after.get_data(as_text=True)
    assert after.cache_control.private and after.cache_control.no_cache and after.headers["ETag"]
    assert client.get("/", headers={"If-None-Match": after.headers["ETag"]}).status_code == 304


def test_static_files_keep_their_own_caching(visitor):
    response = visitor.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in (response.headers.get("Cache-Control") or "")
    response.close()
