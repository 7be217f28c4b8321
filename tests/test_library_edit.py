"""Editing the library (admins only): add, edit, retire and restore through the forms."""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from playbook.library import services
from playbook.library.search import search_library
from playbook.models import Component, Element, Framework, Play, Resource, SearchDocument, Stage
from tests import factories
from tests.helpers import csrf_token_from, field_error, input_value, page_html, post_form

NON_ADMINS = ["member", "moderator", "intruder"]


def path(endpoint, **args) -> str:
    return url_for(endpoint, _external=False, **args)


def textarea_value(html: str, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    return htmllib.unescape(match.group(1)) if match else None


def checked_values(html: str, name: str) -> set[str]:
    tags = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    return {
        htmllib.unescape(re.search(r'\bvalue="([^"]*)"', tag).group(1))
        for tag in tags
        if " checked" in tag
    }


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def indexed(db, kind, ref_id) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(SearchDocument)
            .where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
        )
        == 1
    )


def fresh(db):
    """Forget what the test's session holds, so it reads what the requests committed."""
    db.session.rollback()


@pytest.fixture
def entries(db):
    """One framework with two components (with elements), a play and a resource."""
    framework = factories.make_framework(components=2, name="Edit Framework")
    framework.components[0].elements = [
        Element(position=0, name="Old element", description="Old text")
    ]
    db.session.commit()
    play = factories.make_play(
        framework, title="Original play", body="Original body about walruses."
    )
    resource = factories.make_resource(title="Original resource")
    return {
        "framework": framework,
        "component": framework.components[0],
        "other_component": framework.components[1],
        "play": play,
        "resource": resource,
    }


def play_data(entries, **overrides) -> dict:
    data = {
        "title": "Student-led conferences",
        "summary": "Students run the meeting with their families.",
        "body": "## Steps\n\n1. Prepare a portfolio.\n2. Rehearse.",
        "stage": "carrying_out",
        "component_ids": [str(entries["component"].id), str(entries["other_component"].id)],
        "audiences": ["teacher", "family"],
        "grade_band": "6-8",
        "effort": "medium",
    }
    data.update(overrides)
    return data


def resource_data(**overrides) -> dict:
    data = {
        "title": "Goal-setting toolkit",
        "organization": "Example Institute",
        "url": "https://example.org/toolkit",
        "description": "Templates for learner goal setting.",
        "resource_type": "Toolkit",
        "ideal_users": ["Teachers", "Families"],
        "why_use_it": "Saves planning time.",
        "who_is_using": "Ten schools.",
    }
    data.update(overrides)
    return data


def framework_data(**overrides) -> dict:
    data = {
        "name": "Competency Framework",
        "edition": "2.1",
        "publisher": "State Department",
        "url": "https://example.org/competency",
        "summary": "What students master, and how they show it.",
    }
    data.update(overrides)
    return data


# --- who may edit -----------------------------------------------------------------

EDIT_PAGES = [
    ("library.play_new", None),
    ("library.play_edit", "play"),
    ("library.resource_new", None),
    ("library.resource_edit", "resource"),
    ("library.framework_new", None),
    ("library.framework_edit", "framework"),
    ("library.component_new", "framework"),
    ("library.component_edit", "component"),
]
ARG_NAMES = {
    "play": "play_id",
    "resource": "resource_id",
    "framework": "framework_id",
    "component": "component_id",
}
RETIRE_ROUTES = [
    (kind, verb) for kind in ("plays", "resources", "frameworks") for verb in ("retire", "restore")
]
KIND_ENTRY = {"plays": "play", "resources": "resource", "frameworks": "framework"}


def edit_url(entries, endpoint, entry) -> str:
    return path(endpoint, **({ARG_NAMES[entry]: entries[entry].id} if entry else {}))


def snapshot(db) -> dict:
    """Everything an edit route could change, to compare before and after."""
    fresh(db)
    return {
        "plays": sorted(
            (p.id, p.title, p.stage.value, p.retired_at is None)
            for p in db.session.scalars(select(Play))
        ),
        "resources": sorted(
            (r.id, r.title, r.url, r.retired_at is None)
            for r in db.session.scalars(select(Resource))
        ),
        "frameworks": sorted(
            (f.id, f.name, f.retired_at is None) for f in db.session.scalars(select(Framework))
        ),
        "components": sorted((c.id, c.name) for c in db.session.scalars(select(Component))),
        "elements": sorted((e.id, e.name) for e in db.session.scalars(select(Element))),
        "search": count(db, SearchDocument),
    }


