"""Browsing the library: overview, lists, filters, pagination, detail pages, retired entries."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from flask import url_for
from sqlalchemy import event, func, select

from playbook.library import services
from playbook.library.search import search_library
from playbook.models import (
    Audience,
    Component,
    Effort,
    Framework,
    GradeBand,
    IdealUser,
    Play,
    Resource,
    ResourceType,
    Stage,
)
from tests import factories
from tests.helpers import get_page

_CARD_TITLE = re.compile(r'<h3 class="card-title"><a href="[^"]*">(.*?)</a></h3>', re.S)
_RESULT_COUNT = re.compile(r'<p class="result-count" role="status">(\d+) ')
_FILTER_MESSAGE = "That choice is not available, so it is not applied."
NON_ADMINS = [None, "member", "moderator", "intruder"]


def card_titles(html: str) -> list[str]:
    return [htmllib.unescape(t) for t in _CARD_TITLE.findall(html)]


def result_count(html: str) -> int:
    match = _RESULT_COUNT.search(html)
    assert match, "no result count on the page"
    return int(match.group(1))


def page_html(client, endpoint, expected=200, **args) -> str:
    return get_page(client, endpoint, expected, **args).get_data(as_text=True)


def path(endpoint, **args) -> str:
    """The URL path of an endpoint, as links on the pages write it."""
    return url_for(endpoint, _external=False, **args)


def sign_in_as(request, login, persona):
    """Sign in the named persona fixture; None stays a visitor."""
    if persona is not None:
        login(request.getfixturevalue(persona))


@pytest.fixture
def big_pages(app):
    """One page holds every row, so a filter's whole result can be compared."""
    app.config["PLAYBOOK_PER_PAGE"] = 200


@pytest.fixture
def small_library(app):
    """Three plays with distinct facets on one two-component framework, and three resources."""
    framework = factories.make_framework(components=2, name="Test Framework")
    first, second = framework.components
    plays = {
        "alpha": factories.make_play(
            framework,
            title="Alpha play",
            stage="writing",
            component_ids=[first.id],
            audiences=["teacher"],
            grade_band="K-2",
            effort="low",
        ),
        "beta": factories.make_play(
            framework,
            title="Beta play",
            stage="huddle",
            component_ids=[second.id],
            audiences=["family"],
            grade_band="6-8",
            effort="high",
        ),
        "gamma": factories.make_play(
            framework,
            title="Gamma play",
            stage="carrying_out",
            component_ids=[first.id, second.id],
            audiences=["teacher", "district"],
            grade_band="9-12",
            effort="medium",
        ),
    }
    resources = {
        "rubric": factories.make_resource(
            title="Rubric resource", resource_type="Rubric", ideal_users=["Teachers"]
        ),
        "video": factories.make_resource(
            title="Video resource", resource_type="Video", ideal_users=["Families", "Teachers"]
        ),
        "course": factories.make_resource(
            title="Course resource", resource_type="Course", ideal_users=["State Officials"]
        ),
    }
    return {
        "framework": framework,
        "components": (first, second),
        "plays": plays,
        "resources": resources,
    }


# --- overview, lists and detail pages -----------------------------------------


def test_visitor_sees_library_overview_with_counts_and_components(client, library):
    html = page_html(client, "library.index")
    assert "<strong>1</strong> framework<" in html
    assert "<strong>28</strong> plays" in html
    assert "<strong>12</strong> resources" in html
    for name in ("Learner Focused", "Learner Led", "Learner Demonstrated", "Learner Connected"):
        assert name in html


def test_visitor_sees_first_page_of_seeded_plays(client, library):
    html = page_html(client, "library.play_index")
    assert result_count(html) == 28
    titles = card_titles(html)
    assert len(titles) == 20
    assert titles == sorted(titles)
    assert 'aria-label="Pages"' in html and "Page 1 of 2" in html


def test_visitor_can_read_a_play(client, library, db):
    play = db.session.scalar(select(Play).where(Play.slug == "pick-a-starting-framework"))
    html = page_html(client, "library.play_detail", play_id=play.id)
    assert f"<h1>{play.title}</h1>" in html
    assert play.stage.label in html and play.grade_band.label in html and play.effort.label in html
    assert "<h2>Steps</h2>" in html and "<ol>" in html  # the Markdown body is rendered
    for component in play.components:
        assert path("library.component_detail", component_id=component.id) in html


