"""Site administration: the people list and site roles."""

from __future__ import annotations

from flask import url_for

from playbook.extensions import db
from playbook.models import SiteRole
from tests.helpers import get_page, post_form


def test_admin_sees_people_and_can_make_someone_a_moderator(client, login, admin, member):
    login(admin)
    html = get_page(client, "admin.user_index").get_data(as_text=True)
    assert member.email in html
    response = post_form(
        client,
        url_for("admin.user_role", user_id=member.id),
        {"site_role": "moderator"},
        expected=302,
        page_url=url_for("admin.user_index"),
    )
    assert response.location.endswith(url_for("admin.user_index", _external=False))
    db.session.refresh(member)
    assert member.site_role is SiteRole.MODERATOR


def test_admin_can_find_people_by_name(client, login, admin, member, other_member):
    login(admin)
    html = client.get(url_for("admin.user_index", q="omar")).get_data(as_text=True)
    assert other_member.email in html and member.email not in html


def test_admin_cannot_change_own_role(client, login, admin):
    login(admin)
    response = post_form(
        client,
        url_for("admin.user_role", user_id=admin.id),
        {"site_role": "member"},
        page_url=url_for("admin.user_index"),
    )
    assert response.status_code == 403
    db.session.refresh(admin)
    assert admin.site_role is SiteRole.ADMIN


def test_admin_role_change_refuses_unknown_role(client, login, admin, member):
    login(admin)
    post_form(
        client,
        url_for("admin.user_role", user_id=member.id),
        {"site_role": "overlord"},
        expected=302,
        page_url=url_for("admin.user_index"),
    )
    db.session.refresh(member)
    assert member.site_role is SiteRole.MEMBER


def test_role_change_of_unknown_user_is_404(client, login, admin):
    login(admin)
    post_form(
        client,
        url_for("admin.user_role", user_id=999999),
        {"site_role": "member"},
        expected=404,
        page_url=url_for("admin.user_index"),
    )


def test_member_and_moderator_cannot_use_admin_pages(
    client, login, member, moderator, other_member
):
    for person in (member, moderator):
        login(person)
        get_page(client, "admin.user_index", expected=403)
        response = post_form(
            client,
            url_for("admin.user_role", user_id=other_member.id),
            {"site_role": "admin"},
            page_url=url_for("home.index"),
        )
        assert response.status_code == 403
    db.session.refresh(other_member)
    assert other_member.site_role is SiteRole.MEMBER


def test_visitor_is_sent_to_sign_in_from_admin_pages(client):
    response = client.get(url_for("admin.user_index"))
    assert response.status_code == 302 and "/auth/login" in response.location


def test_admin_link_is_shown_only_to_admins(client, login, admin, member):
    login(member)
    assert url_for("admin.user_index", _external=False) not in client.get("/").get_data(
        as_text=True
    )
    login(admin)
    assert url_for("admin.user_index", _external=False) in client.get("/").get_data(as_text=True)