FORGED = {
    "title": "Hacked",
    "summary": "Hacked",
    "body": "Hacked",
    "stage": "huddle",
    "grade_band": "K-12",
    "effort": "low",
    "audiences": ["teacher"],
    "organization": "Hacked",
    "url": "https://evil.example.org",
    "description": "Hacked",
    "resource_type": "Other",
    "ideal_users": ["Anyone"],
    "name": "Hacked",
    "publisher": "Hacked",
    "elements": "Hacked: yes",
}


@pytest.mark.parametrize("endpoint, entry", EDIT_PAGES)
@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admin_gets_403_on_edit_page(client, entries, request, login, persona, endpoint, entry):
    login(request.getfixturevalue(persona))
    response = client.get(edit_url(entries, endpoint, entry))
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint, entry", EDIT_PAGES)
@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admin_post_to_edit_route_is_403_and_changes_nothing(
    client, db, entries, request, login, persona, endpoint, entry
):
    login(request.getfixturevalue(persona))
    before = snapshot(db)
    data = {**FORGED, "component_ids": [str(entries["component"].id)]}
    post_form(
        client,
        edit_url(entries, endpoint, entry),
        data,
        expected=403,
        page_url=path("library.index"),
    )
    assert snapshot(db) == before


@pytest.mark.parametrize("kind, verb", RETIRE_ROUTES)
@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admin_cannot_retire_or_restore(
    client, db, admin, entries, request, login, persona, kind, verb
):
    entry = entries[KIND_ENTRY[kind]]
    if verb == "restore":
        services.set_retired(admin, entry, True)
    login(request.getfixturevalue(persona))
    before = snapshot(db)
    url = path("library.retire", kind=kind, entry_id=entry.id, verb=verb)
    post_form(client, url, {}, expected=403, page_url=path("library.index"))
    assert snapshot(db) == before


@pytest.mark.parametrize("endpoint, entry", EDIT_PAGES)
def test_visitor_is_sent_to_sign_in_from_edit_page(client, entries, endpoint, entry):
    url = edit_url(entries, endpoint, entry)
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


@pytest.mark.parametrize("endpoint, entry", EDIT_PAGES)
def test_visitor_post_to_edit_route_is_sent_to_sign_in_and_changes_nothing(
    client, db, entries, endpoint, entry
):
    before = snapshot(db)
    response = post_form(
        client,
        edit_url(entries, endpoint, entry),
        FORGED,
        expected=302,
        page_url=path("auth.login"),
    )
    assert response.location.startswith("/auth/login")
    assert snapshot(db) == before


@pytest.mark.parametrize("kind, verb", RETIRE_ROUTES)
def test_visitor_cannot_retire_or_restore(client, db, entries, kind, verb):
    before = snapshot(db)
    url = path("library.retire", kind=kind, entry_id=entries[KIND_ENTRY[kind]].id, verb=verb)
    response = post_form(client, url, {}, expected=302, page_url=path("auth.login"))
    assert response.location.startswith("/auth/login")
    assert snapshot(db) == before


@pytest.mark.parametrize("endpoint, entry", EDIT_PAGES)
def test_admin_can_open_every_edit_form(client, entries, login, admin, endpoint, entry):
    login(admin)
    html = client.get(edit_url(entries, endpoint, entry)).get_data(as_text=True)
    assert '<form method="post" action="" class="form" novalidate>' in html


# --- buttons only admins see ------------------------------------------------------

DETAIL_PAGES = [
    ("library.play_detail", "play"),
    ("library.resource_detail", "resource"),
    ("library.framework_detail", "framework"),
    ("library.component_detail", "component"),
]


def _edit_controls(entries) -> list[str]:
    """Markup that only an admin's pages may contain."""
    controls = [
        "Retire",
        "Restore to the library",
        "admin-actions",
        "Add a component",
        "Edit component",
        path("library.play_new"),
        path("library.resource_new"),
        path("library.framework_new"),
    ]
    controls += [edit_url(entries, endpoint, entry) for endpoint, entry in EDIT_PAGES if entry]
    controls += [
        path("library.retire", kind=kind, entry_id=entries[KIND_ENTRY[kind]].id, verb=verb)
        for kind, verb in RETIRE_ROUTES
    ]
    return controls


@pytest.mark.parametrize(
    "endpoint, entry",
    DETAIL_PAGES
    + [
        ("library.play_index", None),
        ("library.resource_index", None),
        ("library.framework_index", None),
    ],
)
@pytest.mark.parametrize("persona", [None] + NON_ADMINS)
def test_non_admin_does_not_see_edit_buttons(
    client, entries, request, login, persona, endpoint, entry
):
    if persona:
        login(request.getfixturevalue(persona))
    html = page_html(client, endpoint, **({ARG_NAMES[entry]: entries[entry].id} if entry else {}))
    for control in _edit_controls(entries):
        assert control not in html, control