def test_visitor_sees_seeded_resources_and_can_read_one(client, library, db):
    html = page_html(client, "library.resource_index")
    assert result_count(html) == 12
    resource = db.session.scalar(select(Resource).order_by(Resource.title))
    assert card_titles(html)[0] == resource.title
    detail = page_html(client, "library.resource_detail", resource_id=resource.id)
    assert f'href="{resource.url}" rel="nofollow noopener noreferrer"' in detail
    assert resource.organization in htmllib.unescape(detail)


def test_visitor_sees_framework_list_and_detail_with_elements(client, library, db):
    framework = db.session.scalar(select(Framework))
    listing = page_html(client, "library.framework_index")
    assert framework.name in listing and "4 components" in listing
    detail = page_html(client, "library.framework_detail", framework_id=framework.id)
    for component in framework.components:
        assert component.name in detail
        for element in component.elements:
            assert htmllib.escape(element.name, quote=True) in detail
    assert "plays serve this component." in detail


def test_visitor_sees_component_with_its_elements_and_plays(client, library, db):
    component = db.session.scalar(select(Component).where(Component.slug == "learner-led"))
    html = page_html(client, "library.component_detail", component_id=component.id)
    assert f"<h1>{component.name}</h1>" in html
    assert len(component.elements) >= 1
    assert html.count("<li><strong>") == len(component.elements)
    serving = db.session.scalars(
        select(Play).where(Play.components.any(Component.id == component.id))
    ).all()
    assert serving
    for play in serving:
        assert path("library.play_detail", play_id=play.id) in html


@pytest.mark.parametrize(
    "endpoint, arg",
    [
        ("library.play_detail", "play_id"),
        ("library.resource_detail", "resource_id"),
        ("library.framework_detail", "framework_id"),
        ("library.component_detail", "component_id"),
    ],
)
def test_unknown_id_is_404(client, library, endpoint, arg):
    html = page_html(client, endpoint, 404, **{arg: 999999})
    assert "Page not found" in html


@pytest.mark.parametrize(
    "endpoint, arg",
    [
        ("library.play_detail", "play_id"),
        ("library.resource_detail", "resource_id"),
        ("library.framework_detail", "framework_id"),
        ("library.component_detail", "component_id"),
    ],
)
def test_id_beyond_the_integer_range_is_404(client, library, endpoint, arg):
    page_html(client, endpoint, 404, **{arg: 2**63})


# --- filters --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"stage": "writing"}, {"Alpha play"}),
        ({"stage": "huddle"}, {"Beta play"}),
        ({"stage": "carrying_out"}, {"Gamma play"}),
        ({"component": 0}, {"Alpha play", "Gamma play"}),
        ({"component": 1}, {"Beta play", "Gamma play"}),
        ({"audience": "teacher"}, {"Alpha play", "Gamma play"}),
        ({"audience": "family"}, {"Beta play"}),
        ({"audience": "community"}, set()),
        ({"grade_band": "6-8"}, {"Beta play"}),
        ({"grade_band": "K-12"}, set()),
        ({"effort": "medium"}, {"Gamma play"}),
        ({"stage": "writing", "component": 0}, {"Alpha play"}),
        ({"stage": "writing", "component": 1}, set()),
        ({"audience": "teacher", "effort": "low", "grade_band": "K-2"}, {"Alpha play"}),
        ({}, {"Alpha play", "Beta play", "Gamma play"}),
    ],
)
def test_play_filters_narrow_the_list(client, small_library, args, expected):
    if "component" in args:  # the parameter names a component by position
        args = {**args, "component": small_library["components"][args["component"]].id}
    html = page_html(client, "library.play_index", **args)
    assert set(card_titles(html)) == expected
    assert result_count(html) == len(expected)
    assert _FILTER_MESSAGE not in html
    if not expected:
        assert "No plays match these filters." in html


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"resource_type": "Rubric"}, {"Rubric resource"}),
        ({"resource_type": "White Paper"}, set()),
        ({"ideal_user": "Teachers"}, {"Rubric resource", "Video resource"}),
        ({"ideal_user": "State Officials"}, {"Course resource"}),
        ({"resource_type": "Video", "ideal_user": "Families"}, {"Video resource"}),
        ({"resource_type": "Rubric", "ideal_user": "Families"}, set()),
    ],
)
def test_resource_filters_narrow_the_list(client, small_library, args, expected):
    html = page_html(client, "library.resource_index", **args)
    assert set(card_titles(html)) == expected
    assert result_count(html) == len(expected)
    if not expected:
        assert "No resources match these filters." in html


