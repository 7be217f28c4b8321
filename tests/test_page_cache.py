"""The visitors' page cache (playbook/pagecache.py): a page is sent again only while
nothing visitors can see has changed, whoever or whatever changed it, in whichever
worker; signed-in people and browsers with a session never get a stored page."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from playbook import create_app, pagecache
from playbook.comments import services as comments
from playbook.database import count_statements
from playbook.extensions import db
from playbook.models import (
    Comment,
    Component,
    FlagReason,
    Framework,
    Item,
    Play,
    Playbook,
    Resource,
    SiteState,
    SubjectKind,
    TargetKind,
    User,
)
from playbook.models.base import Base
from playbook.models.moderation import Decision
from playbook.models.site import PageInvalidation
from playbook.moderation import services as moderation
from playbook.pagecache import PageCache, current_generation
from playbook.playbooks import sharing
from tests import factories
from tests import factories as pf
from tests.factories import PASSWORD
from tests.helpers import csrf_token_from


@pytest.fixture
def visitor(app):
    return app.test_client(use_cookies=False)


@pytest.fixture
def public_playbook(app, library, member):
    playbook = pf.make_playbook(
        member, 8, framework=pf.seeded_framework(), title="Cached in public"
    )
    sharing.set_visibility(member, pf.reload(playbook.id), "public")
    return pf.reload(playbook.id)


def _generation() -> tuple:
    """What every worker checks, over every scope: the site's generation and the
    invalidations recorded so far."""
    db.session.rollback()
    return (
        db.session.scalar(select(SiteState.content_generation)),
        *db.session.execute(
            select(func.count(PageInvalidation.id), func.sum(PageInvalidation.token))
        ).one(),
    )


def _statements(client, url: str) -> tuple[int, str]:
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.get_data(as_text=True)


# --- the store -------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_store_keeps_pages_of_the_current_generation_only():
    cache = PageCache(max_bytes=10_000, max_age=60)
    assert cache.get("/a", 1) is None
    cache.put("/a", 1, b"page a", "text/html")
    assert cache.get("/a", 1).body == b"page a"
    assert cache.get("/a", 2) is None  # a newer generation retires every page
    assert cache.get("/a", 1) is None  # and an older one does not bring them back
    cache.get("/b", 3)
    cache.put("/b", 2, b"rendered under an older generation", "text/html")
    assert cache.get("/b", 3) is None and cache.size == 0


def test_store_forgets_pages_older_than_max_age():
    clock = Clock()
    cache = PageCache(max_bytes=10_000, max_age=60, clock=clock)
    cache.get("/a", 1)
    cache.put("/a", 1, b"page", "text/html")
    clock.now += 59
    assert cache.get("/a", 1) is not None
    clock.now += 2
    assert cache.get("/a", 1) is None and cache.size == 0


def test_store_stays_within_its_byte_budget_dropping_the_least_recently_used():
    cache = PageCache(max_bytes=3 * (1000 + 2 + 200), max_age=60)
    cache.get("/0", 1)
    for n in range(3):
        cache.put(f"/{n}", 1, b"x" * 1000, "text/html")
    cache.get("/0", 1)  # used again: now the most recent
    cache.put("/3", 1, b"x" * 1000, "text/html")
    assert cache.size <= cache.max_bytes
    assert cache.get("/1", 1) is None
    assert all(cache.get(key, 1) is not None for key in ("/0", "/2", "/3"))
    cache.put("/huge", 1, b"x" * 10_000, "text/html")
    assert cache.get("/huge", 1) is None and cache.size <= cache.max_bytes


# --- the generation in the database ---------------------------------------------------------


def test_a_committed_write_changes_the_generation_and_a_rollback_does_not(app, library):
    before = _generation()
    db.session.execute(update(Play).where(Play.id == 1).values(title="Rolled back"))
    db.session.rollback()
    assert _generation() == before
    db.session.execute(update(Play).where(Play.id == 1).values(title="Committed"))
    db.session.commit()
    assert _generation() != before


def test_a_write_behind_a_common_table_expression_changes_the_generation(app, library):
    before = _generation()
    db.session.execute(
        text(
            "WITH renamed AS (SELECT 'Behind a CTE' AS title) "
            "UPDATE play SET title = (SELECT title FROM renamed) WHERE id = 1"
        )
    )
    db.session.commit()
    assert _generation() != before


def test_a_failed_record_is_a_database_error_and_writes_go_on_without_the_table(app, library):
    """Recording the invalidation runs inside the commit: its failure must reach the app
    as SQLAlchemy's DBAPIError (a lost database answers 503), and a database without
    page_invalidation (mid-downgrade) must still take writes."""
    db.session.execute(update(Play).where(Play.id == 1).values(title="Seen the table"))
    db.session.commit()
    db.session.connection().exec_driver_sql("DROP TABLE page_invalidation")  # as a downgrade
    db.session.commit()
    db.session.execute(update(Play).where(Play.id == 1).values(title="Table gone"))
    with pytest.raises(DBAPIError):
        db.session.commit()
    db.session.rollback()
    db.session.execute(update(Play).where(Play.id == 1).values(title="Written anyway"))
    db.session.commit()
    assert db.session.get(Play, 1).title == "Written anyway"


def test_writes_to_private_bookkeeping_leave_the_generation_alone(app, client, member):
    before = _generation()
    page = client.get("/auth/login")
    client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "email": member.email,
            "password": "a wrong password",
        },
    )
    client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "email": member.email,
            "password": PASSWORD,
        },
    )
    assert client.get("/notifications/").status_code == 200
    assert _generation() == before


# --- pages ------------------------------------------------------------------------------


def test_a_visitor_gets_the_stored_page_with_a_single_statement(visitor, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    rendered, first = _statements(visitor, url)
    stored, again = _statements(visitor, url)
    assert rendered > 1 and stored == 1
    assert again == first
    response = visitor.get(url)
    assert response.headers["Content-Security-Policy"] and response.get_etag()[0]
    assert visitor.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_every_public_page_is_served_again_from_the_store(app, visitor, public_playbook):
    play = db.session.scalar(select(Play.id).order_by(Play.id))
    first = lambda model: db.session.scalar(select(model.id).order_by(model.id))  # noqa: E731
    for url in [
        "/",
        "/library/",
        "/library/plays/",
        f"/library/plays/{play}",
        "/library/resources/",
        f"/library/resources/{first(Resource)}",
        "/library/frameworks/",
        f"/library/frameworks/{first(Framework)}",
        f"/library/components/{first(Component)}",
        "/library/search?q=voice",
        "/gallery/",
        f"/playbooks/{public_playbook.id}",
    ]:
        _, first = _statements(visitor, url)
        if "?" in url:  # kept from its second request on
            _statements(visitor, url)
        count, again = _statements(visitor, url)
        assert count == 1 and again == first, url


def test_a_stored_page_is_rendered_again_after_its_configured_lifetime(
    app, visitor, public_playbook
):
    cache = app.extensions["page_cache"]
    assert cache.max_age == app.config["PLAYBOOK_PAGE_CACHE_SECONDS"] == 60
    clock = Clock()
    cache.clock = clock
    url = f"/playbooks/{public_playbook.id}"
    visitor.get(url)
    clock.now += 59
    assert _statements(visitor, url)[0] == 1
    clock.now += 2
    assert _statements(visitor, url)[0] > 1


def test_an_edit_by_the_team_shows_at_once(visitor, member, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    visitor.get(url)
    pf.add_note(member, public_playbook.id, title="Added after the visit")
    assert "Added after the visit" in visitor.get(url).get_data(as_text=True)


def test_a_playbook_made_private_is_gone_for_visitors_at_once(visitor, member, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    assert visitor.get(url).status_code == 200
    assert "Cached in public" in visitor.get("/gallery/").get_data(as_text=True)
    sharing.set_visibility(member, pf.reload(public_playbook.id), "private")
    assert visitor.get(url).status_code == 404
    assert "Cached in public" not in visitor.get("/gallery/").get_data(as_text=True)


def test_a_comment_shows_when_a_moderator_approves_it_and_goes_when_hidden(
    app, visitor, make_user, moderator, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    newcomer = make_user(display_name="Nell Newcomer")
    comment = comments.post_comment(
        newcomer,
        TargetKind.PLAYBOOK,
        pf.reload(public_playbook.id),
        "Our school tried this with **student-led** conferences.",
    )
    assert "student-led" not in visitor.get(url).get_data(as_text=True)  # held: stored without it
    moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], Decision.APPROVE)
    assert "student-led" in visitor.get(url).get_data(as_text=True)
    comment = db.session.get(Comment, comment.id)
    for flagger in [make_user() for _ in range(app.config["PLAYBOOK_FLAGS_TO_HIDE"])]:
        comments.flag_comment(flagger, db.session.get(Comment, comment.id), FlagReason.SPAM)
    assert "student-led" not in visitor.get(url).get_data(as_text=True)


def test_a_library_edit_shows_on_every_page_that_names_it(visitor, admin, public_playbook):
    item_play = db.session.scalar(
        select(Play).where(
            Play.id.in_(
                [
                    i.play_id
                    for s in pf.reload(public_playbook.id).sections
                    for i in s.items
                    if i.play_id
                ]
            )
        )
    )
    pages = [
        f"/playbooks/{public_playbook.id}",
        f"/library/plays/{item_play.id}",
        "/library/plays/",
    ]
    for url in pages:
        visitor.get(url)
    item_play.title = "A renamed play"
    db.session.commit()
    for url in pages:
        assert "A renamed play" in visitor.get(url).get_data(as_text=True), url


def test_a_renamed_member_shows_on_their_comments(visitor, moderator, public_playbook):
    comments.post_comment(
        moderator, TargetKind.PLAYBOOK, pf.reload(public_playbook.id), "Moderators post at once."
    )
    url = f"/playbooks/{public_playbook.id}"
    assert "Mona Moderator" in visitor.get(url).get_data(as_text=True)
    db.session.execute(
        update(User).where(User.id == moderator.id).values(display_name="Mona Renamed")
    )
    db.session.commit()
    assert "Mona Renamed" in visitor.get(url).get_data(as_text=True)


def test_signed_in_people_never_get_a_visitors_page_nor_leave_theirs(
    app, visitor, client, login, member, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    visitors_page = visitor.get(url).get_data(as_text=True)
    assert "Edit details" not in visitors_page
    login(member)
    with count_statements() as statements:
        owners_page = client.get(url).get_data(as_text=True)
    assert len(statements) > 1 and "Edit details" in owners_page and "csrf_token" in owners_page
    assert "Edit details" not in visitor.get(url).get_data(as_text=True)


def _rendered(client, url: str) -> bool:
    """The view ran (it reads the playbook), rather than a stored page being sent (which
    reads only the fingerprint, however few statements the view itself needs)."""
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return any(re.search(r"\bFROM playbook\b", sql) for sql in statements)


def _whole_pages(app) -> list[str]:
    return [key for key in app.extensions["page_cache"].pages if not key.startswith("fragment:")]


def test_a_browser_with_a_session_is_neither_served_nor_stored(
    app, visitor, client, member, public_playbook
):
    url = f"/playbooks/{public_playbook.id}"
    page = client.get("/auth/login")  # the browser now holds a session (its CSRF token)
    assert "Set-Cookie" in page.headers
    for _ in range(2):
        assert _rendered(client, url)
    assert not _whole_pages(app)  # (the page's shared part may be kept: tests/test_fragments.py)
    visitor.get(url)
    assert _whole_pages(app)
    assert _rendered(client, url)


def test_a_secret_link_page_is_never_stored(app, member):
    playbook = pf.make_playbook(member, 2, title="Shared by a secret link")
    token = sharing.set_visibility(member, pf.reload(playbook.id), "link")
    holder = app.test_client()
    holder.get(f"/playbooks/{playbook.id}/s/{token}")
    assert "Shared by a secret link" in holder.get(f"/playbooks/{playbook.id}").get_data(
        as_text=True
    )
    assert app.test_client(use_cookies=False).get(f"/playbooks/{playbook.id}").status_code == 404


def test_pages_are_stored_per_address(visitor, public_playbook):
    first = visitor.get("/library/search?q=voice").get_data(as_text=True)
    other = visitor.get("/library/search?q=rubric").get_data(as_text=True)
    assert first != other
    assert visitor.get("/library/search?q=voice").get_data(as_text=True) == first


def test_a_search_is_kept_only_once_it_was_asked_twice(app, visitor, public_playbook):
    """One-off searches do not fill the store (and the worker's memory) nor push out
    pages that are asked again; a playbook page is kept at its first request."""
    cache = app.extensions["page_cache"]
    for n in range(30):
        visitor.get(f"/library/search?q=voice+{n}")
    assert not _whole_pages(app)
    visitor.get(f"/playbooks/{public_playbook.id}")
    assert len(_whole_pages(app)) == 1
    url = "/library/search?q=voice"
    assert _statements(visitor, url)[0] > 1
    assert _statements(visitor, url)[0] > 1  # asked again: now kept
    assert _statements(visitor, url)[0] == 1
    # remembered for the page cache's lifetime only, and only so many addresses
    clock = Clock()
    cache.clock = clock
    visitor.get("/library/search?q=rubric")
    clock.now += app.config["PLAYBOOK_PAGE_CACHE_SECONDS"] + 1
    assert _statements(visitor, "/library/search?q=rubric")[0] > 1  # seen too long ago
    assert _statements(visitor, "/library/search?q=rubric")[0] > 1  # now kept
    assert _statements(visitor, "/library/search?q=rubric")[0] == 1
    cache.SEEN_KEYS = 5
    for n in range(10):
        visitor.get(f"/library/search?q=family+{n}")
    assert len(cache.seen) == 5


def test_errors_are_not_stored(app, visitor):
    assert visitor.get("/playbooks/999999").status_code == 404
    assert not _whole_pages(app)


def test_cache_can_be_turned_off(app, library):
    plain = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PLAYBOOK_PAGE_CACHE_BYTES": 0,
        }
    )
    assert "page_cache" not in plain.extensions


def test_another_worker_sees_a_change_at_once(tmp_path):
    """Two app instances on one database, as two gunicorn workers are: a page one of
    them stored is never sent after the other one changed what it shows."""
    url = os.environ.get("TEST_DATABASE_URL")
    url = (
        ("postgresql+psycopg://" + url.split("://", 1)[1])
        if url
        else f"sqlite:///{tmp_path / 'shared.sqlite'}"
    )
    first, second = (create_app({"SQLALCHEMY_DATABASE_URI": url}) for _ in range(2))
    with first.app_context():
        db.drop_all()
        db.create_all()
        owner = factories.make_user(display_name="Wendy Worker")
        playbook = pf.make_playbook(owner, 1, title="Before the change")
        sharing.set_visibility(owner, pf.reload(playbook.id), "public")
        playbook_id, owner_id = playbook.id, owner.id
    try:
        page = f"/playbooks/{playbook_id}"
        with first.app_context():
            reader = first.test_client(use_cookies=False)
            assert "Before the change" in reader.get(page).get_data(as_text=True)
            assert "Before the change" in reader.get(page).get_data(as_text=True)
            assert first.extensions["page_cache"].hits == 1
        with second.app_context():
            playbook = db.session.get(Playbook, playbook_id)
            playbook.title = "After the change"
            playbook.version += 1
            db.session.commit()
            assert (
                current_generation() is not None
                and db.session.get(Playbook, playbook_id).created_by_id == owner_id
            )
        with first.app_context():
            assert "After the change" in first.test_client(use_cookies=False).get(page).get_data(
                as_text=True
            )
    finally:
        with first.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


# --- what each write retires ------------------------------------------------------------


def _served_from_store(client, url: str) -> bool:
    return _statements(client, url)[0] == 1


def _store(client, *urls: str) -> None:
    for url in urls:
        client.get(url)
        assert _served_from_store(client, url), url


@pytest.fixture
def other_public(app, library, other_member):
    playbook = pf.make_playbook(other_member, 2, title="Another team in public")
    sharing.set_visibility(other_member, pf.reload(playbook.id), "public")
    return pf.reload(playbook.id)


def _a_play_in(playbook: Playbook) -> int:
    return next(i.play_id for s in pf.reload(playbook.id).sections for i in s.items if i.play_id)


def test_every_cached_page_says_which_scopes_it_shows(app):
    """A page the module was not told about would never be cached; every page that
    asks to be cached must be known to page_scopes."""
    cached = [
        rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "cached_for_visitors", False)
    ]
    assert len(cached) >= 12
    for rule in cached:
        args = dict.fromkeys(rule.arguments, 1)
        assert pagecache.page_scopes(rule.endpoint, args) is not None, rule.endpoint


def test_every_mapped_class_is_either_visible_or_private():
    """A new model must be placed: what its writes retire, or that no visitor sees it."""
    mapped = {mapper.class_ for mapper in Base.registry.mappers}
    assert mapped == set(pagecache.RESOLVERS) | pagecache.PRIVATE
    assert not set(pagecache.RESOLVERS) & pagecache.PRIVATE


def test_a_playbook_edit_retires_its_page_and_the_gallery_only(
    visitor, member, public_playbook, other_public
):
    mine, others = f"/playbooks/{public_playbook.id}", f"/playbooks/{other_public.id}"
    unused = db.session.scalar(
        select(Play.id).where(Play.id != _a_play_in(public_playbook)).order_by(Play.id.desc())
    )
    kept = ["/", "/library/plays/", "/library/frameworks/", f"/library/plays/{unused}", others]
    _store(visitor, mine, "/gallery/", *kept)
    pf.add_note(member, public_playbook.id, title="Added while cached")
    for url in kept:
        assert _served_from_store(visitor, url), url
    assert not _served_from_store(visitor, "/gallery/")
    count, page = _statements(visitor, mine)
    assert count > 1 and "Added while cached" in page


def test_a_public_playbooks_title_shows_on_the_pages_of_the_plays_it_uses(
    visitor, member, public_playbook
):
    used = f"/library/plays/{_a_play_in(public_playbook)}"
    assert "Cached in public" in visitor.get(used).get_data(as_text=True)
    playbook = pf.reload(public_playbook.id)
    from playbook.playbooks import services as playbooks

    playbooks.update_playbook(
        member,
        playbook,
        base_version=playbook.version,
        title="Renamed in public",
        scope=playbook.scope.value,
        organization=playbook.organization,
        vision=playbook.vision,
        framework_id=playbook.framework_id,
    )
    assert "Renamed in public" in visitor.get(used).get_data(as_text=True)


def test_a_private_playbooks_edit_retires_nothing(visitor, member, public_playbook):
    private = pf.make_playbook(member, 3, title="Our private plans")
    pages = ["/", "/library/plays/", "/gallery/", f"/playbooks/{public_playbook.id}"]
    _store(visitor, *pages)
    pf.add_note(member, private.id, title="Only for us")
    playbook = pf.reload(private.id)
    playbook.title = "Our renamed private plans"
    playbook.version += 1
    db.session.commit()
    for url in pages:
        assert _served_from_store(visitor, url), url


def test_a_play_added_to_a_private_playbook_changes_only_that_plays_count(
    visitor, member, public_playbook
):
    """A play's page counts the other live playbooks using it, private ones too."""
    private = pf.make_playbook(member, 1, title="Our private plans")
    plays = list(db.session.scalars(select(Play).order_by(Play.id.desc()).limit(2)))
    added, other = (f"/library/plays/{play.id}" for play in plays)
    _store(visitor, added, other, "/gallery/")
    before = visitor.get(added).get_data(as_text=True)
    pf.add_play(member, private.id, plays[0], section_index=0)
    assert _served_from_store(visitor, other) and _served_from_store(visitor, "/gallery/")
    count, after = _statements(visitor, added)
    assert count > 1 and after != before


def test_a_playbook_made_private_is_gone_at_once_from_every_page(visitor, member, public_playbook):
    used = f"/library/plays/{_a_play_in(public_playbook)}"
    url = f"/playbooks/{public_playbook.id}"
    _store(visitor, url, used, "/gallery/")
    sharing.set_visibility(member, pf.reload(public_playbook.id), "private")
    assert visitor.get(url).status_code == 404
    for page in (used, "/gallery/"):
        assert "Cached in public" not in visitor.get(page).get_data(as_text=True), page


def test_a_library_edit_retires_the_library_and_playbook_pages(
    visitor, admin, public_playbook, other_public
):
    from playbook.library import services as library

    play = db.session.get(Play, _a_play_in(public_playbook))
    pages = [
        "/",
        "/library/plays/",
        f"/library/plays/{play.id}",
        f"/playbooks/{public_playbook.id}",
    ]
    _store(visitor, *pages)
    library.update_play(
        admin,
        play,
        title="A play renamed by the library team",
        summary=play.summary,
        body=play.body,
        stage=play.stage.value,
        grade_band=play.grade_band.value,
        effort=play.effort.value,
        audiences=[a.value for a in play.audiences],
        component_ids=[c.id for c in play.components],
    )
    for url in pages[1:]:
        assert "A play renamed by the library team" in visitor.get(url).get_data(as_text=True), url
    assert not _served_from_store(visitor, "/")


def test_an_approved_comment_on_a_play_shows_on_its_page(
    visitor, make_user, moderator, public_playbook
):
    play = db.session.get(Play, _a_play_in(public_playbook))
    url = f"/library/plays/{play.id}"
    comment = comments.post_comment(
        make_user(display_name="Nell Newcomer"), TargetKind.PLAY, play, "We ran it in **May**."
    )
    assert "Nell Newcomer" not in visitor.get(url).get_data(as_text=True)
    _store(visitor, url)
    moderation.decide(moderator, [(SubjectKind.COMMENT, comment.id)], Decision.APPROVE)
    assert "Nell Newcomer" in visitor.get(url).get_data(as_text=True)


def test_a_display_name_changed_on_the_user_shows_at_once(visitor, moderator, public_playbook):
    comments.post_comment(
        moderator, TargetKind.PLAYBOOK, pf.reload(public_playbook.id), "Moderators post at once."
    )
    url = f"/playbooks/{public_playbook.id}"
    _store(visitor, url)
    user = db.session.get(User, moderator.id)
    user.display_name = "Mona Changed"
    db.session.commit()
    assert "Mona Changed" in visitor.get(url).get_data(as_text=True)


def test_other_changes_to_a_user_retire_nothing(visitor, moderator, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    _store(visitor, url, "/gallery/")
    user = db.session.get(User, moderator.id)
    user.email = "mona.elsewhere@example.org"
    db.session.commit()
    assert _served_from_store(visitor, url) and _served_from_store(visitor, "/gallery/")


def test_a_bulk_update_through_the_session_is_seen(visitor, public_playbook, other_public):
    url, others = f"/playbooks/{public_playbook.id}", f"/playbooks/{other_public.id}"
    _store(visitor, url, others, "/library/plays/")
    db.session.execute(
        update(Playbook).where(Playbook.id == public_playbook.id).values(title="Renamed in bulk")
    )
    db.session.commit()
    assert "Renamed in bulk" in visitor.get(url).get_data(as_text=True)
    assert "Renamed in bulk" in visitor.get("/gallery/").get_data(as_text=True)
    assert _served_from_store(visitor, others) and _served_from_store(visitor, "/library/plays/")


def test_a_bulk_delete_through_the_session_is_seen(visitor, member, public_playbook):
    url = f"/playbooks/{public_playbook.id}"
    note = pf.add_note(member, public_playbook.id, title="Soon gone")
    assert "Soon gone" in visitor.get(url).get_data(as_text=True)
    _store(visitor, url)
    db.session.execute(delete(Item).where(Item.id == note.id))
    db.session.commit()
    assert "Soon gone" not in visitor.get(url).get_data(as_text=True)


def test_a_page_rendered_before_a_concurrent_commit_is_not_kept(
    app, visitor, member, public_playbook
):
    """Out of order: a transaction that recorded its row first may commit last; the
    fingerprint counts rows, so it still changes when that one lands."""
    url = f"/playbooks/{public_playbook.id}"
    _store(visitor, url)
    db.session.add(PageInvalidation(scope=pagecache.playbook_scope(public_playbook.id), token=0))
    db.session.commit()  # a token of 0 leaves the sum alone: only the count tells
    assert not _served_from_store(visitor, url)


def test_invalidation_rows_stay_few(app, monkeypatch, member, public_playbook):
    monkeypatch.setattr(pagecache, "PRUNE_ONE_IN", 1)
    for n in range(4):
        pf.add_note(member, public_playbook.id, title=f"Note {n}")
    scope = pagecache.playbook_scope(public_playbook.id)
    for name in (scope, pagecache.GALLERY):
        rows = db.session.scalar(select(func.count()).where(PageInvalidation.scope == name))
        assert rows == 1, name


def test_a_change_made_private_in_another_worker_is_seen_at_once(tmp_path):
    """As test_another_worker_sees_a_change_at_once, for a playbook made private."""
    url = os.environ.get("TEST_DATABASE_URL")
    url = (
        ("postgresql+psycopg://" + url.split("://", 1)[1])
        if url
        else f"sqlite:///{tmp_path / 'shared.sqlite'}"
    )
    first, second = (create_app({"SQLALCHEMY_DATABASE_URI": url}) for _ in range(2))
    with first.app_context():
        db.drop_all()
        db.create_all()
        owner = factories.make_user(display_name="Wendy Worker")
        playbook = pf.make_playbook(owner, 1, title="Public for now")
        sharing.set_visibility(owner, pf.reload(playbook.id), "public")
        playbook_id, owner_id = playbook.id, owner.id
    try:
        page = f"/playbooks/{playbook_id}"
        with first.app_context():
            reader = first.test_client(use_cookies=False)
            for _ in range(2):
                assert reader.get(page).status_code == 200
            assert first.extensions["page_cache"].hits == 1
        with second.app_context():
            sharing.set_visibility(
                db.session.get(User, owner_id), pf.reload(playbook_id), "private"
            )
        with first.app_context():
            assert first.test_client(use_cookies=False).get(page).status_code == 404
    finally:
        with first.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_playbook_made_public_shows_at_once_where_it_is_listed(visitor, member, library):
    playbook = pf.make_playbook(member, 4, framework=pf.seeded_framework(), title="Newly public")
    used = f"/library/plays/{_a_play_in(playbook)}"
    _store(visitor, "/gallery/", used)
    sharing.set_visibility(member, pf.reload(playbook.id), "public")
    for url in ("/gallery/", used):
        assert "Newly public" in visitor.get(url).get_data(as_text=True), url