@pytest.mark.parametrize(
    "endpoint, entry, expected",
    [
        (
            "library.play_detail",
            "play",
            ["Retire", "library/plays/{play}/edit", "library/plays/{play}/retire"],
        ),
        (
            "library.resource_detail",
            "resource",
            ["Retire", "resources/{resource}/edit", "resources/{resource}/retire"],
        ),
        (
            "library.framework_detail",
            "framework",
            ["Retire", "Add a component", "frameworks/{framework}/edit"],
        ),
        (
            "library.component_detail",
            "component",
            ["Edit component", "components/{component}/edit"],
        ),
        ("library.play_index", None, ["Add a play"]),
        ("library.resource_index", None, ["Add a resource"]),
        ("library.framework_index", None, ["Add a framework"]),
    ],
)
def test_admin_sees_edit_buttons(client, entries, login, admin, endpoint, entry, expected):
    login(admin)
    html = page_html(client, endpoint, **({ARG_NAMES[entry]: entries[entry].id} if entry else {}))
    ids = {name: entries[name].id for name in ARG_NAMES}
    for control in expected:
        assert control.format(**ids) in html, control


# --- plays --------------------------------------------------------------------------


def test_admin_adds_a_play_through_the_form(client, db, entries, login, admin):
    login(admin)
    response = post_form(client, path("library.play_new"), play_data(entries), expected=302)
    fresh(db)
    play = db.session.scalar(select(Play).where(Play.title == "Student-led conferences"))
    assert response.location == path("library.play_detail", play_id=play.id)
    assert play.slug == "student-led-conferences"
    assert (
        play.stage is Stage.CARRYING_OUT
        and play.grade_band.value == "6-8"
        and play.effort.value == "medium"
    )
    assert [c.id for c in play.components] == [
        entries["component"].id,
        entries["other_component"].id,
    ]
    assert sorted(a.value for a in play.audiences) == ["family", "teacher"]
    html = client.get(response.location).get_data(as_text=True)
    assert "The play is in the library." in html
    assert "<h2>Steps</h2>" in html and "<li>Rehearse.</li>" in html
    assert "Student-led conferences" in page_html(client, "library.play_index")
    assert [h.ref_id for h in search_library("portfolio").hits] == [play.id]


def test_two_plays_with_the_same_title_get_distinct_slugs(client, db, entries, login, admin):
    login(admin)
    for _ in range(3):
        post_form(client, path("library.play_new"), play_data(entries), expected=302)
    fresh(db)
    slugs = db.session.scalars(
        select(Play.slug).where(Play.title == "Student-led conferences")
    ).all()
    assert sorted(slugs) == [
        "student-led-conferences",
        "student-led-conferences-2",
        "student-led-conferences-3",
    ]


def test_play_edit_form_shows_the_current_values(client, entries, login, admin):
    play = entries["play"]
    login(admin)
    html = page_html(client, "library.play_edit", play_id=play.id)
    assert input_value(html, "title") == "Original play"
    assert textarea_value(html, "body") == "Original body about walruses."
    assert '<option selected value="writing">' in html
    assert checked_values(html, "component_ids") == {str(entries["component"].id)}
    assert checked_values(html, "audiences") == {"teacher"}


def test_admin_edits_a_play_through_the_form(client, db, entries, login, admin):
    play = entries["play"]
    slug = play.slug
    login(admin)
    data = play_data(
        entries,
        title="Renamed play",
        body="Now about narwhals.",
        stage="huddle",
        component_ids=[str(entries["other_component"].id)],
        audiences=["community"],
        effort="high",
    )
    response = post_form(client, path("library.play_edit", play_id=play.id), data, expected=302)
    assert response.location == path("library.play_detail", play_id=play.id)
    fresh(db)
    play = db.session.get(Play, play.id)
    assert (play.title, play.stage, play.effort.value) == ("Renamed play", Stage.HUDDLE, "high")
    assert [c.id for c in play.components] == [entries["other_component"].id]
    assert [a.value for a in play.audiences] == ["community"]
    assert play.slug == slug  # the slug stays as it was
    html = client.get(response.location).get_data(as_text=True)
    assert "The play is saved." in html and "Renamed play" in html and "narwhals" in html
    assert not search_library("walruses").hits
    assert [h.ref_id for h in search_library("narwhals").hits] == [play.id]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"title": "x" * 201}, "title", "Field cannot be longer than 200 characters."),
        ({"summary": ""}, "summary", "This field is required."),
        ({"summary": "s" * 401}, "summary", "Field cannot be longer than 400 characters."),
        ({"body": ""}, "body", "This field is required."),
        ({"body": "b" * 20001}, "body", "Field cannot be longer than 20000 characters."),
        ({"stage": "bogus"}, "stage", "Not a valid choice."),
        ({"stage": ""}, "stage", "This field is required."),
        (
            {"component_ids": ["999999"]},
            "component_ids",
            "'999999' is not a valid choice for this field.",
        ),
        ({"component_ids": []}, "component_ids", "This field is required."),
        ({"component_ids": ["abc"]}, "component_ids", "This field is required."),
        ({"audiences": []}, "audiences", "This field is required."),
        ({"audiences": ["robots"]}, "audiences", "'robots' is not a valid choice for this field."),
        ({"grade_band": "13"}, "grade_band", "Not a valid choice."),
        ({"effort": "huge"}, "effort", "Not a valid choice."),
    ],
)
def test_bad_play_input_writes_nothing_and_explains_next_to_the_field(
    client, db, entries, login, admin, overrides, field, message
):
    login(admin)
    before = snapshot(db)
    data = play_data(entries, **overrides)
    response = post_form(client, path("library.play_new"), data, expected=422)
    html = response.get_data(as_text=True)
    assert message in (field_error(html, field) or "")
    assert "Please correct the marked fields below." in html
    assert snapshot(db) == before
    if field != "title":  # what was typed is still there
        assert input_value(html, "title") == data["title"]
    if field != "body":
        assert textarea_value(html, "body") == data["body"]
    if field != "stage":
        assert f'<option selected value="{data["stage"]}">' in html