def test_every_play_filter_value_matches_the_seeded_data(client, library, big_pages, db):
    plays = db.session.scalars(select(Play)).all()
    components = db.session.scalars(select(Component)).all()
    cases = [("stage", s.value, lambda p, v: p.stage.value == v) for s in Stage]
    cases += [
        ("audience", a.value, lambda p, v: v in [x.value for x in p.audiences]) for a in Audience
    ]
    cases += [("grade_band", g.value, lambda p, v: p.grade_band.value == v) for g in GradeBand]
    cases += [("effort", e.value, lambda p, v: p.effort.value == v) for e in Effort]
    cases += [
        ("component", c.id, lambda p, v: v in [x.id for x in p.components]) for c in components
    ]
    narrowed = 0
    for name, value, keep in cases:
        expected = {p.title for p in plays if keep(p, value)}
        html = page_html(client, "library.play_index", **{name: value})
        assert set(card_titles(html)) == expected, (name, value)
        narrowed += len(expected) < len(plays)
    assert narrowed == len(cases)  # no single value matches every seeded play


def test_every_resource_filter_value_matches_the_seeded_data(client, library, big_pages, db):
    resources = db.session.scalars(select(Resource)).all()
    for resource_type in ResourceType:
        expected = {r.title for r in resources if r.resource_type is resource_type}
        html = page_html(client, "library.resource_index", resource_type=resource_type.value)
        assert set(card_titles(html)) == expected, resource_type
    for ideal_user in IdealUser:
        expected = {r.title for r in resources if ideal_user in r.ideal_users}
        html = page_html(client, "library.resource_index", ideal_user=ideal_user.value)
        assert set(card_titles(html)) == expected, ideal_user


@pytest.mark.parametrize(
    "endpoint, args",
    [
        ("library.play_index", {"stage": "bogus"}),
        ("library.play_index", {"component": "999999"}),
        ("library.play_index", {"component": "abc"}),
        ("library.play_index", {"component": "-1"}),
        ("library.play_index", {"audience": "robots"}),
        ("library.play_index", {"grade_band": "13"}),
        ("library.play_index", {"effort": "extreme"}),
        ("library.play_index", {"stage": "<script>alert(1)</script>"}),
        ("library.resource_index", {"resource_type": "Nope"}),
        ("library.resource_index", {"ideal_user": "Robots"}),
        ("library.resource_index", {"resource_type": "rubric"}),  # values are case-sensitive
    ],
)
def test_invalid_filter_value_is_reported_and_ignored(client, small_library, endpoint, args):
    html = page_html(client, endpoint, **args)
    assert _FILTER_MESSAGE in html
    assert 'aria-invalid="true"' in html
    assert result_count(html) == 3
    assert "<script>alert(1)</script>" not in html


def test_invalid_filter_is_dropped_while_a_valid_one_still_applies(client, small_library):
    html = page_html(client, "library.play_index", stage="huddle", component="abc")
    assert _FILTER_MESSAGE in html
    assert card_titles(html) == ["Beta play"]


def test_nul_characters_in_a_filter_are_dropped_before_it_applies(client, small_library):
    html = page_html(client, "library.play_index", stage="huddle\x00")
    assert _FILTER_MESSAGE not in html
    assert card_titles(html) == ["Beta play"]


def test_filter_form_keeps_the_chosen_values(client, small_library):
    second = small_library["components"][1]
    html = page_html(client, "library.play_index", stage="huddle", component=second.id)
    assert '<option selected value="huddle">' in html
    assert f'<option selected value="{second.id}">' in html