def test_forged_component_id_beside_a_real_one_is_refused(client, db, entries, login, admin):
    login(admin)
    before = snapshot(db)
    data = play_data(entries, component_ids=[str(entries["component"].id), "999999"])
    html = post_form(client, path("library.play_new"), data, expected=422).get_data(as_text=True)
    assert "not a valid choice" in field_error(html, "component_ids")
    assert checked_values(html, "component_ids") == {str(entries["component"].id)}
    assert snapshot(db) == before


def test_component_of_a_retired_framework_cannot_be_chosen(client, db, entries, login, admin):
    retired = factories.make_framework(components=1, name="Retired Framework")
    services.set_retired(admin, retired, True)
    login(admin)
    before = snapshot(db)
    data = play_data(entries, component_ids=[str(retired.components[0].id)])
    html = post_form(client, path("library.play_new"), data, expected=422).get_data(as_text=True)
    assert field_error(html, "component_ids")
    assert snapshot(db) == before


def test_bad_play_edit_leaves_the_stored_play_unchanged(client, db, entries, login, admin):
    play = entries["play"]
    login(admin)
    before = snapshot(db)
    data = play_data(entries, title="Typed but not saved", stage="bogus")
    html = post_form(
        client, path("library.play_edit", play_id=play.id), data, expected=422
    ).get_data(as_text=True)
    assert input_value(html, "title") == "Typed but not saved"
    assert field_error(html, "stage") == "Not a valid choice."
    assert snapshot(db) == before
    assert [h.ref_id for h in search_library("walruses").hits] == [play.id]


def test_create_play_service_refuses_unknown_component_and_writes_nothing(db, entries, admin):
    before = snapshot(db)
    fields = play_data(entries, component_ids=[999999])
    with pytest.raises(services.LibraryError):
        services.create_play(admin, **fields)
    assert snapshot(db) == before


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_services_refuse_non_admins(db, entries, request, persona):
    user = request.getfixturevalue(persona)
    before = snapshot(db)
    calls = [
        lambda: services.create_play(
            user, **play_data(entries, component_ids=[entries["component"].id])
        ),
        lambda: services.update_play(user, entries["play"], **play_data(entries)),
        lambda: services.create_resource(user, **resource_data()),
        lambda: services.update_resource(user, entries["resource"], **resource_data()),
        lambda: services.create_framework(user, **framework_data()),
        lambda: services.update_framework(user, entries["framework"], **framework_data()),
        lambda: services.add_component(
            user, entries["framework"], name="X", summary="", elements=""
        ),
        lambda: services.update_component(
            user, entries["component"], name="X", summary="", elements=""
        ),
        lambda: services.set_retired(user, entries["play"], True),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call()
        db.session.rollback()
    assert snapshot(db) == before


# --- resources ----------------------------------------------------------------------


def test_admin_adds_a_resource_through_the_form(client, db, entries, login, admin):
    login(admin)
    response = post_form(client, path("library.resource_new"), resource_data(), expected=302)
    fresh(db)
    resource = db.session.scalar(select(Resource).where(Resource.title == "Goal-setting toolkit"))
    assert response.location == path("library.resource_detail", resource_id=resource.id)
    assert (
        resource.url == "https://example.org/toolkit" and resource.resource_type.value == "Toolkit"
    )
    assert sorted(u.value for u in resource.ideal_users) == ["Families", "Teachers"]
    html = client.get(response.location).get_data(as_text=True)
    assert "The resource is in the library." in html and "Example Institute" in html
    assert 'href="https://example.org/toolkit"' in html
    assert [h.ref_id for h in search_library("templates goal").hits] == [resource.id]


def test_admin_edits_a_resource_through_the_form(client, db, entries, login, admin):
    resource = entries["resource"]
    login(admin)
    form = page_html(client, "library.resource_edit", resource_id=resource.id)
    assert input_value(form, "url") == resource.url
    assert checked_values(form, "ideal_users") == {"Teachers"}
    data = resource_data(
        title="Renamed resource",
        url="http://example.org/new",
        ideal_users=["Anyone"],
        who_is_using="",
    )
    post_form(client, path("library.resource_edit", resource_id=resource.id), data, expected=302)
    fresh(db)
    resource = db.session.get(Resource, resource.id)
    assert (resource.title, resource.url, resource.who_is_using) == (
        "Renamed resource",
        "http://example.org/new",
        "",
    )
    assert [u.value for u in resource.ideal_users] == ["Anyone"]
    assert "Renamed resource" in page_html(
        client, "library.resource_detail", resource_id=resource.id
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://x.org",
        "file:///etc/passwd",
        "http://",
        "https://",
        "https://localhost",
        "https://localhost/path",
        "http://.",
        "https://ok .org",
        "https://ok.org/a b",
        "java\tscript:alert(1)",
        "//evil.org/x",
        "example.org",
        "",
    ],
)
def test_bad_resource_url_writes_nothing_and_explains_next_to_the_field(
    client, db, entries, login, admin, url
):
    login(admin)
    before = snapshot(db)
    response = post_form(client, path("library.resource_new"), resource_data(url=url), expected=422)
    html = response.get_data(as_text=True)
    assert field_error(html, "url")
    assert input_value(html, "title") == "Goal-setting toolkit"
    assert textarea_value(html, "description") == "Templates for learner goal setting."
    assert "<script>alert(1)" not in html
    assert snapshot(db) == before


def test_bad_url_on_resource_edit_keeps_the_stored_url(client, db, entries, login, admin):
    resource = entries["resource"]
    login(admin)
    before = snapshot(db)
    html = post_form(
        client,
        path("library.resource_edit", resource_id=resource.id),
        resource_data(url="javascript:alert(1)"),
        expected=422,
    ).get_data(as_text=True)
    assert input_value(html, "url") == "javascript:alert(1)"
    assert "http://" in field_error(html, "url")
    assert snapshot(db) == before


def test_spaces_around_a_resource_url_are_trimmed(client, db, entries, login, admin):
    login(admin)
    post_form(
        client,
        path("library.resource_new"),
        resource_data(url="  https://ok.org/page \n"),
        expected=302,
    )
    fresh(db)
    assert (
        db.session.scalar(select(Resource.url).where(Resource.title == "Goal-setting toolkit"))
        == "https://ok.org/page"
    )


def test_resource_without_the_optional_fields_is_accepted(client, db, entries, login, admin):
    login(admin)
    data = resource_data()
    del (
        data["why_use_it"],
        data["who_is_using"],
    )  # a request may leave optional fields out altogether
    post_form(client, path("library.resource_new"), data, expected=302)
    fresh(db)
    resource = db.session.scalar(select(Resource).where(Resource.title == "Goal-setting toolkit"))
    assert (resource.why_use_it, resource.who_is_using) == ("", "")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"organization": ""}, "organization"),
        ({"description": ""}, "description"),
        ({"title": "t" * 201}, "title"),
        ({"url": "https://example.org/" + "a" * 500}, "url"),
        ({"resource_type": "Podcast"}, "resource_type"),
        ({"ideal_users": []}, "ideal_users"),
        ({"ideal_users": ["Robots"]}, "ideal_users"),
        ({"why_use_it": "w" * 2001}, "why_use_it"),
    ],
)
def test_bad_resource_input_writes_nothing(client, db, entries, login, admin, overrides, field):
    login(admin)
    before = snapshot(db)
    html = post_form(
        client, path("library.resource_new"), resource_data(**overrides), expected=422
    ).get_data(as_text=True)
    assert field_error(html, field)
    assert snapshot(db) == before


# --- frameworks and components -------------------------------------------------------