def test_components_of_a_retired_framework_are_not_filter_choices(client, small_library, admin):
    framework = small_library["framework"]
    live = factories.make_framework(components=1, name="Live Framework")
    services.set_retired(admin, framework, True)
    html = page_html(client, "library.play_index")
    assert f'value="{live.components[0].id}"' in html
    for component in small_library["components"]:
        assert f'value="{component.id}"' not in html


# --- pagination -----------------------------------------------------------------


@pytest.fixture
def many_plays(app):
    framework = factories.make_framework(components=2)
    return [factories.make_play(framework, title=f"Paged play {i:02d}") for i in range(25)]


def test_second_page_shows_the_rest_of_the_plays(client, many_plays):
    first = page_html(client, "library.play_index")
    second = page_html(client, "library.play_index", page=2)
    assert len(card_titles(first)) == 20 and len(card_titles(second)) == 5
    assert set(card_titles(first)) | set(card_titles(second)) == {p.title for p in many_plays}
    assert not set(card_titles(first)) & set(card_titles(second))
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert 'rel="next"' in first


def test_page_links_keep_the_filters(client, many_plays):
    html = page_html(client, "library.play_index", stage="writing")
    assert "stage=writing" in re.search(r'<a href="([^"]*)" rel="next"', html).group(1)


@pytest.mark.parametrize("page", ["-5", "0", "abc", "1.5", ""])
def test_bad_page_number_shows_the_first_page(client, many_plays, page):
    html = page_html(client, "library.play_index", page=page)
    assert card_titles(html) == sorted(p.title for p in many_plays)[:20]


@pytest.mark.parametrize(
    "reserved", ["_anchor=x", "_method=POST", "_scheme=javascript", "_external=0"]
)
def test_query_arguments_named_like_url_for_options_do_not_break_page_links(
    client, many_plays, reserved
):
    response = client.get(path("library.play_index") + "?" + reserved)
    assert response.status_code == 200
    assert re.search(
        r'<a href="(/library/plays/\?[^"]*)" rel="next"', response.get_data(as_text=True)
    )


@pytest.mark.parametrize("page", ["999999", "10001", str(10**30)])
def test_page_far_beyond_the_end_is_empty_not_an_error(client, many_plays, page):
    html = page_html(client, "library.play_index", page=page)
    assert card_titles(html) == []
    assert result_count(html) == 25


def test_resource_list_paginates(client, app):
    made = [factories.make_resource(title=f"Paged resource {i:02d}") for i in range(23)]
    first = page_html(client, "library.resource_index")
    second = page_html(client, "library.resource_index", page=2)
    assert len(card_titles(first)) == 20 and len(card_titles(second)) == 3
    assert set(card_titles(first)) | set(card_titles(second)) == {r.title for r in made}


# --- a fixed number of queries ----------------------------------------------------


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


def _statements_for(client, db, endpoint) -> int:
    db.session.expire_all()  # nothing served from the identity map
    with QueryCounter(db.engine) as counter:
        page_html(client, endpoint)
    return counter.count


def _varied_plays(framework, n):
    first, second = framework.components
    for i in range(n):
        factories.make_play(
            framework,
            component_ids=[first.id, second.id],
            audiences=["teacher", "family"],
            title=f"Counted play {i:02d}",
        )


def _varied_resources(n):
    for i in range(n):
        factories.make_resource(
            ideal_users=["Teachers", "Families", "Anyone"], title=f"Counted resource {i:02d}"
        )


@pytest.mark.parametrize("persona", [None, "admin"])
def test_play_list_issues_the_same_number_of_queries_for_3_or_20_plays(
    client, db, request, login, persona
):
    sign_in_as(request, login, persona)
    framework = factories.make_framework(components=2)
    _varied_plays(framework, 3)
    few = _statements_for(client, db, "library.play_index")
    _varied_plays(framework, 17)
    many = _statements_for(
        client, db, "library.play_index"
    )  # rendered again: the new entries changed it
    assert len(card_titles(page_html(client, "library.play_index"))) == 20
    assert few == many


@pytest.mark.parametrize("persona", [None, "admin"])
def test_resource_list_issues_the_same_number_of_queries_for_3_or_20_resources(
    client, db, request, login, persona
):
    sign_in_as(request, login, persona)
    _varied_resources(3)
    few = _statements_for(client, db, "library.resource_index")
    _varied_resources(17)
    many = _statements_for(
        client, db, "library.resource_index"
    )  # rendered again: the new entries changed it
    assert len(card_titles(page_html(client, "library.resource_index"))) == 20
    assert few == many


# --- rendering user content safely ------------------------------------------------

HOSTILE_BODY = """## Steps

1. First <script>alert('body')</script> step
2. Second <img src=x onerror=alert(2)> step

[click me](javascript:alert(3)) and <a href="javascript:alert(4)">raw link</a>
and [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==) and [ok](https://example.org/page)

<iframe src="https://evil.example"></iframe><svg onload=alert(6)></svg>
"""


def _prose(html: str) -> str:
    match = re.search(r'<div class="prose">(.*?)</div>', html, re.S)
    assert match, "no play body on the page"
    return match.group(1)


def test_play_body_markdown_is_rendered_and_sanitized(client, app):
    play = factories.make_play(body=HOSTILE_BODY)
    prose = _prose(page_html(client, "library.play_detail", play_id=play.id))
    assert "<h2>Steps</h2>" in prose and "<ol>" in prose and "<li>" in prose
    assert '<a href="https://example.org/page" rel="nofollow noopener">ok</a>' in prose
    tags = re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>", prose)
    assert {name.lower() for name, _ in tags} <= {"h2", "ol", "li", "p", "a"}
    for name, attrs in tags:
        assert not re.search(r"\bon\w+\s*=", attrs, re.I), (name, attrs)
    hrefs = re.findall(r'href="([^"]*)"', prose)
    assert hrefs == ["https://example.org/page"]
    assert "&lt;script&gt;" in prose  # shown as text, not dropped silently


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_plain_play_fields_are_escaped_on_detail_list_and_title(client, app):
    play = factories.make_play(title=f"T {HOSTILE}", summary=f"S {HOSTILE}")
    for html in (
        page_html(client, "library.play_detail", play_id=play.id),
        page_html(client, "library.play_index"),
    ):
        assert HOSTILE not in html
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    detail = page_html(client, "library.play_detail", play_id=play.id)
    assert re.search(r"<title>T &lt;script&gt;", detail)


def test_plain_resource_fields_are_escaped(client, app):
    resource = factories.make_resource(
        title=f"T {HOSTILE}",
        organization=f"O {HOSTILE}",
        description=f"D {HOSTILE}",
        why_use_it=f"W {HOSTILE}",
        who_is_using=f"U {HOSTILE}",
    )
    for html in (
        page_html(client, "library.resource_detail", resource_id=resource.id),
        page_html(client, "library.resource_index"),
    ):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "O &lt;script&gt;" in html and "D &lt;script&gt;" in html


def test_plain_framework_and_component_fields_are_escaped(client, admin):
    framework = factories.make_framework(components=1, name=f"F {HOSTILE}")
    component = framework.components[0]
    services.update_component(
        admin,
        component,
        name=f"C {HOSTILE}",
        summary=f"CS {HOSTILE}",
        elements=f"E {HOSTILE}: D {HOSTILE}",
    )
    for endpoint, args in [
        ("library.framework_index", {}),
        ("library.index", {}),
        ("library.framework_detail", {"framework_id": framework.id}),
        ("library.component_detail", {"component_id": component.id}),
    ]:
        html = page_html(client, endpoint, **args)
        assert "<script>alert" not in html and "<img src=x" not in html, endpoint
        assert "&lt;script&gt;" in html, endpoint


# --- retired entries ----------------------------------------------------------------


@pytest.fixture
def retired(app, admin):
    """A retired play, resource and framework (with a component), beside live ones."""
    live_framework = factories.make_framework(components=1, name="Live Framework")
    old_framework = factories.make_framework(components=1, name="Old Framework")
    entries = {
        "play": factories.make_play(
            live_framework, title="Old play", body="Mention zanzibar here."
        ),
        "resource": factories.make_resource(
            title="Old resource", description="Mention zanzibar too."
        ),
        "framework": old_framework,
    }
    factories.make_play(live_framework, title="Live play", body="Mention zanzibar live.")
    factories.make_resource(title="Live resource")
    for entry in entries.values():
        services.set_retired(admin, entry, True)
    entries["component"] = old_framework.components[0]
    return entries