def test_admin_adds_a_framework_then_a_component(client, db, entries, login, admin):
    login(admin)
    response = post_form(client, path("library.framework_new"), framework_data(), expected=302)
    fresh(db)
    framework = db.session.scalar(select(Framework).where(Framework.name == "Competency Framework"))
    assert (framework.edition, framework.publisher) == ("2.1", "State Department")
    assert response.location == path("library.component_new", framework_id=framework.id)
    assert "Now add its components." in client.get(response.location).get_data(as_text=True)

    elements = "Mastery: Students advance on mastery\n- Evidence: Students show what they know"
    response = post_form(
        client,
        path("library.component_new", framework_id=framework.id),
        {"name": "Competency", "summary": "Advance on mastery.", "elements": elements},
        expected=302,
    )
    assert response.location == path("library.framework_detail", framework_id=framework.id)
    fresh(db)
    framework = db.session.get(Framework, framework.id)
    [component] = framework.components
    assert (component.name, component.slug, component.position) == ("Competency", "competency", 0)
    assert [(e.name, e.description) for e in component.elements] == [
        ("Mastery", "Students advance on mastery"),
        ("Evidence", "Students show what they know"),
    ]
    html = page_html(client, "library.framework_detail", framework_id=framework.id)
    assert "Competency" in html and "Students advance on mastery" in html
    assert "Competency Framework" in page_html(client, "library.framework_index")
    kinds = {h.kind for h in search_library("mastery").hits}
    assert kinds == {"component"}
    assert [h.ref_id for h in search_library("competency state", kind="framework").hits] == [
        framework.id
    ]
    # the new component is offered when writing a play
    assert f'value="{component.id}"' in page_html(client, "library.play_new")


def test_framework_without_url_is_accepted(client, db, entries, login, admin):
    login(admin)
    post_form(
        client, path("library.framework_new"), framework_data(url="", edition=""), expected=302
    )
    fresh(db)
    framework = db.session.scalar(select(Framework).where(Framework.name == "Competency Framework"))
    assert (framework.url, framework.edition) == ("", "")


def test_admin_edits_a_framework(client, db, entries, login, admin):
    framework = entries["framework"]
    login(admin)
    form = page_html(client, "library.framework_edit", framework_id=framework.id)
    assert input_value(form, "name") == "Edit Framework"
    post_form(
        client,
        path("library.framework_edit", framework_id=framework.id),
        framework_data(name="Edited Framework", edition="3"),
        expected=302,
    )
    fresh(db)
    framework = db.session.get(Framework, framework.id)
    assert (framework.name, framework.edition) == ("Edited Framework", "3")
    html = page_html(client, "library.framework_detail", framework_id=framework.id)
    assert "Edited Framework" in html and "Edition 3" in html
    # component search titles carry the framework's new name
    assert any("Edited" in h.title for h in search_library("edited", kind="component").hits)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": ""}, "name"),
        ({"publisher": ""}, "publisher"),
        ({"summary": ""}, "summary"),
        ({"edition": "e" * 41}, "edition"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://localhost"}, "url"),
    ],
)
def test_bad_framework_input_writes_nothing(client, db, entries, login, admin, overrides, field):
    login(admin)
    before = snapshot(db)
    html = post_form(
        client, path("library.framework_new"), framework_data(**overrides), expected=422
    ).get_data(as_text=True)
    assert field_error(html, field)
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"elements": "e" * 10001}, "elements"),
    ],
)
def test_bad_component_input_writes_nothing(client, db, entries, login, admin, overrides, field):
    login(admin)
    before = snapshot(db)
    data = {"name": "A component", "summary": "", "elements": "One: two", **overrides}
    url = path("library.component_new", framework_id=entries["framework"].id)
    html = post_form(client, url, data, expected=422).get_data(as_text=True)
    assert field_error(html, field)
    assert snapshot(db) == before


def test_component_edit_form_lists_elements_as_lines(client, entries, login, admin):
    login(admin)
    html = page_html(client, "library.component_edit", component_id=entries["component"].id)
    assert textarea_value(html, "elements") == "Old element: Old text"


def test_element_lines_become_ordered_elements_on_component_edit(client, db, entries, login, admin):
    component = entries["component"]
    login(admin)
    lines = (
        "Goal setting: Learners set and track goals\n"
        "\n"
        "  - Reflection: Learners look back: what worked?\n"
        "* Voice\n"
        "Pacing :   at their own speed  \n"
    )
    response = post_form(
        client,
        path("library.component_edit", component_id=component.id),
        {"name": "Renamed component", "summary": "New summary", "elements": lines},
        expected=302,
    )
    assert response.location == path("library.component_detail", component_id=component.id)
    fresh(db)
    component = db.session.get(Component, component.id)
    assert component.name == "Renamed component"
    assert [(e.position, e.name, e.description) for e in component.elements] == [
        (0, "Goal setting", "Learners set and track goals"),
        (1, "Reflection", "Learners look back: what worked?"),
        (2, "Voice", ""),
        (3, "Pacing", "at their own speed"),
    ]
    html = page_html(client, "library.component_detail", component_id=component.id)
    names = re.findall(r"<li><strong>(.*?)</strong>", html)
    assert names == ["Goal setting", "Reflection", "Voice", "Pacing"]
    assert [h.ref_id for h in search_library("reflection worked").hits] == [component.id]

    # fewer lines, in a new order: the extra elements go
    post_form(
        client,
        path("library.component_edit", component_id=component.id),
        {"name": "Renamed component", "summary": "", "elements": "Voice\nGoal setting: again"},
        expected=302,
    )
    fresh(db)
    assert [
        (e.position, e.name, e.description)
        for e in db.session.get(Component, component.id).elements
    ] == [(0, "Voice", ""), (1, "Goal setting", "again")]
    assert count(db, Element) == 2
    assert not search_library("reflection").hits


def test_parse_elements_reads_name_and_optional_description():
    assert services.parse_elements("A: one\n\n - B:two: three\n*C\n   \nD:") == [
        ("A", "one"),
        ("B", "two: three"),
        ("C", ""),
        ("D", ""),
    ]
    assert services.parse_elements("") == []
    assert services.parse_elements(None) == []
    assert services.parse_elements("x" * 300 + ": long")[0][0] == "x" * 200


# --- retire and restore ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plays", "resources", "frameworks"])
def test_admin_retires_and_restores_through_the_buttons(
    app, client, db, entries, login, admin, kind
):
    entry_name = KIND_ENTRY[kind]
    entry = entries[entry_name]
    model = type(entry)
    detail = path(f"library.{entry_name}_detail", **{ARG_NAMES[entry_name]: entry.id})
    login(admin)
    retire_url = path("library.retire", kind=kind, entry_id=entry.id, verb="retire")
    assert retire_url in client.get(detail).get_data(as_text=True)
    response = post_form(client, retire_url, {}, expected=302, page_url=detail)
    assert response.location == detail
    fresh(db)
    assert db.session.get(model, entry.id).is_retired
    html = client.get(detail).get_data(as_text=True)
    assert "Retired: it no longer shows in lists and search." in html
    assert app.test_client().get(detail).status_code == 404  # a visitor no longer sees it
    assert not indexed(db, entry_name, entry.id)

    restore_url = path("library.retire", kind=kind, entry_id=entry.id, verb="restore")
    response = post_form(client, restore_url, {}, expected=302, page_url=detail)
    fresh(db)
    assert not db.session.get(model, entry.id).is_retired
    assert "Restored to the library." in client.get(detail).get_data(as_text=True)
    assert app.test_client().get(detail).status_code == 200
    assert indexed(db, entry_name, entry.id)


def test_retired_and_restored_play_leaves_and_returns_to_search(client, db, entries, login, admin):
    play = entries["play"]
    login(admin)
    detail = path("library.play_detail", play_id=play.id)
    post_form(
        client,
        path("library.retire", kind="plays", entry_id=play.id, verb="retire"),
        {},
        302,
        detail,
    )
    assert not search_library("walruses").hits
    post_form(
        client,
        path("library.retire", kind="plays", entry_id=play.id, verb="restore"),
        {},
        302,
        detail,
    )
    assert [h.ref_id for h in search_library("walruses").hits] == [play.id]


def test_retiring_a_framework_removes_its_components_from_search(client, db, entries, login, admin):
    framework = entries["framework"]
    login(admin)
    assert search_library("component", kind="component").total == 2
    detail = path("library.framework_detail", framework_id=framework.id)
    post_form(
        client,
        path("library.retire", kind="frameworks", entry_id=framework.id, verb="retire"),
        {},
        302,
        detail,
    )
    assert search_library("component", kind="component").total == 0
    assert search_library("edit framework", kind="framework").total == 0


@pytest.mark.parametrize("kind", ["plays", "resources", "frameworks"])
def test_retire_without_csrf_token_is_400_and_changes_nothing(
    client, db, entries, login, admin, kind
):
    entry = entries[KIND_ENTRY[kind]]
    login(admin)
    before = snapshot(db)
    response = client.post(path("library.retire", kind=kind, entry_id=entry.id, verb="retire"))
    assert response.status_code == 400
    response = client.post(
        path("library.retire", kind=kind, entry_id=entry.id, verb="retire"),
        data={"csrf_token": "not-a-real-token"},
    )
    assert response.status_code == 400
    assert snapshot(db) == before


def test_edit_form_post_without_csrf_token_is_400(client, db, entries, login, admin):
    login(admin)
    before = snapshot(db)
    response = client.post(path("library.play_new"), data=play_data(entries))
    assert response.status_code == 400
    assert snapshot(db) == before