DETAIL = {
    "play": ("library.play_detail", "play_id"),
    "resource": ("library.resource_detail", "resource_id"),
    "framework": ("library.framework_detail", "framework_id"),
    "component": ("library.component_detail", "component_id"),
}


@pytest.mark.parametrize("kind", list(DETAIL))
@pytest.mark.parametrize("persona", NON_ADMINS)
def test_non_admin_gets_404_for_retired_entry(client, retired, request, login, persona, kind):
    sign_in_as(request, login, persona)
    endpoint, arg = DETAIL[kind]
    page_html(client, endpoint, 404, **{arg: retired[kind].id})


@pytest.mark.parametrize("kind", ["play", "resource", "framework"])
def test_admin_sees_retired_entry_with_a_notice_and_a_restore_button(
    client, retired, login, admin, kind
):
    login(admin)
    endpoint, arg = DETAIL[kind]
    html = page_html(client, endpoint, **{arg: retired[kind].id})
    assert f"This {kind} is retired" in html
    assert "Restore to the library" in html and ">Retire<" not in html


def test_admin_can_open_component_of_retired_framework(client, retired, login, admin):
    login(admin)
    page_html(client, "library.component_detail", component_id=retired["component"].id)


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_retired_entries_are_absent_from_lists_for_non_admins(
    client, retired, request, login, persona
):
    sign_in_as(request, login, persona)
    plays = page_html(client, "library.play_index")
    assert card_titles(plays) == ["Live play"] and result_count(plays) == 1
    resources = page_html(client, "library.resource_index")
    assert card_titles(resources) == ["Live resource"]
    frameworks = page_html(client, "library.framework_index")
    assert "Live Framework" in frameworks and "Old Framework" not in frameworks
    overview = page_html(client, "library.index")
    assert "Old Framework" not in overview and "<strong>1</strong> play<" in overview
    for html in (plays, resources, frameworks):
        assert '<p class="badge">Retired</p>' not in html


def test_admin_lists_show_retired_entries_marked_retired(client, retired, login, admin):
    login(admin)
    plays = page_html(client, "library.play_index")
    assert set(card_titles(plays)) == {"Live play", "Old play"}
    resources = page_html(client, "library.resource_index")
    assert set(card_titles(resources)) == {"Live resource", "Old resource"}
    frameworks = page_html(client, "library.framework_index")
    assert "Old Framework" in frameworks
    for html in (plays, resources, frameworks):
        assert html.count('<p class="badge">Retired</p>') == 1


@pytest.mark.parametrize("persona", NON_ADMINS + ["admin"])
def test_retired_entries_are_absent_from_search_for_everyone(
    client, retired, request, login, persona, db
):
    sign_in_as(request, login, persona)
    html = page_html(client, "library.search", q="zanzibar")
    assert "Live play" in html and "Old play" not in html and "Old resource" not in html
    assert "1 result for" in html
    framework_hits = re.sub(r"</?mark>", "", page_html(client, "library.search", q="framework"))
    assert "Live Framework" in framework_hits and "Old Framework" not in framework_hits
    live_play = db.session.scalar(select(Play).where(Play.title == "Live play"))
    assert [(h.kind, h.ref_id) for h in search_library("zanzibar").hits] == [("play", live_play.id)]


def test_retired_play_is_not_listed_under_its_component(client, retired, db):
    component_id = retired["play"].components[0].id
    html = page_html(client, "library.component_detail", component_id=component_id)
    assert "Live play" in html and "Old play" not in html
    framework = db.session.get(Framework, retired["play"].components[0].framework_id)
    detail = page_html(client, "library.framework_detail", framework_id=framework.id)
    assert "1 play serves this component." in detail


def test_library_counts_leave_out_retired_entries(client, retired, db):
    html = page_html(client, "library.index")
    assert db.session.scalar(select(func.count()).select_from(Play)) == 2
    assert "<strong>1</strong> play<" in html
    assert "<strong>1</strong> resource<" in html and "<strong>1</strong> framework<" in html