@pytest.mark.parametrize("kind, verb", RETIRE_ROUTES)
def test_retire_or_restore_of_unknown_id_is_404(client, entries, login, admin, kind, verb):
    login(admin)
    post_form(
        client,
        path("library.retire", kind=kind, entry_id=999999, verb=verb),
        {},
        expected=404,
        page_url=path("library.index"),
    )


@pytest.mark.parametrize(
    "endpoint, arg",
    [
        ("library.play_edit", "play_id"),
        ("library.resource_edit", "resource_id"),
        ("library.framework_edit", "framework_id"),
        ("library.component_new", "framework_id"),
        ("library.component_edit", "component_id"),
    ],
)
def test_edit_of_unknown_id_is_404(client, entries, login, admin, endpoint, arg):
    login(admin)
    assert client.get(path(endpoint, **{arg: 999999})).status_code == 404


def test_retire_is_post_only(client, entries, login, admin):
    login(admin)
    url = path("library.retire", kind="plays", entry_id=entries["play"].id, verb="retire")
    assert client.get(url).status_code == 405


def test_admin_can_edit_a_retired_play_and_it_stays_out_of_search(
    client, db, entries, login, admin
):
    play = entries["play"]
    services.set_retired(admin, play, True)
    login(admin)
    data = play_data(entries, title="Edited while retired", body="About porpoises.")
    post_form(client, path("library.play_edit", play_id=play.id), data, expected=302)
    fresh(db)
    assert db.session.get(Play, play.id).title == "Edited while retired"
    assert not search_library("porpoises").hits


def test_csrf_token_helper_sees_the_retire_form(client, entries, login, admin):
    """The retire button is a real POST form with its own token (checked by get_page too)."""
    login(admin)
    html = page_html(client, "library.play_detail", play_id=entries["play"].id)
    form = re.search(r'<form method="post" action="[^"]*/retire"[^>]*>(.*?)</form>', html, re.S)
    assert form and csrf_token_from(form.group(1))


# --- saving an edit form unchanged keeps the entry as it was ---------------------------


class _FormReader(HTMLParser):
    """The values a browser would send from the page's edit form (class="form")."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data, self._in_form, self._textarea, self._select, self._option = (
            {},
            False,
            None,
            None,
            None,
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("class") == "form":
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.data.setdefault(name, []).append(attrs["value"])
            else:
                self.data[name] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea, self.data[name] = name, ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_values(html: str) -> dict:
    reader = _FormReader()
    reader.feed(html)
    values = reader.data
    for name, value in values.items():  # a browser drops the newline after <textarea>
        if isinstance(value, str) and value.startswith("\r\n"):
            values[name] = value[2:]
    return values


def _describe(db, entries) -> dict:
    fresh(db)
    play = db.session.get(Play, entries["play"].id)
    resource = db.session.get(Resource, entries["resource"].id)
    framework = db.session.get(Framework, entries["framework"].id)
    component = db.session.get(Component, entries["component"].id)
    return {
        "play": (
            play.title,
            play.summary,
            play.body,
            play.stage,
            play.grade_band,
            play.effort,
            [c.id for c in play.components],
            play.audiences,
        ),
        "resource": (
            resource.title,
            resource.organization,
            resource.url,
            resource.description,
            resource.resource_type,
            resource.ideal_users,
            resource.why_use_it,
            resource.who_is_using,
        ),
        "framework": (
            framework.name,
            framework.edition,
            framework.publisher,
            framework.url,
            framework.summary,
        ),
        "component": (
            component.name,
            component.summary,
            [(e.name, e.description) for e in component.elements],
        ),
    }


@pytest.mark.parametrize("endpoint, entry", [(e, n) for e, n in EDIT_PAGES if e.endswith("_edit")])
def test_saving_an_edit_form_unchanged_keeps_the_entry(
    client, db, entries, login, admin, endpoint, entry
):
    component = entries["component"]
    component.elements = [
        Element(position=0, name="Goal setting", description="Learners set goals"),
        Element(position=1, name="Voice", description=""),
    ]
    component.summary = "Component summary"
    db.session.commit()
    login(admin)
    before = _describe(db, entries)
    url = edit_url(entries, endpoint, entry)
    values = form_values(client.get(url).get_data(as_text=True))
    values.pop("csrf_token")
    post_form(client, url, values, expected=302)
    assert _describe(db, entries) == before


def test_component_edit_post_without_elements_keeps_them(client, db, entries, login, admin):
    component = entries["component"]
    login(admin)
    post_form(
        client,
        path("library.component_edit", component_id=component.id),
        {"name": "Renamed"},
        expected=302,
    )
    fresh(db)
    component = db.session.get(Component, component.id)
    assert component.name == "Renamed"
    assert [(e.name, e.description) for e in component.elements] == [("Old element", "Old text")]
